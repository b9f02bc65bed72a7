"""Kinds of parameters and of sufficient statistics, as emissions declare them.

An emission lists its parameter fields with their kind (:meth:`Emission.parameter_kinds`)
and its statistics with theirs (:meth:`Emission.statistic_kinds`). The accelerators
read these declarations and nothing else: SQUAREM moves parameters through each kind's
coordinates (:mod:`hmmkit.training.parameter_vector`), α-EM extrapolates statistics
by kind (:mod:`hmmkit.training.alpha`).

Every parameter kind maps an array to two coordinate systems:

- *raw*: the values as they are (a probability row on its support, the lower triangle
  of a full covariance); :meth:`ParameterKind.from_raw` raises
  :class:`InfeasibleParameters` for a vector outside the valid set;
- *unconstrained*: every real vector is valid (log, logit, centred log-ratio,
  log-Cholesky).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

#: An extrapolated count below this fraction of the current count is not used (α-EM).
MIN_COUNT_FRACTION = 0.5
#: Smallest rate in unconstrained coordinates (``log``); a zero rate comes back as this.
MIN_RATE = 1e-300
#: Smallest probability an extrapolated row may hold on its support (no exact zeros:
#: under EM a zero probability can never grow again).
MIN_PROBABILITY = 1e-300


class InfeasibleParameters(ValueError):
    """A vector of raw coordinates that is not a valid parameter value."""


class ParameterKind:
    """How one parameter array maps to flat raw and unconstrained coordinates."""

    def support(self, array: np.ndarray) -> np.ndarray | None:
        """The entries that take part (None: all of them)."""
        return None

    def n_free(self, array: np.ndarray) -> int:
        """Number of free values in ``array`` (for AIC/BIC)."""
        return int(np.size(array))

    def to_raw(self, array: np.ndarray, support: np.ndarray | None) -> np.ndarray:
        """The array as a flat vector of raw coordinates."""
        return array.ravel()

    def from_raw(self, coords: np.ndarray, like: np.ndarray, support) -> np.ndarray:
        """The array shaped as ``like`` from raw coordinates; raises InfeasibleParameters."""
        raise NotImplementedError

    def to_unconstrained(self, array: np.ndarray, support: np.ndarray | None) -> np.ndarray:
        """The array as a flat vector of unconstrained coordinates."""
        raise NotImplementedError

    def from_unconstrained(self, coords: np.ndarray, like: np.ndarray, support) -> np.ndarray:
        """The array shaped as ``like`` from unconstrained coordinates (always valid)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Real(ParameterKind):
    """Unconstrained real values (means, locations, angles)."""

    def from_raw(self, coords, like, support):
        return coords.reshape(like.shape)

    def to_unconstrained(self, array, support):
        return array.ravel()

    def from_unconstrained(self, coords, like, support):
        return coords.reshape(like.shape)


class Rate(ParameterKind):
    """Non-negative values (Poisson rates); ``log`` in unconstrained coordinates."""

    def from_raw(self, coords, like, support):
        if np.any(coords < 0):
            raise InfeasibleParameters("a rate would be negative")
        return coords.reshape(like.shape)

    def to_unconstrained(self, array, support):
        return np.log(np.maximum(array, MIN_RATE)).ravel()

    def from_unconstrained(self, coords, like, support):
        return np.exp(coords).reshape(like.shape)


class Positive(ParameterKind):
    """Strictly positive values (scales, concentrations); ``log`` when unconstrained."""

    def from_raw(self, coords, like, support):
        if np.any(coords <= 0):
            raise InfeasibleParameters("a positive parameter would not be positive")
        return coords.reshape(like.shape)

    def to_unconstrained(self, array, support):
        return np.log(array).ravel()

    def from_unconstrained(self, coords, like, support):
        return np.exp(coords).reshape(like.shape)


class Probability(ParameterKind):
    """Entries each in [0, 1], independently (Bernoulli success probabilities);
    ``logit`` when unconstrained (kept within [MIN_PROBABILITY, 1 - 2^-53])."""

    def from_raw(self, coords, like, support):
        if np.any(coords < 0) or np.any(coords > 1):
            raise InfeasibleParameters("a probability would be outside [0, 1]")
        return coords.reshape(like.shape)

    def to_unconstrained(self, array, support):
        p = np.clip(array, MIN_PROBABILITY, 1.0 - np.finfo(float).epsneg)
        return (np.log(p) - np.log1p(-p)).ravel()

    def from_unconstrained(self, coords, like, support):
        return (0.5 * (1.0 + np.tanh(0.5 * coords))).reshape(like.shape)


