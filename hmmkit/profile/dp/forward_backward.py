"""Full-matrix Forward and Backward (p7_GForward, p7_GBackward) in float64 probability
space with per-row scaling, and the parsers that keep only the special states."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from .forward_scan import EXACT_MATH
from .parser_rows import (
    B_DD,
    B_ESC,
    B_MD,
    backward_begin,
    backward_cells,
    forward_cells,
    lane_constants,
    padded_odds,
)


@njit(cache=True, nogil=True)
def node_vectors(tp, local):
    """Transition vectors indexed by node k, for the full-matrix kernels (float64)."""
    M = tp.shape[0] - 1
    into = np.zeros((4, M + 1))  # into M_k from node k-1: MM, IM, DM, and from B
    out = np.zeros((7, M + 1))  # out of node k: MM MI MD IM II DM DD
    for k in range(1, M + 1):
        into[3, k] = tp[k - 1, p7.BM]
        if k > 1:
            into[0, k] = tp[k - 1, p7.MM]
            into[1, k] = tp[k - 1, p7.IM]
            into[2, k] = tp[k - 1, p7.DM]
        if k < M:
            for t in range(7):
                out[t, k] = tp[k, t]
    esc = np.full(M + 1, local)
    esc[0] = 0.0
    esc[M] = 1.0
    return into, out, esc


@njit(cache=True, nogil=True, inline="always")
def _zero_matrices(L, M):
    """Match, insert and delete (L+1, M+1) and special-state (L+1, 5) matrices of zeros, each
    its own block (one block of three is ~15 % slower to allocate for short sequences)."""
    return (np.zeros((L + 1, M + 1)), np.zeros((L + 1, M + 1)), np.zeros((L + 1, M + 1)),
            np.zeros((L + 1, 5)))  # fmt: skip


@njit(cache=True, nogil=True, inline="always")
def _scale_row(mc, ic, dc, factor):
    """Multiply nodes 1..M of a match, insert and delete row by `factor`."""
    m, i, d = mc[1:], ic[1:], dc[1:]
    for j in range(m.shape[0]):
        m[j] *= factor
        i[j] *= factor
        d[j] *= factor


@njit(cache=True, nogil=True, inline="always")
def _store_specials(xrow, n, b, e, c, j):
    """One row of special states (N, B, E, C, J)."""
    xrow[p7.SN] = n
    xrow[p7.SB] = b
    xrow[p7.SE] = e
    xrow[p7.SC] = c
    xrow[p7.SJ] = j


@njit(cache=True, nogil=True, fastmath=EXACT_MATH)
def forward_row(x, me, ie, xp, into, out, esc, mp, ip, dp_, mc, ic, dc, xprev, xcur):
    """One scaled Forward row from the previous one; returns the row's log scale factor."""
    M = mc.shape[0] - 1
    t_mm, t_im, t_dm, t_bm = into[0], into[1], into[2], into[3]
    t_mi, t_ii, t_md, t_dd = out[p7.MI], out[p7.II], out[p7.MD], out[p7.DD]
    erow, irow_e = me[x], ie[x]
    xB = xprev[p7.SB]
    mc[1] = erow[1] * (xB * t_bm[1])  # as the lanes' cell with nothing before node 1
    # nodes 2..M and 1..M-1 as slices indexed alike (so the compiler vectorizes the loops)
    e, m0, i0, d0, m1 = erow[2:], mp[1:M], ip[1:M], dp_[1:M], mc[2:]
    a_mm, a_im, a_dm, a_bm = t_mm[2:], t_im[2:], t_dm[2:], t_bm[2:]
    for j in range(M - 1):
        m1[j] = e[j] * (m0[j] * a_mm[j] + i0[j] * a_im[j] + d0[j] * a_dm[j] + xB * a_bm[j])
    e, m0, i0, i1, a_mi, a_ii = irow_e[1:M], mp[1:M], ip[1:M], ic[1:M], t_mi[1:M], t_ii[1:M]
    for j in range(M - 1):
        i1[j] = e[j] * (m0[j] * a_mi[j] + i0[j] * a_ii[j])
    ic[M] = 0.0
    # the delete chain and the exit and row sums, sequential in k, in one loop (their
    # operations, and so their roundings, are those of separate loops; the chains overlap)
    d = 0.0
    dc[1] = 0.0
    xE = (mc[1] + dc[1]) * esc[1]
    tot = mc[1] + ic[1] + dc[1]
    for k in range(2, M + 1):
        d = mc[k - 1] * t_md[k - 1] + d * t_dd[k - 1]
        dc[k] = d
        xE += (mc[k] + d) * esc[k]
        tot += mc[k] + ic[k] + d
    xJ = xprev[p7.SJ] * xp[p7.XJ, p7.LOOP] + xE * xp[p7.XE, p7.LOOP]
    xC = xprev[p7.SC] * xp[p7.XC, p7.LOOP] + xE * xp[p7.XE, p7.MOVE]
    xN = xprev[p7.SN] * xp[p7.XN, p7.LOOP]
    xB = xN * xp[p7.XN, p7.MOVE] + xJ * xp[p7.XJ, p7.MOVE]
    tot += xN + xJ + xC
    if tot <= 0.0:
        tot = 1.0
    inv = 1.0 / tot
    _scale_row(mc, ic, dc, inv)
    _store_specials(xcur, xN * inv, xB * inv, xE * inv, xC * inv, xJ * inv)
    return math.log(tot)


