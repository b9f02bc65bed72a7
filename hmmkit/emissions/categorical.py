"""Categorical (discrete symbol) emissions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..compiling import njit
from .base import EMPTY_COUNT, Emission, warn_unvisited


@njit(cache=True, nogil=True)
def _symbol_log_likelihood(symbols, log_emission_t, out):
    for t in range(symbols.shape[0]):
        row = log_emission_t[symbols[t]]
        for k in range(out.shape[1]):
            out[t, k] = row[k]


@njit(cache=True, nogil=True)
def _accumulate_symbol_counts(symbols, gamma, counts_t):
    for t in range(symbols.shape[0]):
        row = counts_t[symbols[t]]
        for k in range(gamma.shape[1]):
            row[k] += gamma[t, k]


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


@dataclass(frozen=True)
class CategoricalEmission(Emission):
    """Each state emits one of ``n_symbols`` symbols with probabilities ``emissionprob``."""

    emissionprob: np.ndarray  # (n_states, n_symbols)
    prior: np.ndarray | float = 1.0

    def __post_init__(self) -> None:
        if self.emissionprob.ndim != 2:
            raise ValueError(
                f"emissionprob_ must be (n_states, n_symbols), got shape {self.emissionprob.shape}"
            )
        check_stochastic(self.emissionprob, "emissionprob_")

    @property
    def n_states(self) -> int:
        return self.emissionprob.shape[0]

    @property
    def n_symbols(self) -> int:
        """Size of the symbol alphabet."""
        return self.emissionprob.shape[1]

    def frame_scores(self, X, workspace=None) -> tuple[np.ndarray, object]:
        n_symbols = self.emissionprob.shape[1]
        if len(X):  # the kernels index the table by symbol: never past its end
            top, low = int(X.max()), int(X.min())
            if top >= n_symbols or low < 0:
                bad = top if top >= n_symbols else low
                raise ValueError(f"X contains symbol {bad} but the model has n_symbols={n_symbols}")
        with np.errstate(divide="ignore"):
            log_emission_t = np.ascontiguousarray(np.log(self.emissionprob).T)
        shape = (len(X), self.n_states)
        out = np.empty(shape) if workspace is None else workspace.array("log_b", shape)
        _symbol_log_likelihood(X, log_emission_t, out)
        return out, None

    def new_stats(self) -> dict[str, np.ndarray]:
        return {"symbol_counts": np.zeros((self.n_symbols, self.n_states))}

    def accumulate(self, X, gamma, aux, stats) -> None:
        _accumulate_symbol_counts(X, gamma, stats["symbol_counts"])

    def m_step(self, stats: Mapping[str, np.ndarray], update: str) -> CategoricalEmission:
        if "e" not in update:
            return self
        counts = dirichlet_map(stats["symbol_counts"].T, self.prior)
        new = normalize_rows(counts, self.emissionprob, "state")
        return CategoricalEmission(new, self.prior)

    def log_prior(self) -> float:
        return dirichlet_log_density(self.emissionprob, self.prior)

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty(len(states), dtype=np.int64)
        for k in np.unique(states):
            chosen = states == k
            out[chosen] = rng.choice(self.n_symbols, size=int(chosen.sum()), p=self.emissionprob[k])
        return out

    def n_free_parameters(self) -> int:
        return self.n_states * (self.n_symbols - 1)
