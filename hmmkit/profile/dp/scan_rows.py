"""The node loop of the Forward scan's lane kernel as LLVM vector code: 16 float32 lanes
(sequences) per vector, :data:`GROUP` vectors carried down the model together in
registers (the previous row's cells of the node before, the delete chain, the exit sum),
their match odds gathered by one AVX-512 two-table permute per vector.

Every cell is the expression of :func:`~.forward_scan.match_cell`,
:func:`~.forward_scan.insert_cell` and :func:`~.forward_scan.delete_cell`, and the exit
sum adds the nodes in order, operation for operation: no fused multiply-add, no
reassociation, so the scores are the one-sequence scan's bit for bit. A row rescaled by
its lane's factor is multiplied by it as the next row reads it (the product the scalar
kernels store; a factor of 1 changes no float).

The lane arrays are (M+1, W) C-contiguous float32 rows, W a multiple of ``LANES *
GROUP``, each row computed in place over the previous one (a node's previous cells are
read before its new ones are written); the per-node constants are (M+1,
:data:`N_CONSTANTS`) rows (columns ``C_MM`` ..); odds rows of :data:`CODES` codes are
gathered by a permute (others, or without AVX-512, one lane at a time: the same floats).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .lane_code import I32, I64, LaneCode
from .lane_code import at as _at
from .odds_gather import PERMUTE

#: Lanes (float32) per vector.
LANES = 16
#: Vectors of lanes carried down the model together (sharing each node's constant loads):
#: two with AVX-512's 32 vector registers, one where a vector takes two narrower ones.
GROUP = 2 if PERMUTE else 1
#: Codes per row of the padded match odds the permute reads (two vectors).
CODES = 32
#: Columns of the per-node constants array (one 64-byte line per node).
N_CONSTANTS = 16
#: Constants of node k: transitions into M_k (from M, I, D of node k-1 and from B), out of
#: M_k/I_k into I_k, into D_k from node k-1, and the exit weight of M_k/D_k.
C_MM, C_IM, C_DM, C_BM, C_MI, C_II, C_MD, C_DD, C_ESC = range(9)

V = ir.VectorType(ir.FloatType(), LANES)
I32V = ir.VectorType(I32, LANES)
I64V = ir.VectorType(I64, LANES)
ZERO = ir.Constant(V, [0.0] * LANES)


class _Code(LaneCode):
    """:class:`~.lane_code.LaneCode` for 16 float32 lanes, with the permuting gather and
    groups of lane vectors."""

    VECTOR, ALIGN, N_CONSTANTS = V, 4, N_CONSTANTS

    def gather_permute(self, row, codes):
        """``row[codes[w]]`` for 16 lanes by one two-table permute of the row's 32 codes."""
        b = self.b
        permute = cgutils.get_or_insert_function(b.module, ir.FunctionType(V, [V, I32V, V]),
                                                 "llvm.x86.avx512.vpermi2var.ps.512")  # fmt: skip
        low = b.load(b.bitcast(row, V.as_pointer()), align=4)
        high = b.load(b.bitcast(b.gep(row, [_at(LANES)]), V.as_pointer()), align=4)
        return b.call(permute, [low, b.trunc(codes, I32V), high])

    def for_groups(self, body, odds):
        """``body(firsts, gather)`` for each group of GROUP vectors of lanes of argument 0's
        rows (``firsts``: their first lanes); ``gather(row, codes)`` reads an odds row of
        argument `odds`: by permutes where its rows have CODES codes on an AVX-512 machine,
        lane by lane otherwise."""
        b = self.b
        n_groups = b.sdiv(self.widths[0], _at(LANES * GROUP))

        def run(gather):
            with cgutils.for_range(b, n_groups) as group:
                first = b.mul(group.index, _at(LANES * GROUP))
                body([b.add(first, _at(LANES * g)) for g in range(GROUP)], gather)

        if not PERMUTE:
            run(self.gather_lanes)
            return
        wide = b.icmp_signed("==", self.widths[odds], _at(CODES))
        with b.if_else(wide) as (permuted, one_by_one):
            with permuted:
                run(self.gather_permute)
            with one_by_one:
                run(self.gather_lanes)


