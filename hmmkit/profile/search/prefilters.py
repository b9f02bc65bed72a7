"""HMMER's first filters over a block of targets in one compiled call: the MSV filter, its
gate against the null (F1), the biased-composition filter and the MSV gate against the
bias-filter null (p7_Pipeline up to the Viterbi filter).

One call per block keeps the interpreter out of the per-sequence work, so that threads
taking blocks side by side do not wait on each other's Python (the kernel releases the
interpreter lock). Every score and P-value is the expression the pipeline computed one
stage at a time before, in the same order.
"""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from ..dp.msv import msv_filter_striped, msv_target_byte
from .bias_filter import filter_null_batch
from .pipeline import PAST_BIAS, PAST_MSV

LOG2 = math.log(2.0)
#: Scores this far (bits) below the MSV gate's edge are refused without the exact test.
EDGE_MARGIN_BITS = 1e-3


@njit(cache=True, nogil=True, inline="always")
def gumbel_logsurv(x, mu, lam):
    """log P(S >= x) under a Gumbel distribution (:func:`.evalues.gumbel_logsurv`, the
    same operations)."""
    y = lam * (x - mu)
    ey = -math.exp(-y)
    if abs(ey) < 1e-7:  # 1 - exp(ey) ~ -ey
        return -y
    return math.log(-math.expm1(ey))


@njit(cache=True, nogil=True)
def _msv_gate(candidates, usc, nullsc, mu, lam, F1, edge, logP, write):
    """:func:`.scoring.msv_gate` in compiled code: the candidates whose MSV P-value
    against `nullsc` is at most F1 (all when F1 >= 1); with `write`, their log P-values
    go into `logP` (for every candidate past the edge's pre-test)."""
    gated = F1 < 1.0
    log_F1 = math.log(F1) if gated else 0.0
    keep = np.zeros(candidates.shape[0], dtype=np.bool_)
    for n in range(candidates.shape[0]):
        s = candidates[n]
        bits = (usc[s] - nullsc[s]) / LOG2
        if gated and not bits >= edge - EDGE_MARGIN_BITS:
            continue
        lp = gumbel_logsurv(bits, mu, lam)
        if write:
            logP[s] = lp
        keep[n] = lp <= log_F1 or not gated
    return candidates[keep]


@njit(cache=True, nogil=True)
def msv_and_bias_block(
    block, dsq, offsets, lengths, run_msv, use_msv, use_bias,
    costs, stripes, Q, bias, tbm, tec, tjbs, odds, t10, t11,
    mu, lam, F1, edge, nullsc, usc, filtersc, logP, stages,
):  # fmt: skip
    """Take the targets at `block` (record indices) through the MSV filter (`run_msv`; its
    scores into `usc`, with the parts of a :class:`~..dp.msv.StripedMsv`; each target's
    J->B byte from `tjbs` when it is not empty, else :func:`~..dp.msv.msv_target_byte`)
    and its gate against the null `nullsc` (F1), then the bias filter (`use_bias`; scores
    into `filtersc`, with the composition `odds` and the biased state's transitions
    t10/t11) and the MSV gate against them (`use_msv`; log P-values into `logP`). The
    :mod:`stages <.pipeline>` the targets reach go into `stages`; returns the record
    indices past both filters. (The MSV filter runs its J-less pass in signed bytes:
    :func:`~..dp.msv.msv_filter_striped`.)
    """
    candidates = block
    if run_msv:
        n = block.shape[0]
        scores = np.empty(n)
        lens = lengths[block]
        if tjbs.shape[0]:
            target_bytes = tjbs[block]
        else:
            target_bytes = np.empty(n, dtype=np.int64)
            for i in range(n):
                target_bytes[i] = msv_target_byte(lens[i])
        msv_filter_striped(dsq, offsets[block], lens, costs, stripes, Q, bias, tbm, tec,
                           target_bytes, scores)  # fmt: skip
        for i in range(n):
            usc[block[i]] = scores[i]
        candidates = _msv_gate(block, usc, nullsc, mu, lam, F1, edge, logP, False)
    for s in candidates:
        stages[s] = PAST_MSV
    if candidates.shape[0] == 0:
        return candidates
    if use_bias:
        lens = lengths[candidates]
        p1s = np.empty(lens.shape[0])  # loop_probabilities(lens)
        for i in range(lens.shape[0]):
            p1s[i] = np.float32(lens[i]) / np.float32(lens[i] + 1)
        out = np.full(candidates.shape[0], -np.inf)
        filter_null_batch(dsq, offsets[candidates], lens, odds, p1s, t10, t11, out)
        for i in range(candidates.shape[0]):
            filtersc[candidates[i]] = out[i]
    if use_msv:
        candidates = _msv_gate(candidates, usc, filtersc, mu, lam, F1, edge, logP, True)
    for s in candidates:
        stages[s] = PAST_BIAS
    return candidates
