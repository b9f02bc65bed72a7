"""Compiled Plan7 dynamic programming: Forward, Backward, Viterbi, decoding, optimal accuracy.

The kernels follow HMMER's "generic" DP (p7_GForward, p7_GBackward, p7_GViterbi,
p7_GDecoding, p7_GOptimalAccuracy/p7_GOATrace, p7_GMSV) on a profile
configured by :mod:`hmmkit.profile.config`.

Forward/Backward work in probability (odds-ratio) space with per-row rescaling, like
HMMER's SSE implementations: emissions are odds ratios against the background, so every
row stays within a small dynamic range and no log/exp is needed in the inner loops. The
scan kernel :func:`forward_scores` (scores only, two rows, float32) is the fast path used
to score a whole database; the full-matrix kernels (float64) keep every row for posterior
decoding. Viterbi, MSV and optimal accuracy work in log / additive space.

Conventions: ``dsq`` is a uint8 array of digital codes (residue ``i`` is ``dsq[i-1]``).
Transition arrays are (M+1, 8) indexed like HMMER's profile (see :mod:`hmmkit.profile.plan7`).
Special states are stored per row in the order N, B, E, C, J.
Traces are three int arrays (state, k, i) in path order, with HMMER's state codes; ``i`` is
the residue a state emitted (0 for non-emitting steps, and for N/C/J steps that did not
emit).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from ..compiling import njit
from .plan7 import (  # noqa: F401 - the DP's names for the Plan7 numbering
    BM as TBM,
)
from .plan7 import (
    DD as TDD,
)
from .plan7 import (
    DM as TDM,
)
from .plan7 import (
    II as TII,
)
from .plan7 import (
    IM as TIM,
)
from .plan7 import (
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
from .plan7 import (
    MD as TMD,
)
from .plan7 import (
    MI as TMI,
)
from .plan7 import (
    MM as TMM,
)

_NEG_INF = -np.inf
_RESCALE = 1.0e4  # rescale a Forward row once E exceeds this (as HMMER's sparse rescaling)


# ======================================================================================
# Forward scan: scores only, float32, two rows (the database search hot loop)
# ======================================================================================


@njit(cache=True, nogil=True, fastmath={"contract", "arcp", "nsz"})
def _forward_one(dsq, start, L, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc, me, ie,
                 e_loop, e_move, nj, mp, ip, dp, mc, ic, dc):  # fmt: skip
    """Forward log-likelihood ratio (nats) of ``dsq[start:start+L]``; rows are caller scratch."""
    M = a_mm.shape[0] - 1
    f32 = np.float32
    pmove = f32((f32(2.0) + nj) / (f32(L) + f32(2.0) + nj))
    ploop = f32(f32(1.0) - pmove)
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
            mc[k] = erow[k] * (mp[k - 1] * a_mm[k] + ip[k - 1] * a_im[k]
                               + dp[k - 1] * a_dm[k] + xB * a_bm[k])  # fmt: skip
        for k in range(1, M + 1):
            ic[k] = ins * (mp[k] * a_mi[k] + ip[k] * a_ii[k])
        # Delete chain: sequential in k.
        d = f32(0.0)
        for k in range(1, M + 1):
            d = mc[k - 1] * a_md[k] + d * a_dd[k]
            dc[k] = d
        xE = f32(0.0)
        for k in range(1, M + 1):
            xE += (mc[k] + dc[k]) * esc[k]
        xJ = xJ * ploop + xE * e_loop
        xC = xC * ploop + xE * e_move
        xN = xN * ploop
        xB = xN * pmove + xJ * pmove
        if xE > _RESCALE:
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
    if xC <= 0.0:
        return -np.inf
    return math.log(xC) + math.log(pmove) + totscale


_LANES = 128  # sequences scored side by side by the lane kernel (one SIMD-friendly row each)
_MIN_LANES = 8  # fewer sequences than this are scored one at a time
_NARROW_LANES = 32  # widest lane kernel for fewer than 4 * _LANES sequences
_SEQUENCES_PER_LANE = 3  # a narrow lane kernel keeps at least this many sequences per lane


@njit(cache=True, nogil=True, inline="always", fastmath={"contract", "arcp", "nsz"})
def _lane_forward_row(W, M, dsq, pos, rem, xs, ins, insw, me_t, er, a_mm, a_im, a_dm, a_bm,
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
    for k in range(1, M + 1):
        erow = me_t[k]
        erk = er[k]
        for w in range(W):
            erk[w] = erow[xs[w]]
    for k in range(1, M + 1):
        amm, aim, adm, abm = a_mm[k], a_im[k], a_dm[k], a_bm[k]
        ami, aii, amd, add, ek = a_mi[k], a_ii[k], a_md[k], a_dd[k], esc[k]
        erk, mck, ick, dck = er[k], mc[k], ic[k], dc[k]
        mpk1, ipk1, dpk1 = mp[k - 1], ip[k - 1], dp_[k - 1]
        mpk, ipk, mck1, dck1 = mp[k], ip[k], mc[k - 1], dc[k - 1]
        for w in range(W):
            mck[w] = erk[w] * (mpk1[w] * amm + ipk1[w] * aim + dpk1[w] * adm + xB[w] * abm)
        for w in range(W):
            ick[w] = insw[w] * (mpk[w] * ami + ipk[w] * aii)
        for w in range(W):
            dck[w] = mck1[w] * amd + dck1[w] * add
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
    f32 = np.float32
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
    pm = f32((f32(2.0) + nj) / (f32(lengths[s]) + f32(2.0) + nj))
    pmove[w] = pm
    ploop[w] = f32(1.0) - pm
    xN[w] = 1.0
    xB[w] = pm
    return nxt + 1, 1


def _lane_scanner(fixed_width: int):
    """The Forward lane kernel, for ``fixed_width`` lanes (a constant of the compiled code)
    or, with 0, for as many lanes as its ``width`` argument. Measured on the proteome: the
    constant serves the full width best (about 1.3x faster than a run-time width), the
    run-time width the narrow ones (about 2x faster than constants of 8 to 32). Every lane
    does the same arithmetic whatever the width."""

    @njit(cache=True, nogil=True, fastmath={"contract", "arcp", "nsz"})
    def scan_lanes(dsq, offsets, lengths, order, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd,
                   esc, me_t, ins, e_loop, e_move, nj, out, width):  # fmt: skip
        """Forward scores of the sequences ``order``, W at a time in lock step.

        Each lane holds one sequence; the DP cells of all lanes for one model node are
        contiguous, so every recurrence step is a vector operation across sequences. A lane
        that finishes its sequence takes the next one. The recurrences of :func:`_forward_one`
        (scores agree with it to float32 rounding).
        """
        M = a_mm.shape[0] - 1
        W = fixed_width if fixed_width > 0 else width
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
            _lane_forward_row(W, M, dsq, pos, rem, xs, ins, insw, me_t, er, a_mm, a_im, a_dm,
                              a_bm, a_mi, a_ii, a_md, a_dd, esc, mp, ip, dp_, mc, ic, dc, xB,
                              xE, False, xE)  # fmt: skip
            rescale = False
            for w in range(W):
                xJ[w] = xJ[w] * ploop[w] + xE[w] * e_loop
                xC[w] = xC[w] * ploop[w] + xE[w] * e_move
                xN[w] = xN[w] * ploop[w]
                xB[w] = (xN[w] + xJ[w]) * pmove[w]
                if xE[w] > _RESCALE:
                    rescale = True
            if rescale:
                for w in range(W):
                    if xE[w] > _RESCALE:
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
                out[s] = math.log(xC[w]) + math.log(pmove[w]) + tot[w] if xC[w] > 0 else -np.inf
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

    return scan_lanes


_SCAN_LANES_WIDE = _lane_scanner(_LANES)
_SCAN_LANES_NARROW = _lane_scanner(0)


@njit(cache=True, nogil=True)
def _scan_lanes(dsq, offsets, lengths, order, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd,
                esc, me_t, ins, e_loop, e_move, nj, out, width):  # fmt: skip
    """The lane kernel of ``width`` (a value of :func:`lane_width`) on ``order``."""
    args = (dsq, offsets, lengths, order, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc,
            me_t, ins, e_loop, e_move, nj, out, width)  # fmt: skip
    if width == _LANES:
        _SCAN_LANES_WIDE(*args)
    else:
        _SCAN_LANES_NARROW(*args)


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
def _scan_serial(dsq, offsets, lengths, order, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd,
                 esc, me, me_t, ins, e_loop, e_move, nj, out):  # fmt: skip
    n = order.shape[0]
    width = lane_width(n)
    if width > 0:
        _scan_lanes(dsq, offsets, lengths, order, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md,
                    a_dd, esc, me_t, ins, e_loop, e_move, nj, out, width)  # fmt: skip
        return
    M = a_mm.shape[0] - 1
    rows = np.zeros((6, M + 1), dtype=np.float32)
    for j in range(n):
        s = order[j]
        out[s] = _forward_one(dsq, offsets[s], lengths[s], a_mm, a_im, a_dm, a_bm, a_mi, a_ii,
                              a_md, a_dd, esc, me, ins, e_loop, e_move, nj, rows[0], rows[1],
                              rows[2], rows[3], rows[4], rows[5])  # fmt: skip


@njit(cache=True, nogil=True, parallel=True)
def _scan_parallel(dsq, offsets, lengths, order, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md,
                   a_dd, esc, me, me_t, ins, e_loop, e_move, nj, out, nchunks):  # fmt: skip
    n = order.shape[0]
    for c in prange(nchunks):
        part = order[c:n:nchunks]
        _scan_serial(dsq, offsets, lengths, part, a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md,
                     a_dd, esc, me, me_t, ins, e_loop, e_move, nj, out)  # fmt: skip


def scan_arrays(tp: np.ndarray, local: float, M: int) -> tuple[np.ndarray, ...]:
    """Per-node float32 transition vectors for the scan kernel, indexed by the target node k.

    Returns (a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc): transitions *into*
    M_k from node k-1 and B, out of M_k/I_k into I_k, into D_k from node k-1, and the
    exit weight of M_k/D_k.
    """
    f32 = np.float32
    z = np.zeros(M + 1, dtype=f32)
    a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd = (z.copy() for _ in range(8))
    a_mm[2:] = tp[1:M, TMM]
    a_im[2:] = tp[1:M, TIM]
    a_dm[2:] = tp[1:M, TDM]
    a_bm[1:] = tp[0:M, TBM]
    a_mi[1:M] = tp[1:M, TMI]
    a_ii[1:M] = tp[1:M, TII]
    a_md[2:] = tp[1:M, TMD]
    a_dd[2:] = tp[1:M, TDD]
    esc = np.full(M + 1, f32(local), dtype=f32)
    esc[0] = 0.0
    esc[M] = 1.0
    return a_mm, a_im, a_dm, a_bm, a_mi, a_ii, a_md, a_dd, esc


def forward_scores(profile, dsq: np.ndarray, offsets: np.ndarray, lengths: np.ndarray,
                   *, n_jobs: int = 1) -> np.ndarray:  # fmt: skip
    """Forward scores (nats, not null-corrected) of many sequences packed in one array.

    Sequence s is ``dsq[offsets[s]:offsets[s]+lengths[s]]``; the profile's length model is
    retuned to each sequence's length, as HMMER does. `n_jobs` > 1 scores sequences on
    several cores.
    """
    tp, me, ie, xp, local = profile.kernel_arrays(np.float32)
    arrays = scan_arrays(tp, local, profile.M)
    me_t = np.ascontiguousarray(me.T)
    ins = np.ascontiguousarray(ie[:, 1] if profile.M > 1 else np.ones(me.shape[0]))
    ins = ins.astype(np.float32)  # insert odds per code (1: inserts emit like the background)
    e_loop, e_move = np.float32(xp[XE, LOOP]), np.float32(xp[XE, MOVE])
    nj = np.float32(profile.nj)
    out = np.empty(len(offsets), dtype=np.float64)
    dsq = np.ascontiguousarray(dsq, dtype=np.uint8)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable").astype(np.int64)  # long first: lanes balance
    common = (dsq, offsets, lengths, order, *arrays, me, me_t, ins, e_loop, e_move, nj, out)
    if n_jobs is not None and n_jobs > 1 and len(offsets) > 1:
        _scan_parallel(*common, min(int(n_jobs), len(offsets)))
    else:
        _scan_serial(*common)
    return out


# ======================================================================================
# Full-matrix Forward / Backward / decoding (float64, probability space, row scaling)
# ======================================================================================


@njit(cache=True, nogil=True)
def node_vectors(tp, local):
    """Transition vectors indexed by node k, for the full-matrix kernels (float64)."""
    M = tp.shape[0] - 1
    into = np.zeros((4, M + 1))  # into M_k from node k-1: MM, IM, DM, and from B
    out = np.zeros((7, M + 1))  # out of node k: MM MI MD IM II DM DD
    for k in range(1, M + 1):
        into[3, k] = tp[k - 1, TBM]
        if k > 1:
            into[0, k] = tp[k - 1, TMM]
            into[1, k] = tp[k - 1, TIM]
            into[2, k] = tp[k - 1, TDM]
        if k < M:
            for t in range(7):
                out[t, k] = tp[k, t]
    esc = np.full(M + 1, local)
    esc[0] = 0.0
    esc[M] = 1.0
    return into, out, esc


@njit(cache=True, nogil=True, fastmath={"contract", "arcp", "nsz"})
def _forward_row(x, me, ie, xp, into, out, esc, mp, ip, dp_, mc, ic, dc, xprev, xcur):
    """One scaled Forward row from the previous one; returns the row's log scale factor."""
    M = mc.shape[0] - 1
    t_mm, t_im, t_dm, t_bm = into[0], into[1], into[2], into[3]
    t_mi, t_ii, t_md, t_dd = out[TMI], out[TII], out[TMD], out[TDD]
    erow, irow_e = me[x], ie[x]
    xB = xprev[SB]
    mc[1] = erow[1] * xB * t_bm[1]
    for k in range(2, M + 1):
        mc[k] = erow[k] * (mp[k - 1] * t_mm[k] + ip[k - 1] * t_im[k]
                           + dp_[k - 1] * t_dm[k] + xB * t_bm[k])  # fmt: skip
    for k in range(1, M):
        ic[k] = irow_e[k] * (mp[k] * t_mi[k] + ip[k] * t_ii[k])
    ic[M] = 0.0
    d = 0.0
    dc[1] = 0.0
    for k in range(2, M + 1):
        d = mc[k - 1] * t_md[k - 1] + d * t_dd[k - 1]
        dc[k] = d
    xE = 0.0
    tot = 0.0
    for k in range(1, M + 1):
        xE += (mc[k] + dc[k]) * esc[k]
        tot += mc[k] + ic[k] + dc[k]
    xJ = xprev[SJ] * xp[XJ, LOOP] + xE * xp[XE, LOOP]
    xC = xprev[SC] * xp[XC, LOOP] + xE * xp[XE, MOVE]
    xN = xprev[SN] * xp[XN, LOOP]
    xB = xN * xp[XN, MOVE] + xJ * xp[XJ, MOVE]
    tot += xN + xJ + xC
    if tot <= 0.0:
        tot = 1.0
    inv = 1.0 / tot
    for k in range(1, M + 1):
        mc[k] *= inv
        ic[k] *= inv
        dc[k] *= inv
    xcur[SN] = xN * inv
    xcur[SB] = xB * inv
    xcur[SE] = xE * inv
    xcur[SC] = xC * inv
    xcur[SJ] = xJ * inv
    return math.log(tot)


