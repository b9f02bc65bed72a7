"""The Forward scan: whole-sequence Forward scores only, float32, two rows, many
sequences side by side (the database search hot loop)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from .odds_gather import gather_odds
from .scan_rows import (
    C_BM,
    C_DD,
    C_DM,
    C_ESC,
    C_II,
    C_IM,
    C_MD,
    C_MI,
    C_MM,
    CODES,
    N_CONSTANTS,
    scan_cells,
)

RESCALE = 1.0e4  # rescale a Forward row once E exceeds this (as HMMER's sparse rescaling)

#: numba fast-math flags of the profile DP kernels: none that can change a value. With
#: "contract" (fused multiply-add) or "arcp" (reciprocal for division) the compiler may
#: round an expression one way in one compiled copy of a kernel and another way in the
#: next -- vector or scalar loop, inlined or not, compiled in this process or loaded from
#: numba's cache (seen: 899 of 2,100 proteome Forward scores one float32 step apart) -- so
#: a score would depend on batch size, thread or process. Without them every operation
#: rounds as written, and equal expressions give equal bits wherever they run.
EXACT_MATH = {"nsz"}


class ScanProfile(NamedTuple):
    """What the Forward scan kernels read of a profile, in single precision: the node
    vectors of :func:`scan_arrays` (``a_mm`` .. ``a_dd``, exit weights ``esc``), match odds
    by code (``me``, (Kp, M+1)) and by node (``me_t``), insert odds by code (``ins``),
    the E state's loop/move probabilities and the expected number of J uses ``nj``."""

    a_mm: np.ndarray
    a_im: np.ndarray
    a_dm: np.ndarray
    a_bm: np.ndarray
    a_mi: np.ndarray
    a_ii: np.ndarray
    a_md: np.ndarray
    a_dd: np.ndarray
    esc: np.ndarray
    me: np.ndarray
    me_t: np.ndarray
    ins: np.ndarray
    e_loop: np.float32
    e_move: np.float32
    nj: np.float32


@njit(cache=True, nogil=True, inline="always")
def length_model(L, nj):
    """The N/C/J move and loop probabilities (float32) of a target of `L` residues with `nj`
    expected J uses, as :meth:`~hmmkit.profile.config.SearchProfile.set_length`."""
    f32 = np.float32
    pmove = f32((f32(2.0) + nj) / (f32(L) + f32(2.0) + nj))
    return pmove, f32(f32(1.0) - pmove)


@njit(cache=True, nogil=True, inline="always", fastmath=EXACT_MATH)
def match_cell(odds, m, i, d, b, a_mm, a_im, a_dm, a_bm):
    """A match cell from the previous row's M, I and D cells of the node before and B."""
    return odds * (m * a_mm + i * a_im + d * a_dm + b * a_bm)


@njit(cache=True, nogil=True, inline="always", fastmath=EXACT_MATH)
def insert_cell(odds, m, i, a_mi, a_ii):
    """An insert cell from the previous row's M and I cells of its node."""
    return odds * (m * a_mi + i * a_ii)


@njit(cache=True, nogil=True, inline="always", fastmath=EXACT_MATH)
def delete_cell(m, d, a_md, a_dd):
    """A delete cell from this row's M and D cells of the node before."""
    return m * a_md + d * a_dd


@njit(cache=True, nogil=True, inline="always", fastmath=EXACT_MATH)
def special_row(xN, xJ, xC, xE, ploop, pmove, e_loop, e_move):
    """The N, J, C and B cells of a Forward row from the previous row's and this row's E
    (float32 odds): the one order of operations of every Forward scan kernel."""
    xJ = xJ * ploop + xE * e_loop
    xC = xC * ploop + xE * e_move
    xN = xN * ploop
    return xN, xJ, xC, (xN + xJ) * pmove


