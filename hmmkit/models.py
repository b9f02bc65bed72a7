"""The HMM families: Gaussian and Gaussian-mixture emissions here; categorical, Poisson
and multinomial ones in :mod:`hmmkit.count_models` (imported here too)."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike

from .arguments import HMM_ARGUMENT_CHECKS, check_states
from .count_models import MAX_INFERRED_SYMBOLS, CategoricalHMM, MultinomialHMM, PoissonHMM
from .emissions.base import CovarianceFloorWarning, Emission
from .emissions.covariances import floor_covariances
from .emissions.gaussian import GaussianEmission, GaussianPrior, check_covariance_type
from .emissions.mixture import GMMEmission, MixtureBank, mix_up
from .hmm import BaseHMM
from .initialization import kmeans
from .parameter_checks import CheckedParameter, check_covars, check_weights
from .parameter_checks import check_means as check_means_shape
from .sequences import SequenceBatch, as_continuous_batch
from .settings import (
    check_concentration,
    check_count,
    check_floor_settings,
    check_fraction,
    check_prior,
)
from .shard_work import reestimate_from_labels

#: ``min_covar`` above this fraction of a feature's global variance draws a warning.
FLOOR_WARNING_FRACTION = 0.1
#: Mixture EM rounds per state when a GMM emission is estimated from labelled frames.
LABELLED_MIXTURE_ROUNDS = 10
#: Mixture EM rounds per state after a Viterbi re-segmentation, from the previous mixtures.
RELABELLED_MIXTURE_ROUNDS = 2


def global_covariance(X: np.ndarray, covariance_type: str, floor: np.ndarray) -> np.ndarray:
    """Covariance of all frames in the compact form of one component, floored."""
    if covariance_type in ("full", "tied"):
        cov = np.atleast_2d(np.cov(X, rowvar=False, bias=True)) if len(X) > 1 else np.diag(floor)
        return floor_covariances(cov[None], "full", floor)[0]
    var = X.var(axis=0)
    if covariance_type == "spherical":
        return np.array(max(var.mean(), floor.mean()))
    return np.maximum(var, floor)


def covariance_floor(X: np.ndarray, min_covar: float, var_floor: float | None) -> np.ndarray:
    """Per-dimension floor: ``min_covar``, raised to ``var_floor`` x the global variance.

    Warns (:class:`CovarianceFloorWarning`) when ``min_covar`` is more than
    :data:`FLOOR_WARNING_FRACTION` of some feature's global variance: the floor then
    binds where the data do not need it (features on a small scale).
    """
    check_floor_settings(min_covar, var_floor)
    variance = X.var(axis=0)
    floor = np.full(X.shape[1], float(min_covar))
    if var_floor is not None:
        floor = np.maximum(floor, var_floor * variance)
    small = np.flatnonzero((variance > 0) & (min_covar > FLOOR_WARNING_FRACTION * variance))
    if len(small):
        warnings.warn(
            f"min_covar={min_covar:g} is more than {FLOOR_WARNING_FRACTION:g} of the variance "
            f"of {len(small)} of {X.shape[1]} features (smallest {variance[small].min():.3g}, "
            f"feature {int(small[np.argmin(variance[small])])}): covariances will be floored "
            "above what the data support; rescale the features or lower min_covar "
            "(var_floor sets a floor relative to each feature's variance)",
            CovarianceFloorWarning,
            stacklevel=4,
        )
    return floor


def check_means(means: np.ndarray, leading: tuple[int, ...], layout: str, n_features) -> None:
    """Raise ValueError unless ``means_`` is ``leading + (n_features,)`` (any D if unknown)."""
    width_ok = n_features is None or means.shape[-1:] == (n_features,)
    if means.ndim != len(leading) + 1 or means.shape[:-1] != leading or not width_ok:
        d = "n_features" if n_features is None else n_features
        expected = "(" + ", ".join(str(n) for n in (*leading, d)) + ")"
        raise ValueError(f"means_ must have shape {layout} = {expected}, got {means.shape}")


class _ContinuousHMM(BaseHMM):
    """Shared by the Gaussian families: real-valued frames and covariance floors."""

    def _checked_means(self, means, leading: tuple[int, ...], layout: str) -> np.ndarray:
        """``means_`` as floats, its shape checked against the model's settings."""
        means = np.asarray(means, dtype=float)
        check_means(means, leading, layout, getattr(self, "n_features", None))
        return means

    def _as_batch(self, X, lengths, fitting: bool) -> SequenceBatch:
        n_features = self._known_width("means_", "m", fitting)
        return as_continuous_batch(X, lengths, n_features=n_features)

    def _prepare_fit(self, batch: SequenceBatch, source=None) -> None:
        check_covariance_type(self.covariance_type)
        self.n_features = batch.X.shape[1]
        self._floor = covariance_floor(batch.X, self.min_covar, self.var_floor)

    def _kmeans_labels(self, batch: SequenceBatch, rng: np.random.Generator) -> np.ndarray:
        return kmeans(batch.X, self.n_states, rng)[1]

    def _random_means(self, batch: SequenceBatch, n: int, rng: np.random.Generator) -> np.ndarray:
        return batch.X[rng.choice(batch.n_frames, n, replace=batch.n_frames < n)].copy()

    def _covariances(self, batch: SequenceBatch, n: int) -> np.ndarray:
        """``n`` copies of the global covariance in this model's compact form."""
        cov = global_covariance(batch.X, self.covariance_type, self._floor)
        return np.repeat(cov[None], n, axis=0)

    def _gaussian_prior(
        self, lead: tuple[int, ...], n_groups: int, n_features: int
    ) -> GaussianPrior | None:
        """The components' conjugate prior from ``means_prior``, ``means_weight``,
        ``covars_prior`` and ``covars_weight``, flattened to the component bank, or None
        when every weight and scale is 0. ``lead``: the components' leading axes ((K,),
        or (K, M) for mixtures); ``n_groups``: tied covariances."""
        cov_type, d = check_covariance_type(self.covariance_type), n_features
        cov_shape = {
            "spherical": lead,
            "diag": lead + (d,),
            "full": lead + (d, d),
            "tied": (n_groups, d, d),
        }[cov_type]
        weight_shape = (n_groups,) if cov_type == "tied" else lead
        means_prior = check_prior(
            self.means_prior, "means_prior", lead + (d,), "used with means_weight > 0", False
        )
        means_weight = check_prior(self.means_weight, "means_weight", lead, "0 = no prior")
        matrices = cov_type in ("full", "tied")  # may have negative entries: checked below
        covars_prior = check_prior(
            self.covars_prior, "covars_prior", cov_shape, "0 = no prior", not matrices
        )
        covars_weight = check_prior(
            self.covars_weight, "covars_weight", weight_shape, "0 = no prior"
        )
        if not (np.any(means_weight) or np.any(covars_prior) or np.any(covars_weight)):
            return None
        scale = np.broadcast_to(covars_prior, cov_shape)
        if matrices and (
            not np.allclose(scale, np.swapaxes(scale, -1, -2))
            or np.any(np.linalg.eigvalsh(scale) < -1e-12 * max(np.abs(scale).max(), 1.0))
        ):
            raise ValueError("covars_prior must be symmetric positive semi-definite")

        def flat(values, shape, tail=()):
            return np.broadcast_to(values, shape).reshape((-1,) + tail).copy()

        return GaussianPrior(
            flat(means_prior, lead + (d,), (d,)),
            flat(means_weight, lead),
            flat(covars_prior, cov_shape, cov_shape[len(weight_shape) :]),
            flat(covars_weight, weight_shape),
        )


