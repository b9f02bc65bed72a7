"""MSV (p7_GMSV, ungapped local multi-hit) and HMMER's 8-bit MSV filter, reproduced exactly."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit

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


@njit(cache=True, nogil=True)
def _msv_filter_batch(dsq, offsets, lengths, costs, bias, base, tbm, tec, tjbs, out):
    """p7_MSVFilter on every sequence; 16-bit lanes (costs are bytes) so the loop over
    the model vectorises wide."""
    M = costs.shape[1] - 1
    wide = costs.astype(np.int16)
    prev = np.zeros(M + 1, dtype=np.int16)
    cur = np.zeros(M + 1, dtype=np.int16)
    top = np.int16(255)
    floor = np.int16(0)
    lift = np.int16(bias)
    for s in range(len(offsets)):
        lo, L, tjb = offsets[s], lengths[s], tjbs[s]
        prev[:] = 0
        cur[0] = 0
        tjbm = tjb + tbm
        xJ = 0
        xB = np.int16(max(base - tjbm, 0))
        overflow = False
        for i in range(L):
            row = wide[dsq[lo + i]]
            xE = floor
            for k in range(1, M + 1):
                sv = min(np.int16(max(prev[k - 1], xB) + lift), top)
                sv = max(np.int16(sv - row[k]), floor)
                cur[k] = sv
                xE = max(xE, sv)
            if xE >= 255 - bias:
                overflow = True
                break
            xJ = max(xJ, xE - tec)
            xB = np.int16(max(max(base, xJ) - tjbm, 0))
            prev, cur = cur, prev
        out[s] = np.inf if overflow else ((xJ - tjb) - base) / (3.0 / math.log(2.0)) - 3.0


def msv_filter_scores(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    msc: np.ndarray,
    K: int,
    byte_profile=None,
) -> np.ndarray:
    """MSV scores (nats) of packed sequences exactly as HMMER's 8-bit MSV filter computes
    them (p7_MSVFilter); inf where the filter saturates.

    `byte_profile` may pass a precomputed :func:`msv_byte_profile` result.
    """  # fmt: skip
    costs, bias = byte_profile if byte_profile is not None else msv_byte_profile(msc, K)
    return msv_filter_scores_of_bytes(dsq, offsets, lengths, costs, bias)


def msv_filter_scores_of_bytes(
    dsq: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, costs: np.ndarray, bias: int
) -> np.ndarray:
    """:func:`msv_filter_scores` from a model's MSV byte costs and bias alone (what a
    pressed database keeps, as HMMER's ``.h3f``)."""
    M = costs.shape[1] - 1
    lengths = np.asarray(lengths, dtype=np.int64)
    tbm = int(_unbiased_byte(math.log(np.float32(2.0) / (np.float32(M) * np.float32(M + 1)))))
    tec = int(_unbiased_byte(math.log(np.float32(0.5))))
    ratio = np.float32(3.0) / (lengths + 3).astype(np.float32)
    tjbs = _unbiased_byte(np.log(ratio.astype(np.float64)))
    out = np.empty(len(lengths))
    _msv_filter_batch(dsq, np.asarray(offsets, dtype=np.int64), lengths, costs, int(bias), 190,
                      tbm, tec, tjbs, out)  # fmt: skip
    return out


def msv_filter_score(dsq: np.ndarray, msc: np.ndarray, K: int, byte_profile=None) -> float:
    """:func:`msv_filter_scores` of one sequence."""
    one = np.zeros(1, dtype=np.int64)
    return float(msv_filter_scores(dsq, one, one + len(dsq), msc, K, byte_profile)[0])
