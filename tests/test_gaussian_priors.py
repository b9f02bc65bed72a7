"""GaussianHMM's conjugate priors: hmmlearn's posterior-mode M-step, exactly."""

import warnings

import numpy as np
import pytest
from factories import EMPTIED_BY_THE_PRIOR, make_model, sample_sequences

from hmmkit import GMMHMM, GaussianHMM, load

hmm = pytest.importorskip("hmmlearn.hmm")

COVARIANCE_TYPES = ["spherical", "diag", "full", "tied"]


def priors(covariance_type, k, d, rng):
    """A prior of every kind, non-trivial in each part: (means_prior, means_weight,
    covars_prior, covars_weight), ours and hmmlearn's spelling of covars_prior."""
    means_prior = rng.normal(size=(k, d))
    if covariance_type in ("full", "tied"):
        a = rng.normal(size=(d, d))
        scale = a @ a.T + np.eye(d)
        ours = scale if covariance_type == "tied" else np.repeat(scale[None], k, axis=0)
        return (means_prior, 3.0, ours, d + 4.0), ours
    shape = (k,) if covariance_type == "spherical" else (k, d)
    scale = rng.uniform(0.5, 2.0, size=shape)
    theirs = scale[:, None] if covariance_type == "spherical" else scale
    return (means_prior, 3.0, scale, 5.0), theirs


def fit_both(covariance_type, prior, their_covars_prior, n_iter=10):
    truth = make_model("gaussian", covariance_type, np.random.default_rng(3))
    seqs = sample_sequences(truth, [60, 25, 90, 40], seed=2)
    model = make_model("gaussian", covariance_type, np.random.default_rng(9))
    peer = hmm.GaussianHMM(model.n_states, covariance_type, implementation="scaling")
    peer.startprob_, peer.transmat_ = model.startprob_, model.transmat_
    peer.means_, peer.covars_ = model.means_, model.covars_
    means_prior, means_weight, _, covars_weight = prior
    peer.means_prior, peer.means_weight = means_prior, means_weight
    peer.covars_prior, peer.covars_weight = their_covars_prior, covars_weight
    peer.init_params, peer.n_iter, peer.tol = "", n_iter, -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hmmlearn's notes on tol and init_params
        peer.fit(np.concatenate(seqs), [len(s) for s in seqs])
    names = ("means_prior", "means_weight", "covars_prior", "covars_weight")
    model.set_params(
        init_params="", n_iter=n_iter, tol=-np.inf, **dict(zip(names, prior, strict=True))
    )
    model.fit(seqs)
    return model, peer, seqs


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_posterior_modes_equal_hmmlearn(covariance_type):
    rng = np.random.default_rng(1)
    k, d = 3, 2
    prior, theirs = priors(covariance_type, k, d, rng)
    model, peer, _ = fit_both(covariance_type, prior, theirs)
    np.testing.assert_allclose(model.transmat_, peer.transmat_, atol=1e-12)
    np.testing.assert_allclose(model.means_, peer.means_, atol=1e-12)
    their_covars = np.asarray(peer._covars_)
    if covariance_type == "spherical":  # hmmlearn keeps one column per feature
        their_covars = their_covars[:, 0]
    np.testing.assert_allclose(model.covars_, their_covars, atol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_hmmlearn_default_covariance_prior(covariance_type):
    """hmmlearn's defaults (covars_prior=0.01, covars_weight=1) give its parameters."""
    prior = (0.0, 0.0, 0.01, 1.0)
    model, peer, _ = fit_both(covariance_type, prior, 0.01)
    their_covars = np.asarray(peer._covars_)
    if covariance_type == "spherical":
        their_covars = their_covars[:, 0]
    np.testing.assert_allclose(model.covars_, their_covars, atol=1e-12)


def test_one_state_mean_is_the_closed_form_posterior_mode():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 1.0, size=(50, 2))
    model = GaussianHMM(1, "diag", means_prior=[-1.0, 5.0], means_weight=25.0, n_iter=1)
    model.fit(X)
    np.testing.assert_allclose(model.means_[0], (25 * np.array([-1.0, 5.0]) + X.sum(0)) / 75)
    # an overwhelming weight pins the mean to the prior
    strong = GaussianHMM(1, "diag", means_prior=[-1.0, 5.0], means_weight=1e12, n_iter=3).fit(X)
    np.testing.assert_allclose(strong.means_[0], [-1.0, 5.0], atol=1e-8)


def test_zero_prior_is_maximum_likelihood():
    truth = make_model("gaussian", "full", np.random.default_rng(3))
    seqs = sample_sequences(truth, [80, 50], seed=1)
    plain = GaussianHMM(3, "full", n_iter=5, tol=-np.inf, random_state=0).fit(seqs)
    zero = GaussianHMM(3, "full", n_iter=5, tol=-np.inf, random_state=0, means_prior=7.0)
    zero.fit(seqs)  # a prior mean without weight changes nothing
    np.testing.assert_array_equal(plain.means_, zero.means_)
    np.testing.assert_array_equal(plain.covars_, zero.covars_)