@njit(cache=True, nogil=True, inline="always", fastmath=EXACT_MATH)
def final_score(xC, pmove, log_scale):
    """A Forward scan's score (nats) from its last C cell, its C->T move probability and the
    summed log row scales: -inf when no path reaches C."""
    if xC <= 0.0:
        return -np.inf
    return math.log(xC) + math.log(pmove) + log_scale


@njit(cache=True, nogil=True, fastmath=EXACT_MATH)
def _forward_one(dsq, start, L, sp, mp, ip, dp, mc, ic, dc):
    """Forward log-likelihood ratio (nats) of ``dsq[start:start+L]`` under :class:`ScanProfile`
    ``sp``; rows are caller scratch."""
    a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc, me, _, ie, e_loop, e_move, nj = sp
    M = a_mm.shape[0] - 1
    f32 = np.float32
    pmove, ploop = length_model(L, nj)
    for k in range(M + 1):
        mp[k] = 0.0
        ip[k] = 0.0
        dp[k] = 0.0
    mc[0] = 0.0
    ic[0] = 0.0
    dc[0] = 0.0
    xN = f32(1.0)
    xB = pmove
    xJ = f32(0.0)
    xC = f32(0.0)
    totscale = 0.0
    for i in range(L):
        x = dsq[start + i]
        erow = me[x]
        ins = ie[x]
        # Match and insert: depend on the previous row only (vectorizable).
        for k in range(1, M + 1):
            mc[k] = match_cell(erow[k], mp[k - 1], ip[k - 1], dp[k - 1], xB, a_mm[k], a_im[k],
                               a_dm[k], a_bm[k])  # fmt: skip
        for k in range(1, M + 1):
            ic[k] = insert_cell(ins, mp[k], ip[k], a_mi[k], a_ii[k])
        # Delete chain and exit sum: sequential in k, two independent chains in one loop
        # (their operations, and so their roundings, are those of two loops).
        d = f32(0.0)
        xE = f32(0.0)
        for k in range(1, M + 1):
            d = delete_cell(mc[k - 1], d, a_md[k], a_dd[k])
            dc[k] = d
            xE += (mc[k] + d) * esc[k]
        xN, xJ, xC, xB = special_row(xN, xJ, xC, xE, ploop, pmove, e_loop, e_move)
        if xE > RESCALE:
            scale = f32(1.0) / xE
            xN *= scale
            xJ *= scale
            xC *= scale
            xB *= scale
            for k in range(1, M + 1):
                mc[k] *= scale
                ic[k] *= scale
                dc[k] *= scale
            totscale += math.log(xE)
        mp, mc = mc, mp
        ip, ic = ic, ip
        dp, dc = dc, dp
    return final_score(xC, pmove, totscale)


_LANES = 32  # sequences scored side by side by the vector lane kernel (a multiple of
# scan_rows.LANES * GROUP; its rows, computed in place, stay in the caches)
_MIN_LANES = 8  # fewer sequences than this are scored one at a time
_NARROW_LANES = 32  # widest lane kernel for fewer than 4 * _LANES sequences
_SEQUENCES_PER_LANE = 3  # a narrow lane kernel keeps at least this many sequences per lane


