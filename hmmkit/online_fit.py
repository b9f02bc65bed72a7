"""``partial_fit``: stepwise (online) EM for every HMM family.

The estimator's side of :func:`~hmmkit.training.online.stepwise_em`: it initialises a
model that has no parameters as ``fit`` does, keeps the running statistics between
calls and reports one pass per call to the monitor.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike

from .sequences import Sequences
from .settings import check_random_state
from .sources import INIT_FRAMES, SequenceSource
from .topology import topology_masks
from .training.monitor import ConvergenceMonitor
from .training.online import DEFAULT_DECAY, DEFAULT_OFFSET, StepSizes, stepwise_em


class OnlineFitMixin:
    """Adds :meth:`partial_fit` to an HMM estimator (see :class:`~hmmkit.hmm.BaseHMM`)."""

    def partial_fit(
        self,
        X: Sequences | SequenceSource,
        lengths: ArrayLike | None = None,
        *,
        sample_weight: ArrayLike | None = None,
        state_mask: Any = None,
        decay: float = DEFAULT_DECAY,
        offset: float = DEFAULT_OFFSET,
    ) -> Self:
        """One pass of stepwise (online) EM over ``X``: an M-step after every shard.

        Running statistics ``s <- (1 - eta_k) s + eta_k s_shard`` with step sizes
        ``eta_k = (k + offset) ** (-decay)``, ``decay`` (kappa) in (0.5, 1], ``k`` the
        updates made so far (see :mod:`hmmkit.training.online`). A model without
        parameters is first initialised from ``X`` as ``fit`` does; calls continue
        from the running statistics of the previous ones. ``monitor_`` counts one
        pass per call and records the sum of the shards' log-likelihoods, each under
        the parameters it was read with. ``sample_weight`` and ``state_mask`` are as
        for ``fit`` (:mod:`hmmkit.annotations`); ``fit`` afterwards starts afresh.
        """
        step_sizes = StepSizes(decay, offset)
        source = self._as_source(X, lengths, False, sample_weight, state_mask)
        state = getattr(self, "_online_state", None)
        if state is None or getattr(self, "startprob_", None) is None:
            state = None
            self._check_settings()
            params = self._start_online(source)
            self.monitor_ = ConvergenceMonitor(-np.inf, np.iinfo(np.int64).max, self.verbose)
        else:
            params = self._for_training(self._get_params())
            self._structure = (params.startprob > 0, params.transmat > 0)
        n_frames = getattr(source, "n_frames", None)
        if n_frames is None:
            n_frames = sum(source.load(key).n_frames for key in source.shard_keys())
        params, state, log_likelihood = stepwise_em(
            source.shard_keys(),
            self._shard_e_step(source),
            self._m_step,
            params,
            state,
            step_sizes,
            int(n_frames),
        )
        self._online_state = state
        self._set_params(params)
        self.monitor_.report(log_likelihood, 1)
        return self

    def _start_online(self, source: SequenceSource) -> Any:
        """Parameters (an :class:`~hmmkit.shard_work.HMMParams`) stepwise EM starts from: the
        model's own, or initialised as fit does."""
        if getattr(self, "startprob_", None) is None:
            rng = check_random_state(self.random_state)
            init_batch = self._as_batch(source.sample(INIT_FRAMES, rng), None, fitting=True)
            self._prepare_fit(init_batch, source)
            params = self._initial_params(init_batch, rng)
            self._check_topology(
                params, topology_masks(self.n_states, self.topology, self.max_jump)
            )
        else:
            params = self._get_params()
        params = self._for_training(params)
        self._structure = (params.startprob > 0, params.transmat > 0)
        return params
