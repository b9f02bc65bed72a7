"""Viterbi (p7_GViterbi) in log space, with its traceback."""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from .. import plan7 as p7

NEG_INF = -np.inf


@njit(cache=True, nogil=True)
def viterbi_matrix(dsq, tsc, msc, isc, xsc, local):
    """Viterbi log-space matrices (mx, ix, dx, xmx) and the optimal score in nats."""
    L = dsq.shape[0]
    M = tsc.shape[0] - 1
    mx = np.full((L + 1, M + 1), NEG_INF)
    ix = np.full((L + 1, M + 1), NEG_INF)
    dx = np.full((L + 1, M + 1), NEG_INF)
    xmx = np.full((L + 1, 5), NEG_INF)
    esc = 0.0 if local > 0.0 else NEG_INF
    xmx[0, p7.SN] = 0.0
    xmx[0, p7.SB] = xsc[p7.XN, p7.MOVE]
    for i in range(1, L + 1):
        x = dsq[i - 1]
        xE = NEG_INF
        for k in range(1, M + 1):
            sc = xmx[i - 1, p7.SB] + tsc[k - 1, p7.BM]
            if k > 1:
                sc = max(sc, mx[i - 1, k - 1] + tsc[k - 1, p7.MM])
                sc = max(sc, ix[i - 1, k - 1] + tsc[k - 1, p7.IM])
                sc = max(sc, dx[i - 1, k - 1] + tsc[k - 1, p7.DM])
            mx[i, k] = sc + msc[x, k]
            if k < M:
                ix[i, k] = (max(mx[i - 1, k] + tsc[k, p7.MI], ix[i - 1, k] + tsc[k, p7.II])
                            + isc[x, k])
                xE = max(xE, mx[i, k] + esc)
            if k > 1:
                dx[i, k] = max(mx[i, k - 1] + tsc[k - 1, p7.MD], dx[i, k - 1] + tsc[k - 1, p7.DD])
        xE = max(xE, max(mx[i, M], dx[i, M]))
        xmx[i, p7.SE] = xE
        xmx[i, p7.SJ] = max(xmx[i - 1, p7.SJ] + xsc[p7.XJ, p7.LOOP], xE + xsc[p7.XE, p7.LOOP])
        xmx[i, p7.SC] = max(xmx[i - 1, p7.SC] + xsc[p7.XC, p7.LOOP], xE + xsc[p7.XE, p7.MOVE])
        xmx[i, p7.SN] = xmx[i - 1, p7.SN] + xsc[p7.XN, p7.LOOP]
        xmx[i, p7.SB] = max(xmx[i, p7.SN] + xsc[p7.XN, p7.MOVE],
                            xmx[i, p7.SJ] + xsc[p7.XJ, p7.MOVE])
    return mx, ix, dx, xmx, xmx[L, p7.SC] + xsc[p7.XC, p7.MOVE]


@njit(cache=True, nogil=True)
def trace_buffers(L, M):
    n = 2 * (L + M) + 8
    return np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)


@njit(cache=True, nogil=True)
def begin_traceback(L, M):
    """Buffers of a traceback from the end (see :func:`trace_buffers`) holding its first
    two states, T and C: returns (st, kk, ii, n) with n = 2 states written."""
    st, kk, ii = trace_buffers(L, M)
    st[0] = p7.ST_T
    st[1] = p7.ST_C
    return st, kk, ii, 2


@njit(cache=True, nogil=True)
def reverse_trace(st, kk, ii, n):
    out_s = np.empty(n, dtype=np.int32)
    out_k = np.empty(n, dtype=np.int32)
    out_i = np.empty(n, dtype=np.int32)
    for z in range(n):
        out_s[z] = st[n - 1 - z]
        out_k[z] = kk[n - 1 - z]
        out_i[z] = ii[n - 1 - z]
    return out_s, out_k, out_i


@njit(cache=True, nogil=True)
def viterbi_trace(dsq, tsc, msc, isc, xsc, local, mx, ix, dx, xmx):
    """Traceback of a filled Viterbi matrix: (states, k, i) arrays in path order."""
    L = dsq.shape[0]
    M = tsc.shape[0] - 1
    st, kk, ii, n = begin_traceback(L, M)
    esc = 0.0 if local > 0.0 else NEG_INF
    i = L
    k = 0
    s = p7.ST_C
    while s != p7.ST_S:
        if s == p7.ST_C or s == p7.ST_J:
            col = p7.SC if s == p7.ST_C else p7.SJ
            row = p7.XC if s == p7.ST_C else p7.XJ
            a = xmx[i - 1, col] + xsc[row, p7.LOOP] if i > 0 else NEG_INF
            b = xmx[i, p7.SE] + (xsc[p7.XE, p7.MOVE] if s == p7.ST_C else xsc[p7.XE, p7.LOOP])
            if a > b:
                ii[n - 1] = i  # this C/J emitted residue i
                i -= 1
            else:
                s = p7.ST_E
        elif s == p7.ST_N:
            if i > 0:
                ii[n - 1] = i
                i -= 1
            else:
                s = p7.ST_S
        elif s == p7.ST_E:
            best = mx[i, M]
            s, k = p7.ST_M, M
            if dx[i, M] > best:
                best = dx[i, M]
                s = p7.ST_D
            for k2 in range(1, M):
                if mx[i, k2] + esc > best:
                    best = mx[i, k2] + esc
                    s, k = p7.ST_M, k2
        elif s == p7.ST_B:
            a = xmx[i, p7.SN] + xsc[p7.XN, p7.MOVE]
            b = xmx[i, p7.SJ] + xsc[p7.XJ, p7.MOVE]
            s = p7.ST_N if a >= b else p7.ST_J
        elif s == p7.ST_M:
            kp = k - 1
            ip = i - 1
            best = xmx[ip, p7.SB] + tsc[kp, p7.BM]
            s = p7.ST_B
            if kp > 0:
                v = mx[ip, kp] + tsc[kp, p7.MM]
                if v > best:
                    best, s = v, p7.ST_M
                v = ix[ip, kp] + tsc[kp, p7.IM]
                if v > best:
                    best, s = v, p7.ST_I
                v = dx[ip, kp] + tsc[kp, p7.DM]
                if v > best:
                    best, s = v, p7.ST_D
            i = ip
            k = kp
        elif s == p7.ST_D:
            a = mx[i, k - 1] + tsc[k - 1, p7.MD]
            b = dx[i, k - 1] + tsc[k - 1, p7.DD]
            s = p7.ST_M if a >= b else p7.ST_D
            k -= 1
        elif s == p7.ST_I:
            a = mx[i - 1, k] + tsc[k, p7.MI]
            b = ix[i - 1, k] + tsc[k, p7.II]
            s = p7.ST_M if a >= b else p7.ST_I
            i -= 1
        st[n] = s
        kk[n] = k if (s == p7.ST_M or s == p7.ST_D or s == p7.ST_I) else 0
        ii[n] = i if (s == p7.ST_M or s == p7.ST_I) else 0
        n += 1
    return reverse_trace(st, kk, ii, n)
