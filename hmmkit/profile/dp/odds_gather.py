"""The match odds of a Forward row in lanes: ``er[k, w] = me_t[k, xs[w]]``, each lane reading
the column of its own residue code (a gather, one float per cell).

On a machine with AVX-512 a node's odds of up to 32 codes fit two vector registers, and
one two-table permute (``vpermi2ps``) reads them for 16 lanes at once; elsewhere, or for
alphabets of more than 32 codes, the gather runs one cell at a time. Both copy the same
floats: the choice changes no score.
"""

from __future__ import annotations

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils, config
from numba.extending import intrinsic, overload

from ...compiling import njit_inner
from .simd import as_intp

#: Lanes per permute (a 512-bit vector of float32).
BLOCK = 16
#: Codes a node's odds may have for the permute: two vectors of them.
MAX_CODES = 2 * BLOCK


def _host_has_avx512() -> bool:
    """Whether numba compiles for this machine and it has AVX-512 (F): not when numba is
    told to compile for another CPU name (a portable cache), and as numba's own feature
    list says when it is given one."""
    if config.CPU_NAME not in (None, "host"):
        return False
    if config.CPU_FEATURES:
        return "+avx512f" in config.CPU_FEATURES.split(",")
    return bool(binding.get_host_cpu_features().get("avx512f"))


#: Whether the odds are gathered by vector permutes (a constant of the compiled kernels;
#: numba's cache keeps them per CPU model and features).
PERMUTE = _host_has_avx512()

F32x16 = ir.VectorType(ir.FloatType(), BLOCK)
I32x16 = ir.VectorType(ir.IntType(32), BLOCK)
I64x16 = ir.VectorType(ir.IntType(64), BLOCK)


@intrinsic
def _permute_odds(typingctx, er, me_t, xs, M, blocks):
    """``er[k, w] = me_t[k, xs[w]]`` for nodes 1..M and the first ``blocks`` x 16 lanes,
    by AVX-512 two-table permutes (every code below 32; float32 rows in C order)."""
    if not _permutable(er, me_t, xs):
        return None
    sig = types.void(er, me_t, xs, M, blocks)

    def codegen(context, builder, signature, args):
        er_a, me_a, xs_a = (context.make_array(signature.args[n])(context, builder, args[n])
                            for n in range(3))  # fmt: skip
        n_nodes = as_intp(context, builder, args[3], signature.args[3])
        n_blocks = as_intp(context, builder, args[4], signature.args[4])
        intp = n_nodes.type
        width = cgutils.unpack_tuple(builder, er_a.shape, 2)[1]  # lanes (C order rows)
        codes = cgutils.unpack_tuple(builder, me_a.shape, 2)[1]
        lanes = ir.Constant(I32x16, list(range(BLOCK)))

        def splat32(value):
            one = builder.insert_element(ir.Constant(I32x16, ir.Undefined),
                                         builder.trunc(value, ir.IntType(32)),
                                         ir.Constant(ir.IntType(32), 0))  # fmt: skip
            return builder.shuffle_vector(one, ir.Constant(I32x16, ir.Undefined),
                                          ir.Constant(I32x16, [0] * BLOCK))  # fmt: skip

        # the row's codes past the alphabet are not read (the last node's row ends the array)
        low_mask = builder.icmp_signed("<", lanes, splat32(codes))
        past_low = builder.sub(codes, ir.Constant(intp, BLOCK))  # negative: no high lane
        high_mask = builder.icmp_signed("<", lanes, splat32(past_low))
        load_fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(F32x16, [F32x16.as_pointer(), ir.IntType(32),
                                     ir.VectorType(ir.IntType(1), BLOCK), F32x16]),
            "llvm.masked.load.v16f32.p0v16f32",
        )  # fmt: skip
        permute = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(F32x16, [F32x16, I32x16, F32x16]),
            "llvm.x86.avx512.vpermi2var.ps.512",
        )  # fmt: skip
        zero = ir.Constant(F32x16, [0.0] * BLOCK)
        align = ir.Constant(ir.IntType(32), 4)
        one = ir.Constant(intp, 1)
        with cgutils.for_range(builder, n_blocks) as block:
            first = builder.mul(block.index, ir.Constant(intp, BLOCK))
            at = builder.bitcast(builder.gep(xs_a.data, [first]), I64x16.as_pointer())
            index = builder.trunc(builder.load(at, align=8), I32x16)
            with cgutils.for_range(builder, n_nodes) as node:
                k = builder.add(node.index, one)
                row = builder.gep(me_a.data, [builder.mul(k, codes)])
                low = builder.call(load_fn, [builder.bitcast(row, F32x16.as_pointer()), align,
                                             low_mask, zero])  # fmt: skip
                high_at = builder.gep(row, [ir.Constant(intp, BLOCK)])
                high = builder.call(load_fn, [builder.bitcast(high_at, F32x16.as_pointer()),
                                              align, high_mask, zero])  # fmt: skip
                odds = builder.call(permute, [low, index, high])
                out = builder.gep(er_a.data, [builder.add(builder.mul(k, width), first)])
                builder.store(odds, builder.bitcast(out, F32x16.as_pointer()), align=4)
        return context.get_dummy_value()

    return sig, codegen


def _permutable(er, me_t, xs) -> bool:
    """Whether arrays of these numba types can be gathered by permutes."""
    rows = (er, me_t)
    return (all(isinstance(a, types.Array) and a.ndim == 2 and a.layout == "C"
                and a.dtype == types.float32 for a in rows)
            and isinstance(xs, types.Array) and xs.dtype == types.int64
            and xs.layout == "C")  # fmt: skip


def gather_odds(er, me_t, xs, M, W):
    """``er[k, w] = me_t[k, xs[w]]`` for nodes 1..M and lanes 0..W-1 (compiled kernels
    only)."""
    raise TypeError("gather_odds runs inside compiled kernels only")


@overload(gather_odds)
def _gather_odds(er, me_t, xs, M, W):
    if PERMUTE and _permutable(er, me_t, xs):

        def by_permutes(er, me_t, xs, M, W):
            done = 0
            if me_t.shape[1] <= MAX_CODES:
                done = W // BLOCK * BLOCK
                _permute_odds(er, me_t, xs, M, W // BLOCK)
            _gather_lanes(er, me_t, xs, M, done, W)

        return by_permutes

    def one_by_one(er, me_t, xs, M, W):
        _gather_lanes(er, me_t, xs, M, 0, W)

    return one_by_one


@njit_inner
def _gather_lanes(er, me_t, xs, M, first, W):
    """``er[k, w] = me_t[k, xs[w]]`` for lanes first..W-1, one cell at a time."""
    for k in range(1, M + 1):
        erow = me_t[k]
        erk = er[k]
        for w in range(first, W):
            erk[w] = erow[xs[w]]
