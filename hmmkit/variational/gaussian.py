"""Variational Bayes HMM with Gaussian emissions: a Normal-Wishart posterior per state
(one Wishart shared by all states for ``"tied"``).

Every covariance type follows hmmlearn's VariationalGaussianHMM, so the two agree
iteration for iteration: ``"full"`` and ``"tied"`` are exact Normal-Wishart posteriors;
for ``"diag"`` the posterior keeps a diagonal inverse scale ``s`` (K, D) and for
``"spherical"`` one value per state (K,), and their expectations and divergences are
those of a Wishart with that diagonal (resp. isotropic) inverse scale and ``dof``
degrees of freedom, its M-step updating the diagonal only (the mean over the
dimensions for ``"spherical"``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from ..emissions.covariances import compact_shape
from ..emissions.gaussian import GaussianEmission, _symmetrize_lower, check_covariance_type
from ..initialization import kmeans, transition_counts
from ..models import GaussianHMM
from ..sequences import SequenceBatch
from ..settings import check_prior
from ..stats import Stats
from .base import (
    CHAIN_ATTRIBUTES,
    VariationalHMM,
    VariationalPosterior,
    given_array,
    positive_prior,
)
from .divergences import LOG_2, normal_mean_kl, wishart_digamma_sum, wishart_kl

#: hmmlearn's default inverse-scale prior: this times the identity.
DEFAULT_SCALE_PRIOR = 1e-3


@dataclass(frozen=True)
class ShiftedEmission:
    """An emission's frame log-likelihoods plus a constant per state (E-step weights)."""

    inner: GaussianEmission
    shift: np.ndarray  # (K,)

    @property
    def n_states(self) -> int:
        return self.inner.n_states

    def frame_scores(self, X, workspace=None):
        log_b, aux = self.inner.frame_scores(X, workspace)
        log_b += self.shift
        return log_b, aux

    def new_stats(self) -> dict[str, np.ndarray]:
        return self.inner.new_stats()

    def accumulate(self, X, gamma, aux, stats) -> None:
        self.inner.accumulate(X, gamma, aux, stats)


def _outer(weights: np.ndarray, vectors: np.ndarray, diagonal: bool) -> np.ndarray:
    """``w_k v_k v_k'`` per row: (K, D, D), or only its diagonal (K, D)."""
    if diagonal:
        return weights[:, None] * vectors**2
    return np.einsum("k,ki,kj->kij", weights, vectors, vectors)


def _cross(a: np.ndarray, b: np.ndarray, diagonal: bool) -> np.ndarray:
    """``a_k b_k' + b_k a_k'`` per row: (K, D, D), or only its diagonal (K, D)."""
    if diagonal:
        return 2.0 * a * b
    product = np.einsum("ki,kj->kij", a, b)
    return product + np.swapaxes(product, 1, 2)


def as_matrices(scale: np.ndarray, covariance_type: str, n_features: int) -> np.ndarray:
    """Compact inverse scales as matrices: (K, D, D), or (1, D, D) for ``"tied"``."""
    if covariance_type == "spherical":
        return scale[:, None, None] * np.eye(n_features)
    if covariance_type == "diag":
        return scale[:, :, None] * np.eye(n_features)
    if covariance_type == "tied":
        return scale[None]
    return scale


