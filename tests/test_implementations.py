"""implementation="log": the log-space forward-backward against the scaled kernels, against
enumeration of every state path on tiny models, and against hmmlearn's log implementation."""

from __future__ import annotations

import hmmlearn.hmm
import numpy as np
import pytest
from factories import KINDS, fresh_like, make_model, sample_sequences
from reference import brute_force, expected_transitions

from hmmkit import GaussianHMM, kernels
from hmmkit.implementations import run_log_forward, run_log_forward_backward

TOLERANCE = 1e-10


def _tiny_problem(seed, k=3, lengths=(1, 4, 6), zeros=True):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    log_b = rng.normal(scale=3.0, size=(offsets[-1], k))
    startprob = rng.dirichlet(np.ones(k))
    transmat = rng.dirichlet(np.ones(k), size=k)
    if zeros:  # structural zeros and a frame some state cannot emit
        startprob[0] = 0.0
        startprob /= startprob.sum()
        transmat[1, 2] = 0.0
        transmat /= transmat.sum(axis=1, keepdims=True)
        log_b[3, 1] = -np.inf
    return log_b, offsets, startprob, transmat


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("zeros", [False, True])
def test_log_kernel_equals_enumeration_on_tiny_models(seed, zeros):
    log_b, offsets, startprob, transmat = _tiny_problem(seed, zeros=zeros)
    gamma, start, trans, loglik = run_log_forward_backward(log_b, offsets, startprob, transmat)
    expected_start, expected_trans = np.zeros(3), np.zeros((3, 3))
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        ll, g, _, _ = brute_force(log_b[lo:hi], startprob, transmat)
        assert loglik[s] == pytest.approx(ll, abs=TOLERANCE)
        np.testing.assert_allclose(gamma[lo:hi], g, atol=TOLERANCE)
        expected_start += g[0]
        expected_trans += expected_transitions(log_b[lo:hi], startprob, transmat)
    np.testing.assert_allclose(start, expected_start, atol=TOLERANCE)
    np.testing.assert_allclose(trans, expected_trans, atol=TOLERANCE)
    np.testing.assert_allclose(
        run_log_forward(log_b, offsets, startprob, transmat), loglik, atol=TOLERANCE
    )


@pytest.mark.parametrize("n_states", [1, 2, 5, 12])
def test_log_kernel_equals_the_scaled_kernel(n_states):
    rng = np.random.default_rng(n_states)
    lengths = [1, 3, 250, 40]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    log_b = rng.normal(scale=20.0, size=(offsets[-1], n_states))  # far beyond exp's range
    startprob = rng.dirichlet(np.ones(n_states))
    transmat = rng.dirichlet(np.ones(n_states), size=n_states)
    scaled = kernels.run_forward_backward(log_b, offsets, startprob, transmat)
    logged = run_log_forward_backward(log_b, offsets, startprob, transmat)
    for a, b in zip(scaled, logged, strict=True):
        np.testing.assert_allclose(b, a, rtol=TOLERANCE, atol=TOLERANCE)


def test_a_sequence_of_zero_probability_gets_minus_infinity_and_zero_posteriors():
    log_b, offsets, startprob, transmat = _tiny_problem(0, zeros=False)
    log_b[2, :] = -np.inf  # a frame no state can emit, in the second sequence
    gamma, _, _, loglik = run_log_forward_backward(log_b, offsets, startprob, transmat)
    assert loglik[1] == -np.inf and np.isfinite(loglik[[0, 2]]).all()
    assert not gamma[offsets[1] : offsets[2]].any()


@pytest.mark.parametrize(("family", "covariance_type"), KINDS)
def test_every_family_scores_and_fits_alike_in_both_implementations(family, covariance_type):
    truth = make_model(family, covariance_type, np.random.default_rng(4))
    seqs = sample_sequences(truth, [1, 30, 80])
    scaled_ll, scaled_post = truth.score_samples(seqs)
    truth.set_params(implementation="log")
    log_ll, log_post = truth.score_samples(seqs)
    assert log_ll == pytest.approx(scaled_ll, rel=TOLERANCE)
    np.testing.assert_allclose(log_post, scaled_post, atol=TOLERANCE)
    np.testing.assert_array_equal(
        truth.predict(seqs), truth.set_params(implementation="scaling").predict(seqs)
    )
    histories = []
    for implementation in ("scaling", "log"):
        model = fresh_like(truth, family, covariance_type, n_iter=4, tol=-np.inf,
                           random_state=0, implementation=implementation)  # fmt: skip
        histories.append(model.fit(seqs).monitor_.history)
    np.testing.assert_allclose(histories[1], histories[0], rtol=TOLERANCE)


def test_equals_hmmlearn_log_implementation_on_an_ill_conditioned_sequence():
    """hmmlearn's test_underflow_from_scaling: an outlier makes its scaling pass fail;
    hmmkit's log implementation (and its scaled one, which redoes such a sequence in log
    space) agree with hmmlearn's log implementation."""
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.normal(m, 1, 100) for m in (0, 5, 0, 5)])
    data[40] = 10000
    x = data[:, None]
    params = dict(startprob_=[0.0, 1.0], transmat_=[[0.4, 0.6], [0.6, 0.4]],
                  means_=[[0.0], [5.0]], covars_=[[1.0], [1.0]])  # fmt: skip
    reference = hmmlearn.hmm.GaussianHMM(2, "diag", implementation="log")
    ours = {impl: GaussianHMM(2, "diag", implementation=impl) for impl in ("log", "scaling")}
    for model in (reference, *ours.values()):
        for name, value in params.items():
            setattr(model, name, np.array(value))
    expected_ll, expected_post = reference.score_samples(x)
    for model in ours.values():
        ll, post = model.score_samples(x)
        assert ll == pytest.approx(expected_ll, rel=TOLERANCE)
        np.testing.assert_allclose(post, expected_post, atol=1e-8)


@pytest.mark.parametrize("how", ["weights", "incremental", "partial_fit"])
def test_weighted_incremental_and_online_fits_alike_in_both_implementations(how, monkeypatch):
    """The log implementation reaches every training path (its kernel is counted)."""
    calls = []
    compiled = kernels.log_forward_backward

    def counted(*args):
        calls.append(1)
        return compiled(*args)

    monkeypatch.setattr(kernels, "log_forward_backward", counted)
    truth = make_model("gaussian", "diag", np.random.default_rng(5))
    seqs = sample_sequences(truth, [40, 25, 60, 30])
    results = []
    for implementation in ("scaling", "log"):
        model = fresh_like(truth, "gaussian", "diag", n_iter=3, tol=-np.inf, random_state=0,
                           implementation=implementation)  # fmt: skip
        if how == "weights":
            model.fit(seqs, sample_weight=[1.0, 2.0, 0.0, 0.5])
        elif how == "incremental":
            model.set_params(algorithm="incremental").fit(seqs)
        else:
            model.partial_fit(seqs[:2]).partial_fit(seqs[2:])
        results.append(model)
        assert bool(calls) == (implementation == "log")
    np.testing.assert_allclose(results[1].means_, results[0].means_, rtol=TOLERANCE)
    np.testing.assert_allclose(results[1].transmat_, results[0].transmat_, atol=TOLERANCE)
