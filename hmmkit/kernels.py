"""Compiled, emission-agnostic dynamic programming over batches of sequences.

Every kernel takes per-frame emission log-likelihoods ``log_b`` of shape
``(n_frames, n_states)`` and the sequence ``offsets``; none knows what the
emissions are. Forward/backward use Rabiner scaling in probability space, with
each frame's likelihoods shifted by their maximum so that no frame underflows;
a sequence whose scaled pass still underflows (every reachable state
impossible relative to the best one) is redone in log space. Viterbi runs in
log space. :func:`log_forward_backward` and :func:`log_forward_loglik` run every
sequence in log space (``implementation="log"``, see :mod:`hmmkit.implementations`).
"""

from __future__ import annotations

import numpy as np

from .compiling import njit, njit_inner
from .numeric import exp_nonpositive, log_positive, max_int

_TINY = 1e-300
_HUGE = 1e300
# Reassociation and fused multiply-add only: infinities and NaN keep their meaning.
_FAST = {"reassoc", "contract"}
_FAST_NO_NAN = {"reassoc", "contract", "nnan"}


@njit_inner(cache=True, nogil=True, fastmath=_FAST_NO_NAN)
def _shifted_likelihoods(log_b, lo, hi, b, shift, b_flat):
    """b[t] = exp(log_b[t] - max_k log_b[t]); shift[t] = that maximum (-inf: all impossible).

    ``b_flat`` is ``b``'s memory as one row (a view made in Python), so that the
    exponentials run in one loop over the whole block without a reshape here (a reshape
    compiles its shape checks and messages, about 0.13 s of a first run).
    Emission log-likelihoods are never NaN (parameters are validated), which lets the
    row maxima vectorise.
    """
    n_states = log_b.shape[1]
    for t in range(hi - lo):
        row = log_b[lo + t]
        m = row[0]
        for k in range(1, n_states):
            m = row[k] if row[k] > m else m  # max(): no routine to compile
        shift[t] = m
        if m == -np.inf:
            m = 0.0
        for k in range(n_states):
            b[t, k] = row[k] - m
    # one loop over the whole block: by rows is slower for a few states
    exp_nonpositive(b_flat[: (hi - lo) * n_states])


# The helpers of the scaled passes are inlined (inline="always"): compiled as part of
# their one caller, not each as a kernel of its own (a first run compiles less).
@njit(cache=True, nogil=True, fastmath=_FAST, inline="always")
def _scaled_forward(startprob, transmat_t, b, n_frames, alpha, scale):
    """Scaled forward pass; returns False when a scale factor underflows to zero.

    ``transmat_t`` is the transposed transition matrix, so that each new alpha
    entry is a contiguous dot product.
    """
    n_states = b.shape[1]
    for t in range(n_frames):
        c = 0.0
        if t == 0:
            for k in range(n_states):
                v = startprob[k] * b[0, k]
                alpha[0, k] = v
                c += v
        else:
            for j in range(n_states):
                acc = 0.0
                for i in range(n_states):
                    acc += alpha[t - 1, i] * transmat_t[j, i]
                v = acc * b[t, j]
                alpha[t, j] = v
                c += v
        if not c > _TINY:
            return False
        scale[t] = c
        inv = 1.0 / c
        for k in range(n_states):
            alpha[t, k] *= inv
    return True


