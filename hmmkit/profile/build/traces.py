"""Implied Plan7 paths of aligned sequences, and the weighted counts they give.

Given which alignment columns are match columns, each aligned sequence implies a core
path B -> {M,D,I}... -> E (HMMER's p7_trace_FauxFromMSA): a residue in a match column
is M_k, a gap there D_k, a residue in an insert column I_k, and missing data ``~`` an X
(unobserved) step. Plan7 has no D->I or I->D transitions, so such pairs are merged into
one M (p7_trace_Doctor), and the path is counted into transition and emission counts
(p7_trace_Count), fragments' partial flanks excluded. Counts are float32, as in HMMER.
"""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from ..msa import DigitalMSA
from ..plan7 import DD, DM, II, IM, MD, MI, MM

#: State codes of a trace.
STATE_B, STATE_M, STATE_D, STATE_I, STATE_X, STATE_E = range(6)
STATE_NAMES = "BMDIXE"


def _moves() -> np.ndarray:
    """The transition a step from state s to state s2 counts (-1: none); B counts as M_0
    and E as the next match state."""
    moves = np.full((6, 6), -1, dtype=np.int64)
    for source, into_m, into_i, into_d in (
        (STATE_B, MM, MI, MD), (STATE_M, MM, MI, MD), (STATE_I, IM, II, -1),
        (STATE_D, DM, -1, DD),
    ):  # fmt: skip
        moves[source, STATE_M] = into_m
        moves[source, STATE_I] = into_i
        moves[source, STATE_D] = into_d
        if source != STATE_B:
            moves[source, STATE_E] = into_m
    return moves


_MOVES = _moves()


@njit(cache=True, nogil=True)
def _push(st, kk, ii, n, state, k, apos):
    """Append step (state, node k, column apos) at position n; return the new length."""
    st[n] = state
    kk[n] = k
    ii[n] = apos
    return n + 1


@njit(cache=True, nogil=True)
def _faux_trace(row, matassign, is_residue, gap, nonresidue, missing, st, kk, ii):
    """Fill st/kk/ii with the implied path of one aligned row; return its length."""
    n = _push(st, kk, ii, 0, STATE_B, 0, 0)
    k = 0
    for apos in range(row.shape[0]):
        x = row[apos]
        is_match = matassign[apos]
        if is_match:
            k += 1
        if is_residue[x] or x == nonresidue:
            n = _push(st, kk, ii, n, STATE_M if is_match else STATE_I, k, apos)
        elif x == gap and is_match:
            n = _push(st, kk, ii, n, STATE_D, k, -1)
        elif x == missing and st[n - 1] != STATE_X:
            n = _push(st, kk, ii, n, STATE_X, k, -1)
    return _push(st, kk, ii, n, STATE_E, 0, 0)


@njit(cache=True, nogil=True)
def _doctor(st, kk, ii, n):
    """Merge D->I and I->D pairs into one M, left to right; return the new length."""
    opos = 0
    npos = 0
    while opos < n:
        if opos + 1 < n and st[opos] == STATE_D and st[opos + 1] == STATE_I:
            npos = _push(st, kk, ii, npos, STATE_M, kk[opos], ii[opos + 1])
            opos += 2
        elif opos + 1 < n and st[opos] == STATE_I and st[opos + 1] == STATE_D:
            npos = _push(st, kk, ii, npos, STATE_M, kk[opos + 1], ii[opos])
            opos += 2
        else:
            npos = _push(st, kk, ii, npos, st[opos], kk[opos], ii[opos])
            opos += 1
    return npos