@njit(cache=True, nogil=True, fastmath=EXACT_MATH)
def backward_row(x, me, ie, xp, into, out, esc, mn, inx, mc, ic, dc, xnext, xcur, inv, nxt, insn):
    """One Backward row i from row i+1 (`x` is residue i+1), divided by `inv`."""
    M = mc.shape[0] - 1
    t_bm = into[3]
    erow, irow_e = me[x], ie[x]
    xB = 0.0
    for k in range(1, M + 1):
        xB += mn[k] * t_bm[k] * erow[k]
    xJ = xnext[p7.SJ] * xp[p7.XJ, p7.LOOP] + xB * xp[p7.XJ, p7.MOVE]
    xC = xnext[p7.SC] * xp[p7.XC, p7.LOOP]
    xE = xJ * xp[p7.XE, p7.LOOP] + xC * xp[p7.XE, p7.MOVE]
    xN = xnext[p7.SN] * xp[p7.XN, p7.LOOP] + xB * xp[p7.XN, p7.MOVE]
    dc[M] = xE
    d = xE
    mc[M] = xE
    ic[M] = 0.0
    o_mm, o_mi, o_md, o_im, o_ii = out[p7.MM], out[p7.MI], out[p7.MD], out[p7.IM], out[p7.II]
    o_dm, o_dd = out[p7.DM], out[p7.DD]
    # one loop down the nodes: the delete chain is sequential in k, and the match and
    # insert cells (which read the delete cell after theirs) fill its latency; every cell
    # is the expression, and so the rounding, of separate loops
    for k in range(M - 1, 0, -1):
        nk = mn[k + 1] * erow[k + 1]
        ik = inx[k] * irow_e[k]
        nxt[k] = nk
        insn[k] = ik
        d1 = d
        d = nk * o_dm[k] + d * o_dd[k] + xE * esc[k]
        dc[k] = d
        mc[k] = nk * o_mm[k] + ik * o_mi[k] + xE * esc[k] + d1 * o_md[k]
        ic[k] = nk * o_im[k] + ik * o_ii[k]
    _scale_row(mc, ic, dc, inv)
    _store_specials(xcur, xN * inv, xB * inv, xE * inv, xC * inv, xJ * inv)


@njit(cache=True, nogil=True)
def backward_last_row(xp, out, esc, mc, ic, dc, xcur):
    """The Backward row L (nothing emitted after it) into `mc`, `ic`, `dc` and `xcur`."""
    M = mc.shape[0] - 1
    xcur[p7.SC] = xp[p7.XC, p7.MOVE]
    xcur[p7.SE] = xcur[p7.SC] * xp[p7.XE, p7.MOVE]
    xE = xcur[p7.SE]
    mc[M] = xE
    dc[M] = xE
    for k in range(M - 1, 0, -1):
        mc[k] = xE * esc[k] + dc[k + 1] * out[p7.MD, k]
        dc[k] = xE * esc[k] + dc[k + 1] * out[p7.DD, k]
        ic[k] = 0.0


@njit(cache=True, nogil=True)
def forward_final_score(xlast, xp, logscale):
    """The Forward score (nats) from the last row's specials and the row log scales; -inf
    when no path reaches C."""
    final = xlast[p7.SC] * xp[p7.XC, p7.MOVE]
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
    mx, ix, dx, xmx = _zero_matrices(L, M)
    logscale = np.zeros(L + 1)
    xmx[0, p7.SN] = 1.0
    xmx[0, p7.SB] = xp[p7.XN, p7.MOVE]
    for i in range(1, L + 1):
        logscale[i] = forward_row(dsq[i - 1], me, ie, xp, into, out, esc, mx[i - 1], ix[i - 1],
                                   dx[i - 1], mx[i], ix[i], dx[i], xmx[i - 1], xmx[i])  # fmt: skip
    return mx, ix, dx, xmx, logscale, forward_final_score(xmx[L], xp, logscale)


