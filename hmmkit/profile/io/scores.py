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


@numba.njit(cache=True, nogil=True)
def _expf_of_negated(x: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty(x.size, dtype=np.float32)
    for i in range(x.size):
        out[i] = math.exp(-x[i])
    return out


def probabilities_from_scores(scores: np.ndarray) -> np.ndarray:
    """The probabilities HMMER reads from text fields ``-ln p`` (``inf`` for ``*``):
    ``expf`` of the field negated and rounded to float32, by the C library's expf
    (``expf(-1.0 * atof(tok))``), as float64 values; inf where a field is far below 0."""
    x = np.ascontiguousarray(scores, dtype=np.float64)
    with np.errstate(over="ignore"):
        negated = np.ascontiguousarray(x.ravel(), dtype=np.float32)  # -x rounds as x does
    return _expf_of_negated(negated).astype(np.float64).reshape(x.shape)
