"""MSV (p7_GMSV, ungapped local multi-hit) and HMMER's 8-bit MSV filter, reproduced exactly."""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ...compiling import njit
from ...training.parallel import map_shards
from .shards import shard_slices
from .simd import VectorOps, as_intp, striped

NEG_INF = -np.inf


@njit(cache=True, nogil=True)
def msv_score(dsq, msc, nu, ncj_loops):
    """Generic MSV score in nats (p7_GMSV): best ungapped multi-hit local alignment.

    With ``ncj_loops`` False the N/C/J self-loops score 0 and 3 nats are subtracted at the
    end, the approximation HMMER's MSV filter makes.
    """
    L = dsq.shape[0]
    M = msc.shape[1] - 1
    tloop = math.log(np.float32(L) / np.float32(L + 3)) if ncj_loops else 0.0
    tmove = math.log(np.float32(3.0) / np.float32(L + 3))
    tbmk = math.log(np.float32(2.0) / (np.float32(M) * np.float32(M + 1)))
    tej = math.log((nu - 1.0) / nu)
    tec = math.log(1.0 / nu)
    prev = np.full(M + 1, NEG_INF)
    cur = np.full(M + 1, NEG_INF)
    xN = 0.0
    xB = tmove
    xJ = NEG_INF
    xC = NEG_INF
    for i in range(L):
        x = dsq[i]
        xE = NEG_INF
        cur[0] = NEG_INF
        for k in range(1, M + 1):
            v = msc[x, k] + max(prev[k - 1], xB + tbmk)
            cur[k] = v
            xE = max(xE, v)
        xJ = max(xJ + tloop, xE + tej)
        xC = max(xC + tloop, xE + tec)
        xN = xN + tloop
        xB = max(xN + tmove, xJ + tmove)
        prev, cur = cur, prev
    sc = xC + tmove
    if not ncj_loops:
        sc -= 3.0
    return sc


# ======================================================================================
# HMMER's 8-bit MSV filter, reproduced exactly
# ======================================================================================


def roundf(x: np.ndarray) -> np.ndarray:
    """C roundf (half away from zero) in float32."""
    x = np.asarray(x, dtype=np.float32)
    return (np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))).astype(np.float32)


def msv_byte_profile(msc: np.ndarray, K: int) -> tuple[np.ndarray, int]:
    """HMMER's MSV byte costs (Kp, M+1) and emission bias for log-odds match scores `msc`.

    Scores are in 1/3-bit units, offset so that all costs are unsigned bytes.
    """
    scale = np.float32(3.0) / np.float32(math.log(2.0))
    msc32 = msc.astype(np.float32)
    finite = msc32[:K, 1:]
    top = max(0.0, float(finite[np.isfinite(finite)].max())) if finite.size else 0.0
    bias = int(-roundf(scale * np.float32(-top)))
    bias = min(max(bias, 0), 255)
    with np.errstate(invalid="ignore", over="ignore"):
        cost = -roundf(scale * msc32)
    costs = np.where(cost > 255 - bias, 255, np.where(np.isfinite(cost), cost, 255) + bias)
    costs = np.minimum(costs, 255).astype(np.uint8)
    costs[:, 0] = 255
    return costs, bias


def _unbiased_byte(sc) -> np.ndarray:
    """HMMER's unbiased_byteify(): -roundf(3/ln2 * sc) as a cost, saturated at 255."""
    scale = np.float32(3.0) / np.float32(math.log(2.0))
    cost = -roundf(scale * np.asarray(sc, dtype=np.float32))
    return np.minimum(cost, 255.0).astype(np.int64)


#: Bytes per vector of the filter's striped rows: an AVX2 register (LLVM splits a vector
#: into the machine's narrower ones where it must), for models of up to WIDE_FROM nodes;
#: larger models take rows of WIDE_LANES bytes (an AVX-512 register). Measured on an
#: AVX-512 machine (the signed pass, 200,000 targets): 64-byte vectors were 1.1-1.25x
#: slower up to 350 nodes, level at 350-400, 1.15x faster at 450, 1.5-1.7x at 600-1,400;
#: 16-byte ones (HMMER's SSE width) 1.5-2x slower.
LANES = 32
WIDE_LANES = 64
WIDE_FROM = 12 * LANES
#: HMMER's byte-score base (om->base_b).
_BASE = 190


