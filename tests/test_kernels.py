"""The compiled Viterbi kernels against a plain NumPy dynamic programme."""

import numpy as np
import pytest

from hmmkit import kernels


def numpy_viterbi(log_b, lengths, startprob, transmat):
    """Textbook Viterbi, one sequence at a time; ties go to the lowest state index."""
    with np.errstate(divide="ignore"):  # a structural zero is log 0 = -inf
        log_a = np.log(transmat)
        log_start = np.log(startprob)
    paths, scores, lo = [], [], 0
    for n in lengths:
        frames = log_b[lo : lo + n]
        delta = log_start + frames[0]
        back = np.zeros((n, len(delta)), dtype=int)
        for t in range(1, n):
            candidates = delta[:, None] + log_a
            back[t] = np.argmax(candidates, axis=0)  # first maximum
            delta = candidates.max(axis=0) + frames[t]
        state = int(np.argmax(delta))
        scores.append(delta[state])
        path = [state]
        for t in range(n - 1, 0, -1):
            state = back[t, state]
            path.append(state)
        paths.extend(reversed(path))
        lo += n
    return np.array(paths), np.array(scores)


@pytest.mark.parametrize("n_states", [1, 2, 3, 4, 5, 7, 8, 9, 13])
@pytest.mark.parametrize("ties", [False, True])
def test_both_viterbi_kernels_equal_numpy(n_states, ties):
    rng = np.random.default_rng(n_states)
    lengths = [1, 2, 37, 5, 90]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if ties:  # few distinct values: many equal candidates; some transitions impossible
        log_b = rng.integers(-3, 1, size=(offsets[-1], n_states)).astype(float)
        transmat = rng.integers(0, 3, size=(n_states, n_states)).astype(float)
        transmat[:, 0] += 1.0
        startprob = np.ones(n_states)
    else:
        log_b = rng.normal(scale=3.0, size=(offsets[-1], n_states))
        transmat = rng.random((n_states, n_states)) + 0.05
        startprob = rng.random(n_states) + 0.05
    transmat /= transmat.sum(axis=1, keepdims=True)
    startprob /= startprob.sum()
    want_path, want_score = numpy_viterbi(log_b, lengths, startprob, transmat)
    with np.errstate(divide="ignore"):  # the few-states kernel takes log parameters
        log_params = np.log(startprob), np.log(transmat)
    few_states = (kernels.viterbi_few_states, log_params, kernels.few_states_work(log_b, offsets))
    for kernel, params, work in ((kernels.viterbi, (startprob, transmat), ()), few_states):
        path = np.empty(offsets[-1], dtype=np.int64)
        score = np.empty(len(lengths))
        kernel(log_b, offsets, *params, path, score, *work)
        np.testing.assert_array_equal(path, want_path)
        np.testing.assert_allclose(score, want_score, rtol=1e-12)


def test_sequences_the_scaled_passes_cannot_take_are_redone_in_log_space():
    """A batch mixing ordinary sequences, one whose unreachable state dominates (the scaled
    passes underflow) and one with an impossible frame: the scaled kernels, which redo
    such sequences in log space, agree with the log-space kernels throughout."""
    rng = np.random.default_rng(7)
    n_states, lengths = 4, [30, 12, 25, 9]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    log_b = rng.normal(size=(offsets[-1], n_states))
    startprob = np.array([1.0, 0.0, 0.0, 0.0])
    transmat = np.array([[0.6, 0.4, 0.0, 0.0], [0.0, 0.7, 0.3, 0.0],
                         [0.0, 0.0, 0.8, 0.2], [0.0, 0.0, 0.0, 1.0]])  # fmt: skip
    log_b[offsets[1] : offsets[2], 3] += 2000.0  # state 3 is unreachable in 3 steps
    log_b[offsets[3] + 4] = -np.inf
    for backward in (True, False):
        underflow = np.zeros(len(lengths), dtype=np.bool_)
        outer, trans_acc = np.zeros((n_states, n_states)), np.zeros((n_states, n_states))
        start_acc = np.zeros(n_states)
        n_redone = kernels._scaled_passes(log_b, offsets, startprob, transmat, backward,
                                          np.empty_like(log_b), outer, start_acc, trans_acc,
                                          np.empty(len(lengths)), underflow,
                                          *kernels._pass_work(log_b, offsets))  # fmt: skip
        assert n_redone == 2 and underflow.tolist() == [False, True, False, True]
        # the statistics are left to the log-space redo
        assert not start_acc.any() and not trans_acc.any()
    got = kernels.run_forward_backward(log_b, offsets, startprob, transmat)
    want = kernels.run_forward_backward(
        log_b, offsets, startprob, transmat, kernel=kernels.log_forward_backward
    )
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert got[3][3] == -np.inf and np.all(got[0][offsets[3] : offsets[4]] == 0.0)
    loglik = kernels.run_forward(log_b, offsets, startprob, transmat)
    np.testing.assert_allclose(
        loglik,
        kernels.run_forward(log_b, offsets, startprob, transmat, kernel=kernels.log_forward_loglik),
        rtol=1e-12,
    )
    np.testing.assert_array_equal(np.isfinite(loglik), [True, True, True, False])
