"""Per-shard work of an HMM, as pure functions of a parameter value and a shard.

:class:`HMMParams` is one set of parameters; :func:`e_step_shard` gathers a shard's
sufficient statistics, :func:`score_shard`, :func:`posterior_shard` and
:func:`viterbi_shard` score and decode one. Threads, disk sources and Dask workers all
call these, so they hold no state of their own.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import kernels
from .annotations import annotated_forward_backward, with_log_prior
from .emissions.base import DegenerateStateWarning, Emission
from .emissions.kinds import SIMPLEX
from .implementations import forward_backward_for, forward_for
from .sequences import SequenceBatch
from .sources import SequenceSource
from .stats import Stats
from .workspace import Workspace, WorkspacePool


@dataclass(frozen=True)
class HMMParams:
    """One set of HMM parameters, as a value: what an E-step needs and an M-step returns."""

    startprob: np.ndarray
    transmat: np.ndarray
    emission: Emission

    def parameter_kinds(self) -> dict:
        """Kinds of the parameter fields (see :mod:`hmmkit.emissions.kinds`)."""
        emission = self.emission.parameter_kinds()
        if not emission:
            raise TypeError(
                f"{type(self.emission).__name__} declares no parameter kinds: set its "
                "'parameters' (field name -> kind) to train it with algorithm='squarem'"
            )
        return {"startprob": SIMPLEX, "transmat": SIMPLEX, "emission": emission}


def penalised(e_step: Callable[[HMMParams], Stats], log_prior: Callable[[HMMParams], float]):
    """The E-step with the log prior of the parameters added to the log-likelihood.

    With priors, EM (and every accelerator) climbs log-likelihood + log prior, not the
    log-likelihood alone, so that is what the monitor and the safeguards must compare.
    Without priors the log prior is exactly 0 and nothing changes.
    """

    def objective_e_step(params: HMMParams) -> Stats:
        stats = e_step(params)
        penalty = log_prior(params)
        if penalty == 0.0:
            return stats
        objective = stats.log_likelihood + penalty
        return Stats(stats, objective, stats.n_sequences, stats.n_frames)

    return objective_e_step


# ------------------------------------------------------------------ per-shard work (pure)


def e_step_shard(
    params: HMMParams,
    shard: SequenceBatch,
    workspaces: WorkspacePool | None = None,
    implementation: str = "scaling",
) -> Stats:
    """Sufficient statistics of one shard of sequences under ``params``
    (forward-backward by ``implementation``: ``"scaling"`` or ``"log"``)."""
    workspace = workspaces.get() if workspaces is not None else None
    log_b, aux = params.emission.frame_scores(shard.X, workspace)
    gamma = None if workspace is None else workspace.array("gamma", log_b.shape)
    gamma, start, trans, seq_loglik, log_likelihood = annotated_forward_backward(
        log_b, shard, params.startprob, params.transmat, gamma, implementation
    )
    if not np.all(np.isfinite(seq_loglik)):
        bad = int(np.flatnonzero(~np.isfinite(seq_loglik))[0])
        raise ValueError(
            f"sequence {bad} of a shard has zero probability under the current model "
            "(e.g. a symbol no reachable state can emit)"
        )
    emission_stats = params.emission.new_stats()
    params.emission.accumulate(shard.X, gamma, aux, emission_stats)
    return Stats(
        {"start": start, "trans": trans, **emission_stats},
        log_likelihood,
        shard.n_sequences,
        shard.n_frames,
    )


def source_e_step(
    source: SequenceSource,
    workspaces: WorkspacePool,
    params: HMMParams,
    key,
    implementation: str = "scaling",
) -> Stats:
    """:func:`e_step_shard` of the shard ``key`` of ``source`` (read when called)."""
    return e_step_shard(params, source.load(key), workspaces, implementation)


def _log_likelihood(params: HMMParams, shard: SequenceBatch, workspaces) -> np.ndarray:
    """Frame log-likelihoods of a shard (plus its state log priors, if any), in the
    calling thread's scratch space if any."""
    workspace = workspaces.get() if workspaces is not None else None
    return with_log_prior(params.emission.frame_scores(shard.X, workspace)[0], shard)


def score_shard(
    params: HMMParams, shard: SequenceBatch, workspaces=None, implementation: str = "scaling"
) -> np.ndarray:
    """Per-sequence log-likelihoods of one shard."""
    log_b = _log_likelihood(params, shard, workspaces)
    return forward_for(implementation)(log_b, shard.offsets, params.startprob, params.transmat)


def posterior_shard(
    params: HMMParams, shard: SequenceBatch, workspaces=None, implementation: str = "scaling"
) -> tuple[np.ndarray, np.ndarray]:
    """State posteriors (T, K) and per-sequence log-likelihoods of one shard."""
    log_b = _log_likelihood(params, shard, workspaces)
    gamma, _, _, seq_loglik = forward_backward_for(implementation)(
        log_b, shard.offsets, params.startprob, params.transmat
    )
    return gamma, seq_loglik


def viterbi_shard(
    params: HMMParams, shard: SequenceBatch, workspaces=None
) -> tuple[np.ndarray, np.ndarray]:
    """Viterbi paths and per-sequence best-path log-probabilities of one shard."""
    log_b = _log_likelihood(params, shard, workspaces)
    return kernels.run_viterbi(log_b, shard.offsets, params.startprob, params.transmat)


def reestimate_from_labels(
    emission: Emission, batch: SequenceBatch, labels: np.ndarray, update: str
) -> Emission:
    """One M-step with every frame given wholly to its labelled state.

    Statistics are gathered shard by shard, so memory stays bounded by the shard
    size; states without frames keep their values (silently: this is initialisation).
    """
    stats = emission.new_stats()
    workspace = Workspace()
    first = 0
    for shard in batch.shards():
        onehot = workspace.array("onehot", (shard.n_frames, emission.n_states))
        onehot[:] = 0.0
        onehot[np.arange(shard.n_frames), labels[first : first + shard.n_frames]] = 1.0
        _, aux = emission.frame_scores(shard.X, workspace)
        emission.accumulate(shard.X, onehot, aux, stats)
        first += shard.n_frames
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        return emission.m_step(stats, update)
