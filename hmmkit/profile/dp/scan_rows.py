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

from .odds_gather import PERMUTE
from .simd import as_intp

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
I32 = ir.IntType(32)
I64 = ir.IntType(64)
I32V = ir.VectorType(I32, LANES)
I64V = ir.VectorType(I64, LANES)
ZERO = ir.Constant(V, [0.0] * LANES)


def _at(value: int):
    return ir.Constant(I64, value)


class _Code:
    """Vector code emitted into one kernel: its array arguments' data pointers and row
    widths, the node count (its last argument)."""

    def __init__(self, context, builder, signature, args):
        self.b = builder
        self.data, self.widths = [], []
        for ty, value in zip(signature.args[:-1], args[:-1], strict=True):
            array = context.make_array(ty)(context, builder, value)
            self.data.append(array.data)
            self.widths.append(cgutils.unpack_tuple(builder, array.shape, ty.ndim)[-1])
        self.nodes = as_intp(context, builder, args[-1], signature.args[-1])

    def ptr(self, n, offset):
        """Pointer to element `offset` of array argument `n`."""
        return self.b.gep(self.data[n], [offset])

    def load(self, n, offset, vector=V):
        """The vector at element `offset` of array argument `n`."""
        return self.b.load(self.b.bitcast(self.ptr(n, offset), vector.as_pointer()), align=4)

    def store(self, value, n, offset):
        """Store vector `value` at element `offset` of array argument `n`."""
        self.b.store(value, self.b.bitcast(self.ptr(n, offset), V.as_pointer()), align=4)

    def constants(self, n, k, columns):
        """Constants `columns` of node `k` from the constants argument `n`, each splatted."""
        b = self.b
        row = b.mul(k, _at(N_CONSTANTS))
        undefined = ir.Constant(V, ir.Undefined)
        everywhere = ir.Constant(I32V, [0] * LANES)
        out = []
        for c in columns:
            scalar = b.load(self.ptr(n, b.add(row, _at(c))))
            one = b.insert_element(undefined, scalar, ir.Constant(I32, 0))
            out.append(b.shuffle_vector(one, undefined, everywhere))
        return out

    def gather_permute(self, row, codes):
        """``row[codes[w]]`` for 16 lanes by one two-table permute of the row's 32 codes."""
        b = self.b
        permute = cgutils.get_or_insert_function(b.module, ir.FunctionType(V, [V, I32V, V]),
                                                 "llvm.x86.avx512.vpermi2var.ps.512")  # fmt: skip
        low = b.load(b.bitcast(row, V.as_pointer()), align=4)
        high = b.load(b.bitcast(b.gep(row, [_at(LANES)]), V.as_pointer()), align=4)
        return b.call(permute, [low, b.trunc(codes, I32V), high])

    def gather_lanes(self, row, codes):
        """``row[codes[w]]`` for 16 lanes, one load each."""
        b = self.b
        out = ir.Constant(V, ir.Undefined)
        for w in range(LANES):
            lane = ir.Constant(I32, w)
            out = b.insert_element(out, b.load(b.gep(row, [b.extract_element(codes, lane)])),
                                   lane)  # fmt: skip
        return out

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
