"""Hand-set random models of every family, for tests that compare against independent truth."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit import GMMHMM, CategoricalHMM, GaussianHMM, MultinomialHMM, PoissonHMM

#: Strong priors empty a state (no frame weight), which a DegenerateStateWarning reports,
#: rightly; the tests so marked are about the objective or the optimum, not that report.
EMPTIED_BY_THE_PRIOR = pytest.mark.filterwarnings(
    "ignore:state .* received no weight:hmmkit.DegenerateStateWarning"
)
COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")
#: (family, covariance_type) of every model kind the tests cover
KINDS = (
    [("categorical", None)]
    + [("gaussian", c) for c in COVARIANCE_TYPES]
    + [("gmm", c) for c in COVARIANCE_TYPES]
    + [("poisson", None), ("multinomial", None)]
)


def random_stochastic(rng, *shape):
    x = rng.random(shape) + 0.1
    return x / x.sum(axis=-1, keepdims=True)


def random_spd(rng, d, n=None):
    shape = (d, d) if n is None else (n, d, d)
    a = rng.normal(size=shape)
    return a @ np.swapaxes(a, -1, -2) + d * 0.5 * np.eye(d)


def random_covars(rng, covariance_type, n, d, lead=()):
    """Compact covariances for ``n`` components (after leading axes ``lead``)."""
    if covariance_type == "spherical":
        return rng.uniform(0.5, 2.0, size=lead + (n,))
    if covariance_type == "diag":
        return rng.uniform(0.5, 2.0, size=lead + (n, d))
    if covariance_type == "full":
        return random_spd(rng, d, int(np.prod(lead + (n,)))).reshape(lead + (n, d, d))
    return random_spd(rng, d, int(np.prod(lead)) if lead else None).reshape(lead + (d, d))


def make_model(family, covariance_type, rng, n_states=3, n_features=2, n_mix=2, n_symbols=4):
    """A model of the given kind with random, valid parameters set by hand."""
    k, d = n_states, n_features
    if family == "categorical":
        model = CategoricalHMM(k)
        model.emissionprob_ = random_stochastic(rng, k, n_symbols)
    elif family == "gaussian":
        model = GaussianHMM(k, covariance_type)
        model.means_ = rng.normal(scale=2.0, size=(k, d))
        model.covars_ = random_covars(rng, covariance_type, k, d)
    elif family == "poisson":
        model = PoissonHMM(k)
        model.lambdas_ = rng.uniform(0.5, 8.0, size=(k, d))
    elif family == "multinomial":
        model = MultinomialHMM(k, n_trials=5)
        model.emissionprob_ = random_stochastic(rng, k, n_symbols)
    else:
        model = GMMHMM(k, n_mix, covariance_type)
        model.weights_ = random_stochastic(rng, k, n_mix)
        model.means_ = rng.normal(scale=2.0, size=(k, n_mix, d))
        model.covars_ = random_covars(rng, covariance_type, n_mix, d, lead=(k,))
    model.startprob_ = random_stochastic(rng, k)
    model.transmat_ = random_stochastic(rng, k, k)
    return model


def sample_sequences(model, lengths, seed=0):
    """Sequences of the given lengths sampled from ``model``."""
    return [model.sample(n, random_state=seed + i)[0] for i, n in enumerate(lengths)]


def fresh_like(model, family, covariance_type, **kwargs):
    """An untrained model of the same kind and size as ``model``."""
    k = model.n_states
    if family == "categorical":
        return CategoricalHMM(k, **kwargs)
    if family == "gaussian":
        return GaussianHMM(k, covariance_type, **kwargs)
    if family == "poisson":
        return PoissonHMM(k, **kwargs)
    if family == "multinomial":
        return MultinomialHMM(k, n_trials=model.n_trials, **kwargs)
    return GMMHMM(k, model.n_mix, covariance_type, **kwargs)
