"""The ``-ln p`` scores of HMMER3 text files, computed as HMMER computes them."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _negated_logf(p: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty_like(p)
    for i in range(p.size):
        out[i] = -math.log(p[i]) if p[i] > 0 else np.inf
    return out


def negated_log_scores(probabilities: np.ndarray) -> np.ndarray:
    """float32 ``-logf(p)`` of the float32 values of `probabilities` by the C library's
    single-precision logarithm, as HMMER writes its text fields (``inf`` where p <= 0)."""
    p = np.ascontiguousarray(probabilities, dtype=np.float32)
    return _negated_logf(p.ravel()).reshape(p.shape)
