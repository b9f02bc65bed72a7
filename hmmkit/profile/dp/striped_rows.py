"""A row of HMMER's single-precision striped Forward (p7_Forward's 4-lane vectors) as LLVM
vector code: each vector of a row is one ``<4 x float>``, so a vector's four lanes are
computed in one instruction, as HMMER's SSE code computes them.

Rows are striped float32 arrays of ``4 * (Q + 1)`` floats: vector q (lane r holding node
``r*Q + q + 1``) at floats ``4*(q+1)`` to ``4*(q+1)+3``, and before them a head vector
whose lane r holds lane r-1 of the last vector (lane 0: 0), so that vector q's "node
before" is the vector before it. Every lane does the operations of
:func:`~.float_sampling.float_forward`'s scalar code, in its order: no fused multiply-add,
no reassociation, so the cells are the same floats.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .simd import as_intp

V4 = ir.VectorType(ir.FloatType(), 4)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
ZERO4 = ir.Constant(V4, [0.0] * 4)
#: Rows of the striped transition table the row kernel reads (HMMER's per-vector order,
#: then D->D; as :data:`~.float_sampling.TBM` ..).
TBM, TMM, TIM, TDM, TMD, TMI, TII, TDD = range(8)


def float32_rows(*arrays) -> bool:
    """Whether every numba type in `arrays` is a C-contiguous float32 array."""
    return all(isinstance(a, types.Array) and a.layout == "C" and a.dtype == types.float32
               for a in arrays)  # fmt: skip


@intrinsic
def forward_striped_row(typingctx, mp, ip, dp_, mc, ic, dc, t, er, xB, Q, passes_may_stop):
    """One row of the striped Forward: the cells ``mc, ic, dc`` from the previous row's
    ``mp, ip, dp_`` (head vectors filled), the striped transitions ``t`` (8, 4*(Q+1)), the
    row's striped match odds ``er`` and ``xB``; returns the row's E (float32). The delete
    chain takes up to three further passes, stopping after one that changes no cell when
    ``passes_may_stop`` (HMMER's rule for models of 100 nodes or more)."""
    if not float32_rows(mp, ip, dp_, mc, ic, dc, t, er):
        return None
    if t.ndim != 2 or any(a.ndim != 1 for a in (mp, ip, dp_, mc, ic, dc, er)):
        return None
    sig = types.float32(mp, ip, dp_, mc, ic, dc, t, er, xB, Q, passes_may_stop)

    def codegen(context, builder, signature, args):
        b = builder
        data = [context.make_array(signature.args[n])(context, b, args[n]).data
                for n in range(8)]  # fmt: skip
        t_array = context.make_array(signature.args[6])(context, b, args[6])
        t_width = cgutils.unpack_tuple(b, t_array.shape, 2)[1]
        xb = context.cast(b, args[8], signature.args[8], types.float32)
        n_vectors = as_intp(context, b, args[9], signature.args[9])
        may_stop = context.cast(b, args[10], signature.args[10], types.boolean)
        intp = n_vectors.type

        def vec_ptr(n, at):
            return b.bitcast(b.gep(data[n], [at]), V4.as_pointer())

        def load(n, at):
            return b.load(vec_ptr(n, at), align=4)

        def store(value, n, at):
            b.store(value, vec_ptr(n, at), align=4)

        def t_load(row, at):
            offset = b.add(b.mul(ir.Constant(intp, row), t_width), at)
            return b.load(b.bitcast(b.gep(data[6], [offset]), V4.as_pointer()), align=4)

        def at_vector(q):
            return b.mul(b.add(q, ir.Constant(intp, 1)), ir.Constant(intp, 4))

        def shift_right(v):
            """Lane r takes lane r-1, lane 0 takes 0 (esl_sse_rightshift_ps)."""
            mask = ir.Constant(ir.VectorType(I32, 4), [4, 0, 1, 2])
            return b.shuffle_vector(v, ZERO4, mask)

        undefined = ir.Constant(V4, ir.Undefined)
        xbv = b.shuffle_vector(b.insert_element(undefined, xb, ir.Constant(I32, 0)), undefined,
                               ir.Constant(ir.VectorType(I32, 4), [0] * 4))  # fmt: skip
        zero_at = ir.Constant(intp, 0)
        slots = {name: cgutils.alloca_once_value(b, init) for name, init in (
            ("mp", load(0, zero_at)), ("ip", load(1, zero_at)), ("dp", load(2, zero_at)),
            ("e", ZERO4), ("d", ZERO4))}  # fmt: skip
        # match and insert cells, the delete cells' first carries, the exit sums
        with cgutils.for_range(b, n_vectors) as loop:
            at = at_vector(loop.index)
            sv = b.fmul(xbv, t_load(TBM, at))
            sv = b.fadd(sv, b.fmul(b.load(slots["mp"]), t_load(TMM, at)))
            sv = b.fadd(sv, b.fmul(b.load(slots["ip"]), t_load(TIM, at)))
            sv = b.fadd(sv, b.fmul(b.load(slots["dp"]), t_load(TDM, at)))
            sv = b.fmul(sv, load(7, at))
            b.store(b.fadd(b.load(slots["e"]), sv), slots["e"])
            mpv, ipv, dpv = load(0, at), load(1, at), load(2, at)
            b.store(mpv, slots["mp"])
            b.store(ipv, slots["ip"])
            b.store(dpv, slots["dp"])
            store(sv, 3, at)
            store(b.load(slots["d"]), 5, at)
            b.store(b.fmul(sv, t_load(TMD, at)), slots["d"])
            store(b.fadd(b.fmul(mpv, t_load(TMI, at)), b.fmul(ipv, t_load(TII, at))), 4, at)
        # the D->D paths: a first pass from the shifted carries, then up to three more
        first = ir.Constant(intp, 4)
        store(ZERO4, 5, first)
        b.store(shift_right(b.load(slots["d"])), slots["d"])
        with cgutils.for_range(b, n_vectors) as loop:
            at = at_vector(loop.index)
            cell = b.fadd(b.load(slots["d"]), load(5, at))
            store(cell, 5, at)
            b.store(b.fmul(cell, t_load(TDD, at)), slots["d"])
        going = cgutils.alloca_once_value(b, ir.Constant(ir.IntType(1), 1))
        with cgutils.for_range(b, ir.Constant(intp, 3)):
            with b.if_then(b.load(going)):
                b.store(shift_right(b.load(slots["d"])), slots["d"])
                changed = cgutils.alloca_once_value(b, ir.Constant(ir.IntType(1), 0))
                with cgutils.for_range(b, n_vectors) as loop:
                    at = at_vector(loop.index)
                    old = load(5, at)
                    carry = b.load(slots["d"])
                    cell = b.fadd(carry, old)
                    grew = b.bitcast(b.fcmp_ordered(">", cell, old), ir.IntType(4))
                    b.store(b.or_(b.load(changed), b.icmp_unsigned("!=", grew,
                                                                   ir.Constant(ir.IntType(4), 0))),
                            changed)  # fmt: skip
                    store(cell, 5, at)
                    b.store(b.fmul(carry, t_load(TDD, at)), slots["d"])
                stop = b.and_(may_stop, b.not_(b.load(changed)))
                b.store(b.not_(stop), going)
        with cgutils.for_range(b, n_vectors) as loop:
            at = at_vector(loop.index)
            b.store(b.fadd(load(5, at), b.load(slots["e"])), slots["e"])
        e = b.load(slots["e"])
        lane = [b.extract_element(e, ir.Constant(I32, r)) for r in range(4)]
        return b.fadd(b.fadd(lane[0], lane[1]), b.fadd(lane[2], lane[3]))

    return sig, codegen


class StripedRows:
    """Vector access to a kernel's float32 array arguments: 1-D rows by vector index (4
    floats each, from float 0) and 2-D tables by row and vector index."""

    def __init__(self, context, builder, signature, args, count):
        self.b = builder
        self.data, self.widths = [], []
        for n in range(count):
            array = context.make_array(signature.args[n])(context, builder, args[n])
            self.data.append(array.data)
            self.widths.append(cgutils.unpack_tuple(builder, array.shape,
                                                    signature.args[n].ndim)[-1])  # fmt: skip

    def _ptr(self, n, q, row=None):
        b = self.b
        at = b.mul(q, ir.Constant(q.type, 4))
        if row is not None:
            at = b.add(b.mul(ir.Constant(q.type, row), self.widths[n]), at)
        return b.bitcast(b.gep(self.data[n], [at]), V4.as_pointer())

    def load(self, n, q, row=None):
        """Vector `q` of row argument `n` (of table row `row`)."""
        return self.b.load(self._ptr(n, q, row), align=4)

    def store(self, value, n, q):
        """Store `value` as vector `q` of row argument `n`."""
        self.b.store(value, self._ptr(n, q), align=4)


def _shift_left(b, v):
    """Lane r takes lane r+1, the last lane 0 (HMMER's move_ss + shuffle)."""
    return b.shuffle_vector(v, ZERO4, ir.Constant(ir.VectorType(I32, 4), [1, 2, 3, 4]))


def _descending(b, count, body):
    """``body(q)`` for q = count-1 down to 0."""
    with cgutils.for_range(b, count) as loop:
        body(b.sub(b.sub(count, ir.Constant(count.type, 1)), loop.index))


@intrinsic
def backward_striped_cells(typingctx, mn, inx, mc, ic, dc, t, tn, er, Q):
    """The first pass of a striped Backward row (p7_BackwardParser), vectors Q-1 down to
    0: the insert cells ``ic``, the delete cells' M->... start ``dc`` and the match cells'
    paths through M and I ``mc``, from the next row's ``mn, inx`` and its match odds
    ``er`` (the residue after this row); returns the row's B (float32, the four lanes'
    sums of HMMER's horizontal sum). ``t`` holds the transitions by node, ``tn`` those of
    the node after (I->M, D->M, M->M), striped, (8, 4Q) and (3, 4Q)."""
    if not float32_rows(mn, inx, mc, ic, dc, t, tn, er):
        return None
    sig = types.float32(mn, inx, mc, ic, dc, t, tn, er, Q)

    def codegen(context, builder, signature, args):
        b = builder
        rows = StripedRows(context, b, signature, args, 8)
        n_vectors = as_intp(context, b, args[8], signature.args[8])
        zero_q = ir.Constant(n_vectors.type, 0)
        first = b.fmul(rows.load(0, zero_q), rows.load(7, zero_q))
        nextp = cgutils.alloca_once_value(b, _shift_left(b, first))
        xbv = cgutils.alloca_once_value(b, ZERO4)

        def body(q):
            ipv = rows.load(1, q)
            nxt = b.load(nextp)
            rows.store(b.fadd(b.fmul(ipv, rows.load(5, q, TII)), b.fmul(nxt, rows.load(6, q, 0))),
                       3, q)  # fmt: skip
            rows.store(b.fmul(nxt, rows.load(6, q, 1)), 4, q)
            rows.store(b.fadd(b.fmul(ipv, rows.load(5, q, TMI)), b.fmul(nxt, rows.load(6, q, 2))),
                       2, q)  # fmt: skip
            p = b.fmul(rows.load(0, q), rows.load(7, q))
            b.store(b.fadd(b.load(xbv), b.fmul(p, rows.load(5, q, TBM))), xbv)
            b.store(p, nextp)

        _descending(b, n_vectors, body)
        v = b.load(xbv)
        lane = [b.extract_element(v, ir.Constant(I32, r)) for r in range(4)]
        return b.fadd(b.fadd(lane[0], lane[1]), b.fadd(lane[2], lane[3]))

    return sig, codegen


@intrinsic
def backward_striped_deletes(typingctx, mc, dc, t, xE, Q, with_exit):
    """The second pass of a striped Backward row (p7_BackwardParser's order): the D->D
    paths (one pass, then three more) and M->D; ``with_exit``, the paths into E (``xE``)
    added to the match and delete cells on the first pass (a row before the last)."""
    if not float32_rows(mc, dc, t):
        return None
    sig = types.void(mc, dc, t, xE, Q, with_exit)

    def codegen(context, builder, signature, args):
        b = builder
        rows = StripedRows(context, b, signature, args, 3)
        xe = context.cast(b, args[3], signature.args[3], types.float32)
        n_vectors = as_intp(context, b, args[4], signature.args[4])
        exits = context.cast(b, args[5], signature.args[5], types.boolean)
        zero_q = ir.Constant(n_vectors.type, 0)
        xev = ZERO4
        for r in range(4):
            xev = b.insert_element(xev, xe, ir.Constant(I32, r))
        xe3 = b.insert_element(xev, ir.Constant(ir.FloatType(), 0.0), ir.Constant(I32, 3))
        heads = _shift_left(b, rows.load(1, zero_q))
        dpv = cgutils.alloca_once_value(b, heads)
        dcv = cgutils.alloca_once_value(b, ZERO4)

        def first_pass(q, exit_paths):
            carry = b.fmul(b.load(dpv), rows.load(2, q, TDD))
            b.store(carry, dcv)
            cell = rows.load(1, q)
            cell = b.fadd(cell, b.fadd(carry, xev)) if exit_paths else b.fadd(cell, carry)
            rows.store(cell, 1, q)
            b.store(cell, dpv)
            if exit_paths:
                rows.store(b.fadd(rows.load(0, q), xev), 0, q)

        with b.if_else(exits) as (then, otherwise):
            with then:
                b.store(b.fadd(heads, xe3), dpv)
                _descending(b, n_vectors, lambda q: first_pass(q, True))
            with otherwise:
                _descending(b, n_vectors, lambda q: first_pass(q, False))
        _delete_passes(b, rows, dcv, n_vectors)
        _add_match_to_delete(b, rows, n_vectors)
        return context.get_dummy_value()

    return sig, codegen


def _delete_passes(b, rows, dcv, n_vectors):
    """Three further passes of D->D paths along the lanes (carry `dcv` shifted in)."""
    with cgutils.for_range(b, ir.Constant(n_vectors.type, 3)):
        b.store(_shift_left(b, b.load(dcv)), dcv)

        def step(q):
            carry = b.fmul(b.load(dcv), rows.load(2, q, TDD))
            b.store(carry, dcv)
            rows.store(b.fadd(rows.load(1, q), carry), 1, q)

        _descending(b, n_vectors, step)


def _add_match_to_delete(b, rows, n_vectors):
    """M(k) += D(k+1) * t(M_k -> D_k+1), with the final D cells."""
    zero_q = ir.Constant(n_vectors.type, 0)
    dcv = cgutils.alloca_once_value(b, _shift_left(b, rows.load(1, zero_q)))

    def step(q):
        rows.store(b.fadd(rows.load(0, q), b.fmul(b.load(dcv), rows.load(2, q, TMD))), 0, q)
        b.store(rows.load(1, q), dcv)

    _descending(b, n_vectors, step)
