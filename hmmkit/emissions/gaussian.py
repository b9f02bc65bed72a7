"""Gaussian emissions, and the bank of Gaussian components they and mixtures share.

A :class:`GaussianBank` is ``C`` Gaussian components with one covariance type:
``spherical`` (C,), ``diag`` (C, D), ``full`` (C, D, D) or ``tied`` (G, D, D),
where a tied covariance is shared by the components of one group (all states of
a GaussianHMM; the components of one state's mixture in a GMMHMM). The bank
scores frames and turns weighted moments into means and floored covariances.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..compiling import njit
from ..numeric import FRAME_BLOCK, gather_block, min_int
from .base import EMPTY_COUNT, Emission, warn_unvisited
from .covariances import (
    check_covariances,
    check_mean_values,
    compact_shape,
    covariance_kind,
    expand_covariances,
    floor_covariances,
)
from .kinds import REAL
from .moment_checks import MOMENT_STATISTICS, repair_moments

COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")
_LOG_2PI = np.log(2.0 * np.pi)
# Reassociation and fused multiply-add only: infinities and NaN keep their meaning.
_FAST = {"reassoc", "contract"}


def check_covariance_type(covariance_type: str) -> str:
    """Return ``covariance_type`` or raise ValueError naming the allowed values."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}"
        )
    return covariance_type


# --------------------------------------------------------------------------- kernels


@njit(cache=True, nogil=True, fastmath=_FAST)
def _logpdf_diag(X, means, inv_sd, log_norm, out, block, acc):
    """Diagonal-covariance log-densities (``means``, ``inv_sd``: (C, D)), block by block
    (work arrays ``block`` (D, FRAME_BLOCK) and ``acc`` (FRAME_BLOCK,), given by the
    caller: allocating them here would compile numba's allocation routines with this
    kernel, on a first run).

    Each difference is scaled by the inverse standard deviation before it is squared,
    so that the square overflows only where the density itself is beyond double range.
    """
    n_frames, n_features = X.shape
    n_components = means.shape[0]
    for start in range(0, n_frames, FRAME_BLOCK):
        size = min_int(FRAME_BLOCK, n_frames - start)
        gather_block(X, start, size, block)
        for c in range(n_components):
            for i in range(FRAME_BLOCK):
                acc[i] = 0.0
            for d in range(n_features):
                mean = means[c, d]
                scale = inv_sd[c, d]
                row = block[d]
                for i in range(FRAME_BLOCK):
                    z = (row[i] - mean) * scale
                    acc[i] += z * z
            for i in range(size):
                out[start + i, c] = log_norm[c] - 0.5 * acc[i]


@njit(cache=True, nogil=True)
def _logpdf_full(X, means, prec_chol, log_norm, out):
    n_frames, n_features = X.shape
    diff = np.empty(n_features)
    for t in range(n_frames):
        for c in range(means.shape[0]):
            for d in range(n_features):
                diff[d] = X[t, d] - means[c, d]
            acc = 0.0
            p = prec_chol[c]
            for j in range(n_features):
                y = 0.0
                for i in range(j + 1):
                    y += diff[i] * p[i, j]
                acc += y * y
            out[t, c] = log_norm[c] - 0.5 * acc


@njit(cache=True, nogil=True, fastmath=_FAST)
def _moments_diag(X, W, ref, n, s1, s2, values, weights):
    """Add weighted counts (C,), first (C, D) and squared (C, D) moments of the frames'
    differences from each component's reference ``ref`` (C, D), block by block (work
    arrays ``values`` (D, FRAME_BLOCK) and ``weights`` (C, FRAME_BLOCK), as
    :func:`_logpdf_diag`'s)."""
    n_frames, n_features = X.shape
    n_components = W.shape[1]
    for start in range(0, n_frames, FRAME_BLOCK):
        size = min_int(FRAME_BLOCK, n_frames - start)
        gather_block(X, start, size, values)
        gather_block(W, start, size, weights)
        for i in range(size, FRAME_BLOCK):  # a short last block: padding weighs nothing
            for c in range(n_components):
                weights[c, i] = 0.0
            for d in range(n_features):
                values[d, i] = 0.0
        for c in range(n_components):
            w = weights[c]
            total = 0.0
            for i in range(FRAME_BLOCK):
                total += w[i]
            n[c] += total
            for d in range(n_features):
                first = 0.0
                second = 0.0
                row = values[d]
                origin = ref[c, d]
                for i in range(FRAME_BLOCK):
                    diff = row[i] - origin
                    weighted = w[i] * diff
                    first += weighted
                    second += weighted * diff
                s1[c, d] += first
                s2[c, d] += second