@njit(cache=True, nogil=True, fastmath={"contract", "arcp", "nsz"})
def _backward_row(x, me, ie, xp, into, out, esc, mn, inx, mc, ic, dc, xnext, xcur, inv, nxt, insn):
    """One Backward row i from row i+1 (`x` is residue i+1), divided by `inv`."""
    M = mc.shape[0] - 1
    t_bm = into[3]
    erow, irow_e = me[x], ie[x]
    xB = 0.0
    for k in range(1, M + 1):
        xB += mn[k] * t_bm[k] * erow[k]
    xJ = xnext[SJ] * xp[XJ, LOOP] + xB * xp[XJ, MOVE]
    xC = xnext[SC] * xp[XC, LOOP]
    xE = xJ * xp[XE, LOOP] + xC * xp[XE, MOVE]
    xN = xnext[SN] * xp[XN, LOOP] + xB * xp[XN, MOVE]
    for k in range(1, M):
        nxt[k] = mn[k + 1] * erow[k + 1]
        insn[k] = inx[k] * irow_e[k]
    dc[M] = xE
    d = xE
    for k in range(M - 1, 0, -1):
        d = nxt[k] * out[TDM, k] + d * out[TDD, k] + xE * esc[k]
        dc[k] = d
    mc[M] = xE
    ic[M] = 0.0
    o_mm, o_mi, o_md, o_im, o_ii = out[TMM], out[TMI], out[TMD], out[TIM], out[TII]
    for k in range(1, M):
        mc[k] = nxt[k] * o_mm[k] + insn[k] * o_mi[k] + xE * esc[k] + dc[k + 1] * o_md[k]
        ic[k] = nxt[k] * o_im[k] + insn[k] * o_ii[k]
    for k in range(1, M + 1):
        mc[k] *= inv
        ic[k] *= inv
        dc[k] *= inv
    xcur[SN] = xN * inv
    xcur[SB] = xB * inv
    xcur[SE] = xE * inv
    xcur[SC] = xC * inv
    xcur[SJ] = xJ * inv