@pytest.mark.parametrize("algorithm", ["alpha", "squarem"])
@EMPTIED_BY_THE_PRIOR
def test_accelerated_training_finds_the_posterior_mode(algorithm):
    """The accelerators converge to Baum-Welch's fixed point under the prior (with a prior,
    EM climbs the penalised likelihood, so that is the comparison, not the likelihood)."""
    truth = make_model("gaussian", "diag", np.random.default_rng(3))
    seqs = sample_sequences(truth, [200, 150, 120], seed=4)
    settings = dict(
        n_iter=3000, tol=1e-10, random_state=1, means_prior=-2.0, means_weight=40.0,
        covars_prior=5.0, covars_weight=30.0,
    )  # fmt: skip
    reference = GaussianHMM(3, "diag", **settings).fit(seqs)
    model = GaussianHMM(3, "diag", algorithm=algorithm, **settings).fit(seqs)
    assert model.monitor_.n_passes < reference.monitor_.n_passes
    np.testing.assert_allclose(model.means_, reference.means_, atol=1e-4)
    np.testing.assert_allclose(model.covars_, reference.covars_, rtol=1e-4)
    maximum_likelihood = GaussianHMM(3, "diag", n_iter=3000, tol=1e-10, random_state=1)
    assert np.abs(maximum_likelihood.fit(seqs).means_ - model.means_).max() > 1e-2


def test_priors_are_saved_with_the_model(tmp_path):
    truth = make_model("gaussian", "tied", np.random.default_rng(3))
    seqs = sample_sequences(truth, [80, 50], seed=1)
    settings = dict(
        means_prior=np.ones(2), means_weight=4.0, covars_prior=np.eye(2), covars_weight=5.0
    )
    model = GaussianHMM(3, "tied", n_iter=3, random_state=0, **settings).fit(seqs)
    model.save(tmp_path / "m.npz")
    again = load(tmp_path / "m.npz")
    for name, value in settings.items():
        np.testing.assert_array_equal(np.asarray(again.get_params()[name]), value)
    model.set_params(init_params="", n_iter=2).fit(seqs)
    again.set_params(init_params="", n_iter=2).fit(seqs)
    np.testing.assert_array_equal(model.covars_, again.covars_)


# ---------------------------------------------------------------- GMMHMM components


def test_gmmhmm_with_one_component_is_gaussianhmm_under_the_same_prior():
    truth = make_model("gaussian", "full", np.random.default_rng(3))
    seqs = sample_sequences(truth, [90, 60, 120], seed=2)
    rng = np.random.default_rng(5)
    a = rng.normal(size=(2, 2))
    settings = dict(
        means_prior=rng.normal(size=2), means_weight=6.0, covars_prior=a @ a.T, covars_weight=5.0,
        n_iter=8, tol=-np.inf, random_state=0, init="random",
    )  # fmt: skip
    single = GaussianHMM(3, "full", **settings).fit(seqs)
    # five more iterations from the same parameters, as a GaussianHMM and as a GMMHMM
    mixture = GMMHMM(3, 1, "full", **{**settings, "n_iter": 5, "init_params": ""})
    gaussian = GaussianHMM(3, "full", **{**settings, "n_iter": 5, "init_params": ""})
    for model in (gaussian, mixture):
        model.startprob_, model.transmat_ = single.startprob_, single.transmat_
    gaussian.means_, gaussian.covars_ = single.means_, single.covars_
    mixture.weights_ = np.ones((3, 1))
    mixture.means_, mixture.covars_ = single.means_[:, None], single.covars_[:, None]
    gaussian.fit(seqs)
    mixture.fit(seqs)
    np.testing.assert_allclose(mixture.means_[:, 0], gaussian.means_, atol=1e-10)
    np.testing.assert_allclose(mixture.covars_[:, 0], gaussian.covars_, atol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmmhmm_priors_reach_every_component_in_order(covariance_type):
    """Overwhelming priors pin each component (state, mixture) to its own prior values."""
    truth = make_model("gmm", covariance_type, np.random.default_rng(3))
    seqs = sample_sequences(truth, [80, 60], seed=1)
    k, m, d = truth.means_.shape
    rng = np.random.default_rng(2)
    target_means = rng.normal(size=(k, m, d))
    target_covars = np.asarray(truth.covars_) * rng.uniform(1.5, 3.0)
    strength = 1e9
    weight_shape = (k,) if covariance_type == "tied" else (k, m)
    dof = strength + (d if covariance_type in ("full", "tied") else 1)
    model = GMMHMM(
        k, m, covariance_type, means_prior=target_means, means_weight=strength,
        covars_prior=strength * target_covars, covars_weight=np.full(weight_shape, dof),
        n_iter=3, tol=-np.inf, random_state=0,
    )  # fmt: skip
    model.fit(seqs)
    np.testing.assert_allclose(model.means_, target_means, atol=1e-6)
    np.testing.assert_allclose(model.covars_, target_covars, rtol=1e-6)


def test_gmmhmm_prior_of_the_wrong_shape_is_refused_by_name():
    seqs = [np.random.default_rng(0).normal(size=(30, 2))]
    with pytest.raises(
        ValueError, match=r"means_weight must be a number or broadcast to shape \(2, 3\)"
    ):
        GMMHMM(2, 3, means_weight=np.ones(4)).fit(seqs)
