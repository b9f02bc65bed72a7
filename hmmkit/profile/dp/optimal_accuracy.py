"""Optimal accuracy alignment (p7_GOptimalAccuracy, p7_GOATrace)."""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from .viterbi import begin_traceback, reverse_trace

NEG_INF = -np.inf


@njit(cache=True, nogil=True, inline="always")
def _best_allowed(a, a_allowed, b, b_allowed):
    """The larger of `a` and `b` among those allowed; -inf when neither is."""
    v = a if a_allowed else NEG_INF
    return max(v, b) if b_allowed else v


@njit(cache=True, nogil=True)
def optimal_accuracy(pm, pi, px, tmask, xmask, local):
    """Optimal accuracy DP (p7_GOptimalAccuracy): returns (mx, ix, dx, xmx, score).

    ``tmask`` (M+1, 8) and ``xmask`` (4, 2) are 1.0 where a transition is possible.
    The score is the expected number of correctly aligned residues.
    """
    L = pm.shape[0] - 1
    M = pm.shape[1] - 1
    mx = np.full((L + 1, M + 1), NEG_INF)
    ix = np.full((L + 1, M + 1), NEG_INF)
    dx = np.full((L + 1, M + 1), NEG_INF)
    xmx = np.full((L + 1, 5), NEG_INF)
    score = optimal_accuracy_into(pm, pi, px, tmask, xmask, local, mx, ix, dx, xmx)
    return mx, ix, dx, xmx, score


@njit(cache=True, nogil=True, inline="always")
def oa_borders(mx, ix, dx, xmx):
    """Set the cells of optimal accuracy matrices that :func:`optimal_accuracy_into` reads
    but never writes (row 0, node 0, insert M, delete 1), for matrices reused between
    calls."""
    L = mx.shape[0] - 1
    M = mx.shape[1] - 1
    for k in range(M + 1):
        mx[0, k] = NEG_INF
        ix[0, k] = NEG_INF
        dx[0, k] = NEG_INF
    for i in range(L + 1):
        mx[i, 0] = NEG_INF
        ix[i, 0] = NEG_INF
        dx[i, 0] = NEG_INF
        ix[i, M] = NEG_INF
        dx[i, 1] = NEG_INF
    for c in range(5):
        xmx[0, c] = NEG_INF


@njit(cache=True, nogil=True)
def optimal_accuracy_into(pm, pi, px, tmask, xmask, local, mx, ix, dx, xmx):
    """:func:`optimal_accuracy` into given matrices (-inf in the cells of
    :func:`oa_borders`, the rest is overwritten); returns the score."""
    L = pm.shape[0] - 1
    M = pm.shape[1] - 1
    xmx[0, p7.SN] = 0.0
    xmx[0, p7.SB] = 0.0
    for i in range(1, L + 1):
        xE = NEG_INF
        for k in range(1, M + 1):
            p = pm[i, k]
            sc = NEG_INF
            if tmask[k - 1, p7.BM] > 0.0:
                sc = xmx[i - 1, p7.SB] + p
            if k > 1:
                if tmask[k - 1, p7.MM] > 0.0:
                    sc = max(sc, mx[i - 1, k - 1] + p)
                if tmask[k - 1, p7.IM] > 0.0:
                    sc = max(sc, ix[i - 1, k - 1] + p)
                if tmask[k - 1, p7.DM] > 0.0:
                    sc = max(sc, dx[i - 1, k - 1] + p)
            mx[i, k] = sc
            if k < M:
                if local > 0.0:
                    xE = max(xE, sc)
                ix[i, k] = _best_allowed(mx[i - 1, k] + pi[i, k], tmask[k, p7.MI] > 0.0,
                                         ix[i - 1, k] + pi[i, k], tmask[k, p7.II] > 0.0)
            if k > 1:
                dx[i, k] = _best_allowed(mx[i, k - 1], tmask[k - 1, p7.MD] > 0.0,
                                         dx[i, k - 1], tmask[k - 1, p7.DD] > 0.0)
        xE = max(xE, max(mx[i, M], dx[i, M]))
        xmx[i, p7.SE] = xE
        xmx[i, p7.SJ] = _best_allowed(xmx[i - 1, p7.SJ] + px[i, p7.SJ],
                                      xmask[p7.XJ, p7.LOOP] > 0.0, xE, xmask[p7.XE, p7.LOOP] > 0.0)
        xmx[i, p7.SC] = _best_allowed(xmx[i - 1, p7.SC] + px[i, p7.SC],
                                      xmask[p7.XC, p7.LOOP] > 0.0, xE, xmask[p7.XE, p7.MOVE] > 0.0)
        xmx[i, p7.SN] = xmx[i - 1, p7.SN] + px[i, p7.SN] if xmask[p7.XN, p7.LOOP] > 0.0 else NEG_INF
        xmx[i, p7.SB] = _best_allowed(xmx[i, p7.SN], xmask[p7.XN, p7.MOVE] > 0.0,
                                      xmx[i, p7.SJ], xmask[p7.XJ, p7.MOVE] > 0.0)
    return xmx[L, p7.SC]