@njit(cache=True, nogil=True)
def _backward_last_row(xp, out, esc, mc, ic, dc, xcur):
    M = mc.shape[0] - 1
    xcur[SC] = xp[XC, MOVE]
    xcur[SE] = xcur[SC] * xp[XE, MOVE]
    xE = xcur[SE]
    mc[M] = xE
    dc[M] = xE
    for k in range(M - 1, 0, -1):
        mc[k] = xE * esc[k] + dc[k + 1] * out[TMD, k]
        dc[k] = xE * esc[k] + dc[k + 1] * out[TDD, k]
        ic[k] = 0.0


@njit(cache=True, nogil=True)
def _final_score(xlast, xp, logscale):
    final = xlast[SC] * xp[XC, MOVE]
    if final <= 0.0:
        return -np.inf
    score = math.log(final)
    for i in range(1, logscale.shape[0]):
        score += logscale[i]
    return score


@njit(cache=True, nogil=True)
def forward_matrix(dsq, tp, me, ie, xp, local):
    """Forward matrices for ``dsq``: returns (mx, ix, dx, xmx, logscale, score).

    ``mx/ix/dx`` are (L+1, M+1), ``xmx`` (L+1, 5) the specials N B E C J; row i is
    divided by ``exp(logscale[i])``. ``score`` is the log-likelihood ratio in nats.
    """
    L = dsq.shape[0]
    M = tp.shape[0] - 1
    into, out, esc = node_vectors(tp, local)
    mx = np.zeros((L + 1, M + 1))
    ix = np.zeros((L + 1, M + 1))
    dx = np.zeros((L + 1, M + 1))
    xmx = np.zeros((L + 1, 5))
    logscale = np.zeros(L + 1)
    xmx[0, SN] = 1.0
    xmx[0, SB] = xp[XN, MOVE]
    for i in range(1, L + 1):
        logscale[i] = _forward_row(dsq[i - 1], me, ie, xp, into, out, esc, mx[i - 1], ix[i - 1],
                                   dx[i - 1], mx[i], ix[i], dx[i], xmx[i - 1], xmx[i])  # fmt: skip
    return mx, ix, dx, xmx, logscale, _final_score(xmx[L], xp, logscale)


@njit(cache=True, nogil=True)
def backward_matrix(dsq, tp, me, ie, xp, local, logscale):
    """Backward matrices, scaled with the Forward pass's row factors: (mx, ix, dx, xmx).

    Row i is divided by ``exp(sum(logscale[i+1:]))`` so that ``fwd * bck`` over a row,
    divided by ``fwd_C(L) * t(C->T)``, is a posterior probability.
    """
    L = dsq.shape[0]
    M = tp.shape[0] - 1
    into, out, esc = node_vectors(tp, local)
    mx = np.zeros((L + 1, M + 1))
    ix = np.zeros((L + 1, M + 1))
    dx = np.zeros((L + 1, M + 1))
    xmx = np.zeros((L + 1, 5))
    nxt = np.zeros(M + 1)
    insn = np.zeros(M + 1)
    _backward_last_row(xp, out, esc, mx[L], ix[L], dx[L], xmx[L])
    for i in range(L - 1, -1, -1):
        _backward_row(dsq[i], me, ie, xp, into, out, esc, mx[i + 1], ix[i + 1], mx[i], ix[i],
                      dx[i], xmx[i + 1], xmx[i], math.exp(-logscale[i + 1]), nxt, insn)  # fmt: skip
    return mx, ix, dx, xmx


@njit(cache=True, nogil=True)
def forward_parser(dsq, tp, me, ie, xp, local):
    """Forward pass keeping only the special states: (xmx, logscale, score), two DP rows.

    Enough for domain decoding (HMMER's p7_ForwardParser).
    """
    L = dsq.shape[0]
    M = tp.shape[0] - 1
    into, out, esc = node_vectors(tp, local)
    rows = np.zeros((6, M + 1))
    xmx = np.zeros((L + 1, 5))
    logscale = np.zeros(L + 1)
    xmx[0, SN] = 1.0
    xmx[0, SB] = xp[XN, MOVE]
    a, b = 0, 3
    for i in range(1, L + 1):
        logscale[i] = _forward_row(dsq[i - 1], me, ie, xp, into, out, esc, rows[a], rows[a + 1],
                                   rows[a + 2], rows[b], rows[b + 1], rows[b + 2], xmx[i - 1],
                                   xmx[i])  # fmt: skip
        a, b = b, a
    return xmx, logscale, _final_score(xmx[L], xp, logscale)