class Simplex(ParameterKind):
    """Rows of probabilities along the last axis, each on its support (structural zeros
    stay zero); centred log-ratios over the support when unconstrained."""

    def support(self, array):
        return array > 0

    def n_free(self, array):
        array = np.asarray(array)
        return array.size - array.size // max(array.shape[-1], 1)  # each row sums to one

    def to_raw(self, array, support):
        return array[support]

    def from_raw(self, coords, like, support):
        if np.any(coords <= 0):
            raise InfeasibleParameters("a probability would not be positive")
        probs = np.zeros(like.shape)
        probs[support] = coords
        totals = probs.sum(axis=-1, keepdims=True)
        return probs / np.where(totals > 0, totals, 1.0)

    def to_unconstrained(self, array, support):
        with np.errstate(divide="ignore"):
            logs = np.where(support, np.log(np.where(support, array, 1.0)), 0.0)
        counts = np.maximum(support.sum(axis=-1, keepdims=True), 1)
        centred = logs - logs.sum(axis=-1, keepdims=True) / counts
        return centred[support]

    def from_unconstrained(self, coords, like, support):
        logs = np.full(like.shape, -np.inf)
        logs[support] = coords
        top = np.max(logs, axis=-1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        weights = np.exp(logs - top)  # zero off the support
        totals = weights.sum(axis=-1, keepdims=True)
        probs = weights / np.where(totals > 0, totals, 1.0)
        probs = np.where(support, np.maximum(probs, MIN_PROBABILITY), 0.0)
        totals = probs.sum(axis=-1, keepdims=True)
        return probs / np.where(totals > 0, totals, 1.0)


@dataclass(frozen=True, eq=False)
class Covariance(ParameterKind):
    """Covariances in the compact form of ``covariance_type`` (hmmlearn's ``covars_``),
    passed through ``floored`` (the emission's covariance floor) on the way back, as the
    M-step would. Spherical
    and diagonal variances are ``log`` when unconstrained; full and tied matrices the
    lower triangle (raw) or the lower Cholesky factor with its diagonal in ``log``."""

    covariance_type: str
    floored: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def _diagonal(self) -> bool:
        return self.covariance_type in ("spherical", "diag")

    def n_free(self, array):
        if self._diagonal:
            return int(np.size(array))
        d = np.shape(array)[-1]
        return int(np.size(array)) // (d * d) * (d * (d + 1) // 2)  # symmetric

    def to_raw(self, array, support):
        if self._diagonal:
            return array.ravel()
        rows, cols = np.tril_indices(array.shape[-1])
        return array[..., rows, cols].ravel()

    def from_raw(self, coords, like, support):
        if self._diagonal:
            if np.any(coords <= 0):
                raise InfeasibleParameters("a variance would not be positive")
            covars = coords.reshape(like.shape)
        else:
            rows, cols = np.tril_indices(like.shape[-1])
            covars = np.zeros(like.shape)
            covars[..., rows, cols] = coords.reshape(like.shape[:-2] + (len(rows),))
            covars[..., cols, rows] = covars[..., rows, cols]
            try:
                np.linalg.cholesky(covars)
            except np.linalg.LinAlgError:
                raise InfeasibleParameters("a covariance would not be positive definite") from None
        return covars if self.floored is None else self.floored(covars)

    def to_unconstrained(self, array, support):
        if self._diagonal:
            return np.log(array).ravel()
        chol = np.linalg.cholesky(array)
        d = array.shape[-1]
        rows, cols = np.tril_indices(d)
        lower = chol[..., rows, cols]
        diagonal = rows == cols
        lower[..., diagonal] = np.log(lower[..., diagonal])
        return lower.ravel()

    def from_unconstrained(self, coords, like, support):
        if self._diagonal:
            covars = np.exp(coords).reshape(like.shape)
        else:
            d = like.shape[-1]
            rows, cols = np.tril_indices(d)
            lower = coords.reshape(like.shape[:-2] + (len(rows),)).copy()
            diagonal = rows == cols
            lower[..., diagonal] = np.exp(lower[..., diagonal])
            chol = np.zeros(like.shape)
            chol[..., rows, cols] = lower
            covars = chol @ np.swapaxes(chol, -1, -2)
            covars = 0.5 * (covars + np.swapaxes(covars, -1, -2))
        return covars if self.floored is None else self.floored(covars)

    def __repr__(self) -> str:
        return f"Covariance({self.covariance_type!r})"


#: Shared instances of the kinds that take no settings.
REAL, RATE, POSITIVE, PROBABILITY, SIMPLEX = Real(), Rate(), Positive(), Probability(), Simplex()


class StatisticKind:
    """How α-EM may extrapolate a statistic ``N* = N_t + μ (N_t - N_{t-1})``."""

    name = "statistic"

    def __repr__(self) -> str:
        return self.name.upper()


class Count(StatisticKind):
    """A non-negative expected count (or a sum of non-negative values, such as counts of
    symbols or of events) whose ratios the M-step takes: an extrapolated entry below
    half its current value keeps its current value."""

    name = "count"


class Moment(StatisticKind):
    """A weighted sum of values of any sign (first and second moments, sums of cosines):
    extrapolated as it is; the emission's :meth:`~hmmkit.emissions.base.Emission.
    repair_extrapolation` reverts the states whose extrapolation is not valid."""

    name = "moment"


COUNT, MOMENT = Count(), Moment()

#: A mapping from field names to kinds; a nested mapping describes a field that holds a
#: frozen value of its own (a mixture bank inside an emission).
Kinds = Mapping[str, "ParameterKind | Kinds"]


def revert_states(
    current: Mapping[str, np.ndarray],
    combined: dict[str, np.ndarray],
    keep: np.ndarray,
    keys: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """``combined`` with the statistics ``keys`` set back to ``current`` along their first
    axis where ``keep`` (a boolean per first-axis entry) is False: the helper that
    :meth:`~hmmkit.emissions.base.Emission.repair_extrapolation` implementations use."""
    if np.all(keep):
        return combined
    out = dict(combined)
    for key in keys:
        shape = (-1,) + (1,) * (current[key].ndim - 1)
        out[key] = np.where(keep.reshape(shape), combined[key], current[key])
    return out
