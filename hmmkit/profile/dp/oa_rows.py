"""A row of HMMER's single-precision optimal accuracy fill (p7_OptimalAccuracy's match and
insert cells) as LLVM vector code: each ``<4 x float>`` vector of a striped row (with its
head vector, as :mod:`.float_envelope` keeps them) is computed in one instruction per
step, a maximum of and-masked predecessors plus the cell's posterior, as HMMER's SSE code
computes it (a masked predecessor counts 0.0)."""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .simd import as_intp
from .striped_rows import StripedRows, float32_rows

V4 = ir.VectorType(ir.FloatType(), 4)
ZERO4 = ir.Constant(V4, [0.0] * 4)
#: Rows of the allowed-transitions table (as :data:`~.float_sampling.TBM` ..).
TBM, TMM, TIM, TDM, TMD, TMI, TII, TDD = range(8)


@intrinsic
def oa_match_insert_row(typingctx, mp, ip, dp_, mc, ic, ppm, ppi, allowed, xB, Q):
    """The match and insert cells of one optimal accuracy row: ``mc, ic`` (vectors 1..Q)
    from the previous row's ``mp, ip, dp_`` (head vector 0 filled), the row's posteriors
    ``ppm, ppi`` and ``allowed`` (8, 4(Q+1)) holding 1.0 where a transition is possible.
    HMMER's vector code gates the delete predecessor by I->M and the insert predecessor by
    D->M; so does this."""
    if not float32_rows(mp, ip, dp_, mc, ic, ppm, ppi, allowed):
        return None
    sig = types.void(mp, ip, dp_, mc, ic, ppm, ppi, allowed, xB, Q)

    def codegen(context, builder, signature, args):
        b = builder
        rows = StripedRows(context, b, signature, args, 8)
        xb = context.cast(b, args[8], signature.args[8], types.float32)
        n_vectors = as_intp(context, b, args[9], signature.args[9])
        one = ir.Constant(n_vectors.type, 1)
        xbv = ZERO4
        for r in range(4):
            xbv = b.insert_element(xbv, xb, ir.Constant(ir.IntType(32), r))

        def gate(row, q, value):
            ok = b.fcmp_ordered("!=", rows.load(7, q, row), ZERO4)
            return b.select(ok, value, ZERO4)

        def vmax(a, c):
            return b.select(b.fcmp_ordered(">", c, a), c, a)

        with cgutils.for_range(b, n_vectors) as loop:
            prev = loop.index
            q = b.add(prev, one)
            sv = gate(TBM, q, xbv)
            sv = vmax(sv, gate(TMM, q, rows.load(0, prev)))
            sv = vmax(sv, gate(TIM, q, rows.load(2, prev)))
            sv = vmax(sv, gate(TDM, q, rows.load(1, prev)))
            rows.store(b.fadd(sv, rows.load(5, q)), 3, q)
            iv = vmax(gate(TMI, q, rows.load(0, q)), gate(TII, q, rows.load(1, q)))
            rows.store(b.fadd(iv, rows.load(6, q)), 4, q)
        return context.get_dummy_value()

    return sig, codegen