@njit(cache=True, nogil=True)
def backward_parser(dsq, tp, me, ie, xp, local, logscale):
    """Backward pass keeping only the special states (HMMER's p7_BackwardParser): xmx."""
    L = dsq.shape[0]
    M = tp.shape[0] - 1
    into, out, esc = node_vectors(tp, local)
    rows = np.zeros((6, M + 1))
    xmx = np.zeros((L + 1, 5))
    nxt = np.zeros(M + 1)
    insn = np.zeros(M + 1)
    a, b = 0, 3
    _backward_last_row(xp, out, esc, rows[a], rows[a + 1], rows[a + 2], xmx[L])
    for i in range(L - 1, -1, -1):
        _backward_row(dsq[i], me, ie, xp, into, out, esc, rows[a], rows[a + 1], rows[b],
                      rows[b + 1], rows[b + 2], xmx[i + 1], xmx[i], math.exp(-logscale[i + 1]),
                      nxt, insn)  # fmt: skip
        a, b = b, a
    return xmx


PARSER_LANES = 64  # sequences decoded side by side by the batch parsers (float64 rows)


@njit(cache=True, nogil=True, fastmath={"contract", "arcp", "nsz"})
def _forward_parser_lanes(dsq, offsets, lengths, order, into, out, esc, me_t, ins, e_loop,
                          e_move, nj, fx, logscale):  # fmt: skip
    """Forward specials of many sequences, PARSER_LANES side by side (rows as in
    :func:`forward_parser`); sequence s owns rows ``offsets[s] + s .. + lengths[s]``."""
    M = into.shape[1] - 1
    W = PARSER_LANES
    t_mm, t_im, t_dm, t_bm = into[0], into[1], into[2], into[3]
    t_mi, t_ii = out[TMI], out[TII]
    t_md = np.zeros(M + 1)
    t_dd = np.zeros(M + 1)
    for k in range(2, M + 1):
        t_md[k] = out[TMD, k - 1]
        t_dd[k] = out[TDD, k - 1]
    mp = np.zeros((M + 1, W))
    ip = np.zeros((M + 1, W))
    dp_ = np.zeros((M + 1, W))
    mc = np.zeros((M + 1, W))
    ic = np.zeros((M + 1, W))
    dc = np.zeros((M + 1, W))
    er = np.zeros((M + 1, W))
    xN = np.zeros(W)
    xB = np.zeros(W)
    xJ = np.zeros(W)
    xC = np.zeros(W)
    xE = np.zeros(W)
    tot = np.zeros(W)
    ploop = np.zeros(W)
    pmove = np.zeros(W)
    insw = np.zeros(W)
    row = np.zeros(W, dtype=np.int64)
    pos = np.zeros(W, dtype=np.int64)
    rem = np.zeros(W, dtype=np.int64)
    xs = np.zeros(W, dtype=np.int64)
    n = order.shape[0]
    nxt = 0
    active = 0
    while True:
        while nxt < n:  # load sequences into free lanes
            lane = -1
            for v in range(W):
                if rem[v] == 0:
                    lane = v
                    break
            if lane < 0:
                break
            s = order[nxt]
            nxt += 1
            L = lengths[s]
            pm = float(np.float32((np.float32(2.0) + nj) / (np.float32(L) + np.float32(2.0) + nj)))
            r0 = offsets[s] + s
            fx[r0, SN] = 1.0
            fx[r0, SB] = pm
            logscale[r0] = 0.0
            row[lane] = r0
            pos[lane] = offsets[s]
            rem[lane] = L
            pmove[lane] = pm
            ploop[lane] = float(np.float32(1.0) - np.float32(pm))
            xN[lane] = 1.0
            xB[lane] = pm
            xJ[lane] = 0.0
            xC[lane] = 0.0
            for k in range(M + 1):
                mp[k, lane] = 0.0
                ip[k, lane] = 0.0
                dp_[k, lane] = 0.0
            active += 1
        if active == 0:
            break
        _lane_forward_row(W, M, dsq, pos, rem, xs, ins, insw, me_t, er, t_mm, t_im, t_dm, t_bm,
                          t_mi, t_ii, t_md, t_dd, esc, mp, ip, dp_, mc, ic, dc, xB, xE, True,
                          tot)  # fmt: skip
        for v in range(W):
            xJ[v] = xJ[v] * ploop[v] + xE[v] * e_loop
            xC[v] = xC[v] * ploop[v] + xE[v] * e_move
            xN[v] = xN[v] * ploop[v]
            xB[v] = (xN[v] + xJ[v]) * pmove[v]
            t = tot[v] + xN[v] + xJ[v] + xC[v]
            tot[v] = 1.0 / t if t > 0.0 else 1.0
        for k in range(1, M + 1):
            mck, ick, dck = mc[k], ic[k], dc[k]
            for v in range(W):
                mck[v] *= tot[v]
                ick[v] *= tot[v]
                dck[v] *= tot[v]
        mp, mc = mc, mp
        ip, ic = ic, ip
        dp_, dc = dc, dp_
        for v in range(W):
            if rem[v] == 0:
                continue
            inv = tot[v]
            xN[v] *= inv
            xB[v] *= inv
            xJ[v] *= inv
            xC[v] *= inv
            r = row[v] + 1
            row[v] = r
            fx[r, SN] = xN[v]
            fx[r, SB] = xB[v]
            fx[r, SE] = xE[v] * inv
            fx[r, SC] = xC[v]
            fx[r, SJ] = xJ[v]
            logscale[r] = -math.log(inv)
            pos[v] += 1
            rem[v] -= 1
            if rem[v] == 0:
                active -= 1


