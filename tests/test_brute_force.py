"""Log-likelihood, posteriors and Viterbi against enumeration of every state path."""

import numpy as np
import pytest
from factories import KINDS, make_model, sample_sequences
from reference import brute_force, full_covariances, gaussian_log_emissions, gmm_log_emissions


def reference_log_emissions(model, x):
    if hasattr(model, "n_trials"):  # counts of categories, from scipy
        from scipy.stats import multinomial

        return np.stack(
            [multinomial.logpmf(x, x.sum(axis=1), p) for p in model.emissionprob_], axis=1
        )
    if hasattr(model, "emissionprob_"):
        return np.log(model.emissionprob_[:, x].T)
    if hasattr(model, "lambdas_"):  # independent Poisson counts, from scipy
        from scipy.stats import poisson

        return poisson.logpmf(x[:, None, :], model.lambdas_[None]).sum(axis=-1)
    if hasattr(model, "weights_"):
        return gmm_log_emissions(
            x, model.weights_, model.means_, model.covars_, model.covariance_type
        )
    return gaussian_log_emissions(x, model.means_, model.covars_, model.covariance_type)


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_matches_enumeration(family, covariance_type):
    rng = np.random.default_rng(7)
    model = make_model(family, covariance_type, rng)
    seqs = sample_sequences(model, [5, 1, 4], seed=3)
    logliks = model.score_sequences(seqs)
    _, posteriors = model.score_samples(seqs)
    _, path = model.decode(seqs)
    offset = 0
    for i, x in enumerate(seqs):
        loglik, post, best_path, best_score = brute_force(
            reference_log_emissions(model, x), model.startprob_, model.transmat_
        )
        n = len(x)
        assert logliks[i] == pytest.approx(loglik, abs=1e-10, rel=1e-12)
        np.testing.assert_allclose(posteriors[offset : offset + n], post, atol=1e-10)
        np.testing.assert_array_equal(path[offset : offset + n], best_path)
        assert model.decode(x)[0] == pytest.approx(best_score, abs=1e-10)
        offset += n


def test_structural_zeros_match_enumeration():
    rng = np.random.default_rng(1)
    model = make_model("gaussian", "diag", rng)
    model.startprob_ = np.array([1.0, 0.0, 0.0])
    model.transmat_ = np.array([[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.0, 0.0, 1.0]])
    x = sample_sequences(model, [6], seed=2)[0]
    loglik, post, best_path, _ = brute_force(
        reference_log_emissions(model, x), model.startprob_, model.transmat_
    )
    assert model.score(x) == pytest.approx(loglik, abs=1e-10)
    np.testing.assert_allclose(model.predict_proba(x), post, atol=1e-10)
    np.testing.assert_array_equal(model.predict(x), best_path)


def test_underflowing_frames_fall_back_to_log_space():
    """A frame where the only reachable state is e^-1000 below the best state."""
    from hmmkit import GaussianHMM

    model = GaussianHMM(2, "diag")
    model.startprob_ = np.array([1.0, 0.0])
    model.transmat_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    model.means_ = np.array([[0.0], [50.0]])
    model.covars_ = np.array([[1.0], [1.0]])
    x = np.array([[0.0], [50.0], [0.0]])
    expected = brute_force(reference_log_emissions(model, x), model.startprob_, model.transmat_)
    assert np.isfinite(model.score(x))
    assert model.score(x) == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(model.predict_proba(x), expected[1], atol=1e-10)


