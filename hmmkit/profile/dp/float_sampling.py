"""Stochastic tracebacks in single precision, step for step as HMMER's vectorized code.

Domain definition clusters 200 paths sampled from a region's Forward matrix. Each choice
compares a uniform deviate with cumulative path probabilities, and one choice that goes
the other way shifts every later draw; in a long or weak multi-domain region, envelopes
then move. HMMER computes that Forward matrix in single precision with its 4-lane striped
kernel (parameters through a polynomial exp, sparse rescaling) and samples in single
precision; a double-precision matrix differs from it by ~1e-6 and the ensemble sometimes
follows another path. This module reproduces HMMER's arithmetic operation by operation:
the profile's single-precision odds (:func:`float_profile`), the Forward matrix
(:func:`float_forward`) and the sampled path (:func:`float_stochastic_trace_reversed`).
Cells are stored by node k; a lane r of vector q holds node ``r*Q + q + 1``.
"""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from ..digital import code_table
from .rng import rng_choose, rng_uniform

F32 = np.float32
# Node-vector rows of the transition table (HMMER's per-vector order, then D->D).
TBM, TMM, TIM, TDM, TMD, TMI, TII, TDD = range(8)
NL, NM, EL, EM, CL, CM, JL, JM = range(8)  # specials: N/E/C/J loop and move

_P = np.array([1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
               1.6666665459e-1, 5.0000001201e-1], dtype=np.float32)  # fmt: skip
_C0, _C1 = F32(0.693359375), F32(-2.12194440e-4)
_MAXLOGF, _MINLOGF = F32(88.3762626647949), F32(-88.3762626647949)
_LOG2R = F32(1.44269504088896341)
_HALF, _ONE, _ZERO = F32(0.5), F32(1.0), F32(0.0)
_RESCALE = F32(1.0e4)


@njit(cache=True, nogil=True)
def polynomial_expf(x):
    """exp(x) of a float32 by the Cephes polynomial of HMMER's vector code (esl_sse_expf),
    to the last bit."""
    if x > _MAXLOGF:
        return F32(np.inf)
    if not x > _MINLOGF:  # also -inf
        return _ZERO
    fx = F32(F32(x * _LOG2R) + _HALF)
    tmp = F32(int(fx))
    if tmp > fx:
        tmp = F32(tmp - _ONE)
    k = int(tmp)
    x = F32(F32(x - F32(tmp * _C0)) - F32(tmp * _C1))
    z = F32(x * x)
    y = _P[0]
    for c in range(1, 6):
        y = F32(F32(y * x) + _P[c])
    y = F32(F32(F32(y * z) + x) + _ONE)
    if k + 127 <= 0:
        return _ZERO
    return F32(y * F32(2.0**k))


@njit(cache=True, nogil=True)
def _expf_array(scores):
    out = np.empty(scores.shape, dtype=np.float32)
    flat, res = scores.ravel(), out.ravel()
    for n in range(flat.shape[0]):
        res[n] = polynomial_expf(flat[n])
    return out


def entry_odds(hmm) -> np.ndarray:
    """Local-mode B->M_k odds (M+1,) as HMMER computes them: match occupancy in single
    precision (its recurrence mixes one double term), normalized, logged in double, and
    exponentiated by :func:`polynomial_expf`."""
    t = np.asarray(hmm.transitions, dtype=np.float32)
    M = hmm.M
    occ = np.zeros(M + 1, dtype=np.float32)
    occ[1] = t[0, 1] + t[0, 0]
    for k in range(2, M + 1):
        kept = F32(occ[k - 1] * F32(t[k - 1, 0] + t[k - 1, 1]))
        occ[k] = F32(float(kept) + (1.0 - float(occ[k - 1])) * float(t[k - 1, 5]))
    z = F32(0.0)
    for k in range(1, M + 1):
        z = F32(z + F32(occ[k] * F32(M - k + 1)))
    with np.errstate(divide="ignore"):
        scores = np.log((occ / z).astype(np.float32).astype(np.float64)).astype(np.float32)
    out = _expf_array(scores)
    out[0] = 0.0
    return out


