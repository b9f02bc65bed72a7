"""Easel's fast random number generator (esl_random), reproduced to the bit."""

from __future__ import annotations

import numpy as np

from ...compiling import njit

#: The shift of each of the nine steps of Bob Jenkins' mix (positive: right, negative: left).
_MIX_SHIFTS = np.array([13, -8, 13, 12, -16, 5, 3, -10, 15], dtype=np.int64)


@njit(cache=True, nogil=True)
def _mix3(a, b, c):
    """Bob Jenkins' mix of three 32-bit words, with which Easel seeds its fast generator:
    step s changes word s % 3, subtracting the two others, then xors in the word before
    it shifted by _MIX_SHIFTS[s]; returns the third word."""
    m = 0xFFFFFFFF
    w = np.array([a, b, c], dtype=np.int64)
    for step in range(9):
        x, y, z = step % 3, (step + 1) % 3, (step + 2) % 3
        w[x] = (w[x] - w[y] - w[z]) & m
        shift = _MIX_SHIFTS[step]
        w[x] ^= (w[z] >> shift) if shift > 0 else ((w[z] << -shift) & m)
    return np.uint32(w[2])


@njit(cache=True, nogil=True)
def rng_state(seed):
    """Initial state of Easel's fast generator (esl_randomness_CreateFast) for `seed` > 0."""
    state = np.zeros(1, dtype=np.uint64)
    x = _mix3(np.uint32(seed), np.uint32(87654321), np.uint32(12345678))
    if x == 0:
        x = np.uint32(42)
    state[0] = np.uint64(x)
    return state


@njit(cache=True, nogil=True)
def rng_uniform(state):
    """Next uniform deviate on [0, 1) from Easel's (a=69069, c=1) LCG; advances `state`."""
    x = (state[0] * np.uint64(69069) + np.uint64(1)) & np.uint64(0xFFFFFFFF)
    state[0] = x
    return float(x) / 4294967296.0


@njit(cache=True, nogil=True)
def rng_choose(state, p):
    """esl_rnd_FChoose: sample an index from the (unnormalized) weights `p`."""
    roll = rng_uniform(state)
    norm = 0.0
    for j in range(p.shape[0]):
        norm += p[j]
    acc = 0.0
    for j in range(p.shape[0]):
        acc += p[j]
        if roll < acc / norm:
            return j
    return p.shape[0] - 1


@njit(cache=True, nogil=True)
def random_iid(state, f32_freqs, L):
    """esl_rsq_xfIID: an i.i.d. digital sequence of length L from float32 frequencies."""
    out = np.empty(L, dtype=np.uint8)
    p = f32_freqs.astype(np.float64)
    # rng_choose's cumulative fractions, the same floats, computed once for every draw
    K = p.shape[0]
    norm = 0.0
    for j in range(K):
        norm += p[j]
    cut = np.empty(K)
    acc = 0.0
    for j in range(K):
        acc += p[j]
        cut[j] = acc / norm
    for i in range(L):
        roll = rng_uniform(state)
        j = 0
        while j < K - 1 and not roll < cut[j]:
            j += 1
        out[i] = j
    return out
