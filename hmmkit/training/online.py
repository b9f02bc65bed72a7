"""Online and incremental EM: parameter updates after every shard, not every pass.

**Incremental EM** (Neal & Hinton 1998) keeps the statistics each shard gave the
last time it was visited; the total is the sum of those latest statistics. Visiting
a shard replaces its contribution (one E-step on it under the current parameters)
and the M-step runs on the new total at once. In the first pass a shard not yet
visited contributes nothing; from the second pass on every shard has statistics, and
each step cannot lower Neal & Hinton's free energy
``F = sum_i E_{q_i}[log p(x_i, z | theta)] + H(q_i)``. With one shard it is batch EM.

**Stepwise EM** (Sato 2000; Cappé & Moulines 2009; the form of Liang & Klein 2009)
keeps one running average of statistics: after a shard with statistics ``s_b``,

    s <- (1 - eta_k) s + eta_k * (N / n_b) s_b,     eta_k = (k + t0) ** (-kappa),

where ``k`` counts the updates so far (the first update takes ``eta = 1``), ``N``
is the number of frames of the data passed in and ``n_b`` those of the shard, so
the running statistics stay on the scale of the whole data (as the priors expect).
``kappa`` in (0.5, 1] is the decay (``decay``) and ``t0 >= 1`` the offset
(``offset``): a smaller ``kappa`` forgets old statistics faster.

Both combine statistics gathered under different parameters. Gaussian moments are
taken about the means of the parameters they were gathered under, so before they
are combined, or handed to an M-step, they are re-expressed about the current means
(:func:`restated`); counts need nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..emissions.gaussian import recentre_moments
from ..stats import Stats, sum_stats
from .monitor import ConvergenceMonitor

P = TypeVar("P")

#: Default decay kappa of the stepwise step sizes.
DEFAULT_DECAY = 0.7
#: Default offset t0 of the stepwise step sizes.
DEFAULT_OFFSET = 2.0


@dataclass(frozen=True)
class StepSizes:
    """The stepwise-EM schedule ``eta_k = (k + offset) ** (-decay)``."""

    decay: float = DEFAULT_DECAY
    offset: float = DEFAULT_OFFSET

    def __post_init__(self) -> None:
        if not (isinstance(self.decay, (int, float)) and 0.5 < self.decay <= 1.0):
            raise ValueError(f"decay (kappa) must be in (0.5, 1], got {self.decay!r}")
        if not (isinstance(self.offset, (int, float)) and math.isfinite(self.offset)):
            raise ValueError(f"offset (t0) must be a finite number >= 1, got {self.offset!r}")
        if self.offset < 1.0:
            raise ValueError(
                f"offset (t0) must be >= 1 so that every step is <= 1, got {self.offset}"
            )

    def __call__(self, k: int) -> float:
        """Step size of update ``k`` (0-based): 1 for the very first update."""
        return 1.0 if k == 0 else (k + self.offset) ** (-self.decay)


def _moment_means(params):
    """The reference means of the Gaussian moments under ``params`` (None: no moments)."""
    emission = params.emission
    bank = getattr(emission, "bank", None)
    if bank is None:
        bank = getattr(getattr(emission, "mixtures", None), "bank", None)
    return None if bank is None else bank.means


def restated(stats: Stats, gathered_under, reference) -> Stats:
    """``stats`` gathered under parameters ``gathered_under``, with their Gaussian moments
    re-expressed about the means of ``reference`` (unchanged when they are the same)."""
    if gathered_under is reference or "n" not in stats:
        return stats
    old, new = _moment_means(gathered_under), _moment_means(reference)
    if old is None or new is None or old is new:
        return stats
    arrays = dict(stats)
    arrays.update(recentre_moments(stats, old, new))
    return Stats(arrays, stats.log_likelihood, stats.n_sequences, stats.n_frames)


@dataclass(frozen=True)
class OnlineState:
    """What stepwise EM carries between calls: the running statistics, the parameters
    they are expressed for (their moments' reference) and the updates made."""

    statistics: Stats
    reference: object
    n_updates: int


def stepwise_em(
    keys: Sequence[Hashable],
    shard_e_step: Callable[[P, Hashable], Stats],
    m_step: Callable[[Stats, P], P],
    params: P,
    state: OnlineState | None,
    step_sizes: StepSizes,
    n_frames: int,
) -> tuple[P, OnlineState, float]:
    """One pass of stepwise EM over the shards ``keys``; an M-step after each.

    ``shard_e_step(params, key)`` gives a shard's statistics; ``n_frames`` is the
    number of frames of all the shards. Returns the parameters, the new state and
    the sum of the shards' log-likelihoods, each under the parameters it was
    visited with.
    """
    log_likelihood = 0.0
    for key in keys:
        stats = shard_e_step(params, key)
        log_likelihood += stats.log_likelihood
        scaled = stats.scaled(n_frames / max(stats.n_frames, 1))
        k = 0 if state is None else state.n_updates
        eta = step_sizes(k)
        if state is None or eta == 1.0:
            running = scaled
        else:
            before = restated(state.statistics, state.reference, params)
            running = before.scaled(1.0 - eta) + scaled.scaled(eta)
        state = OnlineState(running, params, k + 1)
        params = m_step(running, params)
    return params, state, log_likelihood


def incremental_em(
    keys: Sequence[Hashable],
    shard_e_step: Callable[[P, Hashable], Stats],
    m_step: Callable[[Stats, P], P],
    params: P,
    monitor: ConvergenceMonitor,
    log_prior: Callable[[P], float] | None = None,
    on_step: Callable[[int, P], None] | None = None,
) -> P:
    """Incremental EM over the shards ``keys`` until ``monitor`` says done.

    After every pass the monitor records the sum of each shard's log-likelihood
    under the parameters it was last visited with (plus the log prior of the
    parameters the pass started from, when ``log_prior`` is given), as one pass over
    the data; with one shard that is batch EM's history. ``on_step(shard_index,
    params)`` is called after every M-step. The total statistics are re-summed from
    every shard's latest ones at the end of each pass, so that rounding does not
    accumulate.
    """
    latest: list[tuple[Stats, object] | None] = [None] * len(keys)
    total: Stats | None = None  # always expressed for the current parameters
    while not monitor.done:
        start = params
        for i, key in enumerate(keys):
            stats = shard_e_step(params, key)
            previous, latest[i] = latest[i], (stats, params)
            if i == len(keys) - 1 and all(s is not None for s in latest):
                total = sum_stats(restated(s, at, params) for s, at in latest)
            elif total is None:
                total = stats
            elif previous is None:
                total = total + stats
            else:
                total = total - restated(*previous, params) + stats
            new_params = m_step(total, params)
            total, params = restated(total, params, new_params), new_params
            if on_step is not None:
                on_step(i, params)
        objective = sum(s.log_likelihood for s, _ in latest)
        if log_prior is not None:
            objective += log_prior(start)
        monitor.report(objective, 1)
    return params