@njit(cache=True, nogil=True, inline="always", fastmath=EXACT_MATH)
def lane_forward_row(W, M, dsq, pos, rem, xs, ins, insw, me_t, er, a_mm, a_im, a_dm, a_bm,
                      a_mi, a_ii, a_md, a_dd, esc, mp, ip, dp_, mc, ic, dc, xB, xE, with_total,
                      tot):  # fmt: skip
    """One row of the Forward recurrence in ``W`` lanes side by side: the next residue of
    every lane (a finished lane reads code 0), its match and insert odds, and the match,
    insert and delete cells ``mc, ic, dc`` of every node from the previous row's
    ``mp, ip, dp_`` and ``xB``; ``xE`` gets the row's exit sum and, ``with_total``, ``tot``
    the sum of its cells. The transition vectors are indexed by the target node (see
    :func:`scan_arrays`)."""
    for w in range(W):
        xs[w] = dsq[pos[w]] if rem[w] > 0 else 0
        insw[w] = ins[xs[w]]
        xE[w] = 0.0
        if with_total:
            tot[w] = 0.0
    gather_odds(er, me_t, xs, M, W)
    for k in range(1, M + 1):
        amm, aim, adm, abm = a_mm[k], a_im[k], a_dm[k], a_bm[k]
        ami, aii, amd, add, ek = a_mi[k], a_ii[k], a_md[k], a_dd[k], esc[k]
        erk, mck, ick, dck = er[k], mc[k], ic[k], dc[k]
        mpk1, ipk1, dpk1 = mp[k - 1], ip[k - 1], dp_[k - 1]
        mpk, ipk, mck1, dck1 = mp[k], ip[k], mc[k - 1], dc[k - 1]
        for w in range(W):
            mck[w] = match_cell(erk[w], mpk1[w], ipk1[w], dpk1[w], xB[w], amm, aim, adm, abm)
        for w in range(W):
            ick[w] = insert_cell(insw[w], mpk[w], ipk[w], ami, aii)
        for w in range(W):
            dck[w] = delete_cell(mck1[w], dck1[w], amd, add)
        for w in range(W):
            xE[w] += (mck[w] + dck[w]) * ek
        if with_total:
            for w in range(W):
                tot[w] += mck[w] + ick[w] + dck[w]


@njit(cache=True, nogil=True, inline="always")
def _load_lane(w, nxt, order, offsets, lengths, nj, out, seq, pos, rem, pmove, ploop, xN, xB):
    """Put the next non-empty sequence of ``order`` (from ``nxt``) into scan lane ``w``, at
    the start of its Forward; empty sequences on the way score -inf. Returns the new
    ``nxt`` and 1 if a sequence was loaded, 0 when none is left."""
    n = order.shape[0]
    while nxt < n and lengths[order[nxt]] == 0:
        out[order[nxt]] = -np.inf
        nxt += 1
    if nxt == n:
        return nxt, 0
    s = order[nxt]
    seq[w] = s
    pos[w] = offsets[s]
    rem[w] = lengths[s]
    pmove[w], ploop[w] = length_model(lengths[s], nj)
    xN[w] = 1.0
    xB[w] = pmove[w]
    return nxt + 1, 1