@njit(cache=True, nogil=True, fastmath=_FAST, inline="always")
def _scaled_backward(transmat, b, alpha, scale, n_frames, lo, gamma, outer, beta, weighted):
    """Scaled backward pass of one sequence after :func:`_scaled_forward`.

    Writes posteriors into ``gamma[lo:lo + n_frames]`` and sets ``outer[i, j]`` to the
    sum over t of alpha[t-1, i] * b[t, j] * beta[t, j] / scale[t]. States with zero
    forward probability get zero backward values: they cannot lie on any path, and
    their scaled backward values could otherwise overflow. Returns False when a
    reachable state's backward value overflows (the caller then works in log space).
    ``beta`` and ``weighted`` are (K,) work vectors.
    """
    n_states = b.shape[1]
    for i in range(n_states):
        for j in range(n_states):
            outer[i, j] = 0.0
    for k in range(n_states):
        beta[k] = 1.0 if alpha[n_frames - 1, k] > 0.0 else 0.0
    for t in range(n_frames - 1, -1, -1):
        norm = 0.0
        for k in range(n_states):
            g = alpha[t, k] * beta[k]
            gamma[lo + t, k] = g
            norm += g
        if not norm > 0.0:
            return False
        inv = 1.0 / norm
        for k in range(n_states):
            gamma[lo + t, k] *= inv
        if t == 0:
            break
        inv = 1.0 / scale[t]
        for j in range(n_states):
            weighted[j] = b[t, j] * beta[j] * inv
        largest = 0.0
        for i in range(n_states):
            acc = 0.0
            for j in range(n_states):
                acc += transmat[i, j] * weighted[j]
            acc = acc if alpha[t - 1, i] > 0.0 else 0.0
            largest = acc if not acc <= largest else largest  # NaN propagates
            beta[i] = acc
        if not largest < _HUGE:
            return False
        for i in range(n_states):
            a = alpha[t - 1, i]
            for j in range(n_states):
                outer[i, j] += a * weighted[j]
    return True


@njit_inner(cache=True, nogil=True)
def _logsumexp_row(v):
    m = -np.inf
    for x in v:
        if x > m:
            m = x
    if m == -np.inf:
        return m
    s = 0.0
    for x in v:
        s += np.exp(x - m)
    return m + np.log(s)


@njit_inner(cache=True, nogil=True)
def _log_forward(log_startprob, log_transmat, log_b, lo, hi, log_alpha):
    n_states = log_b.shape[1]
    tmp = np.empty(n_states)
    for k in range(n_states):
        log_alpha[0, k] = log_startprob[k] + log_b[lo, k]
    for t in range(1, hi - lo):
        for j in range(n_states):
            for i in range(n_states):
                tmp[i] = log_alpha[t - 1, i] + log_transmat[i, j]
            log_alpha[t, j] = _logsumexp_row(tmp) + log_b[lo + t, j]
    return _logsumexp_row(log_alpha[hi - lo - 1])


@njit_inner(cache=True, nogil=True)
def _log_forward_backward(log_startprob, log_transmat, log_b, lo, hi, log_alpha, gamma, trans_acc):
    """Log-space forward-backward for one sequence (the underflow fallback).

    Each frame's posteriors (and each step's transition posteriors) are normalised by
    their own log-sum rather than the sequence's log-likelihood: at log-likelihoods so
    large that their rounding exceeds the differences between states, they still sum
    to 1.
    """
    n_states = log_b.shape[1]
    n_frames = hi - lo
    loglik = _log_forward(log_startprob, log_transmat, log_b, lo, hi, log_alpha)
    if loglik == -np.inf:
        for t in range(n_frames):
            for k in range(n_states):
                gamma[lo + t, k] = 0.0
        return loglik
    log_beta = np.zeros(n_states)
    new_beta = np.empty(n_states)
    tmp = np.empty(n_states)
    pair = np.empty(n_states * n_states)
    _normalised_exp(log_alpha[n_frames - 1], gamma[hi - 1])
    for t in range(n_frames - 2, -1, -1):
        for i in range(n_states):
            for j in range(n_states):
                tmp[j] = log_transmat[i, j] + log_b[lo + t + 1, j] + log_beta[j]
            new_beta[i] = _logsumexp_row(tmp)
        for i in range(n_states):
            for j in range(n_states):
                w = log_alpha[t, i] + log_transmat[i, j] + log_b[lo + t + 1, j] + log_beta[j]
                pair[i * n_states + j] = w
        _normalised_exp(pair, pair)
        for i in range(n_states):
            for j in range(n_states):
                trans_acc[i, j] += pair[i * n_states + j]
        for k in range(n_states):
            log_beta[k] = new_beta[k]
            tmp[k] = log_alpha[t, k] + log_beta[k]
        _normalised_exp(tmp, gamma[lo + t])
    return loglik


