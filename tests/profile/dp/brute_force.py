"""Brute-force truth for the DP tests: tiny random profiles and every state path through
them, enumerated explicitly (no dynamic programming)."""

from __future__ import annotations

import numpy as np

from hmmkit.profile import DNA, ProfileHMM, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.plan7 import ST_B, ST_C, ST_D, ST_E, ST_I, ST_J, ST_M, ST_N, ST_S, ST_T

CONFIGS = [("local", True), ("local", False), ("glocal", True), ("glocal", False)]


def random_model(rng: np.random.Generator, M: int) -> ProfileHMM:
    """A random DNA profile HMM with HMMER's boundary conventions."""
    t = np.zeros((M + 1, 7))
    for k in range(M + 1):
        t[k, 0:3] = rng.dirichlet([4.0, 1.0, 1.0])
        t[k, 3:5] = rng.dirichlet([2.0, 1.0])
        t[k, 5:7] = rng.dirichlet([2.0, 1.0]) if k > 0 else [1.0, 0.0]
    t[M] = [1 - t[M, 1], t[M, 1], 0.0, t[M, 3], t[M, 4], 1.0, 0.0]
    match = np.vstack([np.eye(1, 4)[0], rng.dirichlet(np.ones(4) * 0.7, size=M)])
    insert = rng.dirichlet(np.ones(4) * 5, size=M + 1)
    return ProfileHMM(DNA, t, match, insert, name="random")


def tiny_case(seed: int, M: int, residues: str, mode: str = "local", multihit: bool = True):
    """(profile, dsq): a random DNA model of M nodes configured for `residues`, digitised."""
    model = random_model(np.random.default_rng(seed), M)
    dsq = digitize(residues, DNA)
    return configure(model, len(dsq), mode=mode, multihit=multihit), dsq


def enumerate_paths(profile, dsq) -> np.ndarray:
    """Odds of every complete state path emitting `dsq` (explicit enumeration)."""
    return np.array([odds for odds, *_ in traced_paths(profile, dsq)])


def enumerate_with_forced_match(profile, dsq, i_forced, k_forced) -> float:
    """Summed odds of the paths in which M_k emits residue i."""
    return sum(
        odds
        for odds, st, kk, ii in traced_paths(profile, dsq)
        if np.any((st == ST_M) & (kk == k_forced) & (ii == i_forced))
    )


def traced_paths(profile, dsq) -> list[tuple[float, np.ndarray, np.ndarray, np.ndarray]]:
    """Every complete path emitting `dsq` with nonzero odds, as (odds, states, k, i) in
    HMMER's trace conventions: S N ... B ... E C ... T, ``i`` the residue a state emitted
    (0 for non-emitting steps and for the first N, C or J of a run)."""
    tp, me, ie, xp, local = profile.kernel_arrays()
    M, L = profile.M, len(dsq)
    found = []

    def go(path, i, p):
        if p == 0.0:
            return
        state, k, _ = path[-1]

        def step(s, kk, emits, q):
            go(path + [(s, kk, i + 1 if emits else 0)], i + 1 if emits else i, q)

        if state in (ST_N, ST_J, ST_C):
            row = {ST_N: dp.XN, ST_J: dp.XJ, ST_C: dp.XC}[state]
            if i < L:
                step(state, 0, True, p * xp[row, dp.LOOP])
            if state == ST_C:
                if i == L:
                    found.append((p * xp[dp.XC, dp.MOVE], path + [(ST_T, 0, 0)]))
            else:
                step(ST_B, 0, False, p * xp[row, dp.MOVE])
        elif state == ST_B:
            for kk in range(1, M + 1):
                if i < L:
                    step(ST_M, kk, True, p * tp[kk - 1, dp.TBM] * me[dsq[i], kk])
        elif state in (ST_M, ST_D):
            if local > 0 or k == M:
                step(ST_E, 0, False, p)
            if k < M:
                into, down = (dp.TMM, dp.TMD) if state == ST_M else (dp.TDM, dp.TDD)
                if i < L:
                    step(ST_M, k + 1, True, p * tp[k, into] * me[dsq[i], k + 1])
                step(ST_D, k + 1, False, p * tp[k, down])
                if state == ST_M and i < L:
                    step(ST_I, k, True, p * tp[k, dp.TMI] * ie[dsq[i], k])
        elif state == ST_I:
            if i < L:
                step(ST_M, k + 1, True, p * tp[k, dp.TIM] * me[dsq[i], k + 1])
                step(ST_I, k, True, p * tp[k, dp.TII] * ie[dsq[i], k])
        elif state == ST_E:
            step(ST_C, 0, False, p * xp[dp.XE, dp.MOVE])
            step(ST_J, 0, False, p * xp[dp.XE, dp.LOOP])

    go([(ST_S, 0, 0), (ST_N, 0, 0)], 0, 1.0)
    out = []
    for p, path in found:
        st, kk, ii = (np.array(column, dtype=np.int64) for column in zip(*path, strict=True))
        out.append((p, st, kk, ii))
    return out
