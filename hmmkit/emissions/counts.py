"""Compiled pieces shared by the emissions of count vectors (Poisson, multinomial)."""

from __future__ import annotations

import math

import numpy as np

from ..compiling import njit
from ..special import gammaln

#: Counts up to this are looked up in a table of log-factorials, kept between calls.
FACTORIAL_TABLE_MAX = 1 << 16
_table = np.empty(0)  # built at the first call, not at import (gammaln is a compiled kernel)


def log_factorial_table(X: np.ndarray, with_totals: bool = False) -> np.ndarray:
    """log(n!) for n = 0 .. at least the largest count of X (or frame total), capped at
    :data:`FACTORIAL_TABLE_MAX`; larger counts are computed one by one. The table is
    built once and grown (to twice the size needed) only when a larger count comes."""
    global _table
    top = 0.0
    if X.size:
        top = float(X.sum(axis=1).max()) if with_totals else float(X.max())
    needed = int(min(top, FACTORIAL_TABLE_MAX)) + 1
    table = _table
    if needed > len(table):
        size = min(max(2 * needed, 256), FACTORIAL_TABLE_MAX + 1)
        table = _table = gammaln(np.arange(size) + 1.0)
    return table


@njit(cache=True, nogil=True)
def _log_factorial(x, table):
    return table[int(x)] if x < len(table) else math.lgamma(x + 1.0)


@njit(cache=True, nogil=True)
def count_log_likelihood(X, log_rates, offsets, log_factorial, with_totals, out):
    """out[t, k] = offsets[k] + sum_d (x log(rate_kd) - log(x!)) [+ log(n_t!) with
    `with_totals`, n_t the frame's total]. A zero count adds no x log(rate) term
    (0 log 0 = 0); a positive count of a zero rate gives -inf."""
    n_frames, n_features = X.shape
    n_states = log_rates.shape[0]
    for t in range(n_frames):
        frame = 0.0
        total = 0.0
        for d in range(n_features):
            x = X[t, d]
            frame -= _log_factorial(x, log_factorial)
            total += x
        if with_totals:
            frame += _log_factorial(total, log_factorial)
        for k in range(n_states):
            s = offsets[k] + frame
            for d in range(n_features):
                x = X[t, d]
                if x > 0.0:
                    s += x * log_rates[k, d]
            out[t, k] = s


def count_frame_scores(X, rates, offsets, with_totals: bool, what: str, workspace=None):
    """Per-frame, per-state log-likelihoods (T, K) of count vectors under per-state
    ``rates`` (K, D) (into the workspace's scratch if given): :func:`count_log_likelihood`
    of ``log(rates)``. ``what`` names the parameter in the error for a wrong width."""
    if X.shape[1] != rates.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but {what} has {rates.shape[1]}")
    with np.errstate(divide="ignore"):
        log_rates = np.log(rates)
    shape = (len(X), rates.shape[0])
    out = np.empty(shape) if workspace is None else workspace.array("log_b", shape)
    table = log_factorial_table(X, with_totals=with_totals)
    count_log_likelihood(X, log_rates, offsets, table, with_totals, out)
    return out


@njit(cache=True, nogil=True)
def accumulate_counts(X, gamma, occupancy, count_sums):
    """occupancy[k] += sum_t gamma[t, k]; count_sums[k, d] += sum_t gamma[t, k] X[t, d]."""
    n_frames, n_features = X.shape
    for t in range(n_frames):
        for k in range(gamma.shape[1]):
            g = gamma[t, k]
            occupancy[k] += g
            for d in range(n_features):
                count_sums[k, d] += g * X[t, d]
