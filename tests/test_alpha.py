"""The α-HMM: Baum-Welch at alpha=-1, monotone with the safeguard, same optimum, fewer passes,
and its extrapolated M-step against a direct maximisation of Q_t - ω Q_{t-1}."""

import math
import warnings

import numpy as np
import pytest
from factories import KINDS, fresh_like, make_model, sample_sequences
from scipy.optimize import minimize

from hmmkit import CategoricalHMM, DegenerateStateWarning
from hmmkit.emissions.categorical import CategoricalEmission
from hmmkit.emissions.gaussian import GaussianEmission
from hmmkit.sequences import as_continuous_batch, as_symbol_batch
from hmmkit.shard_work import HMMParams, e_step_shard
from hmmkit.stats import Stats
from hmmkit.training import ConvergenceMonitor
from hmmkit.training.alpha import (
    MIN_COUNT_FRACTION,
    alpha_em,
    alpha_weight,
    check_alpha,
    extrapolated_statistics,
)

PARAMETERS = ("startprob_", "transmat_", "means_", "covars_", "weights_", "emissionprob_")


def kind_data(family, covariance_type, seed=3, n=25):
    rng = np.random.default_rng(seed)
    truth = make_model(family, covariance_type, rng)
    return truth, sample_sequences(truth, rng.integers(5, 80, size=n))


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_alpha_minus_one_is_baum_welch_bit_for_bit(family, covariance_type):
    truth, seqs = kind_data(family, covariance_type)
    common = dict(n_iter=12, tol=-np.inf, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        plain = fresh_like(truth, family, covariance_type, **common).fit(seqs)
        alpha = fresh_like(
            truth, family, covariance_type, algorithm="alpha", alpha=-1.0, **common
        ).fit(seqs)
    assert alpha.monitor_.history == plain.monitor_.history
    assert alpha.monitor_.n_passes == plain.monitor_.n_passes == 12
    for name in PARAMETERS:
        if hasattr(plain, name):
            np.testing.assert_array_equal(getattr(alpha, name), getattr(plain, name))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_log_likelihood_never_decreases_with_the_safeguard(family, covariance_type, alpha):
    truth, seqs = kind_data(family, covariance_type, seed=5)
    model = fresh_like(
        truth,
        family,
        covariance_type,
        algorithm="alpha",
        alpha=alpha,
        n_iter=40,
        tol=-np.inf,
        random_state=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        model.fit(seqs)
    history = np.array(model.monitor_.history)
    monitor = model.monitor_
    assert len(history) == 40
    # every iteration costs one pass, a rejected accelerated step one more
    assert monitor.n_passes == len(history) + monitor.n_fallbacks
    drops = np.diff(history) / np.abs(history[1:])
    assert np.all(drops > -1e-10), drops.min()


def _plain_categorical_em(seqs, n_symbols):
    """E- and M-steps of a categorical HMM from the engine's public pieces (no priors)."""
    batch = as_symbol_batch(seqs, None, n_symbols=n_symbols)

    def e_step(params):
        return e_step_shard(params, batch)

    def m_step(stats, params):
        def rows(counts):
            return counts / counts.sum(axis=-1, keepdims=True)

        return HMMParams(
            rows(stats["start"]),
            rows(stats["trans"]),
            CategoricalEmission(rows(stats["symbol_counts"].T)),
        )

    return e_step, m_step


def test_rejected_steps_fall_back_to_the_plain_step():
    # without the safeguard an aggressive alpha lowers the likelihood at some steps;
    # with it, those steps are replaced by the plain step (and counted): monotone history
    rng = np.random.default_rng(12)
    truth = make_model("categorical", None, rng, n_states=4, n_symbols=6)
    seqs = sample_sequences(truth, [60] * 30)
    e_step, m_step = _plain_categorical_em(seqs, 6)
    start = HMMParams(
        np.full(4, 0.25),
        rng.dirichlet(np.ones(4), size=4),
        CategoricalEmission(rng.dirichlet(np.ones(6), size=4)),
    )
    runs = {}
    for safeguard in (False, True):
        monitor = ConvergenceMonitor(-np.inf, 150)
        alpha_em(e_step, m_step, start, monitor, alpha=0.9, safeguard=safeguard)
        runs[safeguard] = monitor
    unsafe, safe = runs[False], runs[True]
    assert np.min(np.diff(unsafe.history)) < 0  # the accelerated steps do overshoot here
    assert unsafe.n_fallbacks == 0
    assert safe.n_fallbacks > 0
    assert np.all(np.diff(safe.history) >= 0)
    assert safe.n_passes == len(safe.history) + safe.n_fallbacks


@pytest.mark.parametrize("alpha", [1.0, 1.5, -1.01, float("nan")])
def test_alpha_outside_its_range_is_rejected(alpha):
    with pytest.raises(ValueError, match="alpha must be in"):
        CategoricalHMM(2, algorithm="alpha", alpha=alpha).fit([np.array([0, 1, 1, 0])])
    with pytest.raises(ValueError, match="alpha"):
        check_alpha(alpha)


def test_weight_comes_from_log_likelihoods_without_overflow():
    def stats(loglik, frames=1000, sequences=10):
        return Stats({"start": np.ones(2)}, loglik, sequences, frames)

    c = (1 + 0.5) / (3 + 0.5)
    # a huge corpus: the ratio of total likelihoods is exp(-1e6), far below any float
    assert alpha_weight(0.5, stats(-2e9), stats(-2e9 + 1e6), "corpus") == 0.0
    assert alpha_weight(0.5, stats(-2e9), stats(-2e9 + 1e6), "frame") == pytest.approx(
        c * math.exp(-1e6 / 1000)
    )
    assert alpha_weight(0.5, stats(-100.0), stats(-99.0), "sequence") == pytest.approx(
        c * math.exp(-0.1)
    )
    # no gain (or a loss): the ratio is capped at one
    assert alpha_weight(0.5, stats(-10.0), stats(-10.0)) == pytest.approx(c)
    assert alpha_weight(0.5, stats(-10.0), stats(-20.0)) == pytest.approx(c)
    assert alpha_weight(-1.0, stats(-10.0), stats(-9.0)) == 0.0
    with pytest.raises(ValueError, match="ratio_unit"):
        alpha_weight(0.5, stats(-1.0), stats(-1.0), "token")


# ---------------------------------------------------------------- the extrapolated M-step


def test_categorical_update_maximises_q_t_minus_omega_q_prev():
    """The M-step on (N_t - ω N_{t-1}) / (1 - ω) is the argmax of Q_t - ω Q_{t-1}, found here
    by a numerical optimiser over the simplex (softmax parametrisation)."""
    rng = np.random.default_rng(0)
    k, s, omega = 3, 5, 0.4
    previous = rng.uniform(5, 20, size=(s, k))
    current = previous * rng.uniform(0.8, 1.25, size=(s, k))
    emission = CategoricalEmission(np.full((k, s), 1.0 / s))
    arrays = lambda counts: {  # noqa: E731
        "start": np.ones(k),
        "trans": np.ones((k, k)),
        "symbol_counts": counts,
    }
    combined = extrapolated_statistics(
        Stats(arrays(current)), Stats(arrays(previous)), omega, emission
    )
    ours = emission.m_step(combined, "e").emissionprob
    for state in range(k):
        weights = current[:, state] - omega * previous[:, state]

        def negative(z, weights=weights):
            return -(weights @ (z - np.log(np.exp(z).sum())))

        z = minimize(negative, np.zeros(s), method="BFGS", options={"gtol": 1e-10}).x
        np.testing.assert_allclose(ours[state], np.exp(z) / np.exp(z).sum(), atol=1e-6)


def test_gaussian_update_maximises_q_t_minus_omega_q_prev():
    """Means and variances from extrapolated moments maximise the signed-weight Gaussian
    log-likelihood sum_t (g_t - ω g'_t) log N(x_t), checked by a numerical optimiser."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2)) * [1.0, 2.0] + [0.5, -1.0]
    gamma_prev = rng.uniform(0.2, 1.0, size=200)
    gamma_now = np.clip(gamma_prev * rng.uniform(0.9, 1.3, size=200), 0, 1)
    omega = 0.35
    emission = GaussianEmission(np.zeros((1, 2)), np.ones((1, 2)), "diag")

    def moments(g):
        return Stats(
            {
                "start": np.ones(1),
                "trans": np.ones((1, 1)),
                "n": np.array([g.sum()]),
                "s1": (g[:, None] * x).sum(0)[None],
                "s2": (g[:, None] * x**2).sum(0)[None],
            }
        )

    combined = extrapolated_statistics(moments(gamma_now), moments(gamma_prev), omega, emission)
    ours = emission.m_step(combined, "mc")
    w = gamma_now - omega * gamma_prev

    def negative(theta):
        mean, log_var = theta[:2], theta[2:]
        return -np.sum(w[:, None] * (-0.5 * (x - mean) ** 2 / np.exp(log_var) - 0.5 * log_var))

    theta = minimize(negative, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(ours.means[0], theta[:2], atol=1e-5)
    np.testing.assert_allclose(ours.covars[0], np.exp(theta[2:]), rtol=1e-5)


def test_omega_zero_leaves_the_statistics_unchanged():
    truth, seqs = kind_data("gmm", "full", seed=2)
    params = truth._get_params()
    now = e_step_shard(params, as_continuous_batch(seqs))
    out = extrapolated_statistics(now, now.scaled(0.5), 0.0, params.emission)
    for key in now:
        np.testing.assert_array_equal(out[key], now[key])


def test_counts_falling_too_fast_keep_their_current_value():
    emission = CategoricalEmission(np.full((2, 3), 1.0 / 3))
    previous = {"start": np.array([10.0, 10.0]), "trans": np.full((2, 2), 10.0)}
    current = {"start": np.array([2.0, 12.0]), "trans": np.full((2, 2), 10.0)}
    symbols = np.full((3, 2), 5.0)
    omega = 0.4
    out = extrapolated_statistics(
        Stats({**current, "symbol_counts": symbols}),
        Stats({**previous, "symbol_counts": symbols}),
        omega,
        emission,
    )
    # state 0: (2 - 0.4 * 10) / 0.6 < 0 -> reverted to 2; state 1 extrapolated upwards
    assert out["start"][0] == 2.0
    assert out["start"][1] == pytest.approx((12.0 - 0.4 * 10.0) / 0.6)
    assert np.all(out["start"] >= MIN_COUNT_FRACTION * current["start"])
    np.testing.assert_allclose(out["trans"], 10.0)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gaussian_state_with_invalid_covariance_falls_back_to_omega_zero(covariance_type):
    rng = np.random.default_rng(4)
    d = 2
    x = rng.normal(size=(100, d))
    emission = GaussianEmission(
        np.zeros((2, d)),
        np.ones((2, d)) if covariance_type == "diag" else np.repeat(np.eye(d)[None], 2, 0),
        covariance_type,
    )

    def moments(weights):  # weights (T, 2)
        s2 = (
            np.einsum("tc,ti->ci", weights, x**2)
            if covariance_type == "diag"
            else np.tril(np.einsum("tc,ti,tj->cij", weights, x, x))
        )
        return Stats(
            {
                "start": np.ones(2),
                "trans": np.ones((2, 2)),
                "n": weights.sum(0),
                "s1": weights.T @ x,
                "s2": s2,
            }
        )

    w_prev = np.ones((100, 2))
    w_now = np.ones((100, 2))
    # state 0: the previous weights sit on the spread-out frames, the current ones do not,
    # so N_t - ω N_{t-1} has a negative variance; state 1 is a plain rescaling
    spread = np.abs(x[:, 0]) > 1.0
    w_prev[:, 0] = np.where(spread, 1.0, 0.01)
    w_now[:, 0] = np.where(spread, 0.0, 1.0)
    w_now[:, 1] = 1.1
    omega = 0.45
    now, prev = moments(w_now), moments(w_prev)
    out = extrapolated_statistics(now, prev, omega, emission)
    for key in ("n", "s1", "s2"):
        np.testing.assert_array_equal(out[key][0], now[key][0])  # reverted
        np.testing.assert_allclose(out[key][1], (now[key][1] - omega * prev[key][1]) / 0.55)
