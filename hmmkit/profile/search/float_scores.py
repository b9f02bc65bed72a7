"""HMMER's single-precision score arithmetic of the pipeline (p7_Pipeline): its table-driven
log-sum (p7_FLogsum) and Easel's compensated float sum (esl_vec_FSum), with which a hit's
and its domains' null2-corrected scores are made."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...compiling import njit

F32 = np.float32
#: p7_FLogsum's table: log(1 + exp(-d)) for d = 0, 0.001, ... (16,000 steps).
LOGSUM_SCALE, LOGSUM_STEPS = 1000.0, 16000


@lru_cache(maxsize=1)
def _logsum_table() -> np.ndarray:
    """flogsum_lookup of p7_FLogsumInit: each entry computed in double, kept as float."""
    return np.array([math.log(1.0 + math.exp(-i / LOGSUM_SCALE)) for i in range(LOGSUM_STEPS)],
                    dtype=np.float32)  # fmt: skip


def flogsum(a: float, b: float) -> np.float32:
    """log(e^a + e^b) as HMMER's p7_FLogsum approximates it (a float32): the larger value
    plus a table entry at the difference truncated to thousandths; the larger alone past
    a difference of 15.7."""
    a, b = F32(a), F32(b)
    high, low = (a, b) if a > b else (b, a)
    if low == -np.inf or F32(high - low) >= F32(15.7):
        return high
    return F32(high + _logsum_table()[int(F32(F32(high - low) * F32(LOGSUM_SCALE)))])


@njit(cache=True, nogil=True)
def fsum(values):
    """esl_vec_FSum: the sum of `values` taken as float32, Kahan-compensated in float32."""
    total = F32(0.0)
    carry = F32(0.0)
    for n in range(values.shape[0]):
        y = F32(F32(values[n]) - carry)
        t = F32(total + y)
        carry = F32(F32(t - total) - y)
        total = t
    return total
