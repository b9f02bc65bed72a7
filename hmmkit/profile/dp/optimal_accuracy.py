"""Optimal accuracy alignment (p7_GOptimalAccuracy, p7_GOATrace)."""

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
from .viterbi import reverse_trace, trace_buffers

NEG_INF = -np.inf


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
    xmx[0, SN] = 0.0
    xmx[0, SB] = 0.0
    for i in range(1, L + 1):
        xE = NEG_INF
        for k in range(1, M + 1):
            p = pm[i, k]
            sc = NEG_INF
            if tmask[k - 1, TBM] > 0.0:
                sc = xmx[i - 1, SB] + p
            if k > 1:
                if tmask[k - 1, TMM] > 0.0:
                    sc = max(sc, mx[i - 1, k - 1] + p)
                if tmask[k - 1, TIM] > 0.0:
                    sc = max(sc, ix[i - 1, k - 1] + p)
                if tmask[k - 1, TDM] > 0.0:
                    sc = max(sc, dx[i - 1, k - 1] + p)
            mx[i, k] = sc
            if k < M:
                if local > 0.0:
                    xE = max(xE, sc)
                v = NEG_INF
                if tmask[k, TMI] > 0.0:
                    v = mx[i - 1, k] + pi[i, k]
                if tmask[k, TII] > 0.0:
                    v = max(v, ix[i - 1, k] + pi[i, k])
                ix[i, k] = v
            if k > 1:
                v = NEG_INF
                if tmask[k - 1, TMD] > 0.0:
                    v = mx[i, k - 1]
                if tmask[k - 1, TDD] > 0.0:
                    v = max(v, dx[i, k - 1])
                dx[i, k] = v
        xE = max(xE, max(mx[i, M], dx[i, M]))
        xmx[i, SE] = xE
        v = NEG_INF
        if xmask[XJ, LOOP] > 0.0:
            v = xmx[i - 1, SJ] + px[i, SJ]
        if xmask[XE, LOOP] > 0.0:
            v = max(v, xE)
        xmx[i, SJ] = v
        v = NEG_INF
        if xmask[XC, LOOP] > 0.0:
            v = xmx[i - 1, SC] + px[i, SC]
        if xmask[XE, MOVE] > 0.0:
            v = max(v, xE)
        xmx[i, SC] = v
        xmx[i, SN] = xmx[i - 1, SN] + px[i, SN] if xmask[XN, LOOP] > 0.0 else NEG_INF
        v = NEG_INF
        if xmask[XN, MOVE] > 0.0:
            v = xmx[i, SN]
        if xmask[XJ, MOVE] > 0.0:
            v = max(v, xmx[i, SJ])
        xmx[i, SB] = v
    return mx, ix, dx, xmx, xmx[L, SC]


@njit(cache=True, nogil=True)
def oa_trace(pm, pi, px, tmask, xmask, local, mx, ix, dx, xmx):
    """Traceback of the optimal accuracy matrix (p7_GOATrace).

    Returns (states, k, i, pp): pp is the posterior probability of each emitted residue.
    """
    L = pm.shape[0] - 1
    M = pm.shape[1] - 1
    st, kk, ii = trace_buffers(L, M)
    pp = np.zeros(st.shape[0])
    n = 0
    st[n] = ST_T
    n += 1
    st[n] = ST_C
    n += 1
    i = L
    k = 0
    s = ST_C
    while s != ST_S:
        if s == ST_C:
            a = xmx[i - 1, SC] + px[i, SC] if (i > 0 and xmask[XC, LOOP] > 0.0) else NEG_INF
            b = xmx[i, SE] if xmask[XE, MOVE] > 0.0 else NEG_INF
            if a > b:
                ii[n - 1] = i
                pp[n - 1] = px[i, SC]
                i -= 1
                s = ST_C
            else:
                s = ST_E
        elif s == ST_J:
            a = xmx[i - 1, SJ] + px[i, SJ] if (i > 0 and xmask[XJ, LOOP] > 0.0) else NEG_INF
            b = xmx[i, SE] if xmask[XE, LOOP] > 0.0 else NEG_INF
            if a > b:
                ii[n - 1] = i
                pp[n - 1] = px[i, SJ]
                i -= 1
                s = ST_J
            else:
                s = ST_E
        elif s == ST_N:
            if i > 0:
                ii[n - 1] = i
                pp[n - 1] = px[i, SN]
                i -= 1
                s = ST_N
            else:
                s = ST_S
        elif s == ST_E:
            if local > 0.0:
                best = NEG_INF
                s = -1
                for k2 in range(1, M + 1):
                    if mx[i, k2] >= best:
                        best = mx[i, k2]
                        s, k = ST_M, k2
                    if dx[i, k2] > best:
                        best = dx[i, k2]
                        s, k = ST_D, k2
            else:
                k = M
                s = ST_M if mx[i, M] >= dx[i, M] else ST_D
        elif s == ST_B:
            a = xmx[i, SN] if xmask[XN, MOVE] > 0.0 else NEG_INF
            b = xmx[i, SJ] if xmask[XJ, MOVE] > 0.0 else NEG_INF
            s = ST_N if a > b else ST_J
        elif s == ST_M:
            kp = k - 1
            ip = i - 1
            best = NEG_INF
            s = -1
            if kp > 0:
                if tmask[kp, TMM] > 0.0 and mx[ip, kp] > best:
                    best, s = mx[ip, kp], ST_M
                if tmask[kp, TIM] > 0.0 and ix[ip, kp] > best:
                    best, s = ix[ip, kp], ST_I
                if tmask[kp, TDM] > 0.0 and dx[ip, kp] > best:
                    best, s = dx[ip, kp], ST_D
            if tmask[kp, TBM] > 0.0 and xmx[ip, SB] > best:
                best, s = xmx[ip, SB], ST_B
            if s == -1 and best == NEG_INF:
                s = ST_B
            i = ip
            k = kp
        elif s == ST_D:
            a = mx[i, k - 1] if tmask[k - 1, TMD] > 0.0 else NEG_INF
            b = dx[i, k - 1] if tmask[k - 1, TDD] > 0.0 else NEG_INF
            s = ST_M if a >= b else ST_D
            k -= 1
        elif s == ST_I:
            a = mx[i - 1, k] if tmask[k, TMI] > 0.0 else NEG_INF
            b = ix[i - 1, k] if tmask[k, TII] > 0.0 else NEG_INF
            s = ST_M if a >= b else ST_I
            i -= 1
        if s < 0:
            return st[:0], kk[:0], ii[:0], pp[:0]
        st[n] = s
        if s == ST_M or s == ST_D or s == ST_I:
            kk[n] = k
        if s == ST_M:
            ii[n] = i
            pp[n] = pm[i, k]
        elif s == ST_I:
            ii[n] = i
            pp[n] = pi[i, k]
        n += 1
    out_s, out_k, out_i = reverse_trace(st, kk, ii, n)
    out_pp = np.empty(n)
    for z in range(n):
        out_pp[z] = pp[n - 1 - z]
    return out_s, out_k, out_i, out_pp