@njit(cache=True, nogil=True, fastmath=EXACT_MATH)
def _scan_lanes_narrow(dsq, offsets, lengths, order, sp, out, width):
    """Forward scores of the sequences ``order`` under :class:`ScanProfile` ``sp``, W =
    ``width`` at a time in lock step (the narrow widths of :func:`lane_width`).

    Each lane holds one sequence; the DP cells of all lanes for one model node are
    contiguous, so every recurrence step is a vector operation across sequences. A lane
    that finishes its sequence takes the next one. The recurrences of :func:`_forward_one`,
    cell for cell the same operations (the scores are equal, bit for bit).
    """
    a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc, _, me_t, ins, e_loop, e_move, nj = sp
    M = a_mm.shape[0] - 1
    W = width
    f32 = np.float32
    mp = np.zeros((M + 1, W), dtype=f32)
    ip = np.zeros((M + 1, W), dtype=f32)
    dp_ = np.zeros((M + 1, W), dtype=f32)
    mc = np.zeros((M + 1, W), dtype=f32)
    ic = np.zeros((M + 1, W), dtype=f32)
    dc = np.zeros((M + 1, W), dtype=f32)
    er = np.zeros((M + 1, W), dtype=f32)
    xN = np.zeros(W, dtype=f32)
    xB = np.zeros(W, dtype=f32)
    xJ = np.zeros(W, dtype=f32)
    xC = np.zeros(W, dtype=f32)
    xE = np.zeros(W, dtype=f32)
    ploop = np.zeros(W, dtype=f32)
    pmove = np.zeros(W, dtype=f32)
    insw = np.zeros(W, dtype=f32)
    tot = np.zeros(W)
    pos = np.zeros(W, dtype=np.int64)
    rem = np.zeros(W, dtype=np.int64)
    seq = np.full(W, -1, dtype=np.int64)
    xs = np.zeros(W, dtype=np.int64)
    nxt = 0
    active = 0
    for w in range(W):
        nxt, loaded = _load_lane(w, nxt, order, offsets, lengths, nj, out, seq, pos, rem,
                                 pmove, ploop, xN, xB)  # fmt: skip
        active += loaded
    while active > 0:
        lane_forward_row(W, M, dsq, pos, rem, xs, ins, insw, me_t, er, a_mm, a_im, a_dm,
                          a_bm, a_mi, a_ii, a_md, a_dd, esc, mp, ip, dp_, mc, ic, dc, xB,
                          xE, False, xE)  # fmt: skip
        rescale = False
        for w in range(W):
            xN[w], xJ[w], xC[w], xB[w] = special_row(xN[w], xJ[w], xC[w], xE[w], ploop[w],
                                                     pmove[w], e_loop, e_move)  # fmt: skip
            if xE[w] > RESCALE:
                rescale = True
        if rescale:
            for w in range(W):
                if xE[w] > RESCALE:
                    sc = f32(1.0) / xE[w]
                    tot[w] += math.log(xE[w])
                    xN[w] *= sc
                    xJ[w] *= sc
                    xC[w] *= sc
                    xB[w] *= sc
                    for k in range(1, M + 1):
                        mc[k, w] *= sc
                        ic[k, w] *= sc
                        dc[k, w] *= sc
        mp, mc = mc, mp
        ip, ic = ic, ip
        dp_, dc = dc, dp_
        for w in range(W):
            if rem[w] == 0:
                continue
            pos[w] += 1
            rem[w] -= 1
            if rem[w] > 0:
                continue
            s = seq[w]
            out[s] = final_score(xC[w], pmove[w], tot[w])
            active -= 1
            for k in range(M + 1):
                mp[k, w] = 0.0
                ip[k, w] = 0.0
                dp_[k, w] = 0.0
            xN[w] = 0.0
            xB[w] = 0.0
            xJ[w] = 0.0
            xC[w] = 0.0
            tot[w] = 0.0
            nxt, loaded = _load_lane(w, nxt, order, offsets, lengths, nj, out, seq, pos, rem,
                                     pmove, ploop, xN, xB)  # fmt: skip
            active += loaded


