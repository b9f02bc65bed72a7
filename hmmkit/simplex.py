"""Rows of probabilities: validity checks, Dirichlet MAP estimates and log densities,
normalisation. Shared by the HMM (start and transitions) and the emission families."""

from __future__ import annotations

import numpy as np

from .emissions.base import EMPTY_COUNT, warn_unvisited


def check_stochastic(matrix: np.ndarray, name: str, axis: int = -1) -> None:
    """Raise ValueError unless ``matrix`` is finite, non-negative and sums to 1 along ``axis``."""
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(matrix < 0):
        raise ValueError(f"{name} contains negative probabilities")
    worst = float(np.max(np.abs(matrix.sum(axis=axis) - 1.0), initial=0.0))
    if worst > 1e-8:
        raise ValueError(f"{name} rows must sum to 1 (off by up to {worst:.3g})")


def dirichlet_map(counts: np.ndarray, prior: np.ndarray | float) -> np.ndarray:
    """Unnormalised MAP estimate under a Dirichlet prior: ``max(counts + prior - 1, 0)``."""
    return np.maximum(counts + np.asarray(prior, dtype=float) - 1.0, 0.0)


def dirichlet_log_density(probabilities: np.ndarray, prior: np.ndarray | float) -> float:
    """``sum (prior - 1) log p`` over the non-zero probabilities: the log density of rows
    of probabilities under a Dirichlet prior, up to a constant (0 when the prior is 1)."""
    exponent = np.broadcast_to(np.asarray(prior, dtype=float) - 1.0, probabilities.shape)
    used = (exponent != 0) & (probabilities > 0)
    if not np.any(used):
        return 0.0
    return float(np.sum(exponent[used] * np.log(probabilities[used])))


def normalize_rows(
    counts: np.ndarray, old: np.ndarray, kind: str, mask: np.ndarray | None = None
) -> np.ndarray:
    """Rows of ``counts`` normalised to sum to one; an empty row keeps its ``old`` value."""
    if mask is not None:
        counts = counts * mask
    totals = counts.sum(axis=-1, keepdims=True)
    empty = totals[..., 0] <= EMPTY_COUNT
    new = np.where(empty[..., None], old, counts / np.where(empty[..., None], 1.0, totals))
    warn_unvisited(kind, np.flatnonzero(empty), "its previous values were kept")
    return new
