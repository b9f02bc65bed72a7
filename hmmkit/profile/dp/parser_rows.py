"""The node loops of the batch Forward/Backward parsers as LLVM vector code: 8 float64
lanes (sequences) per vector, :data:`GROUP` vectors carried down the model together in
registers (the delete chain, the exit and row sums), their match odds gathered by AVX-512
permutes.

Every cell is the expression of the one-sequence parsers (:func:`~.forward_backward.
forward_row`, :func:`~.forward_backward.backward_row`), operation for operation: no fused
multiply-add, no reassociation, so the values are theirs bit for bit. A node's match odds
(rows of :func:`padded_odds`: :data:`CODES` float64 codes) are gathered by two two-table
permutes (``vpermi2pd``) and a select on AVX-512 machines, one lane at a time elsewhere or
for rows of another width: the same floats either way.

The lane arrays are (M+1, W) C-contiguous float64 rows, W a multiple of
``LANES * GROUP``; the per-node constants are the (M+1, :data:`N_CONSTANTS`) rows of
:func:`lane_constants`.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .. import plan7 as p7
from .lane_code import I64, LaneCode
from .lane_code import at as _at
from .odds_gather import PERMUTE

#: Lanes (float64) per vector.
LANES = 8
#: Vectors of lanes carried down the model together (sharing each node's constant loads).
GROUP = 2
#: Codes per row of the padded match odds the permutes read (four vectors).
CODES = 32
#: Columns of the per-node constants arrays.
N_CONSTANTS = 16
#: Forward constants of node k: transitions into M_k (from M, I, D of node k-1 and from B),
#: out of M_k/I_k into I_k, into D_k from node k-1, and the exit weight of M_k/D_k.
F_MM, F_IM, F_DM, F_BM, F_MI, F_II, F_MD, F_DD, F_ESC = range(9)
#: Backward constants of node k: out of node k (MM MI MD IM II DM DD, Plan7's order), the
#: exit weight, B->M_k.
B_MM, B_MI, B_MD, B_IM, B_II, B_DM, B_DD, B_ESC, B_BM = range(9)

V = ir.VectorType(ir.DoubleType(), LANES)
I64V = ir.VectorType(I64, LANES)
ZERO = ir.Constant(V, [0.0] * LANES)


def lane_constants(into, out, esc) -> tuple[np.ndarray, np.ndarray]:
    """The Forward and Backward per-node constants, (M+1, N_CONSTANTS) each, from the
    transition vectors of :func:`~.forward_backward.node_vectors`."""
    M = into.shape[1] - 1
    fwd = np.zeros((M + 1, N_CONSTANTS))
    fwd[:, [F_MM, F_IM, F_DM, F_BM]] = into.T
    fwd[:, F_MI], fwd[:, F_II] = out[p7.MI], out[p7.II]
    fwd[2:, F_MD], fwd[2:, F_DD] = out[p7.MD, 1:M], out[p7.DD, 1:M]
    fwd[:, F_ESC] = esc
    bwd = np.zeros((M + 1, N_CONSTANTS))
    bwd[:, B_MM : B_DD + 1] = out.T
    bwd[:, B_ESC], bwd[:, B_BM] = esc, into[3]
    return fwd, bwd


def padded_odds(me: np.ndarray) -> np.ndarray:
    """Match odds by node, (M+1, codes) float64, padded with zeros to CODES codes when the
    profile has fewer (the rows the permutes read)."""
    me_t = np.zeros((me.shape[1], max(CODES, me.shape[0])))
    me_t[:, : me.shape[0]] = me.T
    return me_t


class _Code(LaneCode):
    """:class:`~.lane_code.LaneCode` for 8 float64 lanes, with the permuting gather,
    groups of lane vectors and node loops."""

    VECTOR, ALIGN, N_CONSTANTS = V, 8, N_CONSTANTS

    def cell(self, n, k, first):
        """Element offset of node `k`, lane `first`, in the lane rows of argument `n`."""
        return self.b.add(self.b.mul(k, self.widths[n]), first)

    def slot(self, value):
        """A stack slot holding `value` (LLVM keeps it in a register)."""
        return cgutils.alloca_once_value(self.b, value)

    def permute_tables(self, row):
        """The CODES doubles at `row` as the four vectors :meth:`gather_permute` reads."""
        b = self.b
        return [b.load(b.bitcast(b.gep(row, [_at(LANES * t)]), V.as_pointer()), align=8)
                for t in range(CODES // LANES)]  # fmt: skip

    def gather_permute(self, row, codes, tables):
        """``row[codes[w]]`` for 8 lanes, by permutes of the row's `tables`."""
        b = self.b
        permute = cgutils.get_or_insert_function(b.module, ir.FunctionType(V, [V, I64V, V]),
                                                 "llvm.x86.avx512.vpermi2var.pd.512")  # fmt: skip
        low = b.call(permute, [tables[0], codes, tables[1]])
        high = b.call(permute, [tables[2], codes, tables[3]])
        upper = b.icmp_unsigned("!=", b.and_(codes, ir.Constant(I64V, [2 * LANES] * LANES)),
                                ir.Constant(I64V, [0] * LANES))  # fmt: skip
        return b.select(upper, high, low)

    def for_groups(self, body, odds=None):
        """``body(firsts, gather, tables_of)`` for each group of GROUP vectors of lanes of
        argument 0's rows (``firsts``: their first lanes). ``gather(row, codes,
        tables_of(row))`` reads an odds row of argument `odds` (when given): by permutes
        where the rows have CODES codes on an AVX-512 machine, lane by lane otherwise."""
        b = self.b
        n_groups = b.sdiv(self.widths[0], _at(LANES * GROUP))

        def run(gather, tables_of):
            with cgutils.for_range(b, n_groups) as group:
                first = b.mul(group.index, _at(LANES * GROUP))
                body([b.add(first, _at(LANES * g)) for g in range(GROUP)], gather, tables_of)

        if odds is None or not PERMUTE:
            run(self.gather_lanes, lambda row: None)
            return
        wide = b.icmp_signed("==", self.widths[odds], _at(CODES))
        with b.if_else(wide) as (permuted, one_by_one):
            with permuted:
                run(self.gather_permute, self.permute_tables)
            with one_by_one:
                run(self.gather_lanes, lambda row: None)

    def for_nodes(self, count, body):
        """``body(i)`` for i = 0..count-1."""
        with cgutils.for_range(self.b, count) as loop:
            body(loop.index)


