"""The shared part of the lane kernels' LLVM code (:mod:`.parser_rows`, :mod:`.scan_rows`):
a kernel's array arguments as data pointers and row widths, vector loads and stores,
per-node constants splatted across the lanes, and lane-by-lane gathers."""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils

from .simd import as_intp

I32 = ir.IntType(32)
I64 = ir.IntType(64)


def at(value: int):
    """An i64 constant (an element offset)."""
    return ir.Constant(I64, value)


class LaneCode:
    """Vector code emitted into one kernel: its array arguments' data pointers and row
    widths, the node count (its last argument), loads, stores, splats and gathers.
    Subclasses set ``VECTOR`` (the lanes' vector type), ``ALIGN`` (the bytes a vector's
    address is aligned to) and ``N_CONSTANTS`` (columns of a per-node constants array)."""

    VECTOR: ir.VectorType
    ALIGN: int
    N_CONSTANTS: int

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

    def load(self, n, offset, vector=None):
        """The vector (of type `vector`, else ``VECTOR``) at element `offset` of array
        argument `n`."""
        vector = self.VECTOR if vector is None else vector
        return self.b.load(self.b.bitcast(self.ptr(n, offset), vector.as_pointer()),
                           align=self.ALIGN)  # fmt: skip

    def store(self, value, n, offset):
        """Store vector `value` at element `offset` of array argument `n`."""
        self.b.store(value, self.b.bitcast(self.ptr(n, offset), self.VECTOR.as_pointer()),
                     align=self.ALIGN)  # fmt: skip

    def constants(self, n, k, columns):
        """Constants `columns` of node `k` from the constants argument `n`, each splatted."""
        b, lanes = self.b, self.VECTOR.count
        row = b.mul(k, at(self.N_CONSTANTS))
        undefined = ir.Constant(self.VECTOR, ir.Undefined)
        everywhere = ir.Constant(ir.VectorType(I32, lanes), [0] * lanes)
        out = []
        for c in columns:
            scalar = b.load(self.ptr(n, b.add(row, at(c))))
            one = b.insert_element(undefined, scalar, ir.Constant(I32, 0))
            out.append(b.shuffle_vector(one, undefined, everywhere))
        return out

    def gather_lanes(self, row, codes, tables=None):
        """``row[codes[w]]`` for every lane, one load each (`tables` unused: the signature
        of the permuting gathers)."""
        b = self.b
        out = ir.Constant(self.VECTOR, ir.Undefined)
        for w in range(self.VECTOR.count):
            lane = ir.Constant(I32, w)
            out = b.insert_element(out, b.load(b.gep(row, [b.extract_element(codes, lane)])),
                                   lane)  # fmt: skip
        return out
