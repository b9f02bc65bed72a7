"""Log-likelihood, posteriors and Viterbi against enumeration of every state path."""

import numpy as np
import pytest
from factories import KINDS, make_model, sample_sequences
from reference import brute_force, gaussian_log_emissions, gmm_log_emissions


def reference_log_emissions(model, x):
    if hasattr(model, "emissionprob_"):
        return np.log(model.emissionprob_[:, x].T)
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