@njit(cache=True, nogil=True, fastmath={"contract", "arcp", "nsz"})
def _backward_parser_lanes(dsq, offsets, lengths, order, into, out, esc, me_t, ins, e_loop,
                           e_move, nj, logscale, bx):  # fmt: skip
    """Backward specials of many sequences side by side (rows as :func:`backward_parser`)."""
    M = into.shape[1] - 1
    W = PARSER_LANES
    t_bm = into[3]
    o_mm, o_mi, o_md, o_im, o_ii = out[TMM], out[TMI], out[TMD], out[TIM], out[TII]
    o_dm, o_dd = out[TDM], out[TDD]
    mn = np.zeros((M + 1, W))
    inx = np.zeros((M + 1, W))
    mc = np.zeros((M + 1, W))
    ic = np.zeros((M + 1, W))
    dc = np.zeros((M + 1, W))
    er = np.zeros((M + 1, W))
    nx = np.zeros((M + 1, W))
    insn = np.zeros((M + 1, W))
    xN = np.zeros(W)
    xB = np.zeros(W)
    xJ = np.zeros(W)
    xC = np.zeros(W)
    xE = np.zeros(W)
    inv = np.zeros(W)
    ploop = np.zeros(W)
    pmove = np.zeros(W)
    insw = np.zeros(W)
    row = np.zeros(W, dtype=np.int64)  # row index of the row to compute next
    pos = np.zeros(W, dtype=np.int64)  # dsq index of residue row+1
    rem = np.zeros(W, dtype=np.int64)
    xs = np.zeros(W, dtype=np.int64)
    n = order.shape[0]
    nxt = 0
    active = 0
    lane = 0
    while True:
        # load sequences into free lanes
        while nxt < n:
            lane = -1
            for v in range(W):
                if rem[v] == 0:
                    lane = v
                    break
            if lane < 0:
                break
            s = order[nxt]
            nxt += 1
            L = lengths[s]
            pm = float(np.float32((np.float32(2.0) + nj) / (np.float32(L) + np.float32(2.0) + nj)))
            rL = offsets[s] + s + L
            bx[rL, SC] = pm
            bx[rL, SE] = pm * e_move
            e = pm * e_move
            mn[M, lane] = e
            inx[M, lane] = 0.0
            d = e
            mnd = e
            for k in range(M - 1, 0, -1):
                mnd = e * esc[k] + d * o_md[k]
                d = e * esc[k] + d * o_dd[k]
                mn[k, lane] = mnd
                inx[k, lane] = 0.0
            xN[lane] = 0.0
            xJ[lane] = 0.0
            xC[lane] = pm
            row[lane] = rL - 1
            pos[lane] = offsets[s] + L - 1
            rem[lane] = L
            pmove[lane] = pm
            ploop[lane] = float(np.float32(1.0) - np.float32(pm))
            active += 1
        if active == 0:
            break
        for v in range(W):
            xs[v] = dsq[pos[v]] if rem[v] > 0 else 0
            insw[v] = ins[xs[v]]
            xB[v] = 0.0
            inv[v] = math.exp(-logscale[row[v] + 1]) if rem[v] > 0 else 0.0
        for k in range(1, M + 1):
            erow = me_t[k]
            erk = er[k]
            mnk = mn[k]
            b = t_bm[k]
            for v in range(W):
                erk[v] = erow[xs[v]]
                xB[v] += mnk[v] * b * erk[v]
        for v in range(W):
            xJ[v] = xJ[v] * ploop[v] + xB[v] * pmove[v]
            xC[v] = xC[v] * ploop[v]
            xE[v] = xJ[v] * e_loop + xC[v] * e_move
            xN[v] = xN[v] * ploop[v] + xB[v] * pmove[v]
        for k in range(1, M):
            nk, ik, mk1, erk1, ink = nx[k], insn[k], mn[k + 1], er[k + 1], inx[k]
            for v in range(W):
                nk[v] = mk1[v] * erk1[v]
                ik[v] = ink[v] * insw[v]
        dM = dc[M]
        mM = mc[M]
        iM = ic[M]
        for v in range(W):
            dM[v] = xE[v]
            mM[v] = xE[v]
            iM[v] = 0.0
        for k in range(M - 1, 0, -1):
            dk, dk1, nk = dc[k], dc[k + 1], nx[k]
            a, b2, ek = o_dm[k], o_dd[k], esc[k]
            for v in range(W):
                dk[v] = nk[v] * a + dk1[v] * b2 + xE[v] * ek
        for k in range(1, M):
            mk, ikk, nk, ik, dk1 = mc[k], ic[k], nx[k], insn[k], dc[k + 1]
            amm, ami, amd, aim, aii, ek = o_mm[k], o_mi[k], o_md[k], o_im[k], o_ii[k], esc[k]
            for v in range(W):
                mk[v] = nk[v] * amm + ik[v] * ami + xE[v] * ek + dk1[v] * amd
                ikk[v] = nk[v] * aim + ik[v] * aii
        for k in range(1, M + 1):
            mk, ikk, dk = mc[k], ic[k], dc[k]
            for v in range(W):
                mk[v] *= inv[v]
                ikk[v] *= inv[v]
                dk[v] *= inv[v]
        mn, mc = mc, mn
        inx, ic = ic, inx
        for v in range(W):
            if rem[v] == 0:
                continue
            r = row[v]
            xN[v] *= inv[v]
            xB[v] *= inv[v]
            xE[v] *= inv[v]
            xC[v] *= inv[v]
            xJ[v] *= inv[v]
            bx[r, SN] = xN[v]
            bx[r, SB] = xB[v]
            bx[r, SE] = xE[v]
            bx[r, SC] = xC[v]
            bx[r, SJ] = xJ[v]
            row[v] = r - 1
            pos[v] -= 1
            rem[v] -= 1
            if rem[v] == 0:
                active -= 1


def domain_decoding_batch(profile, dsq, offsets, lengths):
    """Forward/Backward special states of many sequences at once (multi-hit, each with its
    own length model): returns packed (fx, bx, logscale); sequence s owns rows
    ``offsets[s] + s`` to ``offsets[s] + s + lengths[s]``. Lengths must be positive."""
    if np.any(np.asarray(lengths) < 1):
        raise ValueError("lengths: every sequence must have at least one residue")
    tp, me, ie, xp, local = profile.kernel_arrays()
    into, out, esc = node_vectors(tp, local)
    me_t = np.ascontiguousarray(me.T)
    ins = np.ascontiguousarray(ie[:, 1] if profile.M > 1 else np.ones(me.shape[0]))
    nrows = int(np.sum(lengths)) + len(lengths)
    fx = np.zeros((nrows, 5))
    bx = np.zeros((nrows, 5))
    logscale = np.zeros(nrows)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable").astype(np.int64)
    e_loop, e_move = float(xp[XE, LOOP]), float(xp[XE, MOVE])
    nj = np.float32(profile.nj)
    args = (np.ascontiguousarray(dsq, dtype=np.uint8), offsets, lengths, order, into, out, esc,
            me_t, ins, e_loop, e_move, nj)  # fmt: skip
    _forward_parser_lanes(*args, fx, logscale)
    _backward_parser_lanes(*args, logscale, bx)
    return fx, bx, logscale


@njit(cache=True, nogil=True)
def posterior_matrix(fmx, fix, fxmx, bmx, bix, bxmx, xp, logscale):
    """Posterior probabilities that residue i is emitted by each state (p7_Decoding).

    Returns (pm, pi, px): pm/pi (L+1, M+1) for match/insert states; px (L+1, 5) with the
    N, J, C emission posteriors in columns SN, SJ, SC (other columns 0).
    """
    L = fmx.shape[0] - 1
    M = fmx.shape[1] - 1
    z = fxmx[L, SC] * xp[XC, MOVE]
    pm = np.zeros((L + 1, M + 1))
    pi = np.zeros((L + 1, M + 1))
    px = np.zeros((L + 1, 5))
    if z <= 0.0:
        return pm, pi, px
    inv = 1.0 / z
    for i in range(1, L + 1):
        for k in range(1, M + 1):
            pm[i, k] = fmx[i, k] * bmx[i, k] * inv
            pi[i, k] = fix[i, k] * bix[i, k] * inv
        c = inv * math.exp(-logscale[i])
        px[i, SN] = fxmx[i - 1, SN] * bxmx[i, SN] * xp[XN, LOOP] * c
        px[i, SJ] = fxmx[i - 1, SJ] * bxmx[i, SJ] * xp[XJ, LOOP] * c
        px[i, SC] = fxmx[i - 1, SC] * bxmx[i, SC] * xp[XC, LOOP] * c
    return pm, pi, px


