"""Easel's fast random number generator (esl_random), reproduced to the bit."""

from __future__ import annotations

import numpy as np

from ...compiling import njit


@njit(cache=True, nogil=True)
def _mix3(a, b, c):
    m = np.uint32(0xFFFFFFFF)
    a = np.uint32(a)
    b = np.uint32(b)
    c = np.uint32(c)
    a = np.uint32((a - b) & m)
    a = np.uint32((a - c) & m)
    a ^= c >> np.uint32(13)  # noqa: E702
    b = np.uint32((b - c) & m)
    b = np.uint32((b - a) & m)
    b ^= np.uint32((a << np.uint32(8)) & m)  # noqa: E702,E501
    c = np.uint32((c - a) & m)
    c = np.uint32((c - b) & m)
    c ^= b >> np.uint32(13)  # noqa: E702
    a = np.uint32((a - b) & m)
    a = np.uint32((a - c) & m)
    a ^= c >> np.uint32(12)  # noqa: E702
    b = np.uint32((b - c) & m)
    b = np.uint32((b - a) & m)
    b ^= np.uint32((a << np.uint32(16)) & m)  # noqa: E702,E501
    c = np.uint32((c - a) & m)
    c = np.uint32((c - b) & m)
    c ^= b >> np.uint32(5)  # noqa: E702
    a = np.uint32((a - b) & m)
    a = np.uint32((a - c) & m)
    a ^= c >> np.uint32(3)  # noqa: E702
    b = np.uint32((b - c) & m)
    b = np.uint32((b - a) & m)
    b ^= np.uint32((a << np.uint32(10)) & m)  # noqa: E702,E501
    c = np.uint32((c - a) & m)
    c = np.uint32((c - b) & m)
    c ^= b >> np.uint32(15)  # noqa: E702
    return c


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
    for i in range(L):
        out[i] = rng_choose(state, p)
    return out