@njit_inner(cache=True, nogil=True)
def _normalised_exp(log_values, out):
    """out = exp(log_values) / sum(exp(log_values)), taken relative to the maximum and
    divided by the sum (not by exp of a rounded log-sum): weights that sum to 1."""
    m = -np.inf
    for x in log_values:
        m = max(m, x)
    total = 0.0
    for k in range(log_values.shape[0]):
        out[k] = np.exp(log_values[k] - m)
        total += out[k]
    for k in range(log_values.shape[0]):
        out[k] /= total


@njit_inner(cache=True, nogil=True)
def _max_length(offsets):
    m = 0
    for s in range(len(offsets) - 1):
        m = max_int(m, offsets[s + 1] - offsets[s])
    return m


@njit(cache=True, nogil=True, fastmath=_FAST, inline="always")
def _add_pass_statistics(gamma, offsets, transmat, outer, start_acc, trans_acc):
    """start_acc += each sequence's first posteriors; trans_acc += transmat * outer."""
    n_states = gamma.shape[1]
    for s in range(len(offsets) - 1):
        for k in range(n_states):
            start_acc[k] += gamma[offsets[s], k]
    for i in range(n_states):
        for j in range(n_states):
            trans_acc[i, j] += transmat[i, j] * outer[i, j]


@njit(cache=True, nogil=True, fastmath=_FAST)
def _scaled_passes(log_b, offsets, startprob, transmat, backward, gamma, outer, start_acc,
                   trans_acc, seq_loglik, underflow, frame_work, factor_work, square_work,
                   state_work, flat_work):  # fmt: skip
    """The scaled passes of :func:`forward_backward` (with ``backward``) or of
    :func:`forward_loglik` (without: the posterior and statistics arrays are not touched).

    Each sequence's log-likelihood goes into ``seq_loglik``, its posteriors into ``gamma``
    and its transition sums into ``outer`` (sum over t of alpha[t-1, i] * b[t, j] *
    beta[t, j] / scale[t]). A sequence whose scaled pass underflows is only marked in
    ``underflow``; returns how many were. When none was, the start and transition
    statistics are added too; otherwise :func:`_log_space_redo` adds them after redoing
    the marked sequences. One kernel serves both uses: it compiles once. The work arrays
    come from :func:`_pass_work` (allocating them here would compile numba's allocation
    routines with this kernel's options, on a first run).
    """
    n_states = log_b.shape[1]
    b, alpha = frame_work[0], frame_work[1]
    scale, shift = factor_work[0], factor_work[1]
    outer_seq, transmat_t = square_work[0], square_work[1]
    for i in range(n_states):
        for j in range(n_states):
            transmat_t[j, i] = transmat[i, j]
    n_underflows = 0
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        n_frames = hi - lo
        _shifted_likelihoods(log_b, lo, hi, b, shift, flat_work)
        ok = True
        for t in range(n_frames):
            if shift[t] == -np.inf:
                ok = False
        if ok:
            ok = _scaled_forward(startprob, transmat_t, b, n_frames, alpha, scale)
        if ok and backward:
            ok = _scaled_backward(transmat, b, alpha, scale, n_frames, lo, gamma, outer_seq,
                                  state_work[0], state_work[1])  # fmt: skip
        if ok:
            log_positive(scale[:n_frames])
            loglik = 0.0
            for t in range(n_frames):
                loglik += scale[t] + shift[t]
            seq_loglik[s] = loglik
            if backward:
                for i in range(n_states):
                    for j in range(n_states):
                        outer[i, j] += outer_seq[i, j]
        else:
            underflow[s] = True
            n_underflows += 1
    if backward and n_underflows == 0:
        _add_pass_statistics(gamma, offsets, transmat, outer, start_acc, trans_acc)
    return n_underflows


@njit(cache=True, nogil=True, fastmath=_FAST)  # as the scaled passes: the same results
def _log_space_redo(log_b, offsets, startprob, transmat, backward, chosen, gamma, outer,
                    start_acc, trans_acc, seq_loglik):  # fmt: skip
    """Redo the sequences ``chosen`` marks, in order, in log space: forward-backward
    (:func:`_log_forward_backward`, then the statistics :func:`_scaled_passes` left out)
    or, without ``backward``, the forward log-likelihoods only."""
    log_alpha = np.empty((_max_length(offsets), log_b.shape[1]))
    log_startprob, log_transmat = np.log(startprob), np.log(transmat)
    for s in range(len(offsets) - 1):
        if chosen[s]:
            lo, hi = offsets[s], offsets[s + 1]
            if backward:
                seq_loglik[s] = _log_forward_backward(
                    log_startprob, log_transmat, log_b, lo, hi, log_alpha, gamma, trans_acc
                )
            else:
                seq_loglik[s] = _log_forward(log_startprob, log_transmat, log_b, lo, hi, log_alpha)
    if backward:
        _add_pass_statistics(gamma, offsets, transmat, outer, start_acc, trans_acc)