class GaussianHMM(_ContinuousHMM):
    """HMM with one Gaussian per state.

    ``covariance_type``: ``"spherical"`` (``covars_`` (K,)), ``"diag"`` (K, D),
    ``"full"`` (K, D, D) or ``"tied"`` (D, D). Covariances are floored in every
    M-step at ``min_covar``, or at ``var_floor`` times the global variance of the
    training data if that is larger (HTK's relative variance floor). Parameter
    letters: ``s``, ``t``, ``m`` (means), ``c`` (covariances).

    Priors, as hmmlearn's GaussianHMM (the M-step gives the posterior mode): a normal
    prior on each mean, ``means_prior`` (scalar, (D,) or (K, D)) weighing as
    ``means_weight`` frames (scalar or (K,)); an inverse-Gamma / inverse-Wishart prior on
    each covariance with scale ``covars_prior`` (scalar or broadcast to the shape of
    ``covars_``) and ``covars_weight`` degrees of freedom (scalar or (K,); scalar for
    ``"tied"``). The defaults (all 0) are no prior, i.e. maximum likelihood; hmmlearn's
    defaults ``covars_prior=0.01, covars_weight=1`` add 0.01 to every covariance
    numerator.
    """

    _emission_letters = "mc"
    _letter_attributes = {"m": "means_", "c": "covars_"}

    means_ = CheckedParameter(
        lambda model, value: check_means_shape(value, (model.n_states,), "(n_states, n_features)"),
        "State means (n_states, n_features).",
    )
    covars_ = CheckedParameter(
        lambda model, value: check_covars(value, model.covariance_type, model.n_states),
        "State covariances in the compact form of covariance_type: spherical (K,), diag "
        "(K, D), full (K, D, D), tied (D, D).",
    )

    def __init__(
        self,
        n_states: int = 1,
        covariance_type: str = "diag",
        *,
        min_covar: float = 1e-3,
        var_floor: float | None = None,
        means_prior: ArrayLike = 0.0,
        means_weight: ArrayLike = 0.0,
        covars_prior: ArrayLike = 0.0,
        covars_weight: ArrayLike = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(n_states, **kwargs)
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.var_floor = var_floor
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight

    def _make_emission(self, attributes: dict) -> Emission:
        check_covariance_type(self.covariance_type)
        means = self._checked_means(
            attributes["means_"], (self.n_states,), "(n_states, n_features)"
        )
        covars = np.asarray(attributes["covars_"], dtype=float)
        if self.covariance_type == "tied":
            d = means.shape[1]
            if covars.shape != (d, d):
                raise ValueError(
                    f"covars_ must have shape (n_features, n_features) = {(d, d)} for 'tied' "
                    f"(one matrix shared by all states), got {covars.shape}"
                )
            covars = covars[None]
        return GaussianEmission(
            means,
            covars,
            self.covariance_type,
            getattr(self, "_floor", None),
        )

    def _training_emission(self, emission: GaussianEmission) -> GaussianEmission:
        prior = self._gaussian_prior((self.n_states,), 1, emission.means.shape[1])
        return emission if prior is None else replace(emission, prior=prior)

    def _emission_attributes(self, emission: Emission) -> dict:
        covars = emission.covars[0] if self.covariance_type == "tied" else emission.covars
        return {"means_": emission.means, "covars_": covars}

    def _global_emission(self, batch, rng) -> Emission:
        means = np.repeat(batch.X.mean(axis=0)[None], self.n_states, axis=0)
        n_cov = 1 if self.covariance_type == "tied" else self.n_states
        return GaussianEmission(
            means, self._covariances(batch, n_cov), self.covariance_type, self._floor
        )

    def _random_emission(self, batch, rng) -> Emission:
        n_cov = 1 if self.covariance_type == "tied" else self.n_states
        return GaussianEmission(
            self._random_means(batch, self.n_states, rng),
            self._covariances(batch, n_cov),
            self.covariance_type,
            self._floor,
        )


class GMMHMM(_ContinuousHMM):
    """HMM with a mixture of ``n_mix`` Gaussians per state.

    Shapes follow hmmlearn: ``weights_`` (K, M), ``means_`` (K, M, D), ``covars_``
    spherical (K, M), diag (K, M, D), full (K, M, D, D), tied (K, D, D) (one
    covariance per state shared by its components). A component whose weight
    falls below ``min_weight`` (HTK's MINMIX) is replaced by splitting the heaviest
    component of its state. :meth:`mix_up` grows the mixtures by splitting.
    Parameter letters: ``s``, ``t``, ``w`` (weights), ``m``, ``c``.

    Priors: ``weights_prior`` is a Dirichlet concentration on every state's weights;
    ``means_prior`` (scalar, (D,) or (K, M, D)), ``means_weight`` ((K, M) or scalar),
    ``covars_prior`` (broadcast to ``covars_``) and ``covars_weight`` ((K, M); tied: (K,))
    put GaussianHMM's conjugate prior on every component (e.g. MAP adaptation of a
    trained model: its means as ``means_prior``, a weight of some frames). They follow
    GaussianHMM's conventions, not hmmlearn GMMHMM's parametrisation of the same priors.
    """

    _emission_letters = "wmc"
    _letter_attributes = {"w": "weights_", "m": "means_", "c": "covars_"}
    _argument_checks = HMM_ARGUMENT_CHECKS | {"n_mix": check_states}

    weights_ = CheckedParameter(
        lambda model, value: check_weights(value, model.n_states, model.n_mix),
        "Mixture weights (n_states, n_mix).",
    )
    means_ = CheckedParameter(
        lambda model, value: check_means_shape(
            value, (model.n_states, model.n_mix), "(n_states, n_mix, n_features)"
        ),
        "Component means (n_states, n_mix, n_features).",
    )
    covars_ = CheckedParameter(
        lambda model, value: check_covars(
            value, model.covariance_type, model.n_states, model.n_mix
        ),
        "Component covariances: spherical (K, M), diag (K, M, D), full (K, M, D, D), tied "
        "(K, D, D).",
    )

    def __init__(
        self,
        n_states: int = 1,
        n_mix: int = 1,
        covariance_type: str = "diag",
        *,
        min_covar: float = 1e-3,
        var_floor: float | None = None,
        weights_prior: float = 1.0,
        min_weight: float = 1e-5,
        means_prior: ArrayLike = 0.0,
        means_weight: ArrayLike = 0.0,
        covars_prior: ArrayLike = 0.0,
        covars_weight: ArrayLike = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(n_states, **kwargs)
        self.n_mix = n_mix
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.var_floor = var_floor
        self.weights_prior = weights_prior
        self.min_weight = min_weight
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight

    def _check_settings(self) -> None:
        super()._check_settings()
        n_mix = check_count(self.n_mix, "n_mix")
        check_concentration(self.weights_prior, "weights_prior", (self.n_states, n_mix))
        check_fraction(self.min_weight, "min_weight", 1.0 / n_mix)

    def _wrap(self, mixtures: MixtureBank) -> GMMEmission:
        return GMMEmission(
            mixtures, getattr(self, "_floor", None), self.weights_prior, self.min_weight
        )

    def _training_emission(self, emission: GMMEmission) -> GMMEmission:
        k, m, d = emission.mixtures.means.shape
        prior = self._gaussian_prior((k, m), k, d)
        return emission if prior is None else replace(emission, prior=prior)

    def _make_emission(self, attributes: dict) -> Emission:
        check_covariance_type(self.covariance_type)
        means = self._checked_means(
            attributes["means_"], (self.n_states, self.n_mix), "(n_states, n_mix, n_features)"
        )
        mixtures = MixtureBank(
            np.asarray(attributes["weights_"], dtype=float),
            means,
            np.asarray(attributes["covars_"], dtype=float),
            self.covariance_type,
        )
        return self._wrap(mixtures)

    def _emission_attributes(self, emission: Emission) -> dict:
        m = emission.mixtures
        return {"weights_": m.weights, "means_": m.means, "covars_": m.covars}

    def _one_component(self, means: np.ndarray, batch: SequenceBatch) -> MixtureBank:
        """One component per state at ``means`` (K, D) with the global covariance."""
        cov = global_covariance(batch.X, self.covariance_type, self._floor)
        k = self.n_states
        covars = np.repeat(cov[None], k, axis=0)
        if self.covariance_type != "tied":
            covars = covars[:, None]
        return MixtureBank(np.ones((k, 1)), means[:, None, :], covars, self.covariance_type)

    def _global_emission(self, batch, rng) -> Emission:
        means = np.repeat(batch.X.mean(axis=0)[None], self.n_states, axis=0)
        return self._wrap(mix_up(self._one_component(means, batch), self.n_mix))

    def _random_emission(self, batch, rng) -> Emission:
        k, m = self.n_states, self.n_mix
        means = self._random_means(batch, k * m, rng).reshape(k, m, -1)
        base = self._one_component(means[:, 0], batch)
        covars = (
            base.covars if self.covariance_type == "tied" else np.repeat(base.covars, m, axis=1)
        )
        return self._wrap(
            MixtureBank(np.full((k, m), 1.0 / m), means, covars, self.covariance_type)
        )

    def _emission_from_labels(self, batch, labels, rng) -> Emission:
        emission = super()._emission_from_labels(batch, labels, rng)
        # further mixture-EM rounds per state, frames weighted by their hard state label
        for _ in range(LABELLED_MIXTURE_ROUNDS - 1):
            emission = reestimate_from_labels(emission, batch, labels, "wmc")
        return emission

    def _relabelled_emission(self, previous, batch, labels, rng) -> Emission:
        # after a re-segmentation the mixtures continue from where they were
        for _ in range(RELABELLED_MIXTURE_ROUNDS):
            previous = reestimate_from_labels(previous, batch, labels, "wmc")
        return previous

    def mix_up(self, n_mix: int) -> GMMHMM:
        """Split the heaviest components until every state has ``n_mix`` (HTK's ``MU``).

        Continue training afterwards with ``init_params=""`` so the split
        parameters are kept; returns the model.
        """
        emission = self._get_params().emission
        grown = self._wrap(mix_up(emission.mixtures, n_mix))
        self.n_mix = n_mix
        self._set_emission(grown)
        return self


__all__ = [
    "GMMHMM",
    "MAX_INFERRED_SYMBOLS",
    "CategoricalHMM",
    "GaussianHMM",
    "MultinomialHMM",
    "PoissonHMM",
]