#: Rows of up to this many vectors (models of up to 16 * WIDE_LANES = 1,024 nodes) are
#: kept in vector registers, their code unrolled for each count; longer rows live in
#: memory.
REGISTER_VECTORS = 16


@njit(cache=True, nogil=True, inline="always")
def msv_lanes(M):
    """Bytes per vector of the filter's striped rows for a model of M nodes."""
    return WIDE_LANES if M > WIDE_FROM else LANES


def _striped_best_of(lanes: int, register_counts: range):
    """An intrinsic of :func:`_striped_best_code` on vectors of `lanes` bytes, its code
    unrolled for rows of `register_counts` vectors (the counts it is used for; any other
    count runs on a row in memory)."""

    @intrinsic
    def striped_best(typingctx, row, costs, dsq, lo, L, Q):
        return _striped_best_code(lanes, register_counts, row, costs, dsq, lo, L, Q)

    return striped_best


def _striped_best_code(lanes, register_counts, row, costs, dsq, lo, L, Q):
    """The best cell of the J-less byte MSV matrix of ``dsq[lo:lo+L]`` as the signed pass
    holds it (:func:`_shifted_best`): row by row on a striped row of Q vectors of `lanes`
    signed bytes (in registers, or for long models in the scratch `row`), each cell the
    saturated ``diagonal predecessor - cost`` with `costs` the signed striped costs (Kp,
    Q*lanes; :func:`_signed_stripes`). The best cell is kept as a vector over all rows and
    reduced once at the end."""
    sig = types.int8(row, costs, dsq, lo, L, Q)

    def codegen(context, builder, signature, args):
        v = VectorOps(context, builder, 8, lanes)
        n_vec = as_intp(context, builder, args[5], signature.args[5])
        intp = n_vec.type
        cost = v.vectors(signature.args[1], args[1])
        seq = context.make_array(signature.args[2])(context, builder, args[2]).data
        start = as_intp(context, builder, args[3], signature.args[3])
        length = as_intp(context, builder, args[4], signature.args[4])
        floor = -128  # the begin score (and every cell at or below it)
        best = v.variable(v.constant(floor))
        before = v.variable(v.constant(floor))

        def rows(load, store, count):
            """The rows of the sequence on a row whose vector q `load(q)` reads and
            `store(sv, q)` writes; `count` vectors (an int: the code unrolled; or an LLVM
            value: a loop)."""
            unrolled = isinstance(count, int)
            with cgutils.for_range(builder, length) as i:
                code = builder.load(builder.gep(seq, [builder.add(start, i.index)]))
                row_cost = builder.gep(cost, [builder.mul(builder.zext(code, intp), n_vec)])
                # node q + Q*z + 1 follows node q + Q*z: for q = 0, the last vector's lane
                # z - 1 (lane 0 follows node 0, at the floor)
                last = count - 1 if unrolled else builder.sub(count, ir.Constant(intp, 1))
                builder.store(v.shift_up(load(last), floor), before)

                def cell(q):
                    old = load(q)
                    at = ir.Constant(intp, q) if unrolled else q
                    sv = v.call("ssub.sat", builder.load(before), v.load(row_cost, at))
                    store(sv, q)
                    builder.store(old, before)
                    builder.store(v.call("smax", builder.load(best), sv), best)

                if unrolled:
                    for q in range(count):
                        cell(q)
                else:
                    with cgutils.for_range(builder, count) as q:
                        cell(q.index)

        done = builder.append_basic_block("msv_done")
        in_memory = builder.append_basic_block("msv_row_in_memory")
        switch = builder.switch(n_vec, in_memory)
        for n in register_counts:
            block = builder.append_basic_block(f"msv_row_of_{n}")
            switch.add_case(ir.Constant(intp, n), block)
            builder.position_at_end(block)
            registers = [v.variable(v.constant(floor)) for _ in range(n)]
            rows(lambda q, r=registers: builder.load(r[q]),
                 lambda sv, q, r=registers: builder.store(sv, r[q]), n)  # fmt: skip
            builder.branch(done)
        builder.position_at_end(in_memory)
        cells = v.vectors(signature.args[0], args[0])
        with cgutils.for_range(builder, n_vec) as q:
            v.store(v.constant(floor), cells, q.index)
        rows(lambda q: v.load(cells, q), lambda sv, q: v.store(sv, cells, q), n_vec)
        builder.branch(done)
        builder.position_at_end(done)
        return v.reduce("smax", builder.load(best))

    return sig, codegen