def float_profile(profile, entry=None):
    """HMMER's single-precision odds of a search profile: (tv, ev, xf); ``entry`` the
    local B->M odds from :func:`entry_odds` (else taken from the profile's scores).

    ``tv`` (8, M+1): per node k the transitions into k (B->M, M->M, I->M, D->M from node
    k-1) and out of k (M->D, M->I, I->I, D->D), 0 where there is none; ``ev`` (codes, M+1)
    match emission odds by digital code; ``xf`` (8,) the special loop/move probabilities.
    """
    M = profile.M
    tsc = profile.tsc.astype(np.float32)
    tv = np.full((8, M + 1), -np.inf, dtype=np.float32)
    cols = {TBM: p7.BM, TMM: p7.MM, TIM: p7.IM, TDM: p7.DM}
    for row, col in cols.items():
        tv[row, 1:] = tsc[:M, col]
    for row, col in {TMD: p7.MD, TMI: p7.MI, TII: p7.II, TDD: p7.DD}.items():
        tv[row, 1:M] = tsc[1:M, col]
    tv = _expf_array(tv)
    tv[:, 0] = 0.0
    if entry is not None:
        tv[TBM] = entry
    ev = _expf_array(_float_match_scores(profile))
    ev[:, 0] = 0.0
    with np.errstate(over="ignore"):
        return tv, ev, special_odds(np.exp(profile.xsc))


def special_odds(xp) -> np.ndarray:
    """The (8,) single-precision N/E/C/J loop and move probabilities of (4, 2) ``xp``."""
    xp = xp.astype(np.float32)
    return np.array([xp[p7.XN, p7.LOOP], xp[p7.XN, p7.MOVE], xp[p7.XE, p7.LOOP],
                     xp[p7.XE, p7.MOVE], xp[p7.XC, p7.LOOP], xp[p7.XC, p7.MOVE],
                     xp[p7.XJ, p7.LOOP], xp[p7.XJ, p7.MOVE]], dtype=np.float32)  # fmt: skip


def _float_match_scores(profile) -> np.ndarray:
    """Match log-odds as HMMER stores them: computed in double, kept in single precision;
    degenerate codes the background-weighted mean in single precision."""
    K = profile.alphabet.size
    bgf = np.asarray(profile.background.frequencies, dtype=np.float32)
    sc = profile.msc[:K].astype(np.float32)  # log(p / f) in double, stored in single
    out = np.full(profile.msc.shape, -np.inf, dtype=np.float32)
    out[:K] = sc
    table = code_table(profile.alphabet)
    degen = table.degeneracy
    for code in range(K + 1, table.nonresidue):
        result = np.zeros(sc.shape[1], dtype=np.float32)
        denom = F32(0.0)
        for i in np.flatnonzero(degen[code]):
            result = (result + sc[i] * bgf[i]).astype(np.float32)
            denom = F32(denom + bgf[i])
        out[code] = (result / denom).astype(np.float32)
    out[:, 0] = -np.inf
    return out


@njit(cache=True, nogil=True)
def _rightshift(v):
    for r in range(3, 0, -1):
        v[r] = v[r - 1]
    v[0] = _ZERO