def test_unreachable_states_with_the_best_emissions_do_not_overflow():
    """Early frames fit a state a left-right model cannot reach yet: the scaled backward
    values of that state would overflow; posteriors must still be exact."""
    from hmmkit import GaussianHMM

    model = GaussianHMM(4, "diag", topology="left-right")
    model.startprob_ = np.array([1.0, 0.0, 0.0, 0.0])
    model.transmat_ = np.array(
        [[0.5, 0.5, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 0.0, 1.0]]
    )
    model.means_ = np.array([[0.0], [0.5], [1.0], [36.0]])
    model.covars_ = np.ones((4, 1))
    x = np.array([[36.0], [36.5], [35.5], [36.0], [1.0], [36.0]])
    loglik, post, best_path, _ = brute_force(
        reference_log_emissions(model, x), model.startprob_, model.transmat_
    )
    assert model.score(x) == pytest.approx(loglik, rel=1e-12)
    np.testing.assert_allclose(model.predict_proba(x), post, atol=1e-10)
    np.testing.assert_array_equal(model.predict(x), best_path)
    stats = GaussianHMM(4, "diag", init_params="", params="t", n_iter=1)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        setattr(stats, name, getattr(model, name))
    stats.fit([x])
    assert np.all(np.isfinite(stats.transmat_))


def gmm_m_step_by_enumeration(model, seqs):
    """One GMM emission M-step from posteriors found by enumerating every path and scipy's
    component densities: (weights, means, full covariances per component)."""
    from scipy.stats import multivariate_normal

    k, m, d = model.means_.shape
    ct = model.covariance_type
    X = np.concatenate(seqs)
    gamma = np.concatenate([
        brute_force(reference_log_emissions(model, x), model.startprob_, model.transmat_)[1]
        for x in seqs
    ])  # fmt: skip
    n = np.zeros((k, m))
    means = np.zeros((k, m, d))
    scatter = np.zeros((k, m, d, d))
    for i in range(k):
        cov = (np.repeat(model.covars_[i][None], m, axis=0) if ct == "tied"
               else full_covariances(model.covars_[i], ct, m, d))  # fmt: skip
        dens = np.column_stack([
            model.weights_[i, j] * multivariate_normal(model.means_[i, j], cov[j]).pdf(X)
            for j in range(m)
        ])  # fmt: skip
        resp = dens / dens.sum(axis=1, keepdims=True) * gamma[:, [i]]
        for j in range(m):
            w = resp[:, j]
            n[i, j] = w.sum()
            means[i, j] = w @ X / n[i, j]
            centred = X - means[i, j]
            scatter[i, j] = (w[:, None] * centred).T @ centred
    covs = scatter / n[..., None, None]
    if ct == "diag":
        covs = covs * np.eye(d)
    elif ct == "spherical":
        covs = np.eye(d) * (np.trace(covs, axis1=2, axis2=3) / d)[..., None, None]
    elif ct == "tied":
        covs = np.repeat((scatter.sum(axis=1) / n.sum(axis=1)[:, None, None])[:, None], m, 1)
    return n / n.sum(axis=1, keepdims=True), means, covs


@pytest.mark.parametrize("covariance_type", ["spherical", "diag", "full", "tied"])
def test_gmm_m_step_matches_enumeration(covariance_type):
    """GMMHMM's emission update after one iteration equals the textbook M-step computed from
    enumerated posteriors (hmmlearn 0.3.3's GMMHMM centres the covariances on the previous
    means and differs here, from the first M-step on)."""
    truth = make_model("gmm", covariance_type, np.random.default_rng(3))
    seqs = sample_sequences(truth, [6, 5, 6, 4], seed=2)
    model = make_model("gmm", covariance_type, np.random.default_rng(9))
    weights, means, covs = gmm_m_step_by_enumeration(model, seqs)
    model.init_params, model.n_iter, model.tol, model.min_covar = "", 1, -np.inf, 1e-300
    model.fit(seqs)
    k, m, d = means.shape
    ours = np.array([
        np.repeat(c[None], m, axis=0) if covariance_type == "tied"
        else full_covariances(c, covariance_type, m, d)
        for c in model.covars_
    ])  # fmt: skip
    np.testing.assert_allclose(model.weights_, weights, atol=1e-10)
    np.testing.assert_allclose(model.means_, means, atol=1e-10)
    np.testing.assert_allclose(ours, covs, atol=1e-10)
