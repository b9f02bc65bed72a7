"""nhmmer's 16-bit Viterbi filter over windows of a long target
(p7_ViterbiFilter_longtarget), in HMMER's word scores exactly: striped rows of match,
insert and delete cells updated in place with vector saturating arithmetic, the delete
chain evaluated lazily as HMMER does (only when it could matter, then pass by pass
until no cell improves); each row where E reaches the threshold names its best model
positions, and the DP restarts after it."""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ...compiling import njit
from ..dp.simd import VectorOps, as_intp, striped
from .windows import LOG2, WORD_BASE, WORD_SCALE, gumbel_invsurv, stripe_order, word

#: 16-bit cells per vector of the striped rows.
LANES = 16
NEG = -32768
#: Rows of the striped transition scores: into node k (B->M, M->M, I->M, D->M), then out
#: of node k (M->D, M->I, I->I, D->D), as viterbi_word_profile orders them.
BM, MM, IM, DM, MD, MI, II, DD = range(8)


@intrinsic
def _match_insert_row(typingctx, mmx, imx, dmx, emissions, a, trans, Q, xB):
    """One Viterbi row in place on the striped match, insert and delete cells (Q vectors
    each), for residue code `a` entering from B at `xB`: match cells from the row before
    and the emissions, insert cells from the row before, delete cells from this row's
    match cells (M->D only; :func:`_delete_chain` adds D->D). Returns the best match cell
    (E's score)."""
    sig = types.int16(mmx, imx, dmx, emissions, a, trans, Q, xB)

    def codegen(context, builder, signature, args):
        v = VectorOps(context, builder, 16, LANES)
        n_vec = as_intp(context, builder, args[6], signature.args[6])
        one = ir.Constant(n_vec.type, 1)
        row_start = builder.mul(as_intp(context, builder, args[4], signature.args[4]), n_vec)
        row_start = builder.mul(row_start, ir.Constant(n_vec.type, LANES))
        M_, I_, D_ = (v.vectors(signature.args[n], args[n]) for n in range(3))
        emit = v.vectors(signature.args[3], args[3], row_start)
        tsc = v.vectors(signature.args[5], args[5])

        def t(r, q):  # transition row r, vector q
            return v.load(tsc, builder.add(builder.mul(ir.Constant(n_vec.type, r), n_vec), q))

        xBv = v.splat(args[7], signature.args[7])
        last = builder.sub(n_vec, one)
        mpv = v.variable(v.shift_up(v.load(M_, last), NEG))
        ipv = v.variable(v.shift_up(v.load(I_, last), NEG))
        dpv = v.variable(v.shift_up(v.load(D_, last), NEG))
        dcv = v.variable(v.constant(NEG))
        xE = v.variable(v.constant(NEG))
        with cgutils.for_range(builder, n_vec) as loop:
            q = loop.index
            sv = v.call("smax", v.call("sadd.sat", xBv, t(BM, q)),
                        v.call("sadd.sat", builder.load(mpv), t(MM, q)))  # fmt: skip
            sv = v.call("smax", sv, v.call("sadd.sat", builder.load(ipv), t(IM, q)))
            sv = v.call("smax", sv, v.call("sadd.sat", builder.load(dpv), t(DM, q)))
            sv = v.call("sadd.sat", sv, v.load(emit, q))
            builder.store(v.call("smax", builder.load(xE), sv), xE)
            old_m, old_i = v.load(M_, q), v.load(I_, q)
            builder.store(old_m, mpv)
            builder.store(old_i, ipv)
            builder.store(v.load(D_, q), dpv)
            v.store(sv, M_, q)
            v.store(builder.load(dcv), D_, q)
            builder.store(v.call("sadd.sat", sv, t(MD, q)), dcv)
            v.store(v.call("smax", v.call("sadd.sat", old_m, t(MI, q)),
                           v.call("sadd.sat", old_i, t(II, q))), I_, q)  # fmt: skip
        v.store(v.shift_up(builder.load(dcv), NEG), D_, ir.Constant(n_vec.type, 0))
        return v.reduce("smax", builder.load(xE))

    return sig, codegen