def _typed(arrays, dtypes) -> bool:
    """Whether each numba array type is a C-contiguous array of its dtype."""
    return all(isinstance(a, types.Array) and a.layout == "C" and a.dtype == d
               for a, d in zip(arrays, dtypes, strict=True))  # fmt: skip


F8, I8 = types.float64, types.int64


@intrinsic
def forward_cells(typingctx, mp, ip, dp_, mc, ic, dc, me_t, xs, insw, xB, inv, xE, tot,
                  consts, M):  # fmt: skip
    """One Forward row in lanes: from the previous row's unscaled cells ``mp, ip, dp_``
    (each lane's multiplied by its ``inv`` as they are read) and ``xB``, the unscaled
    cells ``mc, ic, dc`` of nodes 1..M, each lane's exit sum ``xE`` and cell sum ``tot``;
    ``mc, ic, dc`` may be ``mp, ip, dp_`` (in place: a node's previous cells are read
    before its new ones are written).
    Lane w reads residue code ``xs[w]``: odds ``me_t[k, xs[w]]``, insert odds ``insw[w]``."""
    arrays = (mp, ip, dp_, mc, ic, dc, me_t, xs, insw, xB, inv, xE, tot, consts)
    if not _typed(arrays, (F8,) * 7 + (I8,) + (F8,) * 6):
        return None

    def codegen(context, builder, signature, args):
        code = _Code(context, builder, signature, args)
        b = builder

        def group(firsts, gather, tables_of):
            blocks = []
            for first in firsts:
                block = {"first": first, "codes": code.load(7, first, I64V)}
                for name, n in (("ins", 8), ("xb", 9), ("scale", 10)):
                    block[name] = code.load(n, first)
                # the previous row's scaled M, I, D of node k-1, this row's M, D of node k-1,
                # the exit and cell sums
                for name in ("mp", "ip", "dp", "mc", "dc", "e_sum", "c_sum"):
                    block[name] = code.slot(ZERO)
                blocks.append(block)

            def node(i):
                k = b.add(i, _at(1))
                amm, aim, adm, abm, ami, aii, amd, add, esc = code.constants(13, k, range(9))
                row = code.ptr(6, b.mul(k, code.widths[6]))
                tables = tables_of(row)
                for block in blocks:
                    at = code.cell(0, k, block["first"])
                    mpk, ipk, dpk = (b.fmul(code.load(n, at), block["scale"]) for n in range(3))
                    mp, ip, dp = (b.load(block[name]) for name in ("mp", "ip", "dp"))
                    into = b.fadd(b.fadd(b.fmul(mp, amm), b.fmul(ip, aim)), b.fmul(dp, adm))
                    into = b.fadd(into, b.fmul(block["xb"], abm))
                    m = b.fmul(gather(row, block["codes"], tables), into)
                    i_cell = b.fmul(block["ins"], b.fadd(b.fmul(mpk, ami), b.fmul(ipk, aii)))
                    d = b.fadd(b.fmul(b.load(block["mc"]), amd), b.fmul(b.load(block["dc"]), add))
                    e_sum = b.fadd(b.load(block["e_sum"]), b.fmul(b.fadd(m, d), esc))
                    c_sum = b.fadd(b.load(block["c_sum"]), b.fadd(b.fadd(m, i_cell), d))
                    for n, value in ((3, m), (4, i_cell), (5, d)):
                        code.store(value, n, at)
                    for name, value in (("mp", mpk), ("ip", ipk), ("dp", dpk), ("mc", m),
                                        ("dc", d), ("e_sum", e_sum), ("c_sum", c_sum)):  # fmt: skip
                        b.store(value, block[name])

            code.for_nodes(code.nodes, node)
            for block in blocks:
                code.store(b.load(block["e_sum"]), 11, block["first"])
                code.store(b.load(block["c_sum"]), 12, block["first"])

        code.for_groups(group, odds=6)
        return context.get_dummy_value()

    return types.void(*arrays, M), codegen