@njit(cache=True, nogil=True, fastmath=EXACT_MATH)
def _scan_lanes_vector(dsq, offsets, lengths, order, sp, out, width):
    """As :func:`_scan_lanes_narrow`, for a `width` that is a multiple of
    ``scan_rows.LANES * scan_rows.GROUP``, each row's node loop as LLVM vector code
    (:func:`~.scan_rows.scan_cells`) computed in place over the previous row: the same
    cells, so the same scores bit for bit. A rescaled row is multiplied by its lane's
    factor as the next row reads it."""
    a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc, _, me_t, ins, e_loop, e_move, nj = sp
    M = a_mm.shape[0] - 1
    W = width
    f32 = np.float32
    consts = np.zeros((M + 1, N_CONSTANTS), dtype=f32)
    for k in range(M + 1):
        consts[k, C_MM], consts[k, C_IM], consts[k, C_DM] = a_mm[k], a_im[k], a_dm[k]
        consts[k, C_BM], consts[k, C_MI], consts[k, C_II] = a_bm[k], a_mi[k], a_ii[k]
        consts[k, C_MD], consts[k, C_DD], consts[k, C_ESC] = a_md[k], a_dd[k], esc[k]
    odds = np.zeros((M + 1, max(CODES, me_t.shape[1])), dtype=f32)
    for k in range(M + 1):
        for x in range(me_t.shape[1]):
            odds[k, x] = me_t[k, x]
    mp = np.zeros((M + 1, W), dtype=f32)
    ip = np.zeros((M + 1, W), dtype=f32)
    dp_ = np.zeros((M + 1, W), dtype=f32)
    xN = np.zeros(W, dtype=f32)
    xB = np.zeros(W, dtype=f32)
    xJ = np.zeros(W, dtype=f32)
    xC = np.zeros(W, dtype=f32)
    xE = np.zeros(W, dtype=f32)
    scale = np.ones(W, dtype=f32)
    ploop = np.zeros(W, dtype=f32)
    pmove = np.zeros(W, dtype=f32)
    insw = np.zeros(W, dtype=f32)
    tot = np.zeros(W)
    pos = np.zeros(W, dtype=np.int64)
    rem = np.zeros(W, dtype=np.int64)
    seq = np.full(W, -1, dtype=np.int64)
    xs = np.zeros(W, dtype=np.int64)
    nxt = 0
    active = 0
    for w in range(W):
        nxt, loaded = _load_lane(w, nxt, order, offsets, lengths, nj, out, seq, pos, rem,
                                 pmove, ploop, xN, xB)  # fmt: skip
        active += loaded
    while active > 0:
        for w in range(W):
            xs[w] = dsq[pos[w]] if rem[w] > 0 else 0
            insw[w] = ins[xs[w]]
        scan_cells(mp, ip, dp_, mp, ip, dp_, odds, xs, insw, xB, scale, xE, consts, M)
        for w in range(W):
            xN[w], xJ[w], xC[w], xB[w] = special_row(xN[w], xJ[w], xC[w], xE[w], ploop[w],
                                                     pmove[w], e_loop, e_move)  # fmt: skip
            scale[w] = f32(1.0)
            if xE[w] > RESCALE:
                sc = f32(1.0) / xE[w]
                scale[w] = sc
                tot[w] += math.log(xE[w])
                xN[w] *= sc
                xJ[w] *= sc
                xC[w] *= sc
                xB[w] *= sc
        for w in range(W):
            if rem[w] == 0:
                continue
            pos[w] += 1
            rem[w] -= 1
            if rem[w] > 0:
                continue
            s = seq[w]
            out[s] = final_score(xC[w], pmove[w], tot[w])
            active -= 1
            for k in range(M + 1):
                mp[k, w] = 0.0
                ip[k, w] = 0.0
                dp_[k, w] = 0.0
            xN[w] = 0.0
            xB[w] = 0.0
            xJ[w] = 0.0
            xC[w] = 0.0
            tot[w] = 0.0
            scale[w] = f32(1.0)
            nxt, loaded = _load_lane(w, nxt, order, offsets, lengths, nj, out, seq, pos, rem,
                                     pmove, ploop, xN, xB)  # fmt: skip
            active += loaded


_SCAN_LANES_WIDE = _scan_lanes_vector
_SCAN_LANES_NARROW = _scan_lanes_narrow


@njit(cache=True, nogil=True)
def _scan_lanes(dsq, offsets, lengths, order, sp, out, width):
    """The lane kernel of ``width`` (a value of :func:`lane_width`) on ``order``."""
    if width == _LANES:
        _SCAN_LANES_WIDE(dsq, offsets, lengths, order, sp, out, width)
    else:
        _SCAN_LANES_NARROW(dsq, offsets, lengths, order, sp, out, width)


