"""Scores, Viterbi paths and posteriors equal hmmlearn's on the same hand-set parameters."""

import numpy as np
import pytest
from factories import KINDS, make_model, sample_sequences

hmm = pytest.importorskip("hmmlearn.hmm")


def to_hmmlearn(model, family):
    k = model.n_states
    if family == "categorical":
        peer = hmm.CategoricalHMM(k, implementation="scaling")
        peer.emissionprob_ = model.emissionprob_
        peer.n_features = model.emissionprob_.shape[1]
    elif family == "gaussian":
        peer = hmm.GaussianHMM(k, model.covariance_type, implementation="scaling")
        peer.means_ = model.means_
        peer.covars_ = model.covars_
    elif family == "poisson":
        peer = hmm.PoissonHMM(k, implementation="scaling")
        peer.lambdas_ = model.lambdas_
        peer.n_features = model.lambdas_.shape[1]
    elif family == "multinomial":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its note on the change of meaning in 0.3
            peer = hmm.MultinomialHMM(k, n_trials=model.n_trials, implementation="scaling")
        peer.emissionprob_ = model.emissionprob_
        peer.n_features = model.emissionprob_.shape[1]
    else:
        peer = hmm.GMMHMM(
            k, model.n_mix, covariance_type=model.covariance_type, implementation="scaling"
        )
        peer.weights_ = model.weights_
        peer.means_ = model.means_
        peer.covars_ = model.covars_
        peer.n_features = model.means_.shape[-1]
    peer.startprob_ = model.startprob_
    peer.transmat_ = model.transmat_
    return peer


def path_log_prob(model, seqs, path):
    """Joint log-probability of categorical sequences along a given state path."""
    total, offset = 0.0, 0
    log_a, log_e = np.log(model.transmat_), np.log(model.emissionprob_)
    for x in seqs:
        z = path[offset : offset + len(x)]
        total += np.log(model.startprob_[z[0]]) + log_a[z[:-1], z[1:]].sum() + log_e[z, x].sum()
        offset += len(x)
    return total


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_same_as_hmmlearn(family, covariance_type):
    rng = np.random.default_rng(11)
    model = make_model(family, covariance_type, rng, n_states=4, n_features=3)
    peer = to_hmmlearn(model, family)
    seqs = sample_sequences(model, [40, 7, 120, 1], seed=5)
    X = np.concatenate(seqs)
    if family == "categorical":
        X = X[:, None]
    lengths = [len(s) for s in seqs]
    ours = model.score(seqs)
    theirs = peer.score(X, lengths)
    assert ours == pytest.approx(theirs, rel=1e-8)
    np.testing.assert_allclose(model.predict_proba(seqs), peer.predict_proba(X, lengths), atol=1e-8)
    logprob, path = model.decode(seqs)
    their_logprob, their_path = peer.decode(X, lengths, algorithm="viterbi")
    assert logprob == pytest.approx(their_logprob, rel=1e-8)
    if family == "categorical":
        # products of the same factors in another order tie exactly: compare path scores
        mismatch = path != their_path
        assert path_log_prob(model, seqs, path) == pytest.approx(
            path_log_prob(model, seqs, their_path), rel=1e-12
        )
        assert mismatch.mean() < 0.05
    else:
        np.testing.assert_array_equal(path, their_path)
    _, map_path = model.decode(seqs, algorithm="map")
    np.testing.assert_array_equal(map_path, peer.decode(X, lengths, algorithm="map")[1])


@pytest.mark.parametrize(
    "family,covariance_type", [kind for kind in KINDS if kind[0] != "gmm"]
)  # fmt: skip
def test_baum_welch_iterations_equal_hmmlearn(family, covariance_type):
    """Ten Baum-Welch iterations from the same start give hmmlearn's parameters (its
    covariance prior switched off, so both are maximum likelihood)."""
    import warnings

    truth = make_model(family, covariance_type, np.random.default_rng(3))
    seqs = sample_sequences(truth, [60, 25, 90, 40], seed=2)
    model = make_model(family, covariance_type, np.random.default_rng(9))
    peer = to_hmmlearn(model, family)
    peer.init_params, peer.n_iter, peer.tol = "", 10, -np.inf
    if family == "gaussian":
        peer.covars_prior = 0.0
    X = np.concatenate(seqs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hmmlearn's notes on tol and init_params
        peer.fit(X[:, None] if family == "categorical" else X, [len(s) for s in seqs])
    model.init_params, model.n_iter, model.tol = "", 10, -np.inf
    model.fit(seqs)
    np.testing.assert_allclose(model.startprob_, peer.startprob_, atol=1e-12)
    np.testing.assert_allclose(model.transmat_, peer.transmat_, atol=1e-12)
    if family in ("categorical", "multinomial"):
        np.testing.assert_allclose(model.emissionprob_, peer.emissionprob_, atol=1e-12)
        return
    if family == "poisson":
        np.testing.assert_allclose(model.lambdas_, peer.lambdas_, rtol=1e-12)
        return
    np.testing.assert_allclose(model.means_, peer.means_, atol=1e-12)
    theirs = np.asarray(peer._covars_)
    if covariance_type == "spherical":  # hmmlearn keeps one column per feature
        theirs = theirs[:, 0]
    np.testing.assert_allclose(model.covars_, theirs, atol=1e-12)


@pytest.mark.parametrize("n_states", [2, 4, 7])
def test_stationary_distribution_equals_hmmlearn(n_states):
    model = make_model("categorical", None, np.random.default_rng(n_states), n_states=n_states)
    pi = model.get_stationary_distribution()
    np.testing.assert_allclose(pi, to_hmmlearn(model, "categorical").get_stationary_distribution(),
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(pi @ model.transmat_, pi, atol=1e-12)
