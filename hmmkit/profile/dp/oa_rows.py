"""A row of HMMER's single-precision optimal accuracy fill (p7_OptimalAccuracy) as LLVM
vector code: each ``<4 x float>`` vector of a striped row (with its head vector, as
:mod:`.float_envelope` keeps them) is computed in one instruction per step, a maximum of
and-masked predecessors plus the cell's posterior, as HMMER's SSE code computes it (a
masked predecessor counts 0.0)."""

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
def oa_row(typingctx, mp, ip, dp_, mc, ic, dc, ppm, ppi, allowed, xB, Q):
    """One optimal accuracy row: the cells ``mc, ic, dc`` (vectors 1..Q) from the previous
    row's ``mp, ip, dp_`` (head vector 0 filled), the row's posteriors ``ppm, ppi`` and
    ``allowed`` (8, 4(Q+1)) holding 1.0 where a transition is possible; returns the row's
    E, the largest match or delete cell (float32). The delete cells take HMMER's passes:
    M->D carries along each lane, then the D->D paths one pass and three more, each
    shifting the carry one lane on. HMMER's vector code gates the delete predecessor of a
    match cell by I->M and the insert predecessor by D->M; so does this."""
    if not float32_rows(mp, ip, dp_, mc, ic, dc, ppm, ppi, allowed):
        return None
    sig = types.float32(mp, ip, dp_, mc, ic, dc, ppm, ppi, allowed, xB, Q)

    def codegen(context, builder, signature, args):
        b = builder
        rows = StripedRows(context, b, signature, args, 9)
        xb = context.cast(b, args[9], signature.args[9], types.float32)
        n_vectors = as_intp(context, b, args[10], signature.args[10])
        one = ir.Constant(n_vectors.type, 1)
        i32 = ir.IntType(32)
        xbv = ZERO4
        for r in range(4):
            xbv = b.insert_element(xbv, xb, ir.Constant(i32, r))
        infv = ir.Constant(V4, [float("-inf")] * 4)

        def gate(row, q, value):
            ok = b.fcmp_ordered("!=", rows.load(8, q, row), ZERO4)
            return b.select(ok, value, ZERO4)

        def vmax(a, c):
            return b.select(b.fcmp_ordered(">", c, a), c, a)

        def shifted(v):
            """Lane r takes lane r-1, lane 0 -inf (esl_sse_rightshift_ps with -inf)."""
            return b.shuffle_vector(v, infv, ir.Constant(ir.VectorType(i32, 4), [4, 0, 1, 2]))

        carry = cgutils.alloca_once_value(b, infv)
        xe = cgutils.alloca_once_value(b, infv)
        with cgutils.for_range(b, n_vectors) as loop:
            prev = loop.index
            q = b.add(prev, one)
            sv = gate(TBM, q, xbv)
            sv = vmax(sv, gate(TMM, q, rows.load(0, prev)))
            sv = vmax(sv, gate(TIM, q, rows.load(2, prev)))
            sv = vmax(sv, gate(TDM, q, rows.load(1, prev)))
            sv = b.fadd(sv, rows.load(6, q))
            rows.store(sv, 3, q)
            b.store(vmax(b.load(xe), sv), xe)
            rows.store(b.load(carry), 5, q)
            b.store(gate(TMD, q, sv), carry)
            iv = vmax(gate(TMI, q, rows.load(0, q)), gate(TII, q, rows.load(1, q)))
            rows.store(b.fadd(iv, rows.load(7, q)), 4, q)
        b.store(shifted(b.load(carry)), carry)
        with cgutils.for_range(b, n_vectors) as loop:
            q = b.add(loop.index, one)
            cell = vmax(rows.load(5, q), b.load(carry))
            rows.store(cell, 5, q)
            b.store(gate(TDD, q, cell), carry)
        with cgutils.for_range(b, ir.Constant(n_vectors.type, 3)):
            b.store(shifted(b.load(carry)), carry)
            with cgutils.for_range(b, n_vectors) as loop:
                q = b.add(loop.index, one)
                rows.store(vmax(rows.load(5, q), b.load(carry)), 5, q)
                b.store(gate(TDD, q, b.load(carry)), carry)
        with cgutils.for_range(b, n_vectors) as loop:
            q = b.add(loop.index, one)
            b.store(vmax(b.load(xe), rows.load(5, q)), xe)
        v = b.load(xe)
        lanes = [b.extract_element(v, ir.Constant(i32, r)) for r in range(4)]

        def smax(a, c):
            return b.select(b.fcmp_ordered(">", c, a), c, a)

        return smax(smax(lanes[0], lanes[1]), smax(lanes[2], lanes[3]))

    return sig, codegen