def _longest(offsets) -> int:
    """Frames of the longest sequence of a batch."""
    return int(np.max(np.diff(offsets), initial=0))


def _pass_work(log_b, offsets):
    """Work arrays of :func:`_scaled_passes` for the batch's longest sequence: likelihoods
    and forward values (2, T, K), scale factors and shifts (2, T), two (K, K) matrices,
    two (K,) vectors, and the likelihoods' memory as one row (T * K,)."""
    t_max, n_states = _longest(offsets), log_b.shape[1]
    frames = np.empty((2, t_max, n_states))
    return (frames, np.empty((2, t_max)), np.empty((2, n_states, n_states)),
            np.empty((2, n_states)), frames[0].reshape(-1))  # fmt: skip


def forward_backward(log_b, offsets, startprob, transmat, gamma, start_acc, trans_acc, seq_loglik):
    """Posteriors and transition statistics for every sequence of a batch.

    Writes state posteriors into ``gamma`` (n_frames, K), adds the first-frame
    posteriors into ``start_acc`` (K,) and the expected transition counts into
    ``trans_acc`` (K, K), and stores each sequence's log-likelihood in
    ``seq_loglik``. A sequence of zero probability gets -inf and zero posteriors.
    Sequences whose scaled pass underflows are redone in log space by a separate
    kernel, compiled only when a process first meets one.
    """
    n_states = log_b.shape[1]
    outer = np.zeros((n_states, n_states))
    underflow = np.zeros(len(offsets) - 1, dtype=np.bool_)
    args = (log_b, offsets, startprob, transmat, True)
    work = _pass_work(log_b, offsets)
    if _scaled_passes(*args, gamma, outer, start_acc, trans_acc, seq_loglik, underflow, *work):
        _log_space_redo(*args, underflow, gamma, outer, start_acc, trans_acc, seq_loglik)


def forward_loglik(log_b, offsets, startprob, transmat, seq_loglik):
    """Log-likelihood of every sequence by the scaled forward pass (sequences whose pass
    underflows are redone in log space, by a kernel compiled only when first needed)."""
    n_states = log_b.shape[1]
    underflow = np.zeros(len(offsets) - 1, dtype=np.bool_)
    # the forward-backward kernel without its backward pass: arrays it does not touch
    unused = (np.empty((0, n_states)), np.empty((0, 0)), np.empty(0), np.empty((0, 0)))
    args = (log_b, offsets, startprob, transmat, False)
    if _scaled_passes(*args, *unused, seq_loglik, underflow, *_pass_work(log_b, offsets)):
        _log_space_redo(*args, underflow, *unused, seq_loglik)


@njit_inner(cache=True, nogil=True)
def _backtrack(delta, back, lo, hi, path):
    """Write a sequence's best path from its last ``delta`` and back-pointers; return its score."""
    top = -np.inf
    state = 0
    for k in range(len(delta)):
        if delta[k] > top:
            top = delta[k]
            state = k
    path[hi - 1] = state
    for t in range(hi - lo - 1, 0, -1):
        state = back[t, state]
        path[lo + t - 1] = state
    return top