@njit(cache=True, nogil=True)
def float_forward(dsq, tv, ev, xf):
    """HMMER's vectorized Forward (p7_Forward) in single precision: (mx, ix, dx, xmx,
    scale). ``xmx`` rows hold N B E C J; ``scale[i]`` is row i's sparse rescaling factor
    (1 where the row was not rescaled)."""
    L = dsq.shape[0]
    M = tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    W = 4 * Q
    mx = np.zeros((L + 1, W + 1), dtype=np.float32)
    ix = np.zeros((L + 1, W + 1), dtype=np.float32)
    dx = np.zeros((L + 1, W + 1), dtype=np.float32)
    xmx = np.zeros((L + 1, 5), dtype=np.float32)
    scale = np.ones(L + 1, dtype=np.float32)
    t = np.zeros((8, W + 1), dtype=np.float32)
    t[:, : M + 1] = tv
    e = np.zeros((ev.shape[0], W + 1), dtype=np.float32)
    e[:, : M + 1] = ev
    xN, xB, xJ, xC = _ONE, xf[NM], _ZERO, _ZERO
    xmx[0, p7.SN], xmx[0, p7.SB] = xN, xB
    xEv = np.zeros(4, dtype=np.float32)
    dcv = np.zeros(4, dtype=np.float32)
    cv = np.zeros(4, dtype=np.bool_)
    for i in range(1, L + 1):
        er = e[dsq[i - 1]]
        mp, ip, dpv = mx[i - 1], ix[i - 1], dx[i - 1]
        mc, ic, dc = mx[i], ix[i], dx[i]
        xEv[:] = _ZERO
        dcv[:] = _ZERO
        for q in range(Q):
            for r in range(4):
                k = r * Q + q + 1
                sv = F32(xB * t[TBM, k])
                sv = F32(sv + F32(mp[k - 1] * t[TMM, k]))
                sv = F32(sv + F32(ip[k - 1] * t[TIM, k]))
                sv = F32(sv + F32(dpv[k - 1] * t[TDM, k]))
                sv = F32(sv * er[k])
                xEv[r] = F32(xEv[r] + sv)
                mc[k] = sv
                dc[k] = dcv[r]
                dcv[r] = F32(sv * t[TMD, k])
                ic[k] = F32(F32(mp[k] * t[TMI, k]) + F32(ip[k] * t[TII, k]))
        _rightshift(dcv)
        for r in range(4):
            dc[r * Q + 1] = _ZERO
        for q in range(Q):
            for r in range(4):
                k = r * Q + q + 1
                dc[k] = F32(dcv[r] + dc[k])
                dcv[r] = F32(dc[k] * t[TDD, k])
        for _ in range(3):
            _rightshift(dcv)
            cv[:] = False
            for q in range(Q):
                for r in range(4):
                    k = r * Q + q + 1
                    sv = F32(dcv[r] + dc[k])
                    cv[r] = cv[r] or sv > dc[k]
                    dc[k] = sv
                    dcv[r] = F32(dcv[r] * t[TDD, k])
            if M >= 100 and not (cv[0] or cv[1] or cv[2] or cv[3]):
                break
        for q in range(Q):
            for r in range(4):
                xEv[r] = F32(dc[r * Q + q + 1] + xEv[r])
        xE = F32(F32(xEv[0] + xEv[1]) + F32(xEv[2] + xEv[3]))
        xN = F32(xN * xf[NL])
        xC = F32(F32(xC * xf[CL]) + F32(xE * xf[EM]))
        xJ = F32(F32(xJ * xf[JL]) + F32(xE * xf[EL]))
        xB = F32(F32(xJ * xf[JM]) + F32(xN * xf[NM]))
        if xE > _RESCALE:
            xN, xC, xJ, xB = F32(xN / xE), F32(xC / xE), F32(xJ / xE), F32(xB / xE)
            inv = F32(1.0 / float(xE))
            for k in range(1, W + 1):
                mc[k] = F32(mc[k] * inv)
                dc[k] = F32(dc[k] * inv)
                ic[k] = F32(ic[k] * inv)
            scale[i] = xE
            xE = _ONE
        xmx[i, p7.SN], xmx[i, p7.SB], xmx[i, p7.SE] = xN, xB, xE
        xmx[i, p7.SC], xmx[i, p7.SJ] = xC, xJ
    return mx, ix, dx, xmx, scale


@njit(cache=True, nogil=True)
def _choose(state, path, n):
    """esl_vec_FNorm (Kahan-summed) then esl_rnd_FChoose on the first `n` entries."""
    s = _ZERO
    c = _ZERO
    for j in range(n):
        y = F32(path[j] - c)
        tt = F32(s + y)
        c = F32(F32(tt - s) - y)
        s = tt
    for j in range(n):
        path[j] = F32(path[j] / s) if s != _ZERO else F32(_ONE / F32(n))
    return rng_choose(state, path[:n])


