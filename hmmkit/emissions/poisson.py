"""Poisson emissions: each state emits a vector of independent non-negative counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..numeric import MAX_MAGNITUDE
from .base import EMPTY_COUNT, Emission, warn_unvisited
from .counts import accumulate_counts, count_frame_scores
from .kinds import COUNT, RATE


@dataclass(frozen=True)
class PoissonEmission(Emission):
    """State k emits feature d with a Poisson distribution of rate ``lambdas[k, d]``.

    ``prior_shape`` and ``prior_rate`` are a Gamma(shape, rate) prior on every rate
    (hmmlearn's ``lambdas_prior`` and ``lambdas_weight``); the M-step takes the
    posterior mean ``(shape + sum_t gamma x) / (rate + sum_t gamma)``, the maximum
    likelihood rate when both are 0.
    """

    lambdas: np.ndarray  # (n_states, n_features)
    prior_shape: np.ndarray | float = 0.0
    prior_rate: np.ndarray | float = 0.0

    parameters = {"lambdas": RATE}
    statistics = {"occupancy": COUNT, "count_sums": COUNT}

    def __post_init__(self) -> None:
        if self.lambdas.ndim != 2:
            raise ValueError(
                f"lambdas_ must be (n_states, n_features), got shape {self.lambdas.shape}"
            )
        if not np.all(np.isfinite(self.lambdas)) or np.any(self.lambdas < 0):
            raise ValueError("lambdas_ must be finite and non-negative")
        if np.any(self.lambdas > MAX_MAGNITUDE):
            raise ValueError(
                f"lambdas_ holds rates beyond {MAX_MAGNITUDE:g} (largest {self.lambdas.max():.3g}),"
                " whose log-likelihoods leave the range of double precision"
            )

    @property
    def n_states(self) -> int:
        return self.lambdas.shape[0]

    def frame_scores(self, X, workspace=None) -> tuple[np.ndarray, object]:
        offsets = -self.lambdas.sum(axis=1)
        return count_frame_scores(X, self.lambdas, offsets, False, "lambdas_", workspace), None

    def new_stats(self) -> dict[str, np.ndarray]:
        k, d = self.lambdas.shape
        return {"occupancy": np.zeros(k), "count_sums": np.zeros((k, d))}

    def accumulate(self, X, gamma, aux, stats) -> None:
        accumulate_counts(X, gamma, stats["occupancy"], stats["count_sums"])

    def m_step(self, stats: Mapping[str, np.ndarray], update: str) -> PoissonEmission:
        if "l" not in update:
            return self
        shape = np.broadcast_to(np.asarray(self.prior_shape, dtype=float), self.lambdas.shape)
        rate = np.broadcast_to(np.asarray(self.prior_rate, dtype=float), self.lambdas.shape)
        occupancy = stats["occupancy"][:, None] + rate
        empty = occupancy <= EMPTY_COUNT
        rates = (shape + stats["count_sums"]) / np.where(empty, 1.0, occupancy)
        new = np.where(empty, self.lambdas, rates)
        warn_unvisited("state", np.flatnonzero(empty.all(axis=1)), "its rates were kept")
        return PoissonEmission(new, self.prior_shape, self.prior_rate)

    def log_prior(self) -> float:
        """Gamma(shape, rate) log density of the rates, up to a constant."""
        shape = np.broadcast_to(np.asarray(self.prior_shape, dtype=float), self.lambdas.shape)
        rate = np.broadcast_to(np.asarray(self.prior_rate, dtype=float), self.lambdas.shape)
        if not (np.any(shape) or np.any(rate)):
            return 0.0
        safe = np.where(shape > 0, self.lambdas, 1.0)
        return float(np.sum(shape * np.log(safe)) - np.sum(rate * self.lambdas))

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.poisson(self.lambdas[states])

    def n_free_parameters(self) -> int:
        return self.lambdas.size
