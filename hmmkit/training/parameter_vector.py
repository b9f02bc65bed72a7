"""HMM parameters as one flat vector, for extrapolating accelerators.

An extrapolation such as SQUAREM's ``x0 + 2 a r + a^2 v`` can leave the set of
valid parameters (negative probabilities or variances, indefinite covariances).
Two coordinate systems are offered:

- ``"raw"``: the parameters as they are (probabilities on each row's support,
  variances, the lower triangle of full covariances, means). A vector outside the
  valid set raises :class:`InfeasibleParameters`, and the caller shortens its
  step (projection-free). SQUAREM uses these: in them the step length is not
  dominated by probabilities on their way to zero (see ``docs/alpha_hmm.md``).
- ``"unconstrained"``: every value is valid. Rows of probabilities as centred
  log-ratios over the row's support ``log p - mean(log p)`` (back by a softmax over
  the same support, so structural zeros stay zero), spherical and diagonal
  variances in ``log``, full and tied covariances as the lower Cholesky factor with
  its diagonal in ``log``, Poisson rates in ``log``, means as they are.

In both, covariances are raised to the emission's floor, as its M-step would.
The walk is generic over :class:`~hmmkit.hmm.HMMParams` and the frozen emission
values: every dataclass field whose name is listed below is a parameter array, a
nested dataclass (a mixture bank) is walked in turn, and every other field (floors,
priors, settings) is carried over unchanged. Values are rebuilt with
:func:`dataclasses.replace`, so each emission re-validates itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..emissions.gaussian import floor_covariances

#: Field names holding rows of probabilities (normalised along the last axis).
SIMPLEX_FIELDS = frozenset({"startprob", "transmat", "emissionprob", "weights"})
#: Field names holding unconstrained real arrays.
FREE_FIELDS = frozenset({"means"})
#: Field names holding covariances, in the form named by the owner's ``covariance_type``.
COVARIANCE_FIELDS = frozenset({"covars"})
#: Field names holding non-negative rates (Poisson lambdas).
RATE_FIELDS = frozenset({"lambdas"})
#: Smallest rate in unconstrained coordinates (``log``); a zero rate comes back as this.
MIN_RATE = 1e-300
#: The coordinate systems: constraint-free transforms, or the parameters as they are.
COORDINATES = ("unconstrained", "raw")
#: Smallest probability an extrapolated row may hold on its support (no exact zeros:
#: under EM a zero probability can never grow again).
MIN_PROBABILITY = 1e-300


def _leaves(value, path=(), floor=None, covariance_type=None):
    """Yield ``(path, kind, array, floor)`` for every parameter array inside ``value``."""
    covariance_type = getattr(value, "covariance_type", covariance_type)
    own_floor = getattr(value, "floor", None)
    floor = own_floor if isinstance(own_floor, np.ndarray) else floor
    for f in dataclasses.fields(value):
        if not f.init:
            continue
        item = getattr(value, f.name)
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            yield from _leaves(item, path + (f.name,), floor, covariance_type)
        elif f.name in SIMPLEX_FIELDS:
            yield path + (f.name,), "simplex", np.asarray(item, dtype=float), None
        elif f.name in FREE_FIELDS:
            yield path + (f.name,), "free", np.asarray(item, dtype=float), None
        elif f.name in RATE_FIELDS:
            yield path + (f.name,), "rate", np.asarray(item, dtype=float), None
        elif f.name in COVARIANCE_FIELDS:
            kind = "log" if covariance_type in ("spherical", "diag") else "cholesky"
            yield path + (f.name,), kind, np.asarray(item, dtype=float), (floor, covariance_type)


def _replace(value, path: tuple, new):
    """``value`` with the field at ``path`` replaced by ``new`` (rebuilding every level)."""
    head, *rest = path
    item = new if not rest else _replace(getattr(value, head), tuple(rest), new)
    return dataclasses.replace(value, **{head: item})


class InfeasibleParameters(ValueError):
    """A vector of raw coordinates that is not a valid parameter value."""


def _to_raw(kind: str, array: np.ndarray, support: np.ndarray | None) -> np.ndarray:
    if kind == "simplex":
        return array[support]
    if kind == "cholesky":
        rows, cols = np.tril_indices(array.shape[-1])
        return array[..., rows, cols].ravel()
    return array.ravel()


def _from_raw(kind, coords, like, support, floor_info) -> np.ndarray:
    if kind == "free":
        return coords.reshape(like.shape)
    if kind == "rate":
        if np.any(coords < 0):
            raise InfeasibleParameters("a rate would be negative")
        return coords.reshape(like.shape)
    if kind == "simplex":
        if np.any(coords <= 0):
            raise InfeasibleParameters("a probability would not be positive")
        probs = np.zeros(like.shape)
        probs[support] = coords
        totals = probs.sum(axis=-1, keepdims=True)
        return probs / np.where(totals > 0, totals, 1.0)
    floor, covariance_type = floor_info
    if kind == "log":
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
    if floor is not None:
        covars = floor_covariances(covars, covariance_type, floor)
    return covars


def _to_coordinates(kind: str, array: np.ndarray, support: np.ndarray | None) -> np.ndarray:
    if kind == "free":
        return array.ravel()
    if kind == "rate":
        return np.log(np.maximum(array, MIN_RATE)).ravel()
    if kind == "log":
        return np.log(array).ravel()
    if kind == "simplex":
        with np.errstate(divide="ignore"):
            logs = np.where(support, np.log(np.where(support, array, 1.0)), 0.0)
        counts = np.maximum(support.sum(axis=-1, keepdims=True), 1)
        centred = logs - logs.sum(axis=-1, keepdims=True) / counts
        return centred[support]
    chol = np.linalg.cholesky(array)
    d = array.shape[-1]
    rows, cols = np.tril_indices(d)
    lower = chol[..., rows, cols]
    diagonal = rows == cols
    lower[..., diagonal] = np.log(lower[..., diagonal])
    return lower.ravel()


def _from_coordinates(kind, coords, like, support, floor_info) -> np.ndarray:
    if kind == "free":
        return coords.reshape(like.shape)
    if kind == "rate":
        return np.exp(coords).reshape(like.shape)
    if kind == "simplex":
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
    floor, covariance_type = floor_info
    if kind == "log":
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
    if floor is not None:
        covars = floor_covariances(covars, covariance_type, floor)
    return covars


class ParameterVector:
    """The map between parameter values shaped like ``points`` and flat vectors.

    Built from the points an extrapolation combines (so that the support of each
    probability row is the one they share). ``frozen`` lists the arrays that are the
    same in every point (parameters not being trained); they are never touched.
    """

    def __init__(self, points: Sequence, coordinates: str = "unconstrained") -> None:
        if coordinates not in COORDINATES:
            raise ValueError(f"coordinates must be one of {COORDINATES}, got {coordinates!r}")
        self._to, self._from = (
            (_to_coordinates, _from_coordinates)
            if coordinates == "unconstrained"
            else (_to_raw, _from_raw)
        )
        template = points[-1]
        per_point = [list(_leaves(p)) for p in points]
        self._template = template
        self._leaves = []
        self.same_support = True
        for i, (path, kind, array, floor_info) in enumerate(per_point[-1]):
            arrays = [leaves[i][2] for leaves in per_point]
            frozen = all(np.array_equal(arrays[0], a) for a in arrays[1:])
            support = None
            if kind == "simplex":
                supports = [a > 0 for a in arrays]
                support = supports[-1]
                if not all(np.array_equal(support, s) for s in supports):
                    self.same_support = False
            size = 0 if frozen else self._to(kind, array, support).size
            self._leaves.append((path, kind, array, support, floor_info, frozen, size))

    def to_vector(self, params) -> np.ndarray:
        """The trainable parameters of ``params`` as one vector of unconstrained values."""
        arrays = {path: array for path, _, array, _ in _leaves(params)}
        parts = [
            self._to(kind, arrays[path], support)
            for path, kind, _, support, _, frozen, _ in self._leaves
            if not frozen
        ]
        return np.concatenate(parts) if parts else np.zeros(0)

    def from_vector(self, vector: np.ndarray):
        """Parameter value with the trainable arrays read from ``vector`` (frozen ones kept).

        Raises :class:`InfeasibleParameters` when the value is not valid: in raw
        coordinates a probability or variance that is not positive or a covariance
        that is not positive definite; in unconstrained coordinates only a covariance
        too ill-conditioned to factorise in floating point.
        """
        value = self._template
        position = 0
        for path, kind, like, support, floor_info, frozen, size in self._leaves:
            if frozen:
                continue
            array = self._from(kind, vector[position : position + size], like, support, floor_info)
            position += size
            try:
                value = _replace(value, path, array)
            except ValueError as error:  # e.g. numerically singular covariances
                raise InfeasibleParameters(str(error)) from None
        if position != vector.size:
            raise ValueError(f"vector has {vector.size} values, the parameters need {position}")
        return value
