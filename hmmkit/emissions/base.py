"""The interface every emission family implements — the built-in ones and a user's own.

An emission is a frozen dataclass value: the per-state output distributions of an HMM
and the settings of their M-step. It knows nothing of time: it scores frames,
accumulates sufficient statistics from state posteriors, and re-estimates itself
from summed statistics. It declares the kind of each parameter field and of each
statistic (:mod:`hmmkit.emissions.kinds`), which is all the accelerators, save/load
and distributed training need to know of it. docs/custom_emissions.md shows how to
write one.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from ..workspace import Workspace
from .kinds import Kinds, StatisticKind

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
    """Per-state emission distributions of an HMM with ``n_states`` states.

    Subclasses are frozen dataclasses whose parameter fields are listed in
    :attr:`parameters` (field name -> :class:`~hmmkit.emissions.kinds.ParameterKind`)
    and whose statistics (the keys of :meth:`new_stats`) are listed in
    :attr:`statistics` (key -> :class:`~hmmkit.emissions.kinds.StatisticKind`). Every
    other field is a setting (a prior, a floor) carried over unchanged.
    """

    n_states: int
    #: Kind of every parameter field, in field order (override :meth:`parameter_kinds`
    #: when a kind depends on a setting, as a covariance on its type).
    parameters: ClassVar[Kinds] = {}
    #: Kind of every statistic of :meth:`new_stats`.
    statistics: ClassVar[Mapping[str, StatisticKind]] = {}

    def parameter_kinds(self) -> Kinds:
        """Field name -> parameter kind (a nested mapping for a field holding a value)."""
        return self.parameters

    def statistic_kinds(self) -> Mapping[str, StatisticKind]:
        """Statistic key -> statistic kind."""
        return self.statistics

    def restate_statistics(
        self, stats: Mapping[str, np.ndarray], gathered_under: Emission
    ) -> Mapping[str, np.ndarray]:
        """``stats`` gathered under the parameters ``gathered_under``, re-expressed as if
        gathered under this emission's (α-EM combines two iterations' statistics). By
        default unchanged: statistics that do not refer to the parameters."""
        return stats

    def repair_extrapolation(
        self, current: Mapping[str, np.ndarray], combined: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        """Extrapolated statistics (α-EM) made valid for :meth:`m_step`: states whose
        ``combined`` statistics would give invalid parameters go back to ``current``
        (see :func:`~hmmkit.emissions.kinds.revert_states`). By default unchanged."""
        return combined

    @classmethod
    def initial(cls, n_states: int, X: np.ndarray, rng: np.random.Generator) -> Emission:
        """Starting parameters for ``n_states`` states from a sample of frames ``X``,
        drawn with ``rng`` (``init="random"`` of :class:`~hmmkit.HMM`)."""
        raise NotImplementedError(f"{cls.__name__} does not define initial()")

    @classmethod
    def check_frames(cls, X: np.ndarray) -> None:
        """Raise ValueError naming the problem when frames ``X`` (T, D) are outside the
        family's support (e.g. not 0/1 for Bernoulli); by default any finite values."""
        return None

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

    def n_free_parameters(self) -> int:
        """Number of free parameters (for AIC/BIC): by default every entry of every
        declared parameter, as its kind counts them (a probability row has one fewer,
        a symmetric matrix its lower triangle)."""
        return _count_free(self, self.parameter_kinds())


def _count_free(value, kinds: Kinds) -> int:
    total = 0
    for name, kind in kinds.items():
        array = getattr(value, name)
        if isinstance(kind, Mapping):
            total += _count_free(array, kind)
        else:
            total += kind.n_free(array)
    return total
