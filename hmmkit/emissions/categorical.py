"""Categorical (discrete symbol) emissions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..compiling import njit
from ..simplex import check_stochastic, dirichlet_log_density, dirichlet_map, normalize_rows
from .base import Emission
from .kinds import COUNT, SIMPLEX


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


@dataclass(frozen=True)
class CategoricalEmission(Emission):
    """Each state emits one of ``n_symbols`` symbols with probabilities ``emissionprob``."""

    emissionprob: np.ndarray  # (n_states, n_symbols)
    prior: np.ndarray | float = 1.0

    parameters = {"emissionprob": SIMPLEX}
    statistics = {"symbol_counts": COUNT}

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
