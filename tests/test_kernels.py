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
    for kernel in (kernels.viterbi, kernels.viterbi_few_states):
        path = np.empty(offsets[-1], dtype=np.int64)
        score = np.empty(len(lengths))
        kernel(log_b, offsets, startprob, transmat, path, score)
        np.testing.assert_array_equal(path, want_path)
        np.testing.assert_allclose(score, want_score, rtol=1e-12)
