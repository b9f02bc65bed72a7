"""Traces: the domains of a path (p7_trace_Index) and the score of a path."""

from __future__ import annotations

import math

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
    ST_B,
    ST_C,
    ST_D,
    ST_E,
    ST_I,
    ST_J,
    ST_M,
    ST_N,
    ST_S,
    XC,
    XE,
    XJ,
    XN,
)
from ..plan7 import MD as TMD
from ..plan7 import MI as TMI
from ..plan7 import MM as TMM


@njit(cache=True, nogil=True)
def trace_domains(st, kk, ii):
    """Domain segments of a trace (p7_trace_Index).

    Returns an (ndom, 6) int array: trace index of B and E, first/last residue aligned to a
    match state, first/last match state.
    """
    nd = 0
    for z in range(st.shape[0]):
        if st[z] == ST_B:
            nd += 1
    out = np.zeros((nd, 6), dtype=np.int64)
    d = -1
    for z in range(st.shape[0]):
        s = st[z]
        if s == ST_B:
            d += 1
            out[d, 0] = z
        elif d >= 0:
            if s == ST_M:
                if out[d, 2] == 0:
                    out[d, 2] = ii[z]
                if out[d, 4] == 0:
                    out[d, 4] = kk[z]
                out[d, 3] = ii[z]
                out[d, 5] = kk[z]
            elif s == ST_E:
                out[d, 1] = z
    return out


def trace_score(profile, dsq: np.ndarray, states, ks, iis) -> float:
    """Log-likelihood ratio (nats) of one path through `profile` (p7_trace_Score)."""
    tsc, msc, isc, xsc = profile.tsc, profile.msc, profile.isc, profile.xsc
    local = profile.local
    score = 0.0
    for z in range(len(states) - 1):
        a, b = int(states[z]), int(states[z + 1])
        ka, kb = int(ks[z]), int(ks[z + 1])
        if b == ST_M:
            score += msc[dsq[iis[z + 1] - 1], kb]
        elif b == ST_I:
            score += isc[dsq[iis[z + 1] - 1], kb]
        if a == ST_S and b == ST_N:
            continue
        if a == ST_N:
            score += xsc[XN, LOOP] if b == ST_N else xsc[XN, MOVE]
        elif a == ST_J:
            score += xsc[XJ, LOOP] if b == ST_J else xsc[XJ, MOVE]
        elif a == ST_C:
            score += xsc[XC, LOOP] if b == ST_C else xsc[XC, MOVE]
        elif a == ST_E:
            score += xsc[XE, LOOP] if b == ST_J else xsc[XE, MOVE]
        elif a == ST_B:
            score += tsc[kb - 1, TBM]
        elif a == ST_M:
            if b == ST_M:
                score += tsc[ka, TMM]
            elif b == ST_I:
                score += tsc[ka, TMI]
            elif b == ST_D:
                score += tsc[ka, TMD]
            elif b == ST_E and not local and ka != profile.M:
                return -math.inf
        elif a == ST_I:
            score += tsc[ka, TIM] if b == ST_M else tsc[ka, TII]
        elif a == ST_D:
            if b == ST_M:
                score += tsc[ka, TDM]
            elif b == ST_D:
                score += tsc[ka, TDD]
            elif b == ST_E and not local and ka != profile.M:
                return -math.inf
    return score