@njit(cache=True, nogil=True)
def _moments_full(X, W, ref, n, s1, s2):
    n_frames, n_features = X.shape
    diff = np.empty(n_features)
    for t in range(n_frames):
        for c in range(W.shape[1]):
            w = W[t, c]
            if w == 0.0:
                continue
            n[c] += w
            for i in range(n_features):
                diff[i] = X[t, i] - ref[c, i]
            for i in range(n_features):
                wx = w * diff[i]
                s1[c, i] += wx
                for j in range(i + 1):
                    s2[c, i, j] += wx * diff[j]


def _symmetrize_lower(s2: np.ndarray) -> np.ndarray:
    """Fill the upper triangles of (C, D, D) matrices accumulated in their lower ones."""
    lower = np.tril(s2)
    return lower + np.swapaxes(np.tril(s2, -1), -1, -2)


def recentre_moments(moments: Mapping[str, np.ndarray], old: np.ndarray, new: np.ndarray):
    """The moments ``n``, ``s1``, ``s2`` about reference means ``old`` (C, D) re-expressed
    about ``new`` (exactly, up to rounding small when the references are close).

    Moments of two E-steps under different parameters have different references; they
    must share one before they are combined (as the alpha-HMM does).
    """
    n, s1, s2 = moments["n"], moments["s1"], moments["s2"]
    delta = new - old
    moved = s1 - n[:, None] * delta
    if s2.ndim == 2:
        second = s2 - 2.0 * delta * s1 + n[:, None] * delta**2
    else:
        cross = np.einsum("ci,cj->cij", s1, delta)
        correction = cross + np.swapaxes(cross, 1, 2)
        correction -= n[:, None, None] * np.einsum("ci,cj->cij", delta, delta)
        second = s2 - np.tril(correction)  # s2 holds lower triangles
    return {"n": n, "s1": moved, "s2": second}


# --------------------------------------------------------------------------- covariances