@njit(cache=True, nogil=True, fastmath=_FAST_NO_NAN)
def viterbi(log_b, offsets, startprob, transmat, path, seq_logprob):
    """Most probable state path of every sequence (log space).

    Writes the states into ``path`` (n_frames,) and each sequence's best path
    log-probability into ``seq_logprob``; ties go to the lowest state index.
    """
    log_startprob = np.log(startprob)  # zeros give -inf
    log_transmat = np.log(transmat)
    n_states = log_b.shape[1]
    back = np.empty((_max_length(offsets), n_states), dtype=np.int32)
    delta = np.empty(n_states)
    best = np.empty(n_states)
    arg = np.empty(n_states, dtype=np.int32)
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        for k in range(n_states):
            delta[k] = log_startprob[k] + log_b[lo, k]
        for t in range(1, hi - lo):
            # predecessors in the outer loop, successors vectorised in the inner one;
            # a strict comparison keeps the lowest-index predecessor on ties
            for j in range(n_states):
                best[j] = delta[0] + log_transmat[0, j]
                arg[j] = 0
            for i in range(1, n_states):
                row = log_transmat[i]
                d = delta[i]
                for j in range(n_states):
                    candidate = d + row[j]
                    better = candidate > best[j]
                    best[j] = candidate if better else best[j]
                    arg[j] = i if better else arg[j]
            frame = log_b[lo + t]
            for j in range(n_states):
                back[t, j] = arg[j]
                delta[j] = best[j] + frame[j]
        seq_logprob[s] = _backtrack(delta, back, lo, hi, path)


@njit(cache=True, nogil=True, fastmath=_FAST_NO_NAN)
def viterbi_few_states(log_b, offsets, log_startprob, log_transmat, path, seq_logprob, back,
                       work):  # fmt: skip
    """:func:`viterbi` for a few states: four successors' running maxima kept in registers.

    The same results; faster up to :data:`FEW_STATES` states, where the successor loop
    of :func:`viterbi` is too short to vectorise. It takes the log start and transition
    probabilities, and its work arrays come from :func:`few_states_work` (as
    :func:`_scaled_passes`'): whole-array logarithms and allocations here would compile
    numba's array ufunc and allocation routines with it (a fifth of its first compile).
    """
    n_states = log_b.shape[1]
    n_quads = n_states - n_states % 4
    delta, new = work[0], work[1]
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        for k in range(n_states):
            delta[k] = log_startprob[k] + log_b[lo, k]
        for t in range(1, hi - lo):
            frame = log_b[lo + t]
            back_row = back[t]
            for j in range(0, n_quads, 4):
                d = delta[0]
                b0 = d + log_transmat[0, j]
                b1 = d + log_transmat[0, j + 1]
                b2 = d + log_transmat[0, j + 2]
                b3 = d + log_transmat[0, j + 3]
                a0 = a1 = a2 = a3 = 0
                for i in range(1, n_states):
                    d = delta[i]
                    c0 = d + log_transmat[i, j]
                    c1 = d + log_transmat[i, j + 1]
                    c2 = d + log_transmat[i, j + 2]
                    c3 = d + log_transmat[i, j + 3]
                    if c0 > b0:
                        b0, a0 = c0, i
                    if c1 > b1:
                        b1, a1 = c1, i
                    if c2 > b2:
                        b2, a2 = c2, i
                    if c3 > b3:
                        b3, a3 = c3, i
                back_row[j], back_row[j + 1], back_row[j + 2], back_row[j + 3] = a0, a1, a2, a3
                new[j] = b0 + frame[j]
                new[j + 1] = b1 + frame[j + 1]
                new[j + 2] = b2 + frame[j + 2]
                new[j + 3] = b3 + frame[j + 3]
            for j in range(n_quads, n_states):
                b = delta[0] + log_transmat[0, j]
                a = 0
                for i in range(1, n_states):
                    c = delta[i] + log_transmat[i, j]
                    if c > b:
                        b, a = c, i
                back_row[j] = a
                new[j] = b + frame[j]
            delta, new = new, delta
        seq_logprob[s] = _backtrack(delta, back, lo, hi, path)


#: Up to this many states :func:`viterbi_few_states` is the faster kernel.
FEW_STATES = 8


def few_states_work(log_b, offsets):
    """The work arrays of :func:`viterbi_few_states`: back-pointers for the longest
    sequence (T, K) and two score vectors (2, K)."""
    n_states = log_b.shape[1]
    return np.empty((_longest(offsets), n_states), dtype=np.int32), np.empty((2, n_states))


