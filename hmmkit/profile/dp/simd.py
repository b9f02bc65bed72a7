"""Small builders of LLVM vector code for the striped filters' numba intrinsics (the
protein MSV filter, nhmmer's SSV and Viterbi filters): vectors of a chosen lane width,
splats, lane shifts and LLVM's saturating and min/max vector intrinsics, so a striped DP
row compiles to the SIMD instructions HMMER's filters use."""

from __future__ import annotations

import platform
from functools import lru_cache

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

I32 = ir.IntType(32)


class VectorOps:
    """Vector operations on `lanes` integers of `bits` bits, emitted into `builder`."""

    def __init__(self, context, builder, bits: int, lanes: int):
        self.context, self.builder = context, builder
        self.bits, self.lanes = bits, lanes
        self.elem = ir.IntType(bits)
        self.vec = ir.VectorType(self.elem, lanes)

    def call(self, name: str, *args):
        """LLVM's ``llvm.NAME.vLANESiBITS`` on vectors (umax, smax, uadd.sat, sadd.sat...)."""
        fnty = ir.FunctionType(self.vec, [self.vec] * len(args))
        fn = cgutils.get_or_insert_function(
            self.builder.module, fnty, f"llvm.{name}.v{self.lanes}i{self.bits}"
        )
        return self.builder.call(fn, list(args))

    def reduce(self, name: str, v):
        """LLVM's horizontal ``llvm.vector.reduce.NAME`` of `v` (a scalar)."""
        fnty = ir.FunctionType(self.elem, [self.vec])
        fn = cgutils.get_or_insert_function(
            self.builder.module, fnty, f"llvm.vector.reduce.{name}.v{self.lanes}i{self.bits}"
        )
        return self.builder.call(fn, [v])

    def splat(self, value, numba_type):
        """`value` (of `numba_type`) in every lane."""
        b = self.builder
        target = types.Integer.from_bitwidth(self.bits, numba_type.signed)
        scalar = self.context.cast(b, value, numba_type, target)
        one = b.insert_element(ir.Constant(self.vec, ir.Undefined), scalar, ir.Constant(I32, 0))
        zeros = ir.Constant(ir.VectorType(I32, self.lanes), [0] * self.lanes)
        return b.shuffle_vector(one, ir.Constant(self.vec, ir.Undefined), zeros)

    def constant(self, value: int):
        """`value` in every lane."""
        return ir.Constant(self.vec, [value] * self.lanes)

    def shift_up(self, v, fill: int):
        """Lane z takes lane z - 1 of `v`; lane 0 takes `fill` (striped rows: the last
        vector's nodes precede the first vector's, one lane on)."""
        order = [0] + [self.lanes + z for z in range(self.lanes - 1)]
        mask = ir.Constant(ir.VectorType(I32, self.lanes), order)
        return self.builder.shuffle_vector(self.constant(fill), v, mask)

    def any(self, mask):
        """Whether any lane of the comparison `mask` is true."""
        wide = ir.IntType(self.lanes)
        return self.builder.icmp_unsigned("!=", self.builder.bitcast(mask, wide),
                                          ir.Constant(wide, 0))  # fmt: skip

    def vectors(self, array_type, array, start=None):
        """A pointer to `array`'s data (from element `start`) as vectors (rows in C order:
        the striped kernels index them so)."""
        if array_type.layout != "C":
            raise TypeError(f"striped rows must be C-contiguous arrays, got {array_type}")
        data = self.context.make_array(array_type)(self.context, self.builder, array).data
        if start is not None:
            data = self.builder.gep(data, [start])
        return self.builder.bitcast(data, self.vec.as_pointer())

    def load(self, base, q):
        """Vector `q` from the vector pointer `base` (unaligned)."""
        return self.builder.load(self.builder.gep(base, [q]), align=1)

    def store(self, v, base, q):
        """Store `v` as vector `q` at the vector pointer `base` (unaligned)."""
        self.builder.store(v, self.builder.gep(base, [q]), align=1)

    def variable(self, initial):
        """A stack slot holding `initial` (LLVM keeps it in a register)."""
        return cgutils.alloca_once_value(self.builder, initial)


def as_intp(context, builder, value, numba_type):
    """A numba integer argument as an intp LLVM value."""
    return context.cast(builder, value, numba_type, types.intp)


def striped(scores: np.ndarray, lanes: int, fill: int, dtype) -> tuple[int, np.ndarray]:
    """(Q, rows) of per-node `scores` (rows, M+1) in HMMER's striped order: row r, vector
    q, lane z holds node q + Q*z + 1 (`fill` past node M), Q = ceil(M / lanes)."""
    Q, nodes, past_end = _stripe_order(scores.shape[1] - 1, lanes)
    out = np.asarray(scores)[:, nodes].astype(dtype, order="C")  # C: the kernels' rows
    out[:, past_end] = fill
    return Q, out


@lru_cache(maxsize=512)
def _stripe_order(M: int, lanes: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Q, the node each striped cell holds (0 past node M) and where that is."""
    Q = max(1, -(-M // lanes))
    nodes = (np.arange(Q)[:, None] + Q * np.arange(lanes)[None, :] + 1).ravel()
    past_end = nodes > M
    nodes[past_end] = 0
    nodes.setflags(write=False)
    past_end.setflags(write=False)
    return Q, nodes, past_end


#: MXCSR's flush-to-zero bit: results below the smallest normal float become 0.
FLUSH_TO_ZERO = 0x8000


@intrinsic
def exchange_mxcsr(typingctx, value):
    """Load `value` into the SSE control and status register (MXCSR) of this thread and
    return its previous value (x86-64; rounding, masks and flush-to-zero live there).
    Elsewhere nothing is loaded and 0 returned."""
    sig = types.int64(types.int64)

    def codegen(context, builder, signature, args):
        if platform.machine().lower() not in ("x86_64", "amd64"):
            return ir.Constant(ir.IntType(64), 0)
        i32 = ir.IntType(32)
        slot = cgutils.alloca_once(builder, i32)
        fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
        save = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.sse.stmxcsr")
        load = cgutils.get_or_insert_function(builder.module, fnty, "llvm.x86.sse.ldmxcsr")
        raw = builder.bitcast(slot, ir.IntType(8).as_pointer())
        builder.call(save, [raw])
        old = builder.load(slot)
        builder.store(builder.trunc(args[0], i32), slot)
        builder.call(load, [raw])
        return builder.zext(old, ir.IntType(64))

    return sig, codegen
