"""PoissonHMM: count validation, zero rates, the Gamma-prior M-step and recovery of
known rates (scores and Baum-Welch against hmmlearn are in test_vs_hmmlearn)."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit import PoissonHMM


def known_model():
    model = PoissonHMM(3)
    model.startprob_ = np.array([0.6, 0.3, 0.1])
    model.transmat_ = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    model.lambdas_ = np.array([[1.0, 5.0], [10.0, 2.0], [0.5, 20.0]])
    return model


def test_recovers_the_rates_it_sampled_from():
    truth = known_model()
    seqs = [truth.sample(600, random_state=s)[0] for s in range(5)]
    model = PoissonHMM(3, n_iter=100, tol=1e-6, random_state=0).fit(seqs)
    order = np.argsort(model.lambdas_[:, 1])
    expected = truth.lambdas_[np.argsort(truth.lambdas_[:, 1])]
    np.testing.assert_allclose(model.lambdas_[order], expected, rtol=0.1)


def test_counts_are_checked():
    model = known_model()
    with pytest.raises(ValueError, match=r"X must hold counts.*-1"):
        model.score(np.array([[1, 2], [-1, 3]]))
    with pytest.raises(ValueError, match=r"whole counts.*0.5"):
        model.score(np.array([[1, 0.5]]))
    with pytest.raises(ValueError, match="3 features per frame but the model expects 2"):
        model.score(np.ones((4, 3)))
    with pytest.raises(ValueError, match="lambdas_ must be non-negative"):
        model.lambdas_ = np.array([[1.0, -5.0], [10.0, 2.0], [0.5, 20.0]])
    with pytest.raises(ValueError, match="lambdas_prior must broadcast"):
        PoissonHMM(3, lambdas_prior=np.ones(5)).fit(np.ones((10, 2)))
    with pytest.raises(ValueError, match="lambdas_weight must be finite"):
        PoissonHMM(3, lambdas_weight=-1.0).fit(np.ones((10, 2)))


def test_a_zero_rate_forbids_positive_counts_without_nan():
    model = known_model()
    model.lambdas_ = np.array([[0.0, 5.0], [10.0, 2.0], [0.5, 20.0]])
    x = np.array([[0, 4], [3, 1], [0, 0]])
    posteriors = model.predict_proba(x)
    assert np.all(np.isfinite(posteriors)) and model.score(x) > -np.inf
    assert posteriors[1, 0] == 0.0  # a count of 3 cannot come from rate 0
    assert posteriors[0, 0] > 0.0  # a count of 0 can
    solo = PoissonHMM(1)
    solo.startprob_, solo.transmat_, solo.lambdas_ = np.ones(1), np.ones((1, 1)), np.zeros((1, 1))
    assert solo.score(np.array([[0], [0]])) == 0.0
    with pytest.raises(ValueError, match="zero probability"):
        solo.set_params(init_params="").fit(np.array([[0], [2]]))


def test_gamma_prior_gives_each_states_posterior_mean():
    model = known_model()
    x = model.sample(200, random_state=4)[0]
    _, gamma = model.score_samples(x)
    shape, rate = np.array([[2.0], [3.0], [4.0]]), 5.0
    trained = known_model()
    trained.set_params(lambdas_prior=shape, lambdas_weight=rate, n_iter=1, init_params="",
                       params="l", tol=-np.inf)  # fmt: skip
    trained.fit(x)
    expected = (shape + gamma.T @ x) / (rate + gamma.sum(axis=0)[:, None])
    np.testing.assert_allclose(trained.lambdas_, expected, rtol=1e-10)


def test_save_and_load_keep_rates_and_priors(tmp_path):
    from hmmkit import load

    model = known_model()
    model.set_params(lambdas_prior=1.5, lambdas_weight=0.5)
    model.save(tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    assert isinstance(back, PoissonHMM)
    np.testing.assert_array_equal(back.lambdas_, model.lambdas_)
    assert (back.lambdas_prior, back.lambdas_weight) == (1.5, 0.5)


def test_frame_scores_equal_scipy_for_small_and_huge_counts():
    from scipy.stats import poisson

    from hmmkit.emissions.counts import FACTORIAL_TABLE_MAX
    from hmmkit.emissions.poisson import PoissonEmission

    lambdas = np.array([[3.0, 70000.0], [0.0, 1e5]])
    x = np.array([[0.0, 0.0], [2.0, FACTORIAL_TABLE_MAX + 5.0], [7.0, 123.0]])
    ours = PoissonEmission(lambdas).log_likelihood(x)
    with np.errstate(divide="ignore"):
        expected = poisson.logpmf(x[:, None, :], lambdas[None]).sum(axis=-1)
    np.testing.assert_allclose(ours, expected, rtol=1e-12)
