"""Traces: the domains of a path (p7_trace_Index) and the score of a path."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from .. import plan7 as p7


@njit(cache=True, nogil=True)
def trace_domains(st, kk, ii):
    """Domain segments of a trace (p7_trace_Index).

    Returns an (ndom, 6) int array: trace index of B and E, first/last residue aligned to a
    match state, first/last match state.
    """
    nd = 0
    for z in range(st.shape[0]):
        if st[z] == p7.ST_B:
            nd += 1
    out = np.zeros((nd, 6), dtype=np.int64)
    d = -1
    for z in range(st.shape[0]):
        s = st[z]
        if s == p7.ST_B:
            d += 1
            out[d, 0] = z
        elif d >= 0:
            if s == p7.ST_M:
                if out[d, 2] == 0:
                    out[d, 2] = ii[z]
                if out[d, 4] == 0:
                    out[d, 4] = kk[z]
                out[d, 3] = ii[z]
                out[d, 5] = kk[z]
            elif s == p7.ST_E:
                out[d, 1] = z
    return out


#: Row of ``xsc`` of each special state that loops: N, J, C.
_SPECIAL_ROW = {p7.ST_N: p7.XN, p7.ST_J: p7.XJ, p7.ST_C: p7.XC}
#: Column of ``tsc`` of each step between core states.
_CORE_TRANSITION = {
    (p7.ST_M, p7.ST_M): p7.MM, (p7.ST_M, p7.ST_I): p7.MI, (p7.ST_M, p7.ST_D): p7.MD,
    (p7.ST_I, p7.ST_M): p7.IM, (p7.ST_I, p7.ST_I): p7.II,
    (p7.ST_D, p7.ST_M): p7.DM, (p7.ST_D, p7.ST_D): p7.DD,
}  # fmt: skip


def trace_score(profile, dsq: np.ndarray, states, ks, iis) -> float:
    """Log-likelihood ratio (nats) of one path through `profile` (p7_trace_Score)."""
    tsc, msc, isc, xsc = profile.tsc, profile.msc, profile.isc, profile.xsc
    local = profile.local
    score = 0.0
    for z in range(len(states) - 1):
        a, b = int(states[z]), int(states[z + 1])
        ka, kb = int(ks[z]), int(ks[z + 1])
        if b == p7.ST_M:
            score += msc[dsq[iis[z + 1] - 1], kb]
        elif b == p7.ST_I:
            score += isc[dsq[iis[z + 1] - 1], kb]
        if a == p7.ST_S and b == p7.ST_N:
            continue
        if a in _SPECIAL_ROW:  # N, J, C: loop or move on
            score += xsc[_SPECIAL_ROW[a], p7.LOOP if b == a else p7.MOVE]
        elif a == p7.ST_E:
            score += xsc[p7.XE, p7.LOOP] if b == p7.ST_J else xsc[p7.XE, p7.MOVE]
        elif a == p7.ST_B:
            score += tsc[kb - 1, p7.BM]
        elif (a, b) in _CORE_TRANSITION:
            score += tsc[ka, _CORE_TRANSITION[a, b]]
        elif b == p7.ST_E and not local and ka != profile.M:  # glocal: exit at node M only
            return -math.inf
    return score