#: :func:`_striped_best_code` on the rows each model size takes
_striped_best_narrow = _striped_best_of(LANES, range(1, WIDE_FROM // LANES + 1))
_striped_best_wide = _striped_best_of(WIDE_LANES, range(WIDE_FROM // WIDE_LANES + 1,
                                                        REGISTER_VECTORS + 1))  # fmt: skip


@njit(cache=True, nogil=True, inline="always")
def _byte_row(prev, cur, row, xB, top, lift):
    """One DP row of the byte filter in node order, in place into `cur` from `prev`; its
    best cell (the rescoring with J, which a few sequences in a thousand need).

    Every node is the saturated ``max(prev[k-1], xB) + bias - cost`` in unsigned bytes.
    """
    xE = np.uint8(0)
    for k in range(1, row.shape[0]):
        t = max(prev[k - 1], xB)
        t = np.uint8(min(t, top) + lift)
        c = row[k]
        sv = np.uint8(max(t, c) - c)  # saturating subtraction
        cur[k] = sv
        xE = max(xE, sv)
    return xE


@njit(cache=True, nogil=True)
def _msv_one(dsq, lo, L, costs, lift, top, tbm, tec, tjb, prev, cur):
    """p7_MSVFilter's best J score (-1: the filter saturates) of one sequence, the J state's
    re-entries included."""
    prev[:] = 0
    cur[0] = 0
    tjbm = tjb + tbm
    xJ = 0
    xB = np.uint8(max(_BASE - tjbm, 0))
    for i in range(L):
        xE = _byte_row(prev, cur, costs[dsq[lo + i]], xB, top, lift)
        if xE >= top:
            return -1
        xJ = max(xJ, int(xE) - tec)
        xB = np.uint8(max(max(_BASE, xJ) - tjbm, 0))
        prev, cur = cur, prev
    return xJ


@njit(cache=True, nogil=True, inline="always")
def _score_of_xj(xJ, tjb):
    """p7_MSVFilter's score (nats) from its best J byte `xJ` (-1: it saturates, inf)."""
    return np.inf if xJ < 0 else ((xJ - tjb) - _BASE) / (3.0 / math.log(2.0)) - 3.0


@njit(cache=True, nogil=True, inline="always")
def _score_of_best(best, xB, dsq, lo, L, costs, bias, tbm, tec, tjb, prev, cur):
    """p7_MSVFilter's score (nats; inf: the filter saturates) of ``dsq[lo:lo+L]`` from the
    best cell of its J-less matrix and its begin score `xB`.

    That first pass leaves the J state out (HMMER's SSV idea): the begin score is then the
    same on every row, so the pass needs only the best cell of the whole matrix, with no
    per-row test. While that best cell cannot lift xJ above the byte base, J would never
    have changed a begin score and the pass is the filter's own computation; otherwise
    (a few in a thousand) the sequence is scored again with J (natural-order `costs`,
    scratch rows `prev`, `cur`). HMMER's pass counts the begin score among the cells: a
    sequence whose every cell is below it (a short one that matches nowhere) scores as if
    a cell held xB.
    """
    top = 255 - bias
    if best >= top:
        return np.inf
    xJ = max(int(max(best, xB)) - tec, 0)
    if xJ > _BASE:
        xJ = _msv_one(dsq, lo, L, costs, np.uint8(bias), np.uint8(top), tbm, tec, tjb, prev,
                      cur)  # fmt: skip
    return _score_of_xj(xJ, tjb)


#: The signed pass holds a cell's lift over the begin score exactly up to this many bytes.
SIGNED_LIFT = 127


@njit(cache=True, nogil=True)
def _signed_stripes(stripes, bias):
    """The striped byte costs less the emission bias, as the signed bytes the J-less pass
    subtracts (:func:`_shifted_best`): clamped to -128..127."""
    out = np.empty(stripes.shape, dtype=np.int8)
    for r in range(stripes.shape[0]):
        for c in range(stripes.shape[1]):
            out[r, c] = np.int8(min(max(np.int64(stripes[r, c]) - bias, -128), 127))
    return out


@njit(cache=True, nogil=True, inline="always")
def _shifted_best(best, xB, top):
    """The J-less pass's best cell, at least `xB`, from the signed pass's `best`; -1 where
    the signed pass cannot tell it (a sequence to score with the full filter).

    The byte filter's cell is ``sat(max(pred, xB) + bias) - cost``, saturated at 0 and 255.
    Held as its lift over the begin score xB, a cell at or below xB is 0, so the max with
    xB comes free from the saturation at 0; less 128, in a signed byte, a cell is one
    saturated subtraction of ``cost - bias`` (:func:`_signed_stripes`) with the floor -128
    for the begin score. Every lift is exact while no cell has reached the filter's
    saturation (``top``, 255 less the bias; the lift ``top - xB``) and while no
    predecessor lifts above :data:`SIGNED_LIFT` (a cost clamped to 127 then leaves above
    the floor a cell that the filter puts at it). So a best lift within SIGNED_LIFT is the
    filter's; a higher one is the lift of an exact cell (the first one above), which
    saturates the filter if ``top - xB`` is at most SIGNED_LIFT + 1 and cannot be told
    otherwise (large models, long targets, a high score)."""
    lift = np.int64(best) + 128
    if lift > SIGNED_LIFT and top - xB > SIGNED_LIFT + 1:
        return -1
    return min(lift + xB, 255)


@njit(cache=True, nogil=True)
def _saturated_best(dsq, lo, L, costs):
    """The best cell of the J-less byte matrix when the begin score and the bias add up to
    the byte's saturation (every cell 255 less its cost)."""
    best = 0
    for i in range(L):
        row = costs[dsq[lo + i]]
        for k in range(1, row.shape[0]):
            best = max(best, 255 - np.int64(row[k]))
    return best


@njit(cache=True, nogil=True)
def _msv_filter_striped(dsq, offsets, lengths, costs, stripes, Q, bias, tbm, tec, tjbs, out):
    """p7_MSVFilter on every sequence, exactly: the J-less pass on the `stripes` of the
    byte costs (:func:`~.simd.striped`, Q vectors of :func:`msv_lanes` bytes a row) in
    signed bytes (:func:`_shifted_best`), in SIMD vectors one sequence at a time, as
    HMMER's filter runs."""
    M = costs.shape[1] - 1
    wide = stripes.shape[1] == Q * WIDE_LANES
    row = np.zeros(stripes.shape[1], dtype=np.int8)
    prev = np.zeros(M + 1, dtype=np.uint8)
    cur = np.zeros(M + 1, dtype=np.uint8)
    signed = _signed_stripes(stripes, bias)
    top = 255 - bias
    for s in range(len(offsets)):
        lo, L, tjb = offsets[s], lengths[s], tjbs[s]
        xB = max(_BASE - tjb - tbm, 0)
        if xB >= top:  # (no real model: its bias would be 65 or more)
            best = _saturated_best(dsq, lo, L, costs)
        else:
            if wide:
                signed_best = _striped_best_wide(row, signed, dsq, lo, L, Q)
            else:
                signed_best = _striped_best_narrow(row, signed, dsq, lo, L, Q)
            best = _shifted_best(signed_best, xB, top)
        if best < 0:  # the full filter, with J
            xJ = _msv_one(dsq, lo, L, costs, np.uint8(bias), np.uint8(top), tbm, tec, tjb,
                          prev, cur)  # fmt: skip
            out[s] = _score_of_xj(xJ, tjb)
        else:
            out[s] = _score_of_best(np.uint8(best), np.uint8(xB), dsq, lo, L, costs, bias, tbm,
                                    tec, tjb, prev, cur)  # fmt: skip


@cache
def _model_bytes(M: int) -> tuple[int, int]:
    """The filter's byte costs of B->M_k (tbm, uniform local entry) and E->C/J (tec)."""
    tbm = int(_unbiased_byte(math.log(np.float32(2.0) / (np.float32(M) * np.float32(M + 1)))))
    return tbm, int(_unbiased_byte(math.log(np.float32(0.5))))


def msv_filter_scores(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    msc: np.ndarray,
    K: int,
    byte_profile=None,
    *,
    n_jobs: int | None = 1,
) -> np.ndarray:
    """MSV scores (nats) of packed sequences exactly as HMMER's 8-bit MSV filter computes
    them (p7_MSVFilter); inf where the filter saturates.

    `byte_profile` may pass a precomputed :func:`msv_byte_profile` result; `n_jobs` > 1
    (None: all cores) scores parts of the batch on several threads.
    """  # fmt: skip
    costs, bias = byte_profile if byte_profile is not None else msv_byte_profile(msc, K)
    return msv_filter_scores_of_bytes(dsq, offsets, lengths, costs, bias, n_jobs=n_jobs)


def msv_filter_scores_of_bytes(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    costs: np.ndarray,
    bias: int,
    *,
    n_jobs: int | None = 1,
) -> np.ndarray:
    """:func:`msv_filter_scores` from a model's MSV byte costs and bias alone (what a
    pressed database keeps, as HMMER's ``.h3f``)."""
    M = costs.shape[1] - 1
    dsq, offsets, lengths, tjbs = _packed_targets(dsq, offsets, lengths)
    tbm, tec = _model_bytes(M)
    costs = np.ascontiguousarray(costs, dtype=np.uint8)
    Q, stripes = striped(costs, msv_lanes(M), 255, np.uint8)  # 255: no cell
    bias = int(bias)
    out = np.empty(len(lengths))

    def run(part: slice) -> None:
        _msv_filter_striped(dsq, offsets[part], lengths[part], costs, stripes, Q, bias, tbm,
                            tec, tjbs[part], out[part])  # fmt: skip

    if n_jobs == 1:
        run(slice(0, len(lengths)))
        return out

    map_shards(run, shard_slices(lengths, n_jobs), n_jobs)
    return out


class StripedMsv(NamedTuple):
    """What the MSV filter kernel reads of one model, made once for many blocks of targets:
    the byte costs (Kp, M+1), their :func:`~.simd.striped` rows and vector count Q, the
    emission bias and the B->M and E->C/J byte costs."""

    costs: np.ndarray
    stripes: np.ndarray
    Q: int
    bias: int
    tbm: int
    tec: int


def striped_msv(costs: np.ndarray, bias: int) -> StripedMsv:
    """The :class:`StripedMsv` of a model's MSV byte costs and bias."""
    costs = np.ascontiguousarray(costs, dtype=np.uint8)
    Q, stripes = striped(costs, msv_lanes(costs.shape[1] - 1), 255, np.uint8)  # 255: no cell
    tbm, tec = _model_bytes(costs.shape[1] - 1)
    return StripedMsv(costs, stripes, Q, int(bias), tbm, tec)


def msv_target_bytes(lengths: np.ndarray) -> np.ndarray:
    """Each target's J->B byte cost (tjb) for the targets of `lengths`, as the MSV filter
    kernel (:func:`msv_filter_striped`) takes them."""
    return _packed_targets(np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int64), lengths)[3]


#: Targets shorter than this get their J->B byte cost from :func:`msv_target_byte` (the
#: same byte as :func:`msv_target_bytes` for every length below it, checked one by one);
#: longer ones (DNA chromosomes) from :func:`msv_target_bytes`.
COMPILED_TJB_LENGTHS = 1 << 27


@njit(cache=True, nogil=True, inline="always")
def msv_target_byte(L):
    """One target's J->B byte cost, :func:`msv_target_bytes` in compiled code (for
    lengths below :data:`COMPILED_TJB_LENGTHS`)."""
    scale = np.float32(3.0) / np.float32(math.log(2.0))
    x = scale * np.float32(math.log(np.float64(np.float32(3.0) / np.float32(L + 3))))
    cost = -(np.sign(x) * np.floor(np.abs(x) + np.float32(0.5)))
    return np.int64(min(cost, np.float32(255.0)))


#: p7_MSVFilter on every sequence of a packed batch (the kernel itself, for compiled
#: callers): ``msv_filter_striped(dsq, offsets, lengths, costs, stripes, Q, bias, tbm, tec,
#: tjbs, out)`` with the parts of a :class:`StripedMsv` and :func:`msv_target_bytes`.
msv_filter_striped = _msv_filter_striped


def _packed_targets(dsq, offsets, lengths):
    """The kernels' view of packed targets, and each target's J->B byte cost (tjb)."""
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    dsq = np.ascontiguousarray(dsq, dtype=np.uint8)
    ratio = np.float32(3.0) / (lengths + 3).astype(np.float32)
    return dsq, offsets, lengths, _unbiased_byte(np.log(ratio.astype(np.float64)))


@njit(cache=True, nogil=True)
def _stripe_costs(costs, Q, lanes, stripes):
    """`costs` (Kp, M+1) into `stripes` (Kp, Q*lanes) in the order of :func:`~.simd.striped`
    (255, no cell, past node M)."""
    M = costs.shape[1] - 1
    for r in range(costs.shape[0]):
        for q in range(Q):
            for z in range(lanes):
                k = q + Q * z + 1
                stripes[r, q * lanes + z] = costs[r, k] if k <= M else 255


@njit(cache=True, nogil=True)
def _msv_filter_models(dsq, offsets, lengths, costs, starts, Ms, biases, tbms, tec, tjbs, Kp,
                       out):  # fmt: skip
    for m in range(Ms.shape[0]):
        M = Ms[m]
        model = costs[starts[m] : starts[m] + Kp * (M + 1)].reshape((Kp, M + 1))
        lanes = msv_lanes(M)
        Q = max(1, (M + lanes - 1) // lanes)
        stripes = np.empty((Kp, Q * lanes), dtype=np.uint8)
        _stripe_costs(model, Q, lanes, stripes)
        _msv_filter_striped(dsq, offsets, lengths, model, stripes, Q, biases[m], tbms[m], tec,
                            tjbs, out[m])  # fmt: skip


def msv_filter_scores_of_models(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    costs: np.ndarray,
    starts: np.ndarray,
    Ms: np.ndarray,
    biases: np.ndarray,
    Kp: int,
) -> np.ndarray:
    """:func:`msv_filter_scores_of_bytes` of several models in one call, (models, targets):
    model m's byte costs (Kp, M+1) lie flat in `costs` (uint8) from ``starts[m]``, with
    ``Ms[m]`` nodes and MSV bias ``biases[m]`` (as a pressed database's ``.hkf`` holds them)."""
    dsq, offsets, lengths, tjbs = _packed_targets(dsq, offsets, lengths)
    Ms = np.ascontiguousarray(Ms, dtype=np.int64)
    tbms = np.array([_model_bytes(int(M))[0] for M in Ms], dtype=np.int64)
    tec = _model_bytes(1)[1]  # the same for every M
    out = np.empty((len(Ms), len(lengths)))
    if len(Ms):
        _msv_filter_models(dsq, offsets, lengths, costs, np.ascontiguousarray(starts, np.int64),
                           Ms, np.ascontiguousarray(biases, dtype=np.int64), tbms, tec, tjbs,
                           int(Kp), out)  # fmt: skip
    return out


def msv_filter_score(dsq: np.ndarray, msc: np.ndarray, K: int, byte_profile=None) -> float:
    """:func:`msv_filter_scores` of one sequence."""
    one = np.zeros(1, dtype=np.int64)
    return float(msv_filter_scores(dsq, one, one + len(dsq), msc, K, byte_profile)[0])