@intrinsic
def _delete_chain(typingctx, dmx, trans, Q, xB, dd_bound):
    """The D->D paths of a row (striped delete cells, in place), evaluated only when the
    best delete cell plus `dd_bound` exceeds `xB` -- otherwise no D->D path can beat B's
    entry into a match cell of the next row: one full pass along the row, then passes
    that stop at the first vector no path improves."""
    sig = types.void(dmx, trans, Q, xB, dd_bound)

    def codegen(context, builder, signature, args):
        v = VectorOps(context, builder, 16, LANES)
        n_vec = as_intp(context, builder, args[2], signature.args[2])
        zero, one = ir.Constant(n_vec.type, 0), ir.Constant(n_vec.type, 1)
        D_ = v.vectors(signature.args[0], args[0])
        dd = builder.gep(v.vectors(signature.args[1], args[1]),
                         [builder.mul(ir.Constant(n_vec.type, DD), n_vec)])  # fmt: skip
        best = v.variable(v.constant(NEG))
        with cgutils.for_range(builder, n_vec) as loop:
            builder.store(v.call("smax", builder.load(best), v.load(D_, loop.index)), best)
        dmax = builder.sext(v.reduce("smax", builder.load(best)), n_vec.type)
        bound = as_intp(context, builder, args[4], signature.args[4])
        xB = as_intp(context, builder, args[3], signature.args[3])
        wanted = builder.icmp_signed(">", builder.add(dmax, bound), xB)
        with builder.if_then(wanted):
            last = builder.sub(n_vec, one)
            into_first = v.call("sadd.sat", v.load(D_, last), v.load(dd, last))
            dcv = v.variable(v.shift_up(into_first, NEG))
            with cgutils.for_range(builder, n_vec) as loop:  # a full pass
                cell = v.call("smax", builder.load(dcv), v.load(D_, loop.index))
                v.store(cell, D_, loop.index)
                builder.store(v.call("sadd.sat", cell, v.load(dd, loop.index)), dcv)
            q = cgutils.alloca_once_value(builder, zero)
            again = builder.append_basic_block("dd_pass")
            step = builder.append_basic_block("dd_step")
            done = builder.append_basic_block("dd_done")
            builder.branch(again)
            builder.position_at_end(again)  # a pass from the first vector
            builder.store(v.shift_up(builder.load(dcv), NEG), dcv)
            builder.store(zero, q)
            builder.branch(step)
            builder.position_at_end(step)
            at = builder.load(q)
            cell = v.load(D_, at)
            come = builder.load(dcv)
            improves = v.any(builder.icmp_signed(">", come, cell))
            body = builder.append_basic_block("dd_improve")
            builder.cbranch(improves, body, done)
            builder.position_at_end(body)
            cell = v.call("smax", come, cell)
            v.store(cell, D_, at)
            builder.store(v.call("sadd.sat", cell, v.load(dd, at)), dcv)
            nxt = builder.add(at, one)
            builder.store(nxt, q)
            builder.cbranch(builder.icmp_signed("<", nxt, n_vec), step, again)
            builder.position_at_end(done)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def _viterbi_rows(dsq, lo, L, Q, emissions, trans, node_at, dd_bound, e_move, e_loop, n_move,
                  j_move, sc_thresh, order, w, out, n, mmx, imx, dmx):  # fmt: skip
    """p7_ViterbiFilter_longtarget on ``dsq[lo:lo+L]``: rows (window `w`, position, model
    position) where the 16-bit Viterbi score of reaching E attains `sc_thresh` are added
    to `out` from row `n`; the DP restarts after each. Returns (out, n)."""
    neg = np.int16(NEG)
    mmx[:] = neg
    imx[:] = neg
    dmx[:] = neg
    xN = WORD_BASE
    xB = max(-32768, min(32767, xN + n_move))
    xJ = NEG
    xC = NEG
    for i in range(L):
        xE = _match_insert_row(mmx, imx, dmx, emissions, dsq[lo + i], trans, Q, np.int16(xB))
        if xE >= sc_thresh:
            for k in order:
                if mmx[node_at[k]] == xE:
                    if n >= out.shape[0]:
                        bigger = np.zeros((out.shape[0] * 2, 3), dtype=np.int64)
                        bigger[:n] = out[:n]
                        out = bigger
                    out[n, 0] = w
                    out[n, 1] = i + 1
                    out[n, 2] = k
                    n += 1
            mmx[:] = neg
            imx[:] = neg
            dmx[:] = neg
        else:
            xC = max(xC, max(-32768, min(32767, xE + e_move)))
            xJ = max(xJ, max(-32768, min(32767, xE + e_loop)))
            xB = max(max(-32768, min(32767, xJ + j_move)), max(-32768, min(32767, xN + n_move)))
            _delete_chain(dmx, trans, Q, np.int16(xB), dd_bound)
    return out, n


