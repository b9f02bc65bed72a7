"""MultinomialHMM: trials checked, sampling, the Dirichlet prior and recovery of known
probabilities (scores and Baum-Welch against hmmlearn are in test_vs_hmmlearn)."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit import MultinomialHMM, load


def known_model(n_trials=6):
    model = MultinomialHMM(2, n_trials=n_trials)
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    model.emissionprob_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    return model


def test_recovers_the_probabilities_it_sampled_from():
    truth = known_model()
    X, _ = truth.sample(3000, random_state=0)
    assert X.dtype == np.int64 and np.all(X.sum(axis=1) == 6)
    model = MultinomialHMM(2, n_trials=6, n_iter=200, tol=1e-7, random_state=1).fit(X)
    order = np.argsort(model.emissionprob_[:, 0])[::-1]
    np.testing.assert_allclose(model.emissionprob_[order], truth.emissionprob_, atol=0.03)


def test_frames_may_have_their_own_number_of_trials_unless_n_trials_is_set():
    model = known_model(n_trials=None)
    x = np.array([[1, 0, 0], [3, 2, 5], [0, 0, 0]])
    assert np.isfinite(model.score(x))
    with pytest.raises(ValueError, match="sample needs n_trials"):
        model.sample(3)
    model.n_trials = 6
    with pytest.raises(ValueError, match="frame 0 counts 1 trials, but n_trials=6"):
        model.score(x)
    with pytest.raises(ValueError, match="whole counts"):
        model.score(np.array([[5.5, 0.5, 0.0]]))


def test_dirichlet_prior_adds_pseudo_counts():
    model = known_model()
    x = model.sample(300, random_state=2)[0]
    _, gamma = model.score_samples(x)
    prior = np.array([[3.0, 1.0, 2.0]])
    trained = known_model()
    trained.set_params(emissionprob_prior=prior, n_iter=1, init_params="", params="e",
                       tol=-np.inf)  # fmt: skip
    trained.fit(x)
    counts = gamma.T @ x + prior - 1.0
    np.testing.assert_allclose(trained.emissionprob_, counts / counts.sum(1, keepdims=True))


def test_save_and_load_keep_n_trials(tmp_path):
    model = known_model()
    model.save(tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    assert isinstance(back, MultinomialHMM) and back.n_trials == 6
    np.testing.assert_array_equal(back.emissionprob_, model.emissionprob_)