@intrinsic
def backward_begin(typingctx, mn, er, me_t, xs, xB, consts, M):
    """The first pass of a Backward row in lanes: the match odds ``er[k, w] = me_t[k, xs[w]]``
    of nodes 1..M, and each lane's B cell ``xB``: the sum over k (in k order) of
    ``mn[k] * t(B->M_k) * er[k]``, from the next row's scaled match cells ``mn``."""
    arrays = (mn, er, me_t, xs, xB, consts)
    if not _typed(arrays, (F8, F8, F8, I8, F8, F8)):
        return None

    def codegen(context, builder, signature, args):
        code = _Code(context, builder, signature, args)
        b = builder

        def group(firsts, gather, tables_of):
            blocks = [(first, code.load(3, first, I64V), code.slot(ZERO)) for first in firsts]

            def node(i):
                k = b.add(i, _at(1))
                (bm,) = code.constants(5, k, (B_BM,))
                row = code.ptr(2, b.mul(k, code.widths[2]))
                tables = tables_of(row)
                for first, codes, total in blocks:
                    at = code.cell(0, k, first)
                    odds = gather(row, codes, tables)
                    code.store(odds, 1, at)
                    b.store(b.fadd(b.load(total), b.fmul(b.fmul(code.load(0, at), bm), odds)),
                            total)  # fmt: skip

            code.for_nodes(code.nodes, node)
            for first, _, total in blocks:
                code.store(b.load(total), 4, first)

        code.for_groups(group, odds=2)
        return context.get_dummy_value()

    return types.void(*arrays, M), codegen


@intrinsic
def backward_cells(typingctx, mn, inx, mc, ic, er, insw, xE, inv, consts, M):
    """The second pass of a Backward row in lanes: the match and insert cells ``mc, ic`` of
    nodes M down to 1, multiplied by each lane's ``inv``, from the next row's scaled cells
    ``mn, inx``, the odds ``er`` of :func:`backward_begin`, the insert odds ``insw`` and
    this row's unscaled E cell ``xE``. ``mc, ic`` may be ``mn, inx`` (the row computed in
    place: a node's cells of the next row are read before its own are written)."""
    arrays = (mn, inx, mc, ic, er, insw, xE, inv, consts)
    if not _typed(arrays, (F8,) * 9):
        return None

    def codegen(context, builder, signature, args):
        code = _Code(context, builder, signature, args)
        b = builder
        last = code.nodes

        def group(firsts, gather, tables_of):
            blocks = []
            for first in firsts:
                xe, ins, scale = (code.load(n, first) for n in (6, 5, 7))
                at = code.cell(0, last, first)
                # the next row's M times the odds of node k+1, carried down from node k+1
                # (read before its cell is written: the rows may be those of the next row)
                n_after = code.slot(b.fmul(code.load(0, at), code.load(4, at)))
                code.store(b.fmul(xe, scale), 2, at)
                code.store(b.fmul(ZERO, scale), 3, at)
                # D of node k+1, unscaled
                blocks.append((first, xe, ins, scale, code.slot(xe), n_after))

            def node(i):
                k = b.sub(b.sub(last, _at(1)), i)
                omm, omi, omd, oim, oii, odm, odd, esc = code.constants(8, k, range(8))
                for first, xe, ins, scale, d_next, n_after in blocks:
                    at = code.cell(0, k, first)
                    nk = b.load(n_after)
                    b.store(b.fmul(code.load(0, at), code.load(4, at)), n_after)
                    ik = b.fmul(code.load(1, at), ins)
                    exit_ = b.fmul(xe, esc)
                    d1 = b.load(d_next)
                    m = b.fadd(b.fadd(b.fmul(nk, omm), b.fmul(ik, omi)), exit_)
                    m = b.fadd(m, b.fmul(d1, omd))
                    i_cell = b.fadd(b.fmul(nk, oim), b.fmul(ik, oii))
                    b.store(b.fadd(b.fadd(b.fmul(nk, odm), b.fmul(d1, odd)), exit_), d_next)
                    code.store(b.fmul(m, scale), 2, at)
                    code.store(b.fmul(i_cell, scale), 3, at)

            code.for_nodes(b.sub(last, _at(1)), node)

        code.for_groups(group)
        return context.get_dummy_value()

    return types.void(*arrays, M), codegen
