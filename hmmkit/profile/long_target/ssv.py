"""nhmmer's SSV filter over a long target (p7_SSVFilter_longtarget), in HMMER's 8-bit
scores exactly: the rows of the ungapped single-segment DP, each run as a handful of
16-byte vector operations on a striped row, until a diagonal reaches the threshold; that
diagonal is traced back and extended into a seed, and the scan goes on after it."""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ...compiling import njit
from ..dp.simd import VectorOps, as_intp, striped
from .windows import BYTE_BASE, BYTE_SCALE, LOG2, gumbel_invsurv, stripe_order, unbiased_byte

#: Bytes per vector of the striped row (HMMER's SSE width; LLVM widens or splits as the
#: machine allows).
LANES = 16


@intrinsic
def _striped_row(typingctx, row, costs, a, Q, xb, bias, thresh):
    """One SSV row in place on the striped `row` (Q vectors of LANES bytes), for residue
    code `a`: each cell the saturated ``max(diagonal predecessor, xb) + bias - cost``.
    True when a cell reaches `thresh`."""
    sig = types.boolean(row, costs, a, Q, xb, bias, thresh)

    def codegen(context, builder, signature, args):
        v = VectorOps(context, builder, 8, LANES)
        n_vec = as_intp(context, builder, args[3], signature.args[3])
        start = builder.mul(as_intp(context, builder, args[2], signature.args[2]), n_vec)
        start = builder.mul(start, ir.Constant(n_vec.type, LANES))
        cells = v.vectors(signature.args[0], args[0])
        cost = v.vectors(signature.args[1], args[1], start)
        xbv, biasv = v.splat(args[4], signature.args[4]), v.splat(args[5], signature.args[5])
        # node q + Q*z + 1 follows node q + Q*z: for q = 0, the last vector's lane z - 1
        # (lane 0 follows node 0, which scores 0)
        last = v.load(cells, builder.sub(n_vec, ir.Constant(n_vec.type, 1)))
        before = v.variable(v.shift_up(last, 0))
        best = v.variable(v.constant(0))
        with cgutils.for_range(builder, n_vec) as loop:
            old = v.load(cells, loop.index)
            sv = v.call("uadd.sat", v.call("umax", builder.load(before), xbv), biasv)
            sv = v.call("usub.sat", sv, v.load(cost, loop.index))
            v.store(sv, cells, loop.index)
            builder.store(old, before)
            builder.store(v.call("umax", builder.load(best), sv), best)
        threshold = v.splat(args[6], signature.args[6])
        return v.any(builder.icmp_unsigned(">=", builder.load(best), threshold))

    return sig, codegen


@njit(cache=True, nogil=True)
def _rows_until(dsq, i, striped, Q, row, xb, bias, sc_thresh):
    """SSV rows from row `i` (0-based) until one reaches `sc_thresh`: that row, or the
    sequence length."""
    for r in range(i, dsq.shape[0]):
        if _striped_row(row, striped, dsq[r], Q, xb, bias, sc_thresh):
            return r
    return dsq.shape[0]


@njit(cache=True, nogil=True)
def _ssv_diagonal(dsq, costs, cur, i, bias, floor, sc_thresh, order):
    """The diagonal that reached the threshold on row `i` (0-based): its best-scoring
    end state (the first in HMMER's striped order), traced back to where it began from B
    and extended forward while it keeps gaining. Returns (1-based target start, model
    end, length, 1-based target end)."""
    L = dsq.shape[0]
    M = costs.shape[1] - 1
    end = -1
    rem = -1
    for k in order:  # the striped order decides between equal scores
        if cur[k] >= sc_thresh and cur[k] > rem:
            end = k
            rem = int(cur[k])
    start = end
    t_end = i + 1  # 1-based
    t_start = t_end
    sc = rem
    while rem > floor and start >= 1 and t_start >= 1:
        rem -= bias - int(costs[dsq[t_start - 1], start])
        start -= 1
        t_start -= 1
    start += 1
    t_start += 1
    k = end + 1
    pos = t_end + 1
    max_end = t_end
    max_sc = sc
    since = 0
    while k < M and pos <= L:
        sc += bias - int(costs[dsq[pos - 1], k])
        if sc >= max_sc:
            max_sc = sc
            max_end = pos
            since = 0
        else:
            since += 1
            if since == 5:
                break
        k += 1
        pos += 1
    end += max_end - t_end
    return t_start, end, end - start + 1, max_end