@njit(cache=True, nogil=True)
def lane_width(n_sequences):
    """Lanes of the Forward scan for ``n_sequences``: _LANES for many, a narrower power of
    two (_MIN_LANES to _NARROW_LANES) for a few, 0 (one at a time) for fewer than
    _MIN_LANES. Lanes are independent: the scores do not depend on the width."""
    if n_sequences >= 4 * _LANES:
        return _LANES
    if n_sequences < _MIN_LANES:
        return 0
    width = _MIN_LANES
    while 2 * width <= min(n_sequences // _SEQUENCES_PER_LANE, _NARROW_LANES):
        width *= 2
    return width


@njit(cache=True, nogil=True)
def _scan_serial(dsq, offsets, lengths, order, sp, out):
    n = order.shape[0]
    width = lane_width(n)
    if width > 0:
        _scan_lanes(dsq, offsets, lengths, order, sp, out, width)
        return
    M = sp.a_mm.shape[0] - 1
    rows = np.zeros((6, M + 1), dtype=np.float32)
    for j in range(n):
        s = order[j]
        out[s] = _forward_one(dsq, offsets[s], lengths[s], sp, rows[0], rows[1], rows[2],
                              rows[3], rows[4], rows[5])  # fmt: skip


def scan_arrays(tp: np.ndarray, local: float, M: int) -> tuple[np.ndarray, ...]:
    """Per-node float32 transition vectors for the scan kernel, indexed by the target node k.

    Returns (a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc): transitions *into*
    M_k from node k-1 and B, out of M_k/I_k into I_k, into D_k from node k-1, and the
    exit weight of M_k/D_k.
    """
    f32 = np.float32
    z = np.zeros(M + 1, dtype=f32)
    a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd = (z.copy() for _ in range(8))
    a_mm[2:] = tp[1:M, p7.MM]
    a_im[2:] = tp[1:M, p7.IM]
    a_dm[2:] = tp[1:M, p7.DM]
    a_bm[1:] = tp[0:M, p7.BM]
    a_mi[1:M] = tp[1:M, p7.MI]
    a_ii[1:M] = tp[1:M, p7.II]
    a_md[2:] = tp[1:M, p7.MD]
    a_dd[2:] = tp[1:M, p7.DD]
    esc = np.full(M + 1, f32(local), dtype=f32)
    esc[0] = 0.0
    esc[M] = 1.0
    return a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc


def forward_scores(profile, dsq: np.ndarray, offsets: np.ndarray, lengths: np.ndarray,
                   *, n_jobs: int = 1) -> np.ndarray:  # fmt: skip
    """Forward scores (nats, not null-corrected) of many sequences packed in one array.

    Sequence s is ``dsq[offsets[s]:offsets[s]+lengths[s]]``; the profile's length model is
    retuned to each sequence's length, as HMMER does. `profile` is a configured profile or
    its :class:`ScanProfile`. `n_jobs` > 1 scores sequences on several cores.
    """
    sp = profile if isinstance(profile, ScanProfile) else scan_profile(profile)
    out = np.empty(len(offsets), dtype=np.float64)
    dsq = np.ascontiguousarray(dsq, dtype=np.uint8)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable").astype(np.int64)  # long first: lanes balance
    if n_jobs is not None and n_jobs > 1 and len(offsets) > 1:
        # threads run the one-core kernel on interleaved parts (lanes are independent, so
        # every score is the one-core score, bit for bit)
        from ...training.parallel import map_shards

        n_parts = min(int(n_jobs), len(offsets))
        parts = [np.ascontiguousarray(order[c::n_parts]) for c in range(n_parts)]
        map_shards(lambda part: _scan_serial(dsq, offsets, lengths, part, sp, out), parts, n_parts)
    else:
        _scan_serial(dsq, offsets, lengths, order, sp, out)
    return out


def scan_profile(profile) -> ScanProfile:
    """The :class:`ScanProfile` of a configured profile (its length model is set per
    sequence by the kernels)."""
    tp, me, ie, xp, local = profile.kernel_arrays(np.float32)
    ins = np.ascontiguousarray(ie[:, 1] if profile.M > 1 else np.ones(me.shape[0]))
    return ScanProfile(
        *scan_arrays(tp, local, profile.M), me, np.ascontiguousarray(me.T),
        ins.astype(np.float32),  # insert odds per code (1: inserts emit like the background)
        np.float32(xp[p7.XE, p7.LOOP]), np.float32(xp[p7.XE, p7.MOVE]), np.float32(profile.nj),
    )  # fmt: skip