@njit(cache=True, nogil=True)
def _exit_in_vector(row, q, Q, norm, roll, total):
    """Add vector q's four cells of ``row`` (times ``norm``) to ``total`` until it passes
    ``roll``: (total, node chosen or 0)."""
    for r in range(4):
        total = F32(total + F32(row[r * Q + q + 1] * norm))
        if roll < total:
            return total, r * Q + q + 1
    return total, 0


@njit(cache=True, nogil=True)
def float_stochastic_trace_reversed(state, tv, xf, mx, ix, dx, xmx, scale, M, st, kk, ii):
    """Sample a path (p7_StochasticTrace) from :func:`float_forward`'s matrices into the
    caller's buffers, T first; returns its length (as plan7.stochastic_trace_reversed)."""
    L = mx.shape[0] - 1
    W = mx.shape[1] - 1
    Q = W // 4
    path = np.zeros(4, dtype=np.float32)
    st[0], kk[0], ii[0] = p7.ST_T, 0, 0
    st[1], kk[1], ii[1] = p7.ST_C, 0, 0
    n = 2
    i, k, s = L, 0, p7.ST_C
    while s != p7.ST_S:
        if s == p7.ST_C or s == p7.ST_J:
            loop, eout, sx = (CL, EM, p7.SC) if s == p7.ST_C else (JL, EL, p7.SJ)
            path[0] = F32(xmx[i - 1, sx] * xf[loop]) if i > 0 else _ZERO
            path[1] = F32(F32(xmx[i, p7.SE] * xf[eout]) * scale[i])
            if _choose(state, path, 2) == 0:
                ii[n - 1] = i
                i -= 1
            else:
                s = p7.ST_E
        elif s == p7.ST_N:
            if i == 0:
                s = p7.ST_S
            else:  # N emitted residue i
                ii[n - 1] = i
                i -= 1
        elif s == p7.ST_E:
            roll = F32(rng_uniform(state))
            norm = F32(1.0 / float(xmx[i, p7.SE]))
            total = _ZERO
            s = -1
            while s < 0:
                for q in range(Q):
                    total, k = _exit_in_vector(mx[i], q, Q, norm, roll, total)
                    if k > 0:
                        s = p7.ST_M
                        break
                    total, k = _exit_in_vector(dx[i], q, Q, norm, roll, total)
                    if k > 0:
                        s = p7.ST_D
                        break
                if s < 0 and total < F32(0.99):
                    s, k = p7.ST_M, M  # unnormalized: HMMER would stop with an error
        elif s == p7.ST_B:
            path[0] = F32(xmx[i, p7.SN] * xf[NM])
            path[1] = F32(xmx[i, p7.SJ] * xf[JM])
            s = p7.ST_N if _choose(state, path, 2) == 0 else p7.ST_J
        elif s == p7.ST_M:
            path[0] = F32(xmx[i - 1, p7.SB] * tv[TBM, k])
            path[1] = F32(mx[i - 1, k - 1] * tv[TMM, k])
            path[2] = F32(ix[i - 1, k - 1] * tv[TIM, k])
            path[3] = F32(dx[i - 1, k - 1] * tv[TDM, k])
            c = _choose(state, path, 4)
            s = p7.ST_B if c == 0 else (p7.ST_M if c == 1 else (p7.ST_I if c == 2 else p7.ST_D))
            i -= 1
            k -= 1
        elif s == p7.ST_D:
            path[0] = F32(mx[i, k - 1] * tv[TMD, k - 1])
            path[1] = F32(dx[i, k - 1] * tv[TDD, k - 1])
            s = p7.ST_M if _choose(state, path, 2) == 0 else p7.ST_D
            k -= 1
        elif s == p7.ST_I:
            path[0] = F32(mx[i - 1, k] * tv[TMI, k])
            path[1] = F32(ix[i - 1, k] * tv[TII, k])
            s = p7.ST_M if _choose(state, path, 2) == 0 else p7.ST_I
            i -= 1
        st[n] = s
        kk[n] = k if (s == p7.ST_M or s == p7.ST_D or s == p7.ST_I) else 0
        ii[n] = i if (s == p7.ST_M or s == p7.ST_I) else 0
        n += 1
    return n