@njit(cache=True, nogil=True)
def domain_posteriors(fxmx, bxmx, xp, logscale):
    """HMMER's p7_DomainDecoding: (mocc, btot, etot), each (L+1,).

    ``mocc[i]`` is the probability that residue i lies in a domain (not N, C, J);
    ``btot[i]``/``etot[i]`` the expected numbers of domain starts/ends at or before i.
    """
    L = fxmx.shape[0] - 1
    z = fxmx[L, SC] * xp[XC, MOVE]
    mocc = np.zeros(L + 1)
    btot = np.zeros(L + 1)
    etot = np.zeros(L + 1)
    if z <= 0.0:
        return mocc, btot, etot
    inv = 1.0 / z
    for i in range(1, L + 1):
        btot[i] = btot[i - 1] + fxmx[i - 1, SB] * bxmx[i - 1, SB] * inv
        etot[i] = etot[i - 1] + fxmx[i, SE] * bxmx[i, SE] * inv
        c = inv * math.exp(-logscale[i])
        njc = (fxmx[i - 1, SN] * bxmx[i, SN] * xp[XN, LOOP]
               + fxmx[i - 1, SJ] * bxmx[i, SJ] * xp[XJ, LOOP]
               + fxmx[i - 1, SC] * bxmx[i, SC] * xp[XC, LOOP]) * c  # fmt: skip
        mocc[i] = 1.0 - njc
    return mocc, btot, etot


# ======================================================================================
# Viterbi (log space)
# ======================================================================================


@njit(cache=True, nogil=True)
def viterbi_matrix(dsq, tsc, msc, isc, xsc, local):
    """Viterbi log-space matrices (mx, ix, dx, xmx) and the optimal score in nats."""
    L = dsq.shape[0]
    M = tsc.shape[0] - 1
    mx = np.full((L + 1, M + 1), _NEG_INF)
    ix = np.full((L + 1, M + 1), _NEG_INF)
    dx = np.full((L + 1, M + 1), _NEG_INF)
    xmx = np.full((L + 1, 5), _NEG_INF)
    esc = 0.0 if local > 0.0 else _NEG_INF
    xmx[0, SN] = 0.0
    xmx[0, SB] = xsc[XN, MOVE]
    for i in range(1, L + 1):
        x = dsq[i - 1]
        xE = _NEG_INF
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
def _trace_buffers(L, M):
    n = 2 * (L + M) + 8
    return np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)


@njit(cache=True, nogil=True)
def _reverse_trace(st, kk, ii, n):
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
    st, kk, ii = _trace_buffers(L, M)
    esc = 0.0 if local > 0.0 else _NEG_INF
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
            a = xmx[i - 1, col] + xsc[row, LOOP] if i > 0 else _NEG_INF
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
    return _reverse_trace(st, kk, ii, n)


# ======================================================================================
# Optimal accuracy alignment
# ======================================================================================


@njit(cache=True, nogil=True)
def optimal_accuracy(pm, pi, px, tmask, xmask, local):
    """Optimal accuracy DP (p7_GOptimalAccuracy): returns (mx, ix, dx, xmx, score).

    ``tmask`` (M+1, 8) and ``xmask`` (4, 2) are 1.0 where a transition is possible.
    The score is the expected number of correctly aligned residues.
    """
    L = pm.shape[0] - 1
    M = pm.shape[1] - 1
    mx = np.full((L + 1, M + 1), _NEG_INF)
    ix = np.full((L + 1, M + 1), _NEG_INF)
    dx = np.full((L + 1, M + 1), _NEG_INF)
    xmx = np.full((L + 1, 5), _NEG_INF)
    xmx[0, SN] = 0.0
    xmx[0, SB] = 0.0
    for i in range(1, L + 1):
        xE = _NEG_INF
        for k in range(1, M + 1):
            p = pm[i, k]
            sc = _NEG_INF
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
                v = _NEG_INF
                if tmask[k, TMI] > 0.0:
                    v = mx[i - 1, k] + pi[i, k]
                if tmask[k, TII] > 0.0:
                    v = max(v, ix[i - 1, k] + pi[i, k])
                ix[i, k] = v
            if k > 1:
                v = _NEG_INF
                if tmask[k - 1, TMD] > 0.0:
                    v = mx[i, k - 1]
                if tmask[k - 1, TDD] > 0.0:
                    v = max(v, dx[i, k - 1])
                dx[i, k] = v
        xE = max(xE, max(mx[i, M], dx[i, M]))
        xmx[i, SE] = xE
        v = _NEG_INF
        if xmask[XJ, LOOP] > 0.0:
            v = xmx[i - 1, SJ] + px[i, SJ]
        if xmask[XE, LOOP] > 0.0:
            v = max(v, xE)
        xmx[i, SJ] = v
        v = _NEG_INF
        if xmask[XC, LOOP] > 0.0:
            v = xmx[i - 1, SC] + px[i, SC]
        if xmask[XE, MOVE] > 0.0:
            v = max(v, xE)
        xmx[i, SC] = v
        xmx[i, SN] = xmx[i - 1, SN] + px[i, SN] if xmask[XN, LOOP] > 0.0 else _NEG_INF
        v = _NEG_INF
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
    st, kk, ii = _trace_buffers(L, M)
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
            a = xmx[i - 1, SC] + px[i, SC] if (i > 0 and xmask[XC, LOOP] > 0.0) else _NEG_INF
            b = xmx[i, SE] if xmask[XE, MOVE] > 0.0 else _NEG_INF
            if a > b:
                ii[n - 1] = i
                pp[n - 1] = px[i, SC]
                i -= 1
                s = ST_C
            else:
                s = ST_E
        elif s == ST_J:
            a = xmx[i - 1, SJ] + px[i, SJ] if (i > 0 and xmask[XJ, LOOP] > 0.0) else _NEG_INF
            b = xmx[i, SE] if xmask[XE, LOOP] > 0.0 else _NEG_INF
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
                best = _NEG_INF
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
            a = xmx[i, SN] if xmask[XN, MOVE] > 0.0 else _NEG_INF
            b = xmx[i, SJ] if xmask[XJ, MOVE] > 0.0 else _NEG_INF
            s = ST_N if a > b else ST_J
        elif s == ST_M:
            kp = k - 1
            ip = i - 1
            best = _NEG_INF
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
            if s == -1 and best == _NEG_INF:
                s = ST_B
            i = ip
            k = kp
        elif s == ST_D:
            a = mx[i, k - 1] if tmask[k - 1, TMD] > 0.0 else _NEG_INF
            b = dx[i, k - 1] if tmask[k - 1, TDD] > 0.0 else _NEG_INF
            s = ST_M if a >= b else ST_D
            k -= 1
        elif s == ST_I:
            a = mx[i - 1, k] if tmask[k, TMI] > 0.0 else _NEG_INF
            b = ix[i - 1, k] if tmask[k, TII] > 0.0 else _NEG_INF
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
    out_s, out_k, out_i = _reverse_trace(st, kk, ii, n)
    out_pp = np.empty(n)
    for z in range(n):
        out_pp[z] = pp[n - 1 - z]
    return out_s, out_k, out_i, out_pp


# ======================================================================================
# Easel's fast random number generator
# ======================================================================================