@njit(cache=True, nogil=True)
def _count_trace(st, kk, ii, n, row, wt, count_matrix, t, mat, ins):
    """Add one doctored core trace with weight ``wt`` into float32 counts."""
    z1 = 0
    z2 = n - 1
    if st[0] == STATE_B and st[1] == STATE_X:
        for z in range(2, n - 1):
            if st[z] == STATE_M:
                z1 = z
                break
    if st[n - 1] == STATE_E and st[n - 2] == STATE_X:
        for z in range(n - 3, 0, -1):
            if st[z] == STATE_M:
                z2 = z
                break
    K = mat.shape[1]
    for z in range(z1, z2):
        s = st[z]
        if s == STATE_X:
            continue
        s2 = st[z + 1]
        k = kk[z]
        k2 = kk[z + 1]
        if s == STATE_M or s == STATE_I:
            emitted = mat if s == STATE_M else ins
            x = row[ii[z]]
            for a in range(K):
                emitted[k, a] += wt * count_matrix[x, a]
        if s2 == STATE_X:
            continue
        if s == STATE_B and s2 == STATE_M and k2 > 1:  # entry into M_k2 counted through D_1..
            t[0, MD] += wt
            ktmp = 1
            while ktmp < k2 - 1:
                t[ktmp, DD] += wt
                ktmp += 1
            t[ktmp, DM] += wt
        elif _MOVES[s, s2] >= 0:
            t[k, _MOVES[s, s2]] += wt


@njit(cache=True, nogil=True)
def _count_all(codes, weights, matassign, M, is_residue, gap, nonresidue, missing, count_matrix):
    K = count_matrix.shape[1]
    t = np.zeros((M + 1, 7), dtype=np.float32)
    mat = np.zeros((M + 1, K), dtype=np.float32)
    ins = np.zeros((M + 1, K), dtype=np.float32)
    cap = codes.shape[1] + 2
    st = np.empty(cap, dtype=np.int8)
    kk = np.empty(cap, dtype=np.int64)
    ii = np.empty(cap, dtype=np.int64)
    for s in range(codes.shape[0]):
        row = codes[s]
        n = _faux_trace(row, matassign, is_residue, gap, nonresidue, missing, st, kk, ii)
        n = _doctor(st, kk, ii, n)
        _count_trace(st, kk, ii, n, row, weights[s], count_matrix, t, mat, ins)
    return t, mat, ins


def _kernel_args(msa: DigitalMSA):
    table = msa.table
    return table.is_residue(), table.gap, table.nonresidue, table.missing


def implied_trace(
    msa: DigitalMSA, index: int, matassign: np.ndarray, *, doctor: bool = True
) -> list[tuple[str, int, int]]:
    """The implied core path of sequence ``index`` as (state, node k, column or -1).

    States are 'B', 'M', 'D', 'I', 'X' (missing data) and 'E'; columns are 0-based.
    With ``doctor`` the D->I / I->D pairs are merged into M as HMMER does.
    """
    matassign = np.asarray(matassign, dtype=np.bool_)
    if matassign.shape != (msa.alen,):
        raise ValueError(f"matassign must have one flag per column ({msa.alen})")
    cap = msa.alen + 2
    st = np.empty(cap, dtype=np.int8)
    kk = np.empty(cap, dtype=np.int64)
    ii = np.empty(cap, dtype=np.int64)
    is_res, gap, nonres, missing = _kernel_args(msa)
    n = _faux_trace(msa.codes[index], matassign, is_res, gap, nonres, missing, st, kk, ii)
    if doctor:
        n = _doctor(st, kk, ii, n)
    return [
        (STATE_NAMES[st[z]], int(kk[z]), int(ii[z]) if st[z] in (STATE_M, STATE_I) else -1)
        for z in range(n)
    ]


def count_paths(
    msa: DigitalMSA, weights: np.ndarray, matassign: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted counts (transitions (M+1,7), match (M+1,K), insert (M+1,K)), float32.

    Each sequence's implied path is doctored and counted with its weight; paths that
    start or end in missing data are counted only between their first and last M.
    """
    matassign = np.asarray(matassign, dtype=np.bool_)
    if matassign.shape != (msa.alen,):
        raise ValueError(f"matassign must have one flag per column ({msa.alen})")
    M = int(matassign.sum())
    if M == 0:
        raise ValueError("no match columns: cannot count paths into a model of length 0")
    weights = np.asarray(weights, dtype=np.float32)
    if weights.shape != (msa.nseq,):
        raise ValueError(f"weights must have one value per sequence ({msa.nseq})")
    is_res, gap, nonres, missing = _kernel_args(msa)
    return _count_all(
        msa.codes,
        weights,
        matassign,
        M,
        is_res,
        gap,
        nonres,
        missing,
        msa.table.count_matrix(),
    )