@njit(cache=True, nogil=True)
def _ssv_scan(dsq, costs, striped, Q, bias, xb, floor, sc_thresh, order, out):
    """p7_SSVFilter_longtarget on `dsq`: diagonals whose byte score reaches `sc_thresh`
    (0..255), as rows (target start, model end, diagonal length) of `out`."""
    L = dsq.shape[0]
    M = costs.shape[1] - 1
    row = np.zeros(striped.shape[1], dtype=np.uint8)
    cur = np.zeros(M + 1, dtype=np.uint8)
    lift, xbw, th = np.uint8(bias), np.uint8(xb), np.uint8(sc_thresh)
    n = 0
    i = 0
    while True:
        i = _rows_until(dsq, i, striped, Q, row, xbw, lift, th)
        if i >= L:
            break
        for q in range(Q):  # the row in node order
            for z in range(striped.shape[1] // Q):
                k = q + Q * z + 1
                if k <= M:
                    cur[k] = row[q * (striped.shape[1] // Q) + z]
        t_start, end, length, max_end = _ssv_diagonal(dsq, costs, cur, i, bias, floor,
                                                      sc_thresh, order)  # fmt: skip
        if n >= out.shape[0]:
            bigger = np.zeros((out.shape[0] * 2, 3), dtype=np.int64)
            bigger[:n] = out[:n]
            out = bigger
        out[n, 0] = t_start
        out[n, 1] = end
        out[n, 2] = length
        n += 1
        row[:] = 0
        i = max_end  # rows up to the diagonal's end are passed over
    return out[:n]


class SSVSeeder:
    """The SSV filter's seeds on blocks of a long target, for one model (the scan's
    constants computed once)."""

    def __init__(self, costs: np.ndarray, bias: int, M: int, max_length: int, sc_thresh: int):
        tjb = unbiased_byte(math.log(np.float32(3.0) / np.float32(max_length + 3)))
        tbm = unbiased_byte(math.log(np.float32(2.0) / (np.float32(M) * np.float32(M + 1))))
        self.costs, self.bias, self.sc_thresh = costs, int(bias), int(sc_thresh)
        self.Q, self.striped = striped(costs, LANES, 255, np.uint8)  # 255: no cell
        self.xb = max(BYTE_BASE - (tjb + tbm), 0)
        self.floor = BYTE_BASE - tjb - tbm
        self.order = stripe_order(M, 16)

    def seeds(self, dsq: np.ndarray) -> np.ndarray:
        """SSV diagonals of `dsq` reaching the threshold: (n, 3) rows of 1-based target
        start, model end, diagonal length, in target order."""
        out = np.zeros((64, 3), dtype=np.int64)
        if self.sc_thresh > 255:  # no byte score reaches it
            return out[:0]
        return _ssv_scan(np.ascontiguousarray(dsq, dtype=np.uint8), self.costs, self.striped,
                         self.Q, self.bias, self.xb, self.floor, max(self.sc_thresh, 0),
                         self.order, out)  # fmt: skip


def ssv_threshold(F1: float, msv_stats: tuple[float, float], nullsc: float, max_length: int,
                  M: int) -> int:  # fmt: skip
    """The byte score an SSV diagonal must reach to pass `F1` (at the model's max length)."""
    inv = float(np.float32(gumbel_invsurv(F1, *msv_stats)))
    tec = unbiased_byte(math.log(0.5))
    tjb = unbiased_byte(math.log(np.float32(3.0) / np.float32(max_length + 3)))
    scaled = (nullsc + inv * LOG2 + 3.0) * float(BYTE_SCALE)
    return int(math.ceil(scaled + BYTE_BASE + tec + tjb))