@njit(cache=True, nogil=True)
def _mix3(a, b, c):
    m = np.uint32(0xFFFFFFFF)
    a = np.uint32(a)
    b = np.uint32(b)
    c = np.uint32(c)
    a = np.uint32((a - b) & m)
    a = np.uint32((a - c) & m)
    a ^= c >> np.uint32(13)  # noqa: E702
    b = np.uint32((b - c) & m)
    b = np.uint32((b - a) & m)
    b ^= np.uint32((a << np.uint32(8)) & m)  # noqa: E702,E501
    c = np.uint32((c - a) & m)
    c = np.uint32((c - b) & m)
    c ^= b >> np.uint32(13)  # noqa: E702
    a = np.uint32((a - b) & m)
    a = np.uint32((a - c) & m)
    a ^= c >> np.uint32(12)  # noqa: E702
    b = np.uint32((b - c) & m)
    b = np.uint32((b - a) & m)
    b ^= np.uint32((a << np.uint32(16)) & m)  # noqa: E702,E501
    c = np.uint32((c - a) & m)
    c = np.uint32((c - b) & m)
    c ^= b >> np.uint32(5)  # noqa: E702
    a = np.uint32((a - b) & m)
    a = np.uint32((a - c) & m)
    a ^= c >> np.uint32(3)  # noqa: E702
    b = np.uint32((b - c) & m)
    b = np.uint32((b - a) & m)
    b ^= np.uint32((a << np.uint32(10)) & m)  # noqa: E702,E501
    c = np.uint32((c - a) & m)
    c = np.uint32((c - b) & m)
    c ^= b >> np.uint32(15)  # noqa: E702
    return c


@njit(cache=True, nogil=True)
def rng_state(seed):
    """Initial state of Easel's fast generator (esl_randomness_CreateFast) for `seed` > 0."""
    state = np.zeros(1, dtype=np.uint64)
    x = _mix3(np.uint32(seed), np.uint32(87654321), np.uint32(12345678))
    if x == 0:
        x = np.uint32(42)
    state[0] = np.uint64(x)
    return state


@njit(cache=True, nogil=True)
def rng_uniform(state):
    """Next uniform deviate on [0, 1) from Easel's (a=69069, c=1) LCG; advances `state`."""
    x = (state[0] * np.uint64(69069) + np.uint64(1)) & np.uint64(0xFFFFFFFF)
    state[0] = x
    return float(x) / 4294967296.0


@njit(cache=True, nogil=True)
def rng_choose(state, p):
    """esl_rnd_FChoose: sample an index from the (unnormalized) weights `p`."""
    roll = rng_uniform(state)
    norm = 0.0
    for j in range(p.shape[0]):
        norm += p[j]
    acc = 0.0
    for j in range(p.shape[0]):
        acc += p[j]
        if roll < acc / norm:
            return j
    return p.shape[0] - 1


@njit(cache=True, nogil=True)
def random_iid(state, f32_freqs, L):
    """esl_rsq_xfIID: an i.i.d. digital sequence of length L from float32 frequencies."""
    out = np.empty(L, dtype=np.uint8)
    p = f32_freqs.astype(np.float64)
    for i in range(L):
        out[i] = rng_choose(state, p)
    return out


# ======================================================================================
# MSV (ungapped local multi-hit) and filter-style score approximations
# ======================================================================================


@njit(cache=True, nogil=True)
def msv_score(dsq, msc, nu, ncj_loops):
    """Generic MSV score in nats (p7_GMSV): best ungapped multi-hit local alignment.

    With ``ncj_loops`` False the N/C/J self-loops score 0 and 3 nats are subtracted at the
    end, the approximation HMMER's MSV filter makes.
    """
    L = dsq.shape[0]
    M = msc.shape[1] - 1
    tloop = math.log(np.float32(L) / np.float32(L + 3)) if ncj_loops else 0.0
    tmove = math.log(np.float32(3.0) / np.float32(L + 3))
    tbmk = math.log(np.float32(2.0) / (np.float32(M) * np.float32(M + 1)))
    tej = math.log((nu - 1.0) / nu)
    tec = math.log(1.0 / nu)
    prev = np.full(M + 1, _NEG_INF)
    cur = np.full(M + 1, _NEG_INF)
    xN = 0.0
    xB = tmove
    xJ = _NEG_INF
    xC = _NEG_INF
    for i in range(L):
        x = dsq[i]
        xE = _NEG_INF
        cur[0] = _NEG_INF
        for k in range(1, M + 1):
            v = msc[x, k] + max(prev[k - 1], xB + tbmk)
            cur[k] = v
            xE = max(xE, v)
        xJ = max(xJ + tloop, xE + tej)
        xC = max(xC + tloop, xE + tec)
        xN = xN + tloop
        xB = max(xN + tmove, xJ + tmove)
        prev, cur = cur, prev
    sc = xC + tmove
    if not ncj_loops:
        sc -= 3.0
    return sc


# ======================================================================================
# Trace utilities
# ======================================================================================


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


# ======================================================================================
# HMMER's 8-bit MSV filter, reproduced exactly
# ======================================================================================


def _roundf(x: np.ndarray) -> np.ndarray:
    """C roundf (half away from zero) in float32."""
    x = np.asarray(x, dtype=np.float32)
    return (np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))).astype(np.float32)


def msv_byte_profile(msc: np.ndarray, K: int) -> tuple[np.ndarray, int]:
    """HMMER's MSV byte costs (Kp, M+1) and emission bias for log-odds match scores `msc`.

    Scores are in 1/3-bit units, offset so that all costs are unsigned bytes.
    """
    scale = np.float32(3.0) / np.float32(math.log(2.0))
    msc32 = msc.astype(np.float32)
    finite = msc32[:K, 1:]
    top = max(0.0, float(finite[np.isfinite(finite)].max())) if finite.size else 0.0
    bias = int(-_roundf(scale * np.float32(-top)))
    bias = min(max(bias, 0), 255)
    with np.errstate(invalid="ignore", over="ignore"):
        cost = -_roundf(scale * msc32)
    costs = np.where(cost > 255 - bias, 255, np.where(np.isfinite(cost), cost, 255) + bias)
    costs = np.minimum(costs, 255).astype(np.uint8)
    costs[:, 0] = 255
    return costs, bias


def _unbiased_byte(sc) -> np.ndarray:
    """HMMER's unbiased_byteify(): -roundf(3/ln2 * sc) as a cost, saturated at 255."""
    scale = np.float32(3.0) / np.float32(math.log(2.0))
    cost = -_roundf(scale * np.asarray(sc, dtype=np.float32))
    return np.minimum(cost, 255.0).astype(np.int64)


@njit(cache=True, nogil=True)
def _msv_filter_batch(dsq, offsets, lengths, costs, bias, base, tbm, tec, tjbs, out):
    """p7_MSVFilter on every sequence; 16-bit lanes (costs are bytes) so the loop over
    the model vectorises wide."""
    M = costs.shape[1] - 1
    wide = costs.astype(np.int16)
    prev = np.zeros(M + 1, dtype=np.int16)
    cur = np.zeros(M + 1, dtype=np.int16)
    top = np.int16(255)
    floor = np.int16(0)
    lift = np.int16(bias)
    for s in range(len(offsets)):
        lo, L, tjb = offsets[s], lengths[s], tjbs[s]
        prev[:] = 0
        cur[0] = 0
        tjbm = tjb + tbm
        xJ = 0
        xB = np.int16(max(base - tjbm, 0))
        overflow = False
        for i in range(L):
            row = wide[dsq[lo + i]]
            xE = floor
            for k in range(1, M + 1):
                sv = min(np.int16(max(prev[k - 1], xB) + lift), top)
                sv = max(np.int16(sv - row[k]), floor)
                cur[k] = sv
                xE = max(xE, sv)
            if xE >= 255 - bias:
                overflow = True
                break
            xJ = max(xJ, xE - tec)
            xB = np.int16(max(max(base, xJ) - tjbm, 0))
            prev, cur = cur, prev
        out[s] = np.inf if overflow else ((xJ - tjb) - base) / (3.0 / math.log(2.0)) - 3.0


