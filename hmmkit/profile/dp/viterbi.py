"""Viterbi (p7_GViterbi) in log space, with its traceback."""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from ..plan7 import BM as TBM
from ..plan7 import DD as TDD
from ..plan7 import DM as TDM
from ..plan7 import II as TII
from ..plan7 import IM as TIM
from ..plan7 import (
    LOOP,
    MOVE,
    SB,
    SC,
    SE,
    SJ,
    SN,
    ST_B,
    ST_C,
    ST_D,
    ST_E,
    ST_I,
    ST_J,
    ST_M,
    ST_N,
    ST_S,
    ST_T,
    XC,
    XE,
    XJ,
    XN,
)
from ..plan7 import MD as TMD
from ..plan7 import MI as TMI
from ..plan7 import MM as TMM

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
    xmx[0, SN] = 0.0
    xmx[0, SB] = xsc[XN, MOVE]
    for i in range(1, L + 1):
        x = dsq[i - 1]
        xE = NEG_INF
        for k in range(1, M + 1):
            sc = xmx[i - 1, SB] + tsc[k - 1, TBM]
            if k > 1:
                sc = max(sc, mx[i - 1, k - 1] + tsc[k - 1, TMM])
                sc = max(sc, ix[i - 1, k - 1] + tsc[k - 1, TIM])
                sc = max(sc, dx[i - 1, k - 1] + tsc[k - 1, TDM])
            mx[i, k] = sc + msc[x, k]
            if k < M:
                ix[i, k] = max(mx[i - 1, k] + tsc[k, TMI], ix[i - 1, k] + tsc[k, TII]) + isc[x, k]
                xE = max(xE, mx[i, k] + esc)
            if k > 1:
                dx[i, k] = max(mx[i, k - 1] + tsc[k - 1, TMD], dx[i, k - 1] + tsc[k - 1, TDD])
        xE = max(xE, max(mx[i, M], dx[i, M]))
        xmx[i, SE] = xE
        xmx[i, SJ] = max(xmx[i - 1, SJ] + xsc[XJ, LOOP], xE + xsc[XE, LOOP])
        xmx[i, SC] = max(xmx[i - 1, SC] + xsc[XC, LOOP], xE + xsc[XE, MOVE])
        xmx[i, SN] = xmx[i - 1, SN] + xsc[XN, LOOP]
        xmx[i, SB] = max(xmx[i, SN] + xsc[XN, MOVE], xmx[i, SJ] + xsc[XJ, MOVE])
    return mx, ix, dx, xmx, xmx[L, SC] + xsc[XC, MOVE]


@njit(cache=True, nogil=True)
def trace_buffers(L, M):
    n = 2 * (L + M) + 8
    return np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)


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
    st, kk, ii = trace_buffers(L, M)
    esc = 0.0 if local > 0.0 else NEG_INF
    n = 0
    st[n] = ST_T
    n += 1
    st[n] = ST_C
    n += 1
    i = L
    k = 0
    s = ST_C
    while s != ST_S:
        if s == ST_C or s == ST_J:
            col = SC if s == ST_C else SJ
            row = XC if s == ST_C else XJ
            a = xmx[i - 1, col] + xsc[row, LOOP] if i > 0 else NEG_INF
            b = xmx[i, SE] + (xsc[XE, MOVE] if s == ST_C else xsc[XE, LOOP])
            if a > b:
                ii[n - 1] = i  # this C/J emitted residue i
                i -= 1
            else:
                s = ST_E
        elif s == ST_N:
            if i > 0:
                ii[n - 1] = i
                i -= 1
            else:
                s = ST_S
        elif s == ST_E:
            best = mx[i, M]
            s, k = ST_M, M
            if dx[i, M] > best:
                best = dx[i, M]
                s = ST_D
            for k2 in range(1, M):
                if mx[i, k2] + esc > best:
                    best = mx[i, k2] + esc
                    s, k = ST_M, k2
        elif s == ST_B:
            a = xmx[i, SN] + xsc[XN, MOVE]
            b = xmx[i, SJ] + xsc[XJ, MOVE]
            s = ST_N if a >= b else ST_J
        elif s == ST_M:
            kp = k - 1
            ip = i - 1
            best = xmx[ip, SB] + tsc[kp, TBM]
            s = ST_B
            if kp > 0:
                v = mx[ip, kp] + tsc[kp, TMM]
                if v > best:
                    best, s = v, ST_M
                v = ix[ip, kp] + tsc[kp, TIM]
                if v > best:
                    best, s = v, ST_I
                v = dx[ip, kp] + tsc[kp, TDM]
                if v > best:
                    best, s = v, ST_D
            i = ip
            k = kp
        elif s == ST_D:
            a = mx[i, k - 1] + tsc[k - 1, TMD]
            b = dx[i, k - 1] + tsc[k - 1, TDD]
            s = ST_M if a >= b else ST_D
            k -= 1
        elif s == ST_I:
            a = mx[i - 1, k] + tsc[k, TMI]
            b = ix[i - 1, k] + tsc[k, TII]
            s = ST_M if a >= b else ST_I
            i -= 1
        st[n] = s
        kk[n] = k if (s == ST_M or s == ST_D or s == ST_I) else 0
        ii[n] = i if (s == ST_M or s == ST_I) else 0
        n += 1
    return reverse_trace(st, kk, ii, n)
