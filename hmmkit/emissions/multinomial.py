"""Multinomial emissions: each frame is a vector of counts of ``n_features`` categories
over that frame's number of trials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..simplex import check_stochastic, dirichlet_log_density, dirichlet_map, normalize_rows
from .base import Emission
from .counts import accumulate_counts, count_frame_scores
from .kinds import COUNT, SIMPLEX


@dataclass(frozen=True)
class MultinomialEmission(Emission):
    """State k draws each frame's trials from the categories with probabilities
    ``emissionprob[k]``; ``prior`` is a Dirichlet concentration on every row (1 = none).
    Scores take each frame's own number of trials; sampling draws ``n_trials``."""

    emissionprob: np.ndarray  # (n_states, n_features)
    prior: np.ndarray | float = 1.0
    n_trials: int | None = None

    parameters = {"emissionprob": SIMPLEX}
    statistics = {"occupancy": COUNT, "count_sums": COUNT}

    def __post_init__(self) -> None:
        if self.emissionprob.ndim != 2:
            raise ValueError(
                f"emissionprob_ must be (n_states, n_features), got shape {self.emissionprob.shape}"
            )
        check_stochastic(self.emissionprob, "emissionprob_")

    @property
    def n_states(self) -> int:
        return self.emissionprob.shape[0]

    def frame_scores(self, X, workspace=None) -> tuple[np.ndarray, object]:
        offsets = np.zeros(self.n_states)
        scores = count_frame_scores(X, self.emissionprob, offsets, True, "emissionprob_", workspace)
        return scores, None

    def new_stats(self) -> dict[str, np.ndarray]:
        k, d = self.emissionprob.shape
        return {"occupancy": np.zeros(k), "count_sums": np.zeros((k, d))}

    def accumulate(self, X, gamma, aux, stats) -> None:
        accumulate_counts(X, gamma, stats["occupancy"], stats["count_sums"])

    def m_step(self, stats: Mapping[str, np.ndarray], update: str) -> MultinomialEmission:
        if "e" not in update:
            return self
        counts = dirichlet_map(stats["count_sums"], self.prior)
        new = normalize_rows(counts, self.emissionprob, "state")
        return MultinomialEmission(new, self.prior, self.n_trials)

    def log_prior(self) -> float:
        return dirichlet_log_density(self.emissionprob, self.prior)

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.n_trials is None:
            raise ValueError("sampling needs n_trials: the number of trials of every frame")
        out = np.empty((len(states), self.emissionprob.shape[1]), dtype=np.int64)
        for k in np.unique(states):
            chosen = states == k
            out[chosen] = rng.multinomial(self.n_trials, self.emissionprob[k], int(chosen.sum()))
        return out

    def n_free_parameters(self) -> int:
        k, d = self.emissionprob.shape
        return k * (d - 1)