@dataclass(frozen=True)
class NormalWishart:
    """Prior (``*_prior``) and posterior of the state means and precisions.

    ``means`` (K, D) and ``beta`` (K,): the means' Normals ``N(means, (beta L)^-1)``;
    ``dof`` ((K,), or a scalar for tied) and ``scale`` (compact inverse scales as
    hmmlearn's ``scale_posterior_``): the precisions' Wisharts ``W(dof, scale^-1)``.
    """

    covariance_type: str
    means_prior: np.ndarray
    beta_prior: np.ndarray
    dof_prior: np.ndarray
    scale_prior: np.ndarray
    means: np.ndarray
    beta: np.ndarray
    dof: np.ndarray
    scale: np.ndarray

    def _state_dof(self) -> np.ndarray:
        return np.broadcast_to(self.dof, self.beta.shape)

    def covars(self) -> np.ndarray:
        """Covariances at the posterior mean precision, ``scale / dof``, compact."""
        dof = np.asarray(self.dof)
        return self.scale / dof.reshape(dof.shape + (1,) * (self.scale.ndim - dof.ndim))

    def point_emission(self) -> GaussianEmission:
        """Gaussians at the posterior means and ``scale / dof`` covariances."""
        covars = self.covars()
        if self.covariance_type == "tied":
            covars = covars[None]
        return GaussianEmission(self.means, covars, self.covariance_type)

    def expected_emission(self) -> ShiftedEmission:
        """Frame scores ``E_q[log N(x | mu, L)]``: the point Gaussians' log density plus
        ``(sum_d psi((dof - d)/2) + D log 2 - D log dof - D / beta) / 2`` per state."""
        d = self.means.shape[1]
        dof = self._state_dof()
        shift = 0.5 * (wishart_digamma_sum(dof, d) + d * LOG_2 - d * np.log(dof) - d / self.beta)
        return ShiftedEmission(self.point_emission(), shift)

    def updated(self, stats: Stats, letters: str) -> NormalWishart:
        """The conjugate update from the moments ``n``, ``s1``, ``s2`` (``m``: means and
        beta, ``c``: dof and scale, as in ``letters``).

        The moments are about this posterior's means (the reference of the E-step's point
        Gaussians), so every term below is taken about them: no large sums cancel when
        the data sit far from zero.
        """
        n, s1 = stats["n"], stats["s1"]
        ref, m0, b0 = self.means, self.means_prior, self.beta_prior
        beta, means = self.beta, self.means
        if "m" in letters:
            beta = b0 + n
            means = ref + (b0[:, None] * (m0 - ref) + s1) / beta[:, None]
        dof, scale = self.dof, self.scale
        if "c" in letters:
            # sum x x' + b0 m0 m0' - beta m m', written about ref
            prior_shift, shift = m0 - ref, means - ref
            diagonal = self.covariance_type in ("diag", "spherical")
            second = stats["s2"] if diagonal else _symmetrize_lower(stats["s2"])
            spread = second + _outer(b0, prior_shift, diagonal) - _outer(beta, shift, diagonal)
            if "m" not in letters:  # terms in ref that vanish when the means are updated
                excess = s1 + b0[:, None] * prior_shift - beta[:, None] * shift
                spread = spread + _outer(n + b0 - beta, ref, diagonal)
                spread = spread + _cross(excess, ref, diagonal)
            if self.covariance_type == "spherical":
                spread = spread.mean(axis=1)
            if self.covariance_type == "tied":
                dof, scale = self.dof_prior + n.sum(), self.scale_prior + spread.sum(axis=0)
            else:
                dof, scale = self.dof_prior + n, self.scale_prior + spread
        return replace(self, means=means, beta=beta, dof=dof, scale=scale)

    def divergence(self) -> float:
        """KL of the posterior from the prior: the means' Normals and the Wisharts."""
        d = self.means.shape[1]
        scale_q = as_matrices(self.scale, self.covariance_type, d)
        scale_p = as_matrices(self.scale_prior, self.covariance_type, d)
        precision = np.linalg.inv(scale_q) * np.reshape(self.dof, (-1, 1, 1))
        precision = np.broadcast_to(precision, (len(self.beta), d, d))
        normal = normal_mean_kl(self.means, self.beta, self.means_prior, self.beta_prior, precision)
        wishart = wishart_kl(
            np.reshape(self.dof, -1), scale_q, np.reshape(self.dof_prior, -1), scale_p
        )
        return float(normal.sum() + wishart.sum())


def check_scale(value: np.ndarray, covariance_type: str, name: str) -> np.ndarray:
    """Inverse scales: positive (spherical, diag) or symmetric positive definite."""
    if covariance_type in ("spherical", "diag"):
        if np.any(value <= 0):
            raise ValueError(f"{name} must be positive")
        return value
    if not np.allclose(value, np.swapaxes(value, -1, -2)):
        raise ValueError(f"{name} must be symmetric")
    if np.any(np.linalg.eigvalsh(value) <= 0):
        raise ValueError(f"{name} must be positive definite")
    return value