@njit(cache=True, nogil=True)
def backward_matrix(dsq, tp, me, ie, xp, local, logscale):
    """Backward matrices, scaled with the Forward pass's row factors: (mx, ix, dx, xmx).

    Row i is divided by ``exp(sum(logscale[i+1:]))`` so that ``fwd * bck`` over a row,
    divided by ``fwd_C(L) * t(C->T)``, is a posterior probability.
    """
    L = dsq.shape[0]
    M = tp.shape[0] - 1
    into, out, esc = node_vectors(tp, local)
    mx, ix, dx, xmx = _zero_matrices(L, M)
    nxt = np.zeros(M + 1)
    insn = np.zeros(M + 1)
    backward_last_row(xp, out, esc, mx[L], ix[L], dx[L], xmx[L])
    for i in range(L - 1, -1, -1):
        backward_row(dsq[i], me, ie, xp, into, out, esc, mx[i + 1], ix[i + 1], mx[i], ix[i],
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
    xmx[0, p7.SN] = 1.0
    xmx[0, p7.SB] = xp[p7.XN, p7.MOVE]
    a, b = 0, 3
    for i in range(1, L + 1):
        logscale[i] = forward_row(dsq[i - 1], me, ie, xp, into, out, esc, rows[a], rows[a + 1],
                                   rows[a + 2], rows[b], rows[b + 1], rows[b + 2], xmx[i - 1],
                                   xmx[i])  # fmt: skip
        a, b = b, a
    return xmx, logscale, forward_final_score(xmx[L], xp, logscale)


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
    backward_last_row(xp, out, esc, rows[a], rows[a + 1], rows[a + 2], xmx[L])
    for i in range(L - 1, -1, -1):
        backward_row(dsq[i], me, ie, xp, into, out, esc, rows[a], rows[a + 1], rows[b],
                      rows[b + 1], rows[b + 2], xmx[i + 1], xmx[i], math.exp(-logscale[i + 1]),
                      nxt, insn)  # fmt: skip
        a, b = b, a
    return xmx


#: Sequences a batch decoding advances by one residue per step: LANE_SETS sets of
#: SET_LANES sequences, each set decoded side by side (float64 lanes) on its own, as
#: smaller node rows stay in the caches.
PARSER_LANES = 64
SET_LANES = 16
LANE_SETS = PARSER_LANES // SET_LANES


@njit(cache=True, nogil=True, inline="always")
def _take_lane(order, nxt, lengths, move, loop, rem, pmove, ploop):
    """Give sequence ``order[nxt]`` the first free lane (no residue left), with its residue
    count and its N/C/J move/loop probabilities (``move``/``loop`` by sequence). Returns
    (lane, sequence, move probability); lane -1 when no sequence is left or every lane is
    busy."""
    if nxt >= order.shape[0]:
        return -1, -1, 0.0
    for lane in range(rem.shape[0]):
        if rem[lane] == 0:
            s = order[nxt]
            rem[lane] = lengths[s]
            pmove[lane] = move[s]
            ploop[lane] = loop[s]
            return lane, s, move[s]
    return -1, -1, 0.0


@njit(cache=True, nogil=True, inline="always")
def _zero_rows(n, W):
    """Three C-contiguous (n, W) float64 blocks of zeros (the vector code reads C-contiguous
    node rows; the views of one block would not type as such)."""
    return np.zeros((n, W)), np.zeros((n, W)), np.zeros((n, W))


@njit(cache=True, nogil=True, inline="always")
def _zero_lanes(W):
    """Three C-contiguous (W,) float64 vectors of zeros, one value per lane."""
    return np.zeros(W), np.zeros(W), np.zeros(W)


@njit(cache=True, nogil=True, inline="always")
def _next_codes(dsq, pos, rem, ins, xs, insw):
    """Each lane's next residue code (0 for a finished lane) and its insert odds."""
    for v in range(xs.shape[0]):
        xs[v] = dsq[pos[v]] if rem[v] > 0 else 0
        insw[v] = ins[xs[v]]


@njit(cache=True, nogil=True, fastmath=EXACT_MATH)
def _forward_parser_lanes(dsq, offsets, lengths, order, consts, me_t, ins, e_loop, e_move,
                          move, loop, fx, logscale):  # fmt: skip
    """Forward specials of many sequences, SET_LANES side by side (rows as in
    :func:`forward_parser`); sequence s owns rows ``offsets[s] + s .. + lengths[s]``.

    The node rows are kept unscaled: a lane's cells of the previous row are multiplied by
    its row factor ``scale`` as they are read (the product :func:`forward_row` stores).
    Each row is computed in place over the previous one (a node's previous cells are read
    before its new ones are written, and carried to the next node in registers), so the
    rows take half the cache."""
    M = consts.shape[0] - 1
    W = SET_LANES
    # node rows, lanes side by side (each its own C-contiguous block, as the vector code reads)
    mp, ip, dp_ = _zero_rows(M + 1, W)
    xN, xB, xJ = _zero_lanes(W)
    xC, xE, tot = _zero_lanes(W)
    ploop, pmove, insw = _zero_lanes(W)
    (scale,) = _zero_lanes(W)[:1]
    row, pos, rem = np.zeros((3, W), dtype=np.int64)
    xs = np.zeros(W, dtype=np.int64)
    nxt = active = 0  # sequences loaded, lanes busy
    while True:
        lane, s, pm = _take_lane(order, nxt, lengths, move, loop, rem, pmove, ploop)
        while lane >= 0:  # load sequences into free lanes
            nxt, active = nxt + 1, active + 1
            r0 = offsets[s] + s
            fx[r0, p7.SN] = 1.0
            fx[r0, p7.SB] = pm
            logscale[r0] = 0.0
            row[lane] = r0
            pos[lane] = offsets[s]
            xN[lane] = 1.0
            xB[lane] = pm
            xJ[lane] = 0.0
            xC[lane] = 0.0
            scale[lane] = 1.0
            for k in range(M + 1):
                mp[k, lane] = 0.0
                ip[k, lane] = 0.0
                dp_[k, lane] = 0.0
            lane, s, pm = _take_lane(order, nxt, lengths, move, loop, rem, pmove, ploop)
        if active == 0:
            break
        _next_codes(dsq, pos, rem, ins, xs, insw)
        forward_cells(mp, ip, dp_, mp, ip, dp_, me_t, xs, insw, xB, scale, xE, tot, consts, M)
        for v in range(W):
            xJ[v] = xJ[v] * ploop[v] + xE[v] * e_loop
            xC[v] = xC[v] * ploop[v] + xE[v] * e_move
            xN[v] = xN[v] * ploop[v]
            xB[v] = xN[v] * pmove[v] + xJ[v] * pmove[v]
            t = tot[v] + (xN[v] + xJ[v] + xC[v])
            row_sum = t if t > 0.0 else 1.0
            inv = 1.0 / row_sum
            scale[v] = inv
            xN[v] *= inv
            xB[v] *= inv
            xJ[v] *= inv
            xC[v] *= inv
            if rem[v] == 0:
                continue
            r = row[v] + 1
            row[v] = r
            _store_specials(fx[r], xN[v], xB[v], xE[v] * inv, xC[v], xJ[v])
            logscale[r] = math.log(row_sum)
            pos[v] += 1
            rem[v] -= 1
            if rem[v] == 0:
                active -= 1


@njit(cache=True, nogil=True, fastmath=EXACT_MATH)
def _backward_parser_lanes(dsq, offsets, lengths, order, consts, me_t, ins, e_loop, e_move,
                           move, loop, logscale, bx):  # fmt: skip
    """Backward specials of many sequences side by side (rows as :func:`backward_parser`),
    each row's match and insert cells computed in place over the next row's."""
    M = consts.shape[0] - 1
    W = SET_LANES
    nxt = active = 0  # sequences loaded, lanes busy
    mn, inx, er = _zero_rows(M + 1, W)  # as the Forward's rows (each row computed in place)
    xN, xB, xJ = _zero_lanes(W)
    xC, xE, inv = _zero_lanes(W)
    ploop, pmove, insw = _zero_lanes(W)
    # per lane: the row to compute next, the dsq index of residue row+1, residues left, code
    row, pos, rem = np.zeros((3, W), dtype=np.int64)
    xs = np.zeros(W, dtype=np.int64)
    while True:
        lane, s, pm = _take_lane(order, nxt, lengths, move, loop, rem, pmove, ploop)
        while lane >= 0:  # load sequences into free lanes
            nxt, active = nxt + 1, active + 1
            L = lengths[s]
            rL = offsets[s] + s + L
            bx[rL, p7.SC] = pm
            bx[rL, p7.SE] = pm * e_move
            e = pm * e_move
            mn[M, lane] = e
            inx[M, lane] = 0.0
            d = e
            mnd = e
            for k in range(M - 1, 0, -1):
                mnd = e * consts[k, B_ESC] + d * consts[k, B_MD]
                d = e * consts[k, B_ESC] + d * consts[k, B_DD]
                mn[k, lane] = mnd
                inx[k, lane] = 0.0
            xN[lane] = 0.0
            xJ[lane] = 0.0
            xC[lane] = pm
            row[lane] = rL - 1
            pos[lane] = offsets[s] + L - 1
            lane, s, pm = _take_lane(order, nxt, lengths, move, loop, rem, pmove, ploop)
        if active == 0:
            break
        _next_codes(dsq, pos, rem, ins, xs, insw)
        for v in range(W):
            inv[v] = math.exp(-logscale[row[v] + 1]) if rem[v] > 0 else 0.0
        backward_begin(mn, er, me_t, xs, xB, consts, M)
        for v in range(W):
            xJ[v] = xJ[v] * ploop[v] + xB[v] * pmove[v]
            xC[v] = xC[v] * ploop[v]
            xE[v] = xJ[v] * e_loop + xC[v] * e_move
            xN[v] = xN[v] * ploop[v] + xB[v] * pmove[v]
        backward_cells(mn, inx, mn, inx, er, insw, xE, inv, consts, M)  # in place
        for v in range(W):
            if rem[v] == 0:
                continue
            r = row[v]
            xN[v] *= inv[v]
            xB[v] *= inv[v]
            xE[v] *= inv[v]
            xC[v] *= inv[v]
            xJ[v] *= inv[v]
            _store_specials(bx[r], xN[v], xB[v], xE[v], xC[v], xJ[v])
            row[v] = r - 1
            pos[v] -= 1
            rem[v] -= 1
            if rem[v] == 0:
                active -= 1


def _length_model_probabilities(profile, lengths) -> tuple[np.ndarray, np.ndarray]:
    """The N/C/J move and loop probabilities of each sequence's length model, the values
    the one-sequence kernels read from ``kernel_arrays()`` of the profile set to its length
    (exp of the log the profile keeps), so that both decode it bit for bit alike."""
    distinct, where = np.unique(lengths, return_inverse=True)
    logs = np.zeros((len(distinct), 2))
    tuned = profile.copy()
    for n, L in enumerate(distinct):
        tuned.set_length(int(L))
        logs[n] = tuned.xsc[p7.XN, p7.MOVE], tuned.xsc[p7.XN, p7.LOOP]
    with np.errstate(over="ignore"):
        probabilities = np.exp(logs)[where.reshape(-1)]
    return np.ascontiguousarray(probabilities[:, 0]), np.ascontiguousarray(probabilities[:, 1])


def domain_decoding_batch(profile, dsq, offsets, lengths):
    """Forward/Backward special states of many sequences at once (multi-hit, each with its
    own length model): returns packed (fx, bx, logscale); sequence s owns rows
    ``offsets[s] + s`` to ``offsets[s] + s + lengths[s]``. Lengths must be positive."""
    if np.any(np.asarray(lengths) < 1):
        raise ValueError("lengths: every sequence must have at least one residue")
    tp, me, ie, xp, local = profile.kernel_arrays()
    fwd, bwd = lane_constants(*node_vectors(tp, local))
    me_t = padded_odds(me)
    ins = np.ascontiguousarray(ie[:, 1] if profile.M > 1 else np.ones(me.shape[0]))
    nrows = int(np.sum(lengths)) + len(lengths)
    fx = np.zeros((nrows, 5))
    bx = np.zeros((nrows, 5))
    logscale = np.zeros(nrows)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable").astype(np.int64)
    e_loop, e_move = float(xp[p7.XE, p7.LOOP]), float(xp[p7.XE, p7.MOVE])
    move, loop = _length_model_probabilities(profile, lengths)
    dsq = np.ascontiguousarray(dsq, dtype=np.uint8)
    tail = (me_t, ins, e_loop, e_move, move, loop)
    for c in range(LANE_SETS):  # interleaved: the sets' lengths alike
        part = np.ascontiguousarray(order[c::LANE_SETS])
        _forward_parser_lanes(dsq, offsets, lengths, part, fwd, *tail, fx, logscale)
        _backward_parser_lanes(dsq, offsets, lengths, part, bwd, *tail, logscale, bx)
    return fx, bx, logscale