def _typed(arrays, dtypes) -> bool:
    """Whether each numba array type is a C-contiguous array of its dtype."""
    return all(isinstance(a, types.Array) and a.layout == "C" and a.dtype == d
               for a, d in zip(arrays, dtypes, strict=True))  # fmt: skip


F4, I8 = types.float32, types.int64


@intrinsic
def scan_cells(typingctx, mp, ip, dp_, mc, ic, dc, me_t, xs, insw, xB, scale, xE, consts, M):
    """One Forward scan row in lanes: from the previous row's cells ``mp, ip, dp_`` (each
    lane's multiplied by its ``scale`` as they are read) and ``xB``, the cells ``mc, ic,
    dc`` of nodes 1..M (which may be ``mp, ip, dp_``: in place) and each lane's exit sum
    ``xE``. Lane w reads residue code ``xs[w]``: odds ``me_t[k, xs[w]]``, insert odds
    ``insw[w]``."""
    arrays = (mp, ip, dp_, mc, ic, dc, me_t, xs, insw, xB, scale, xE, consts)
    if not _typed(arrays, (F4,) * 7 + (I8,) + (F4,) * 5):
        return None

    def codegen(context, builder, signature, args):
        code = _Code(context, builder, signature, args)
        b = builder

        def group(firsts, gather):
            blocks = []
            for first in firsts:
                block = {"first": first, "codes": code.load(7, first, I64V)}
                for name, n in (("ins", 8), ("xb", 9), ("scale", 10)):
                    block[name] = code.load(n, first)
                # the previous row's scaled M, I, D of node k-1, this row's M, D of node
                # k-1, the exit sum
                for name in ("mp", "ip", "dp", "mc", "dc", "e_sum"):
                    block[name] = cgutils.alloca_once_value(b, ZERO)
                blocks.append(block)

            def node(i):
                k = b.add(i, _at(1))
                amm, aim, adm, abm, ami, aii, amd, add, esc = code.constants(12, k, range(9))
                row = code.ptr(6, b.mul(k, code.widths[6]))
                for block in blocks:
                    at = b.add(b.mul(k, code.widths[0]), block["first"])
                    mpk, ipk, dpk = (b.fmul(code.load(n, at), block["scale"]) for n in range(3))
                    mp, ip, dp = (b.load(block[name]) for name in ("mp", "ip", "dp"))
                    into = b.fadd(b.fadd(b.fmul(mp, amm), b.fmul(ip, aim)), b.fmul(dp, adm))
                    into = b.fadd(into, b.fmul(block["xb"], abm))
                    m = b.fmul(gather(row, block["codes"]), into)
                    i_cell = b.fmul(block["ins"], b.fadd(b.fmul(mpk, ami), b.fmul(ipk, aii)))
                    d = b.fadd(b.fmul(b.load(block["mc"]), amd), b.fmul(b.load(block["dc"]), add))
                    e_sum = b.fadd(b.load(block["e_sum"]), b.fmul(b.fadd(m, d), esc))
                    for n, value in ((3, m), (4, i_cell), (5, d)):
                        code.store(value, n, at)
                    for name, value in (("mp", mpk), ("ip", ipk), ("dp", dpk), ("mc", m),
                                        ("dc", d), ("e_sum", e_sum)):  # fmt: skip
                        b.store(value, block[name])

            with cgutils.for_range(b, code.nodes) as loop:
                node(loop.index)
            for block in blocks:
                code.store(b.load(block["e_sum"]), 11, block["first"])

        code.for_groups(group, odds=6)
        return context.get_dummy_value()

    return types.void(*arrays, M), codegen