class VariationalGaussianHMM(VariationalHMM, GaussianHMM):
    """Gaussian HMM trained by variational Bayes (hmmlearn's VariationalGaussianHMM).

    ``covariance_type``: ``"full"`` (default, as hmmlearn), ``"tied"``, ``"diag"`` or
    ``"spherical"``. Priors (None: hmmlearn's defaults): the means' Normal at
    ``means_prior`` ((K, D) or broadcast; default the data mean) with precision
    ``beta_prior`` (K,) times the state's (default 1); the precisions' Wishart with
    ``dof_prior`` degrees of freedom ((K,), a scalar for tied; default D, must exceed
    D - 1) and inverse scale ``scale_prior`` (shaped as ``covars_``; default 1e-3 times
    the identity); Dirichlet ``startprob_prior`` and ``transmat_prior`` (default 1/K).
    After ``fit``: ``means_posterior_``, ``beta_posterior_``, ``dof_posterior_``,
    ``scale_posterior_``, ``startprob_posterior_``, ``transmat_posterior_``, the priors
    as ``*_prior_``, point estimates ``means_``, ``covars_`` (``scale / dof``),
    ``startprob_``, ``transmat_``, and the ELBO per iteration in ``monitor_.history``
    (hmmlearn's minus ``n_frames * D / 2 * log(2 pi)``, the constant it leaves out).
    Fresh posteriors come from k-means labels of the frames. Parameter letters: ``s``,
    ``t``, ``m`` (means, beta), ``c`` (dof, scale). See docs/variational.md.
    """

    _saved_extras = (*CHAIN_ATTRIBUTES, "means_prior_", "means_posterior_", "beta_prior_",
                     "beta_posterior_", "dof_prior_", "dof_posterior_", "scale_prior_",
                     "scale_posterior_")  # fmt: skip

    def __init__(
        self,
        n_states: int = 1,
        covariance_type: str = "full",
        *,
        means_prior: ArrayLike | None = None,
        beta_prior: ArrayLike | None = None,
        dof_prior: ArrayLike | None = None,
        scale_prior: ArrayLike | None = None,
        **kwargs,
    ) -> None:
        super().__init__(n_states, **kwargs)
        self.covariance_type = covariance_type
        self.means_prior = means_prior
        self.beta_prior = beta_prior
        self.dof_prior = dof_prior
        self.scale_prior = scale_prior

    def _check_settings(self) -> None:
        super()._check_settings()
        check_covariance_type(self.covariance_type)

    def _scale_shape(self, d: int) -> tuple[int, ...]:
        return compact_shape(self.covariance_type, self.n_states, 1, d)[
            1 if self.covariance_type == "tied" else 0 :
        ]

    def _dof_shape(self) -> tuple[int, ...]:
        return () if self.covariance_type == "tied" else (self.n_states,)

    def _prepare_fit(self, batch: SequenceBatch, source=None) -> None:
        k, d = self.n_states, batch.X.shape[1]
        self.n_features = d
        mean = batch.X.mean(axis=0) if self.means_prior is None else self.means_prior
        means = check_prior(mean, "means_prior", (k, d), "the data mean", non_negative=False)
        self.means_prior_ = np.broadcast_to(means, (k, d)).astype(float)
        self.beta_prior_ = positive_prior(self.beta_prior, 1.0, "beta_prior", (k,))
        self.dof_prior_ = positive_prior(self.dof_prior, float(d), "dof_prior", self._dof_shape())
        if np.any(self.dof_prior_ <= d - 1):
            raise ValueError(f"dof_prior must exceed n_features - 1 = {d - 1}")
        shape = self._scale_shape(d)
        matrices = self.covariance_type in ("full", "tied")
        default = DEFAULT_SCALE_PRIOR * (np.eye(d) if matrices else 1.0)
        scale = default if self.scale_prior is None else self.scale_prior
        scale = check_prior(scale, "scale_prior", shape, "", non_negative=not matrices)
        self.scale_prior_ = check_scale(
            np.broadcast_to(scale, shape).astype(float), self.covariance_type, "scale_prior"
        )

    def _prior(self) -> NormalWishart:
        """The prior, as a posterior that has seen no data."""
        return NormalWishart(
            self.covariance_type,
            self.means_prior_, self.beta_prior_, self.dof_prior_, self.scale_prior_,
            self.means_prior_, self.beta_prior_, self.dof_prior_, self.scale_prior_,
        )  # fmt: skip

    def _fresh_posterior(self, batch: SequenceBatch, rng) -> VariationalPosterior:
        """The posterior given the k-means labels of the frames as if they were known."""
        k = self.n_states
        labels = kmeans(batch.X, k, rng)[1]
        start, trans = transition_counts(batch, labels, k)
        prior = self._prior()
        point = prior.point_emission()
        moments = point.new_stats()
        onehot = np.zeros((batch.n_frames, k))
        onehot[np.arange(batch.n_frames), labels] = 1.0
        point.accumulate(batch.X, onehot, None, moments)
        emission = prior.updated(Stats(moments), "mc")
        return VariationalPosterior(
            self.startprob_prior_ + start, self.transmat_prior_ + trans, emission
        )

    def _kept_emission(self, fresh: NormalWishart, letters: str) -> NormalWishart:
        k, d = fresh.means.shape
        if "m" not in letters:
            means = given_array(self, "means_posterior_", (k, d), minimum=-np.inf)
            fresh = replace(fresh, means=means, beta=given_array(self, "beta_posterior_", (k,)))
        if "c" not in letters:
            dof = given_array(self, "dof_posterior_", self._dof_shape(), minimum=d - 1)
            scale = given_array(self, "scale_posterior_", self._scale_shape(d), -np.inf)
            scale = check_scale(scale, self.covariance_type, "scale_posterior_")
            fresh = replace(fresh, dof=dof, scale=scale)
        return fresh

    def _posterior_attributes(self, emission: NormalWishart) -> dict:
        return {
            "means_prior_": emission.means_prior,
            "means_posterior_": emission.means,
            "beta_prior_": emission.beta_prior,
            "beta_posterior_": emission.beta,
            "dof_prior_": emission.dof_prior,
            "dof_posterior_": emission.dof,
            "scale_prior_": emission.scale_prior,
            "scale_posterior_": emission.scale,
        }