@dataclass(frozen=True)
class GaussianBank:
    """``C`` Gaussian components: means (C, D) and compact covariances of one type."""

    means: np.ndarray
    covars: np.ndarray
    covariance_type: str
    groups: np.ndarray  # (C,) tie group of each component (used by 'tied')
    _inv_sd: np.ndarray | None = field(default=None, repr=False, compare=False)  # (C, D)
    _prec_chol: np.ndarray | None = field(default=None, repr=False, compare=False)
    _log_norm: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_features = self.means.shape[1]
        expanded = expand_covariances(self.covars, self.covariance_type, self.groups, n_features)
        if self.is_diagonal:
            inv_sd = 1.0 / np.sqrt(expanded)
            log_norm = -0.5 * (n_features * _LOG_2PI + np.log(expanded).sum(axis=1))
            object.__setattr__(self, "_inv_sd", np.ascontiguousarray(inv_sd))
        else:
            chol = np.linalg.cholesky(expanded)
            eye = np.broadcast_to(np.eye(n_features), chol.shape)
            # precision factor P with Sigma^-1 = P P^T: P = (L^-1)^T, upper triangular
            prec_chol = np.swapaxes(np.linalg.solve(chol, eye), -1, -2)
            log_det = 2.0 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=1)
            log_norm = -0.5 * (n_features * _LOG_2PI + log_det)
            object.__setattr__(self, "_prec_chol", np.ascontiguousarray(prec_chol))
        object.__setattr__(self, "_log_norm", log_norm)

    @property
    def is_diagonal(self) -> bool:
        """True when every component's covariance is diagonal."""
        return self.covariance_type in ("spherical", "diag")

    @property
    def n_components(self) -> int:
        """Number of components C."""
        return self.means.shape[0]

    def log_density(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Log-density of every frame under every component, (T, C) (into ``out`` if given)."""
        if out is None:
            out = np.empty((len(X), self.n_components))
        if self.is_diagonal:
            work = np.empty((X.shape[1], FRAME_BLOCK)), np.empty(FRAME_BLOCK)
            means = np.ascontiguousarray(self.means)
            _logpdf_diag(X, means, self._inv_sd, self._log_norm, out, *work)
        else:
            _logpdf_full(X, self.means, self._prec_chol, self._log_norm, out)
        return out

    def new_moments(self) -> dict[str, np.ndarray]:
        """Zeroed weighted moments: counts (C,), first (C, D), second (C, D[, D]).

        The moments are of the frames' differences from the components' current means
        (the reference, the same for every shard of one E-step), so that no variance is
        lost to cancellation when the data sit far from zero; see :func:`recentre_moments`.
        """
        c, d = self.means.shape
        second = (c, d) if self.is_diagonal else (c, d, d)
        return {"n": np.zeros(c), "s1": np.zeros((c, d)), "s2": np.zeros(second)}

    def accumulate(self, X: np.ndarray, weights: np.ndarray, moments: dict, prefix: str = ""):
        """Add frames ``X`` with per-component ``weights`` (T, C) into ``moments``."""
        n, s1, s2 = moments[prefix + "n"], moments[prefix + "s1"], moments[prefix + "s2"]
        ref = np.ascontiguousarray(self.means)
        if self.is_diagonal:
            work = np.empty((X.shape[1], FRAME_BLOCK)), np.empty((weights.shape[1], FRAME_BLOCK))
            _moments_diag(X, weights, ref, n, s1, s2, *work)
        else:
            _moments_full(X, weights, ref, n, s1, s2)

    def sample(self, components: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw from each component listed in ``components``."""
        n_features = self.means.shape[1]
        cov = expand_covariances(self.covars, self.covariance_type, self.groups, n_features)
        out = np.empty((len(components), n_features))
        for c in np.unique(components):
            chosen = components == c
            noise = rng.standard_normal((int(chosen.sum()), n_features))
            if self.is_diagonal:
                out[chosen] = self.means[c] + noise * np.sqrt(cov[c])
            else:
                out[chosen] = self.means[c] + noise @ np.linalg.cholesky(cov[c]).T
        return out

    def n_free_parameters(self) -> int:
        """Free parameters of means and covariances."""
        c, d = self.means.shape
        n_cov = {
            "spherical": c,
            "diag": c * d,
            "full": c * d * (d + 1) // 2,
            "tied": len(np.unique(self.groups)) * d * (d + 1) // 2,
        }[self.covariance_type]
        return c * d + n_cov


@dataclass(frozen=True)
class GaussianPrior:
    """Conjugate prior on the components' means and covariances (hmmlearn's GaussianHMM).

    A normal prior on each mean, centred on ``means_prior`` (C, D) with the weight of
    ``means_weight`` (C,) frames, and an inverse-Gamma (spherical, diag) or inverse-Wishart
    (full, tied) prior on each covariance with scale ``covars_prior`` (shaped as the
    compact covariances) and ``covars_weight`` (C,) (tied: (G,)) degrees of freedom. The
    M-step gives the posterior mode (Huang, Acero & Hon, *Spoken Language Processing*,
    pp. 443-445):

        mean = (w m0 + sum g x) / (w + sum g)
        cov  = (Psi + w (mean - m0)(mean - m0)' + sum g (x - mean)(x - mean)')
               / (max(nu - k, 0) + sum g)

    with ``k`` = 1 for spherical and diagonal covariances and D for full and tied ones.
    """

    means_prior: np.ndarray
    means_weight: np.ndarray
    covars_prior: np.ndarray
    covars_weight: np.ndarray


def gaussian_log_prior(bank: GaussianBank, prior: GaussianPrior) -> float:
    """Log density of a bank's means and covariances under ``prior``, up to a constant:
    the function whose maximiser, added to the expected log-likelihood, is the
    M-step's posterior mode,

        sum_c -a/2 log|S_c| - 1/2 tr(Psi_c S_c^-1) - w_c/2 (m_c - m0_c)' S_c^-1 (m_c - m0_c)

    with ``a = max(nu - k, 0)`` as in :class:`GaussianPrior` (a tied covariance's
    terms in ``S`` once per group).
    """
    offset = bank.means - prior.means_prior
    n_features = bank.means.shape[1]
    if bank.is_diagonal:
        variances = expand_covariances(bank.covars, bank.covariance_type, bank.groups, n_features)
        scale = prior.covars_prior
        scale = scale[:, None] if bank.covariance_type == "spherical" else scale
        dof = np.maximum(prior.covars_weight - 1.0, 0.0)[:, None]
        terms = (
            dof * np.log(variances) + (scale + prior.means_weight[:, None] * offset**2) / variances
        )
        return float(-0.5 * terms.sum())
    dof = np.maximum(prior.covars_weight - n_features, 0.0)
    _, log_det = np.linalg.slogdet(bank.covars)
    precision = np.linalg.inv(bank.covars)
    shape_terms = dof * log_det + np.einsum("gij,gji->g", prior.covars_prior, precision)
    component_precision = precision[bank.groups] if bank.covariance_type == "tied" else precision
    mean_terms = prior.means_weight * np.einsum("ci,cij,cj->c", offset, component_precision, offset)
    return float(-0.5 * (shape_terms.sum() + mean_terms.sum()))


def estimate_gaussians(
    moments: Mapping[str, np.ndarray],
    bank: GaussianBank,
    floor: np.ndarray,
    update: str,
    prefix: str = "",
    prior: GaussianPrior | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means and floored compact covariances from weighted moments about the bank's
    means (see :meth:`GaussianBank.new_moments`); posterior modes under ``prior`` if given.

    Components whose count is below :data:`EMPTY_COUNT` keep their old values.
    Returns ``(means, covars, empty_mask)``.
    """
    n = moments[prefix + "n"]
    s1 = moments[prefix + "s1"]
    s2 = moments[prefix + "s2"]
    empty = n <= EMPTY_COUNT
    safe_n = np.where(empty, 1.0, n)
    reference = bank.means
    means = reference
    if "m" in update:
        if prior is None:
            new = reference + s1 / safe_n[:, None]
        else:
            weight = prior.means_weight[:, None]
            pull = weight * (prior.means_prior - reference)
            new = reference + (pull + s1) / (weight + safe_n[:, None])
        means = np.where(empty[:, None], reference, new)
    covars = bank.covars
    if "c" in update:
        covars = _estimate_covariances(n, s1, s2, means, bank, empty, safe_n, floor, prior)
    return means, covars, empty


def _matrix_mode(scatter, counts, prior: GaussianPrior | None, n_features: int) -> np.ndarray:
    """``scatter / counts`` per matrix, or under ``prior`` the inverse-Wishart posterior
    mode ``(Psi + scatter) / (max(nu - D, 0) + counts)``."""
    if prior is None:
        return scatter / counts[:, None, None]
    dof = np.maximum(prior.covars_weight - n_features, 0.0)
    return (prior.covars_prior + scatter) / (dof + counts)[:, None, None]


def _estimate_covariances(n, s1, s2, means, bank, empty, safe_n, floor, prior=None):
    """Second moments about ``means``, per covariance type (with the prior's terms if
    given), then floored."""
    cov_type = bank.covariance_type
    shift = means - bank.means  # the new means about the moments' reference
    if bank.is_diagonal:
        # sum w (x - mu)^2 = s2 - 2 (mu - r) s1 + n (mu - r)^2, moments about r
        scatter = s2 - 2.0 * shift * s1 + n[:, None] * shift**2
        if prior is None:
            var = scatter / safe_n[:, None]
        else:
            offset = means - prior.means_prior
            scatter = scatter + prior.means_weight[:, None] * offset**2
            scale = prior.covars_prior
            scale = scale[:, None] if cov_type == "spherical" else scale
            dof = np.maximum(prior.covars_weight - 1.0, 0.0)
            var = (scale + scatter) / np.maximum(dof + n, EMPTY_COUNT)[:, None]
        new = var.mean(axis=1) if cov_type == "spherical" else var
        new = floor_covariances(new, cov_type, floor)
        return np.where(empty if cov_type == "spherical" else empty[:, None], bank.covars, new)
    full_s2 = _symmetrize_lower(s2)
    outer_s1_mu = np.einsum("ci,cj->cij", s1, shift)
    scatter = (
        full_s2
        - outer_s1_mu
        - np.swapaxes(outer_s1_mu, 1, 2)
        + n[:, None, None] * np.einsum("ci,cj->cij", shift, shift)
    )
    n_features = means.shape[1]
    if prior is not None:
        offset = means - prior.means_prior
        scatter = scatter + prior.means_weight[:, None, None] * np.einsum(
            "ci,cj->cij", offset, offset
        )
    if cov_type == "full":
        new = floor_covariances(_matrix_mode(scatter, safe_n, prior, n_features), "full", floor)
        return np.where(empty[:, None, None], bank.covars, new)
    n_groups = bank.covars.shape[0]
    group_scatter = np.zeros_like(bank.covars)
    np.add.at(group_scatter, bank.groups, scatter)
    group_n = np.bincount(bank.groups, weights=n, minlength=n_groups)
    group_empty = group_n <= EMPTY_COUNT
    safe_group_n = np.where(group_empty, 1.0, group_n)
    new = _matrix_mode(group_scatter, safe_group_n, prior, n_features)
    new = floor_covariances(new, "tied", floor)
    return np.where(group_empty[:, None, None], bank.covars, new)


# --------------------------------------------------------------------------- GaussianHMM emission


@dataclass(frozen=True)
class GaussianEmission(Emission):
    """One Gaussian per state; ``covars`` compact as hmmlearn's ``covars_`` per type."""

    means: np.ndarray  # (K, D)
    covars: np.ndarray
    covariance_type: str
    floor: np.ndarray | None = None  # (D,) covariance floor used by the M-step
    prior: GaussianPrior | None = None  # conjugate prior of the M-step (None: maximum likelihood)
    bank: GaussianBank = field(init=False, repr=False, compare=False)

    statistics = MOMENT_STATISTICS

    def __post_init__(self) -> None:
        check_covariance_type(self.covariance_type)
        if self.means.ndim != 2:
            raise ValueError(f"means_ must be (n_states, n_features), got shape {self.means.shape}")
        check_mean_values(self.means)
        k, d = self.means.shape
        check_covariances(
            self.covars,
            self.covariance_type,
            compact_shape(self.covariance_type, k, 1, d),
            basis=f"to match means_ of shape {self.means.shape}",
        )
        groups = np.zeros(k, dtype=np.int64)
        object.__setattr__(
            self, "bank", GaussianBank(self.means, self.covars, self.covariance_type, groups)
        )

    @property
    def n_states(self) -> int:
        return self.means.shape[0]

    def parameter_kinds(self):
        return {"means": REAL, "covars": covariance_kind(self.covariance_type, self.floor)}

    def restate_statistics(self, stats, gathered_under):
        return {**stats, **recentre_moments(stats, gathered_under.bank.means, self.bank.means)}

    def repair_extrapolation(self, current, combined):
        groups = self.bank.groups
        return repair_moments(current, combined, self.covariance_type, groups, self.n_states)

    def frame_scores(self, X, workspace=None) -> tuple[np.ndarray, object]:
        shape = (len(X), self.n_states)
        out = None if workspace is None else workspace.array("log_b", shape)
        return self.bank.log_density(X, out), None

    def new_stats(self) -> dict[str, np.ndarray]:
        return self.bank.new_moments()

    def accumulate(self, X, gamma, aux, stats) -> None:
        self.bank.accumulate(X, gamma, stats)

    def m_step(self, stats: Mapping[str, np.ndarray], update: str) -> GaussianEmission:
        floor = self.floor if self.floor is not None else np.zeros(self.means.shape[1])
        means, covars, empty = estimate_gaussians(stats, self.bank, floor, update, prior=self.prior)
        warn_unvisited("state", np.flatnonzero(empty), "its mean and covariance were kept")
        return GaussianEmission(means, covars, self.covariance_type, self.floor, self.prior)

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.bank.sample(states, rng)

    def n_free_parameters(self) -> int:
        return self.bank.n_free_parameters()

    def log_prior(self) -> float:
        return 0.0 if self.prior is None else gaussian_log_prior(self.bank, self.prior)
