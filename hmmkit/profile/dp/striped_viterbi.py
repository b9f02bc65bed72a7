"""HMMER's 16-bit Viterbi filter rows in its striped layout, as LLVM vector code: the match,
insert and delete cells of a row updated in place with saturating word arithmetic, and the
delete chain evaluated lazily as HMMER does (only when it could matter, then pass by pass
until no cell improves). The protein Viterbi filter and nhmmer's run them."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .simd import VectorOps, as_intp, striped

#: 16-bit cells per vector of the striped rows.
LANES = 16
NEG = -32768
#: Rows of the striped transition scores: into node k (B->M, M->M, I->M, D->M), then out
#: of node k (M->D, M->I, I->I, D->D), as viterbi_word_profile orders them.
BM, MM, IM, DM, MD, MI, II, DD = range(8)


@intrinsic
def match_insert_row(typingctx, mmx, imx, dmx, emissions, a, trans, Q, xB):
    """One Viterbi row in place on the striped match, insert and delete cells (Q vectors
    each), for residue code `a` entering from B at `xB`: match cells from the row before
    and the emissions, insert cells from the row before, delete cells from this row's
    match cells (M->D only; :func:`delete_chain` adds D->D). Returns the best match cell
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
def delete_chain(typingctx, dmx, trans, Q, xB, dd_bound):
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


class StripedWords(NamedTuple):
    """A model's Viterbi filter words striped for the vector rows: Q vectors a row,
    emissions (Kp, Q*LANES), transitions (8, Q*LANES) in the rows BM..DD, and the bound
    of a D->D path against B's entry (:func:`delete_chain`'s test)."""

    Q: int
    emissions: np.ndarray
    trans: np.ndarray
    dd_bound: int


def striped_words(rwv: np.ndarray, twv: np.ndarray) -> StripedWords:
    """:class:`StripedWords` of the word profile (rwv, twv) of
    :func:`~.viterbi_filter.viterbi_word_profile`."""
    M = rwv.shape[1] - 1
    Q, emissions = striped(np.asarray(rwv), LANES, NEG, np.int16)
    _, trans = striped(np.asarray(twv)[:8], LANES, NEG, np.int16)
    # bound of D(k-1)->D(k)...->M(k') against B->M(k'): the largest D->D step plus the
    # largest D->M less B->M (unsaturated, so never too small)
    dd = int(twv[DD, 1:M].max()) if M > 1 else NEG
    dd_bound = dd + int((twv[DM, 2:] - twv[BM, 2:]).max()) if M > 1 else -65536
    return StripedWords(Q, emissions, trans, dd_bound)