@njit(cache=True, nogil=True)
def _viterbi_windows(dsq, starts, lengths, Q, emissions, trans, node_at, dd_bound, e_move,
                     e_loop, n_moves, j_moves, thresholds, order):  # fmt: skip
    out = np.zeros((64, 3), dtype=np.int64)
    n = 0
    width = emissions.shape[1]
    mmx = np.empty(width, dtype=np.int16)
    imx = np.empty(width, dtype=np.int16)
    dmx = np.empty(width, dtype=np.int16)
    for w in range(starts.shape[0]):
        out, n = _viterbi_rows(dsq, starts[w], lengths[w], Q, emissions, trans, node_at,
                               dd_bound, e_move, e_loop, n_moves[w], j_moves[w], thresholds[w],
                               order, w, out, n, mmx, imx, dmx)  # fmt: skip
    return out[:n]


class ViterbiSeeder:
    """The Viterbi filter's seeds in many windows of a block at once, for one model."""

    def __init__(self, word_profile, vit_stats: tuple[float, float], F2: float):
        rwv, twv = word_profile
        M = rwv.shape[1] - 1
        self.Q, self.emissions = striped(np.asarray(rwv), LANES, NEG, np.int16)
        _, self.trans = striped(np.asarray(twv)[:8], LANES, NEG, np.int16)
        node = np.arange(1, M + 1)
        self.node_at = np.zeros(M + 1, dtype=np.int64)  # node k's cell in a striped row
        self.node_at[1:] = ((node - 1) % self.Q) * LANES + (node - 1) // self.Q
        self.order = stripe_order(M, 8)  # HMMER's 8-lane order decides between equal cells
        # bound of D(k-1)->D(k)...->M(k') against B->M(k'): the largest D->D step plus the
        # largest D->M less B->M (unsaturated, so never too small)
        dd = int(twv[DD, 1:M].max()) if M > 1 else NEG
        self.dd_bound = dd + int((twv[DM, 2:] - twv[BM, 2:]).max()) if M > 1 else -65536
        self.e_move = self.e_loop = word(-LOG2)  # multi-hit E->C, E->J
        self.inv = float(np.float32(gumbel_invsurv(F2, *vit_stats)))
        self._moves: dict[int, int] = {}

    def move(self, length: int) -> int:
        """Word score of N->B (= C->T = J->B) for the multi-hit length model `length`."""
        if length not in self._moves:
            nj = np.float32(1.0)
            pmove = (np.float32(2.0) + nj) / (np.float32(length) + np.float32(2.0) + nj)
            self._moves[length] = word(math.log(pmove))
        return self._moves[length]

    def seeds(self, dsq: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
              model_lengths: np.ndarray, filterscs: np.ndarray) -> np.ndarray:  # fmt: skip
        """(n, 3) rows (window, 1-based position in the window, model position) of the
        windows ``dsq[starts[w]:starts[w]+lengths[w]]``, each scored with the length
        model `model_lengths[w]` and its filter null score `filterscs[w]`."""
        lengths_used, which = np.unique(np.asarray(model_lengths), return_inverse=True)
        moves = np.array([self.move(int(m)) for m in lengths_used], dtype=np.int64)[which]
        scaled = (np.asarray(filterscs) + LOG2 * self.inv + 3.0) * float(WORD_SCALE)
        thresholds = np.ceil(scaled - self.e_move - moves + WORD_BASE).astype(np.int64)
        return _viterbi_windows(np.ascontiguousarray(dsq, dtype=np.uint8),
                                np.asarray(starts, dtype=np.int64),
                                np.asarray(lengths, dtype=np.int64), self.Q, self.emissions,
                                self.trans, self.node_at, self.dd_bound, self.e_move, self.e_loop,
                                moves, moves, thresholds, self.order)  # fmt: skip
