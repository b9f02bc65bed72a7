"""The Gaussian-mixture EM: the one place its E- and M-steps live.

A :class:`MixtureBank` is ``G`` mixtures of ``M`` Gaussian components each. The
E-step scores frames under every mixture and keeps each component's posterior
within its mixture; statistics are accumulated with per-frame, per-mixture
weights (all ones for a standalone mixture, the state posteriors for a GMM-HMM).
The M-step re-estimates weights, means and floored covariances, replaces defunct
components by splitting the heaviest one of their mixture (as HTK's HHEd does),
and :func:`mix_up` grows every mixture by splitting ("mixing up").
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..compiling import njit
from ..numeric import FRAME_BLOCK, exp_nonpositive, gather_block, log_positive, min_int
from ..simplex import check_stochastic, dirichlet_log_density, dirichlet_map
from .base import EMPTY_COUNT, DegenerateStateWarning, Emission, warn_unvisited
from .covariances import check_covariances, check_mean_values, compact_shape, covariance_kind
from .gaussian import (
    GaussianBank,
    GaussianPrior,
    check_covariance_type,
    estimate_gaussians,
    gaussian_log_prior,
    recentre_moments,
)
from .kinds import REAL, SIMPLEX
from .moment_checks import MOMENT_STATISTICS, repair_moments

#: Default relative offset of a split: the two halves sit +-0.2 standard deviations apart.
SPLIT_OFFSET = 0.2


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nnan"}, error_model="numpy")
def _mixture_scores(comp, log_weights, out, values, group_work):
    """Per-mixture log-likelihoods into ``out`` (T, G); ``comp`` (T, G*M) becomes the
    posterior of each component within its mixture. (Log-densities are never NaN.)

    Works on blocks of frames copied to the (G*M, FRAME_BLOCK) buffer ``values``, so that
    every loop runs over frames and vectorises; ``group_work`` (3, G, FRAME_BLOCK) holds
    per-mixture rows. Both come from the caller: allocating them here would compile
    numba's allocation routines with this kernel, on a first run.
    """
    n_groups, n_mix = log_weights.shape
    n_frames, n_components = comp.shape
    peak, total, log_total = group_work[0], group_work[1], group_work[2]
    for start in range(0, n_frames, FRAME_BLOCK):
        size = min_int(FRAME_BLOCK, n_frames - start)
        gather_block(comp, start, size, values)
        for c in range(n_components):  # a short last block: padding with zeros
            for i in range(size, FRAME_BLOCK):
                values[c, i] = 0.0
        for g in range(n_groups):
            best = peak[g]
            first = values[g * n_mix]
            for i in range(FRAME_BLOCK):
                best[i] = first[i] + log_weights[g, 0]
            for j in range(1, n_mix):
                lane = values[g * n_mix + j]
                for i in range(FRAME_BLOCK):
                    v = lane[i] + log_weights[g, j]
                    best[i] = v if v > best[i] else best[i]  # max(): no routine to compile
            for j in range(n_mix):
                lane = values[g * n_mix + j]
                for i in range(FRAME_BLOCK):
                    shift = best[i] if best[i] > -np.inf else 0.0
                    lane[i] = lane[i] + log_weights[g, j] - shift
        for c in range(n_components):  # by rows: reshaping costs compile time
            exp_nonpositive(values[c])
        for g in range(n_groups):
            s = total[g]
            for i in range(FRAME_BLOCK):
                s[i] = 0.0
            for j in range(n_mix):
                lane = values[g * n_mix + j]
                for i in range(FRAME_BLOCK):
                    s[i] += lane[i]
        # an element loop, not ``log_total[:] = total``: array-to-slice assignment compiles
        # numba's shape-mismatch message formatting (about 3 s of first-run compile)
        for g in range(n_groups):
            for i in range(FRAME_BLOCK):
                log_total[g, i] = total[g, i]
        for g in range(n_groups):  # 0 (every component impossible) gives -inf
            log_positive(log_total[g])
        for g in range(n_groups):
            s = total[g]
            for i in range(FRAME_BLOCK):
                s[i] = 1.0 / s[i] if s[i] > 0.0 else 0.0
            for j in range(n_mix):
                lane = values[g * n_mix + j]
                for i in range(FRAME_BLOCK):
                    lane[i] *= s[i]
        for i in range(size):
            for g in range(n_groups):
                out[start + i, g] = peak[g, i] + log_total[g, i]
            for c in range(n_components):
                comp[start + i, c] = values[c, i]


@dataclass(frozen=True)
class MixtureBank:
    """``G`` Gaussian mixtures of ``M`` components.

    ``weights`` (G, M), ``means`` (G, M, D), ``covars`` spherical (G, M), diag
    (G, M, D), full (G, M, D, D) or tied (G, D, D) — hmmlearn's GMMHMM shapes.
    """

    weights: np.ndarray
    means: np.ndarray
    covars: np.ndarray
    covariance_type: str
    bank: GaussianBank = field(init=False, repr=False, compare=False)
    _log_weights: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_covariance_type(self.covariance_type)
        if self.means.ndim != 3:
            raise ValueError(
                f"means_ must be (n_states, n_mix, n_features), got {self.means.shape}"
            )
        g, m, d = self.means.shape
        check_mean_values(self.means)
        if self.weights.shape != (g, m):
            raise ValueError(
                f"weights_ must have shape {(g, m)} (to match means_ of shape "
                f"{self.means.shape}), got {self.weights.shape}"
            )
        check_stochastic(self.weights, "weights_")
        shape = {
            "spherical": (g, m),
            "diag": (g, m, d),
            "full": (g, m, d, d),
            "tied": (g, d, d),
        }[self.covariance_type]
        check_covariances(
            self.covars,
            self.covariance_type,
            shape,
            basis=f"to match means_ of shape {self.means.shape}",
        )
        flat_covars = (
            self.covars
            if self.covariance_type == "tied"
            else self.covars.reshape(compact_shape(self.covariance_type, g * m, g, d))
        )
        groups = np.repeat(np.arange(g), m)
        bank = GaussianBank(self.means.reshape(g * m, d), flat_covars, self.covariance_type, groups)
        object.__setattr__(self, "bank", bank)
        with np.errstate(divide="ignore"):
            object.__setattr__(self, "_log_weights", np.log(self.weights))

    @property
    def n_groups(self) -> int:
        """Number of mixtures G."""
        return self.means.shape[0]

    @property
    def n_mix(self) -> int:
        """Components per mixture M."""
        return self.means.shape[1]

    def frame_scores(self, X, workspace=None) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood of every frame under every mixture (T, G), and the within-mixture
        component posteriors (T, G*M) (in ``workspace`` buffers if given)."""
        shape = (len(X), self.n_groups)
        if workspace is None:
            comp, out = self.bank.log_density(X), np.empty(shape)
        else:
            comp = self.bank.log_density(
                X, workspace.array("components", (len(X), self.bank.n_components))
            )
            out = workspace.array("log_b", shape)
        values = np.empty((comp.shape[1], FRAME_BLOCK))
        group_work = np.empty((3, self.n_groups, FRAME_BLOCK))
        _mixture_scores(comp, self._log_weights, out, values, group_work)
        return out, comp

    def new_stats(self) -> dict[str, np.ndarray]:
        """Zeroed component moments."""
        return self.bank.new_moments()

    def accumulate(self, X, frame_weights, resp, stats) -> None:
        """Add frames with per-mixture weights (T, G) and component posteriors (T, G*M);
        ``resp`` is overwritten."""
        # resp[t, g*M + j] *= frame_weights[t, g] (numpy: one multiplication per element,
        # as cheap as a compiled loop, and no kernel to compile on a first run)
        by_mixture = resp.reshape(len(resp), self.n_groups, self.n_mix)
        np.multiply(by_mixture, frame_weights[:, :, np.newaxis], out=by_mixture)
        if not np.may_share_memory(by_mixture, resp):  # a layout the reshape had to copy
            resp[...] = by_mixture.reshape(resp.shape)
        self.bank.accumulate(X, resp, stats)

    def m_step(
        self,
        stats: Mapping[str, np.ndarray],
        update: str,
        floor: np.ndarray,
        weights_prior: float | np.ndarray = 1.0,
        min_weight: float = 0.0,
        kind: str = "mixture",
        prior: GaussianPrior | None = None,
    ) -> MixtureBank:
        """Re-estimated mixtures (letters in ``update``: w, m, c), defunct components
        replaced; the components' means and covariances are posterior modes under ``prior``
        if given."""
        g, m, d = self.means.shape
        means, covars, empty = estimate_gaussians(stats, self.bank, floor, update, prior=prior)
        weights = self.weights
        if "w" in update:
            counts = dirichlet_map(stats["n"].reshape(g, m), weights_prior)
            totals = counts.sum(axis=1, keepdims=True)
            group_empty = totals[:, 0] <= EMPTY_COUNT
            safe_totals = np.where(group_empty[:, None], 1.0, totals)
            weights = np.where(group_empty[:, None], self.weights, counts / safe_totals)
            warn_unvisited(kind, np.flatnonzero(group_empty), "its weights were kept")
        means = means.reshape(g, m, d)
        if self.covariance_type != "tied":
            covars = covars.reshape(self.covars.shape)
        new = MixtureBank(weights, means, covars, self.covariance_type)
        defunct = (weights < min_weight) | empty.reshape(g, m)
        if np.any(defunct) and m > 1:
            if set("wmc") <= set(update):
                new = new.replace_defunct(defunct)
            else:  # a split would change parameters the caller keeps fixed
                listed = ", ".join(f"({a}, {b})" for a, b in np.argwhere(defunct))
                warnings.warn(
                    f"mixture components (mixture, component) {listed} have (almost) no "
                    f"weight; they are kept as they are, since only {update!r} is updated "
                    "(replacing them by a split needs w, m and c)",
                    DegenerateStateWarning,
                    stacklevel=3,
                )
        return new

    def replace_defunct(self, defunct: np.ndarray, offset: float = SPLIT_OFFSET) -> MixtureBank:
        """Each defunct component (mask (G, M)) becomes one half of its mixture's heaviest."""
        weights, means, covars = self.weights.copy(), self.means.copy(), self.covars.copy()
        replaced = []
        for g, j in zip(*np.nonzero(defunct), strict=True):
            live = np.flatnonzero(~defunct[g])
            if len(live) == 0:
                continue
            h = live[np.argmax(weights[g, live])]
            _split_into(weights, means, covars, self.covariance_type, g, h, j, offset)
            defunct[g, j] = False
            replaced.append(f"({g}, {j})")
        if replaced:
            warnings.warn(
                f"mixture components (mixture, component) {', '.join(replaced[:10])} lost their "
                "weight; each was replaced by splitting the heaviest component of its mixture",
                DegenerateStateWarning,
                stacklevel=3,
            )
        weights /= weights.sum(axis=1, keepdims=True)
        return MixtureBank(weights, means, covars, self.covariance_type)

    def sample(self, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw from each mixture listed in ``groups``."""
        components = np.empty(len(groups), dtype=np.int64)
        for g in np.unique(groups):
            chosen = groups == g
            picks = rng.choice(self.n_mix, size=int(chosen.sum()), p=self.weights[g])
            components[chosen] = g * self.n_mix + picks
        return self.bank.sample(components, rng)

    def n_free_parameters(self) -> int:
        """Free parameters of weights, means and covariances."""
        return self.n_groups * (self.n_mix - 1) + self.bank.n_free_parameters()


def _largest_variance_axis(covars: np.ndarray, covariance_type: str, g: int, h: int, d: int):
    """Unit direction and standard deviation of component (g, h)'s largest variance."""
    if covariance_type in ("spherical", "diag"):
        var = np.full(d, covars[g, h]) if covariance_type == "spherical" else covars[g, h]
        axis = int(np.argmax(var))
        direction = np.zeros(d)
        direction[axis] = 1.0
        return direction, float(np.sqrt(var[axis]))
    matrix = covars[g] if covariance_type == "tied" else covars[g, h]
    values, vectors = np.linalg.eigh(matrix)
    return vectors[:, -1], float(np.sqrt(max(values[-1], 0.0)))


def _split_into(weights, means, covars, covariance_type, g, h, j, offset) -> None:
    """Split component h of mixture g into h and slot j (in place)."""
    d = means.shape[2]
    direction, sd = _largest_variance_axis(covars, covariance_type, g, h, d)
    shift = offset * sd * direction
    half = weights[g, h] / 2.0
    weights[g, h] = weights[g, j] = half
    means[g, j] = means[g, h] - shift
    means[g, h] = means[g, h] + shift
    if covariance_type != "tied":
        covars[g, j] = covars[g, h]


def mix_up(bank: MixtureBank, n_mix: int, offset: float = SPLIT_OFFSET) -> MixtureBank:
    """Grow every mixture to ``n_mix`` components by repeatedly splitting its heaviest one
    along its largest-variance axis (HTK's HHEd ``MU``)."""
    g, m, d = bank.means.shape
    if n_mix < m:
        raise ValueError(f"n_mix must be at least the current {m} components, got {n_mix}")
    if n_mix == m:
        return bank
    weights = np.zeros((g, n_mix))
    weights[:, :m] = bank.weights
    means = np.zeros((g, n_mix, d))
    means[:, :m] = bank.means
    if bank.covariance_type == "tied":
        covars = bank.covars.copy()
    else:
        covars = np.zeros((g, n_mix) + bank.covars.shape[2:])
        covars[:, :m] = bank.covars
    for group in range(g):
        for j in range(m, n_mix):
            h = int(np.argmax(weights[group, :j]))
            _split_into(weights, means, covars, bank.covariance_type, group, h, j, offset)
    return MixtureBank(weights, means, covars, bank.covariance_type)


# --------------------------------------------------------------------------- GMMHMM emission


@dataclass(frozen=True)
class GMMEmission(Emission):
    """A Gaussian mixture per state; frames are weighted by the state posteriors."""

    mixtures: MixtureBank
    floor: np.ndarray | None = None
    weights_prior: float | np.ndarray = 1.0
    min_weight: float = 0.0
    prior: GaussianPrior | None = None  # on the components' means and covariances

    statistics = MOMENT_STATISTICS

    @property
    def n_states(self) -> int:
        return self.mixtures.n_groups

    def parameter_kinds(self):
        covars = covariance_kind(self.mixtures.covariance_type, self.floor)
        return {"mixtures": {"weights": SIMPLEX, "means": REAL, "covars": covars}}

    def restate_statistics(self, stats, gathered_under):
        old, new = gathered_under.mixtures.bank.means, self.mixtures.bank.means
        return {**stats, **recentre_moments(stats, old, new)}

    def repair_extrapolation(self, current, combined):
        bank = self.mixtures.bank
        return repair_moments(current, combined, bank.covariance_type, bank.groups, self.n_states)

    def frame_scores(self, X, workspace=None) -> tuple[np.ndarray, object]:
        return self.mixtures.frame_scores(X, workspace)

    def new_stats(self) -> dict[str, np.ndarray]:
        return self.mixtures.new_stats()

    def accumulate(self, X, gamma, aux, stats) -> None:
        self.mixtures.accumulate(X, gamma, aux, stats)

    def m_step(self, stats: Mapping[str, np.ndarray], update: str) -> GMMEmission:
        floor = self.floor if self.floor is not None else np.zeros(self.mixtures.means.shape[2])
        new = self.mixtures.m_step(
            stats, update, floor, self.weights_prior, self.min_weight, "state", self.prior
        )
        return GMMEmission(new, self.floor, self.weights_prior, self.min_weight, self.prior)

    def log_prior(self) -> float:
        weights = dirichlet_log_density(self.mixtures.weights, self.weights_prior)
        if self.prior is None:
            return weights
        return weights + gaussian_log_prior(self.mixtures.bank, self.prior)

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.mixtures.sample(states, rng)

    def n_free_parameters(self) -> int:
        return self.mixtures.n_free_parameters()