def msv_filter_scores(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    msc: np.ndarray,
    K: int,
    byte_profile=None,
) -> np.ndarray:
    """MSV scores (nats) of packed sequences exactly as HMMER's 8-bit MSV filter computes
    them (p7_MSVFilter); inf where the filter saturates.

    `byte_profile` may pass a precomputed :func:`msv_byte_profile` result.
    """  # fmt: skip
    costs, bias = byte_profile if byte_profile is not None else msv_byte_profile(msc, K)
    M = msc.shape[1] - 1
    lengths = np.asarray(lengths, dtype=np.int64)
    tbm = int(_unbiased_byte(math.log(np.float32(2.0) / (np.float32(M) * np.float32(M + 1)))))
    tec = int(_unbiased_byte(math.log(np.float32(0.5))))
    ratio = np.float32(3.0) / (lengths + 3).astype(np.float32)
    tjbs = _unbiased_byte(np.log(ratio.astype(np.float64)))
    out = np.empty(len(lengths))
    _msv_filter_batch(dsq, np.asarray(offsets, dtype=np.int64), lengths, costs, bias, 190,
                      tbm, tec, tjbs, out)  # fmt: skip
    return out


def msv_filter_score(dsq: np.ndarray, msc: np.ndarray, K: int, byte_profile=None) -> float:
    """:func:`msv_filter_scores` of one sequence."""
    one = np.zeros(1, dtype=np.int64)
    return float(msv_filter_scores(dsq, one, one + len(dsq), msc, K, byte_profile)[0])


# ======================================================================================
# HMMER's 16-bit Viterbi filter, reproduced exactly
# ======================================================================================

_WORD_MIN, _WORD_MAX = -32768, 32767


def _wordify(sc) -> np.ndarray:
    """HMMER's wordify(): scores in 1/500-bit units, rounded, saturated to int16."""
    scale = np.float32(500.0 / math.log(2.0))
    with np.errstate(invalid="ignore", over="ignore"):
        v = _roundf(scale * np.asarray(sc, dtype=np.float32))
    v = np.where(np.isnan(v), _WORD_MIN, v)
    return np.clip(v, _WORD_MIN, _WORD_MAX).astype(np.int32)


def viterbi_word_profile(tsc: np.ndarray, msc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word (16-bit) emission and transition scores of HMMER's Viterbi filter.

    Returns (rwv (Kp, M+1), twv (9, M+1)) with twv rows BM MM IM DM (into node k from k-1),
    MD MI II DD (out of node k) and, as row 8, nothing (kept for alignment).
    """
    M = tsc.shape[0] - 1
    rwv = _wordify(msc)
    rwv[:, 0] = _WORD_MIN
    twv = np.full((9, M + 1), _WORD_MIN, dtype=np.int32)
    k = np.arange(1, M + 1)
    twv[0, 1:] = np.minimum(_wordify(tsc[k - 1, TBM]), 0)
    twv[1, 1:] = np.minimum(_wordify(tsc[k - 1, TMM]), 0)
    twv[2, 1:] = np.minimum(_wordify(tsc[k - 1, TIM]), 0)
    twv[3, 1:] = np.minimum(_wordify(tsc[k - 1, TDM]), 0)
    inner = np.arange(1, M)
    twv[4, inner] = np.minimum(_wordify(tsc[inner, TMD]), 0)
    twv[5, inner] = np.minimum(_wordify(tsc[inner, TMI]), 0)
    twv[6, inner] = np.minimum(_wordify(tsc[inner, TII]), -1)  # no zero-cost insert loops
    twv[7, inner] = np.minimum(_wordify(tsc[inner, TDD]), 0)
    twv[1:4, 1] = _WORD_MIN  # no M_0/I_0/D_0 in a profile
    return rwv, twv


@njit(cache=True, nogil=True, inline="always")
def _sat(v):
    return max(-32768, min(32767, v))


@njit(cache=True, nogil=True)
def _viterbi_filter(dsq, rwv, twv, e_move, e_loop, n_move, c_move, j_move):
    L = dsq.shape[0]
    M = rwv.shape[1] - 1
    NEG = -32768
    mp = np.full(M + 1, NEG, dtype=np.int32)
    ip = np.full(M + 1, NEG, dtype=np.int32)
    dp_ = np.full(M + 1, NEG, dtype=np.int32)
    mc = np.full(M + 1, NEG, dtype=np.int32)
    ic = np.full(M + 1, NEG, dtype=np.int32)
    dc = np.full(M + 1, NEG, dtype=np.int32)
    base = 12000
    xN = base
    xB = _sat(xN + n_move)
    xJ = NEG
    xC = NEG
    for i in range(L):
        x = dsq[i]
        xE = NEG
        for k in range(1, M + 1):
            sv = _sat(xB + twv[0, k])
            sv = max(sv, _sat(mp[k - 1] + twv[1, k]))
            sv = max(sv, _sat(ip[k - 1] + twv[2, k]))
            sv = max(sv, _sat(dp_[k - 1] + twv[3, k]))
            sv = _sat(sv + rwv[x, k])
            mc[k] = sv
            if sv > xE:
                xE = sv
            ic[k] = max(_sat(mp[k] + twv[5, k]), _sat(ip[k] + twv[6, k]))
        dc[1] = NEG
        for k in range(2, M + 1):
            dc[k] = max(_sat(mc[k - 1] + twv[4, k - 1]), _sat(dc[k - 1] + twv[7, k - 1]))
        if xE >= 32767:
            return np.inf
        xC = max(xC, _sat(xE + e_move))
        xJ = max(xJ, _sat(xE + e_loop))
        xB = max(_sat(xJ + j_move), _sat(xN + n_move))
        mp, mc = mc, mp
        ip, ic = ic, ip
        dp_, dc = dc, dp_
    if xC <= NEG:
        return -np.inf
    return (float(xC) + float(c_move) - float(base)) / np.float32(500.0 / math.log(2.0)) - 3.0


def viterbi_filter_exact(dsq: np.ndarray, tsc: np.ndarray, msc: np.ndarray, xsc: np.ndarray,
                         word_profile=None) -> float:  # fmt: skip
    """Viterbi score (nats) exactly as HMMER's 16-bit Viterbi filter computes it.

    `xsc` are the profile's special transitions for the target length (multi-hit); the
    N/C/J self-loops are scored 0 and 3 nats subtracted, as the filter does.
    `word_profile` may pass a precomputed :func:`viterbi_word_profile` result.
    """
    rwv, twv = word_profile if word_profile is not None else viterbi_word_profile(tsc, msc)
    w = _wordify(np.array([xsc[XE, MOVE], xsc[XE, LOOP], xsc[XN, MOVE], xsc[XC, MOVE],
                           xsc[XJ, MOVE]]))  # fmt: skip
    return float(_viterbi_filter(dsq, rwv, twv, w[0], w[1], w[2], w[3], w[4]))
