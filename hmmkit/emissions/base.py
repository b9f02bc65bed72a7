"""The interface every emission family implements.

An emission is a frozen value: the per-state output distributions of an HMM and
the settings of their M-step. It knows nothing of time: it scores frames,
accumulates sufficient statistics from state posteriors, and re-estimates itself
from summed statistics.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping

import numpy as np

from ..workspace import Workspace

#: A state (or component) whose expected count is below this is treated as unvisited.
EMPTY_COUNT = 1e-10


class DegenerateStateWarning(RuntimeWarning):
    """A state or mixture component received (almost) no weight in an M-step."""


class CovarianceFloorWarning(UserWarning):
    """The absolute covariance floor is not small against the data's own variances."""


def warn_unvisited(kind: str, indices: np.ndarray, action: str) -> None:
    """Warn that the listed states/components got no weight and what was done about it."""
    if len(indices):
        listed = ", ".join(str(int(i)) for i in indices[:10])
        more = "" if len(indices) <= 10 else f" (+{len(indices) - 10} more)"
        warnings.warn(
            f"{kind} {listed}{more} received no weight in this M-step; {action}",
            DegenerateStateWarning,
            stacklevel=4,
        )


class Emission(ABC):
    """Per-state emission distributions of an HMM with ``n_states`` states."""

    n_states: int

    @abstractmethod
    def frame_scores(
        self, X: np.ndarray, workspace: Workspace | None = None
    ) -> tuple[np.ndarray, object]:
        """Per-frame log-likelihoods ``(T, n_states)`` and data kept for :meth:`accumulate`.

        With a ``workspace`` the results live in its scratch buffers (see
        :mod:`hmmkit.workspace`) and are valid only until its next use.
        """

    def log_likelihood(self, X: np.ndarray) -> np.ndarray:
        """Per-frame, per-state emission log-likelihoods ``(T, n_states)``."""
        return self.frame_scores(X)[0]

    @abstractmethod
    def new_stats(self) -> dict[str, np.ndarray]:
        """Zeroed sufficient statistics of this emission."""

    @abstractmethod
    def accumulate(
        self, X: np.ndarray, gamma: np.ndarray, aux: object, stats: dict[str, np.ndarray]
    ) -> None:
        """Add the statistics of frames ``X`` with state posteriors ``gamma`` into ``stats``.

        ``aux`` (from :meth:`frame_scores`) may be overwritten.
        """

    @abstractmethod
    def m_step(self, stats: Mapping[str, np.ndarray], update: str) -> Emission:
        """The re-estimated emission; ``update`` holds the parameter letters to change."""

    @abstractmethod
    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One frame drawn from each state in ``states``."""

    def log_prior(self) -> float:
        """Log density of the parameters under the emission's prior, up to a constant
        (0 without a prior): the term the M-step adds to the expected log-likelihood."""
        return 0.0

    @abstractmethod
    def n_free_parameters(self) -> int:
        """Number of free parameters (for AIC/BIC)."""