@njit(cache=True, nogil=True)
def oa_trace(pm, pi, px, tmask, xmask, local, mx, ix, dx, xmx):
    """Traceback of the optimal accuracy matrix (p7_GOATrace).

    Returns (states, k, i, pp): pp is the posterior probability of each emitted residue.
    """
    L = pm.shape[0] - 1
    M = pm.shape[1] - 1
    st, kk, ii, n = begin_traceback(L, M)
    pp = np.zeros(st.shape[0])
    i = L
    k = 0
    s = p7.ST_C
    while s != p7.ST_S:
        if s == p7.ST_C or s == p7.ST_J:
            col, row = (p7.SC, p7.XC) if s == p7.ST_C else (p7.SJ, p7.XJ)
            loop_ok = i > 0 and xmask[row, p7.LOOP] > 0.0
            a = xmx[i - 1, col] + px[i, col] if loop_ok else NEG_INF
            from_e = xmask[p7.XE, p7.MOVE if s == p7.ST_C else p7.LOOP] > 0.0
            b = xmx[i, p7.SE] if from_e else NEG_INF
            if a > b:  # this C/J emitted residue i
                ii[n - 1] = i
                pp[n - 1] = px[i, col]
                i -= 1
            else:
                s = p7.ST_E
        elif s == p7.ST_N:
            if i > 0:
                ii[n - 1] = i
                pp[n - 1] = px[i, p7.SN]
                i -= 1
                s = p7.ST_N
            else:
                s = p7.ST_S
        elif s == p7.ST_E:
            if local > 0.0:
                best = NEG_INF
                s = -1
                for k2 in range(1, M + 1):
                    if mx[i, k2] >= best:
                        best = mx[i, k2]
                        s, k = p7.ST_M, k2
                    if dx[i, k2] > best:
                        best = dx[i, k2]
                        s, k = p7.ST_D, k2
            else:
                k = M
                s = p7.ST_M if mx[i, M] >= dx[i, M] else p7.ST_D
        elif s == p7.ST_B:
            a = xmx[i, p7.SN] if xmask[p7.XN, p7.MOVE] > 0.0 else NEG_INF
            b = xmx[i, p7.SJ] if xmask[p7.XJ, p7.MOVE] > 0.0 else NEG_INF
            s = p7.ST_N if a > b else p7.ST_J
        elif s == p7.ST_M:
            kp = k - 1
            ip = i - 1
            best = NEG_INF
            s = -1
            if kp > 0:
                if tmask[kp, p7.MM] > 0.0 and mx[ip, kp] > best:
                    best, s = mx[ip, kp], p7.ST_M
                if tmask[kp, p7.IM] > 0.0 and ix[ip, kp] > best:
                    best, s = ix[ip, kp], p7.ST_I
                if tmask[kp, p7.DM] > 0.0 and dx[ip, kp] > best:
                    best, s = dx[ip, kp], p7.ST_D
            if tmask[kp, p7.BM] > 0.0 and xmx[ip, p7.SB] > best:
                best, s = xmx[ip, p7.SB], p7.ST_B
            if s == -1 and best == NEG_INF:
                s = p7.ST_B
            i = ip
            k = kp
        elif s == p7.ST_D:
            a = mx[i, k - 1] if tmask[k - 1, p7.MD] > 0.0 else NEG_INF
            b = dx[i, k - 1] if tmask[k - 1, p7.DD] > 0.0 else NEG_INF
            s = p7.ST_M if a >= b else p7.ST_D
            k -= 1
        elif s == p7.ST_I:
            a = mx[i - 1, k] if tmask[k, p7.MI] > 0.0 else NEG_INF
            b = ix[i - 1, k] if tmask[k, p7.II] > 0.0 else NEG_INF
            s = p7.ST_M if a >= b else p7.ST_I
            i -= 1
        if s < 0:
            return st[:0], kk[:0], ii[:0], pp[:0]
        st[n] = s
        if s == p7.ST_M or s == p7.ST_D or s == p7.ST_I:
            kk[n] = k
        if s == p7.ST_M:
            ii[n] = i
            pp[n] = pm[i, k]
        elif s == p7.ST_I:
            ii[n] = i
            pp[n] = pi[i, k]
        n += 1
    out_s, out_k, out_i = reverse_trace(st, kk, ii, n)
    out_pp = np.empty(n)
    for z in range(n):
        out_pp[z] = pp[n - 1 - z]
    return out_s, out_k, out_i, out_pp