def run_forward_backward(
    log_b: np.ndarray,
    offsets: np.ndarray,
    startprob,
    transmat,
    gamma: np.ndarray | None = None,
    kernel=None,
):
    """Allocate outputs (``gamma`` may be given) and run :func:`forward_backward` (or
    ``kernel``, a compiled function of the same signature).

    Returns ``(gamma, start_acc, trans_acc, seq_loglik)``.
    """
    n_states = log_b.shape[1]
    if gamma is None:
        gamma = np.empty_like(log_b)
    start_acc = np.zeros(n_states)
    trans_acc = np.zeros((n_states, n_states))
    seq_loglik = np.empty(len(offsets) - 1)
    kernel = forward_backward if kernel is None else kernel
    kernel(log_b, offsets, startprob, transmat, gamma, start_acc, trans_acc, seq_loglik)
    return gamma, start_acc, trans_acc, seq_loglik


def run_forward(
    log_b: np.ndarray, offsets: np.ndarray, startprob, transmat, kernel=None
) -> np.ndarray:
    """Per-sequence log-likelihoods by the scaled forward pass (or ``kernel``, a compiled
    function of :func:`forward_loglik`'s signature)."""
    seq_loglik = np.empty(len(offsets) - 1)
    (forward_loglik if kernel is None else kernel)(log_b, offsets, startprob, transmat, seq_loglik)
    return seq_loglik


def run_viterbi(log_b: np.ndarray, offsets: np.ndarray, startprob, transmat):
    """Viterbi paths and per-sequence log-probabilities: ``(path, seq_logprob)``."""
    path = np.empty(log_b.shape[0], dtype=np.int64)
    seq_logprob = np.empty(len(offsets) - 1)
    if log_b.shape[1] <= FEW_STATES:
        work = few_states_work(log_b, offsets)
        with np.errstate(divide="ignore"):  # log(0) = -inf: impossible
            log_startprob, log_transmat = np.log(startprob), np.log(transmat)
        viterbi_few_states(log_b, offsets, log_startprob, log_transmat, path, seq_logprob, *work)
    else:
        viterbi(log_b, offsets, startprob, transmat, path, seq_logprob)
    return path, seq_logprob


# ------------------------------------------------ log space throughout (implementation="log")


@njit_inner(cache=True, nogil=True)
def _log_space(log_b, offsets, startprob, transmat):
    """Log start and transition probabilities and a forward buffer for the longest sequence."""
    log_alpha = np.empty((_max_length(offsets), log_b.shape[1]))
    return np.log(startprob), np.log(transmat), log_alpha


@njit(cache=True, nogil=True)
def log_forward_backward(
    log_b, offsets, startprob, transmat, gamma, start_acc, trans_acc, seq_loglik
):
    """Posteriors, start and transition statistics of every sequence, in log space.

    Writes ``gamma`` (n_frames, K), adds into ``start_acc`` (K,) and ``trans_acc``
    (K, K), and stores each sequence's log-likelihood in ``seq_loglik``; a sequence of
    zero probability gets -inf and zero posteriors.
    """
    log_startprob, log_transmat, log_alpha = _log_space(log_b, offsets, startprob, transmat)
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        seq_loglik[s] = _log_forward_backward(
            log_startprob, log_transmat, log_b, lo, hi, log_alpha, gamma, trans_acc
        )
        for k in range(log_b.shape[1]):
            start_acc[k] += gamma[lo, k]


@njit(cache=True, nogil=True)
def log_forward_loglik(log_b, offsets, startprob, transmat, seq_loglik):
    """Log-likelihood of every sequence by the forward recursion in log space."""
    log_startprob, log_transmat, log_alpha = _log_space(log_b, offsets, startprob, transmat)
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        seq_loglik[s] = _log_forward(log_startprob, log_transmat, log_b, lo, hi, log_alpha)


@njit(cache=True, nogil=True)
def markov_chain(cum_transmat, first_state, uniforms, states):
    """Fill ``states`` with a Markov chain from ``first_state``, one uniform draw per step."""
    state = first_state
    states[0] = state
    n_states = cum_transmat.shape[0]
    for t in range(1, states.shape[0]):
        u = uniforms[t] * cum_transmat[state, n_states - 1]
        nxt = 0
        while nxt < n_states - 1 and cum_transmat[state, nxt] <= u:
            nxt += 1
        state = nxt
        states[t] = state
