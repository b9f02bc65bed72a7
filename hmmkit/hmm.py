"""The HMM model: start and transition probabilities plus an emission family.

:class:`BaseHMM` holds everything that does not depend on what is emitted:
validation of sequences, initialisation, the EM loop over shards of sequences,
scoring, decoding, sampling, information criteria and saving. The emission
families (:mod:`hmmkit.models`) fill in a handful of hooks.
"""

from __future__ import annotations

import copy
import inspect
import os
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike

from . import kernels
from .annotations import AnnotatedSource, annotate
from .arguments import HMM_ARGUMENT_CHECKS, HMMLEARN_ARGUMENTS
from .emissions.base import Emission
from .estimator import EstimatorMixin, NotFittedError
from .online_fit import OnlineFitMixin
from .parameter_checks import CheckedParameter, check_startprob, check_transmat
from .parameter_letters import ParameterLetters
from .sequences import SequenceBatch, Sequences
from .settings import (
    RandomState,
    check_concentration,
    check_count,
    check_random_state,
    check_tolerance,
)
from .shard_work import (
    HMMParams,
    e_step_shard,
    penalised,
    posterior_shard,
    reestimate_from_labels,
    score_shard,
    source_e_step,
    viterbi_shard,
)
from .simplex import check_stochastic, dirichlet_log_density, dirichlet_map, normalize_rows
from .sources import INIT_FRAMES, MemorySource, SequenceSource
from .starts import Initialisation
from .stats import Stats
from .topology import topology_masks
from .training import ConvergenceMonitor, run_em
from .training.backends import LocalBackend, make_backend
from .training.online import incremental_em
from .workspace import WorkspacePool

INITS = ("kmeans", "random", "flat", "segmental")
#: Scratch buffers of scoring and decoding, kept between calls (threads are reused).
INFERENCE_WORKSPACES = WorkspacePool()


def _refuse_impossible(seq_logliks: list[np.ndarray], what: str) -> None:
    """Raise ValueError naming the first sequence whose probability is zero."""
    values = np.concatenate(seq_logliks)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ValueError(
            f"sequence {int(bad[0])} has zero probability under the model (e.g. a symbol "
            f"no reachable state can emit): its {what} are undefined"
        )


# ------------------------------------------------------------------ the model


#: The constructor parameters every HMM family takes (appended to each family's docstring).
COMMON_PARAMETERS_DOC = """Parameters common to every family (keyword-only after ``n_states``):

- ``n_states``: number of hidden states.
- ``topology``: ``"ergodic"`` (default), ``"left-right"`` (Bakis, forward jumps up to
  ``max_jump`` = 1) or a boolean (K, K) mask; structural zeros stay zero.
- ``init``: ``"kmeans"``, ``"random"``, ``"flat"`` (every state from the global
  statistics, as HTK's HCompV) or ``"segmental"`` (uniform segmentation then
  Viterbi re-segmentation, as HTK's HInit); ``n_init`` (1) restarts keep the best.
  Left unset, a ``"left-right"`` model starts segmental (its states follow the frames'
  order, so every sequence's first frame is possible in the first state) and others
  start with the family's default.
- ``init_params`` / ``params``: letters of the parameters to initialise / to
  update in training (``s`` start, ``t`` transitions, plus the family's own; all by
  default).
- ``startprob_prior``, ``transmat_prior``: Dirichlet concentrations (1 = none).
- ``algorithm``: ``"baum-welch"`` (default), ``"alpha"`` (α-EM, with ``alpha`` in
  [-1, 1), default 0.5; -1 is Baum-Welch) or ``"squarem"`` (see docs/alpha_hmm.md);
  ``n_iter`` (10), ``tol`` (1e-2; ``-inf`` runs all iterations), ``verbose``.
- ``implementation``: ``"scaling"`` (default; Rabiner scaling, with a log-space
  redo of any sequence that underflows) or ``"log"`` (log-space forward-backward
  throughout, as hmmlearn's default); the two agree to rounding.
- ``random_state``: seed or numpy Generator, also used by ``sample`` when it is given
  none; ``n_jobs``: threads for the E-step (None: all cores).
"""


class BaseHMM(EstimatorMixin, OnlineFitMixin, ParameterLetters, Initialisation):
    """Shared machinery of the HMMs; use :class:`~hmmkit.CategoricalHMM`,
    :class:`~hmmkit.GaussianHMM` or :class:`~hmmkit.GMMHMM`.

    Every family's docstring ends with the constructor parameters they all share
    (:data:`COMMON_PARAMETERS_DOC`), so that ``help()`` on a family shows them.
    """

    _emission_letters = ""
    _default_init = "kmeans"
    _foreign_arguments = HMMLEARN_ARGUMENTS
    _argument_checks = HMM_ARGUMENT_CHECKS
    #: The forward-backward arithmetic of families whose constructor does not take it.
    implementation = "scaling"

    startprob_ = CheckedParameter(
        lambda model, value: check_startprob(value, model.n_states),
        "Start probabilities (n_states,).",
    )
    transmat_ = CheckedParameter(
        lambda model, value: check_transmat(value, model.n_states),
        "Transition probabilities (n_states, n_states); row i is the next state's distribution.",
    )

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__ and "Parameters common to every family" not in cls.__doc__:
            own = inspect.cleandoc(cls.__doc__)
            cls.__doc__ = own + "\n\n" + COMMON_PARAMETERS_DOC

    def __init__(
        self,
        n_states: int = 1,
        *,
        topology: str | ArrayLike = "ergodic",
        max_jump: int = 1,
        init: str | None = None,
        n_init: int = 1,
        n_iter: int = 10,
        tol: float = 1e-2,
        startprob_prior: ArrayLike = 1.0,
        transmat_prior: ArrayLike = 1.0,
        params: str | None = None,
        init_params: str | None = None,
        algorithm: str = "baum-welch",
        alpha: float = 0.5,
        random_state: RandomState = None,
        n_jobs: int | None = None,
        verbose: bool = False,
        implementation: str = "scaling",
    ) -> None:
        self.n_states = n_states
        self.topology = topology
        self.max_jump = max_jump
        self.init = init
        self.n_init = n_init
        self.n_iter = n_iter
        self.tol = tol
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.params = params
        self.init_params = init_params
        self.algorithm = algorithm
        self.alpha = alpha
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.implementation = implementation

    # ---------------------------------------------------------- family hooks

    def _as_batch(self, X, lengths, fitting: bool) -> SequenceBatch:
        """Validate input sequences for this family."""
        raise NotImplementedError

    def _known_width(self, attribute: str, letter: str, fitting: bool) -> int | None:
        """The last dimension of parameter `attribute`, which the data must match; None
        when it is unset or ``fit`` will initialise it (`letter` in init_params)."""
        value = getattr(self, attribute, None)
        if value is None or (fitting and letter in self._init_letters()):
            return None
        return int(np.shape(value)[-1])

    def _prepare_fit(self, batch: SequenceBatch, source: SequenceSource | None = None) -> None:
        """Learn data-dependent settings (dimensions, floors) before initialisation, from
        ``batch`` (the initialisation sample) and what ``source`` knows of all the data."""

    #: parameter letter -> public attribute of the emission
    _letter_attributes: dict[str, str] = {}
    #: fitted attributes saved beside the parameters (posteriors of the variational HMMs)
    _saved_extras: tuple[str, ...] = ()

    @classmethod
    def _saved_attributes(cls) -> tuple[str, ...]:
        return ("startprob_", "transmat_", *cls._letter_attributes.values(), *cls._saved_extras)

    def _make_emission(self, attributes: dict) -> Emission:
        """The emission value built from attribute values (validated)."""
        raise NotImplementedError

    def _emission_attributes(self, emission: Emission) -> dict:
        """Public attribute values of an emission value."""
        raise NotImplementedError

    def _emission(self) -> Emission:
        """The emission value built from the public attributes."""
        return self._make_emission(
            {name: self._attribute(name) for name in self._letter_attributes.values()}
        )

    def _set_emission(self, emission: Emission) -> None:
        by_hand = self.__dict__.get("_set_by_hand", set())
        for name, value in self._emission_attributes(emission).items():
            setattr(self, name, value)
            by_hand.discard(name)

    def _attribute(self, name: str):
        value = getattr(self, name, None)
        if value is None:
            raise NotFittedError(
                f"{type(self).__name__} has no {name}: call fit() or set the parameters "
                "(when a letter is left out of init_params its attribute must be set)"
            )
        return value

    def _global_emission(self, batch: SequenceBatch, rng: np.random.Generator) -> Emission:
        """Every state alike, from the statistics of all frames (flat start)."""
        raise NotImplementedError

    def _random_emission(self, batch: SequenceBatch, rng: np.random.Generator) -> Emission:
        """A random emission for ``init="random"``."""
        raise NotImplementedError

    def _kmeans_labels(self, batch: SequenceBatch, rng: np.random.Generator) -> np.ndarray:
        """State labels of the frames from clustering (``init="kmeans"``)."""
        raise ValueError(f"init='kmeans' is not available for {type(self).__name__}")

    def _emission_from_labels(
        self, batch: SequenceBatch, labels: np.ndarray, rng: np.random.Generator
    ) -> Emission:
        """Emission estimated from frames hard-assigned to states (empty states: global)."""
        template = self._global_emission(batch, rng)
        return reestimate_from_labels(template, batch, labels, self._emission_letters)

    # ---------------------------------------------------------- parameters

    def _check_settings(self) -> None:
        self._check_arguments(self.get_params(deep=False))
        k = self.n_states
        check_tolerance(self.tol)
        check_concentration(self.startprob_prior, "startprob_prior", (k,))
        check_concentration(self.transmat_prior, "transmat_prior", (k, k))
        if self._init_method() not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        self._check_letters()

    def _get_params(self) -> HMMParams:
        """The current parameters as a validated value."""
        for name in ("startprob_", "transmat_"):
            if getattr(self, name, None) is None:
                raise NotFittedError(
                    f"{type(self).__name__} has no {name}: call fit() or set the parameters"
                )
        startprob = np.asarray(self.startprob_, dtype=float)
        transmat = np.asarray(self.transmat_, dtype=float)
        k = self.n_states
        if startprob.shape != (k,):
            raise ValueError(f"startprob_ must have shape ({k},), got {startprob.shape}")
        if transmat.shape != (k, k):
            raise ValueError(f"transmat_ must have shape ({k}, {k}), got {transmat.shape}")
        check_stochastic(startprob, "startprob_")
        check_stochastic(transmat, "transmat_")
        emission = self._emission()
        if emission.n_states != k:
            raise ValueError(f"emission parameters describe {emission.n_states} states, not {k}")
        return HMMParams(startprob, transmat, emission)

    def _validate_loaded(self) -> None:
        self._check_settings()
        params = self._get_params()
        # the data-dependent checks of fit (floors, prior shapes), on a copy and one frame
        probe = copy.copy(self)
        probe._prepare_fit(self._probe_batch(), None)
        probe._for_training(params)

    def _probe_batch(self) -> SequenceBatch:
        """A single all-zero frame shaped as the model's data (for load's checks)."""
        table = next(
            getattr(self, name)
            for name in ("means_", "lambdas_", "emissionprob_")
            if getattr(self, name, None) is not None
        )
        return SequenceBatch(np.zeros((1, np.shape(table)[-1])), np.array([0, 1], dtype=np.int64))

    def _set_params(self, params: HMMParams) -> None:
        self.startprob_ = params.startprob
        self.transmat_ = params.transmat
        self._set_emission(params.emission)
        self.__dict__.get("_set_by_hand", set()).clear()

    # ---------------------------------------------------------- training

    def fit(
        self,
        X: Sequences | SequenceSource,
        lengths: ArrayLike | None = None,
        *,
        backend: str = "threads",
        client: Any = None,
        sample_weight: ArrayLike | None = None,
        state_mask: Any = None,
    ) -> Self:
        """Estimate the parameters from sequences by EM; returns the model.

        ``X`` is a list of sequences, one array of frames with ``lengths``, or a
        :class:`~hmmkit.sources.SequenceSource` read shard by shard (a corpus
        larger than memory; the initialisation then uses a sample of it). The
        E-step runs on ``n_jobs`` threads, or with ``backend="dask"`` on the
        workers of the Dask ``client``. ``sample_weight`` (one weight >= 0 per
        sequence) and ``state_mask`` (allowed states or state weights per frame)
        are described in :mod:`hmmkit.annotations`.
        """
        self._check_settings()
        if self.algorithm == "incremental" and backend != "threads":
            raise ValueError("algorithm='incremental' runs with backend='threads' only")
        rng = check_random_state(self.random_state)
        source = self._as_source(X, lengths, True, sample_weight, state_mask)
        init_batch = self._as_batch(source.sample(INIT_FRAMES, rng), None, fitting=True)
        self._prepare_fit(init_batch, source)
        masks = topology_masks(self.n_states, self.topology, self.max_jump)
        self._warn_about_init_params()
        self._warn_about_symmetric_starts(masks)
        runner = make_backend(backend, source, self.n_jobs, client)
        try:
            best = None
            for _ in range(self.n_init):
                params0 = self._initial_params(init_batch, rng)
                self._check_topology(params0, masks)
                params0 = self._for_training(params0)
                self._structure = (params0.startprob > 0, params0.transmat > 0)
                monitor = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
                if self.n_iter == 0:  # initialise only; restarts compared by their start
                    params = params0
                    final = (
                        self._objective(runner)(params0).log_likelihood if self.n_init > 1 else 0.0
                    )
                else:
                    params = self._train(runner, params0, monitor)
                    final = monitor.history[-1]
                if best is None or final > best[0]:
                    best = (final, params, monitor)
        finally:
            runner.close()
        self._set_params(best[1])
        self.monitor_ = best[2]
        self._online_state = None  # partial_fit starts afresh from these parameters
        return self

    def _shard_e_step(self, source: SequenceSource) -> Callable[[HMMParams, Any], Stats]:
        """``(params, key) -> statistics`` of one shard of ``source``, read when called."""
        return partial(source_e_step, source, WorkspacePool(), implementation=self.implementation)

    def _train(self, runner, params0: HMMParams, monitor: ConvergenceMonitor) -> HMMParams:
        """EM (or an accelerated or incremental variant) from ``params0``."""
        if self.algorithm == "incremental":
            return incremental_em(
                runner.source.shard_keys(),
                self._shard_e_step(runner.source),
                self._m_step,
                params0,
                monitor,
                self._log_prior,
            )
        e_step = self._objective(runner)
        return run_em(self.algorithm, e_step, self._m_step, params0, monitor, alpha=self.alpha)

    def _objective(self, runner) -> Callable[[HMMParams], Stats]:
        """The E-step over all of ``runner``'s shards, with the log prior added."""
        e_step = partial(e_step_shard, implementation=self.implementation)
        return penalised(partial(runner.map_reduce, e_step), self._log_prior)

    def _as_source(
        self, X, lengths, fitting: bool, sample_weight=None, state_mask=None
    ) -> SequenceSource:
        if isinstance(X, SequenceSource):
            if lengths is not None:
                raise ValueError("lengths cannot be given with a SequenceSource")
            if sample_weight is None and state_mask is None:
                return X
            return AnnotatedSource(X, sample_weight, state_mask, self.n_states)
        batch = self._as_batch(X, lengths, fitting)
        return MemorySource(annotate(batch, sample_weight, state_mask, self.n_states))

    def _for_training(self, params: HMMParams) -> HMMParams:
        """``params`` as training uses them: the emission with any prior that only the
        M-step and the log prior need (scoring and decoding never build it)."""
        return replace(params, emission=self._training_emission(params.emission))

    def _training_emission(self, emission: Emission) -> Emission:
        """The emission with its prior; families with a separate prior object override."""
        return emission

    def _log_prior(self, params: HMMParams) -> float:
        """Log density of ``params`` under the model's priors, up to a constant (0 without
        priors): what the M-step adds to the expected log-likelihood."""
        return (
            dirichlet_log_density(params.startprob, self.startprob_prior)
            + dirichlet_log_density(params.transmat, self.transmat_prior)
            + params.emission.log_prior()
        )

    def _m_step(self, stats: Stats, params: HMMParams) -> HMMParams:
        """Re-estimated parameters; structural zeros stay zero."""
        update = self._update_letters()
        start_mask, trans_mask = self._structure
        startprob, transmat = params.startprob, params.transmat
        if "s" in update:
            counts = dirichlet_map(stats["start"], self.startprob_prior) * start_mask
            startprob = normalize_rows(counts, params.startprob, "start distribution")
        if "t" in update:
            counts = dirichlet_map(stats["trans"], self.transmat_prior) * trans_mask
            transmat = normalize_rows(counts, params.transmat, "state (transitions)")
        return HMMParams(startprob, transmat, params.emission.m_step(stats, update))

    # ---------------------------------------------------------- inference

    def _map(self, function, X, lengths, state_mask=None):
        params = self._get_params()
        source = self._as_source(X, lengths, False, state_mask=state_mask)
        return LocalBackend(source, self.n_jobs, INFERENCE_WORKSPACES).map(function, params)

    def _map_forward(self, function, X, lengths, state_mask=None):
        """:meth:`_map` of a forward(-backward) shard function, by ``implementation``."""
        self._check_arguments({"implementation": self.implementation})
        function = partial(function, implementation=self.implementation)
        return self._map(function, X, lengths, state_mask)

    def score_sequences(
        self, X: Sequences, lengths: ArrayLike | None = None, *, state_mask: Any = None
    ) -> np.ndarray:
        """Log-likelihood of each sequence (scaled forward pass).

        With ``state_mask`` (see :mod:`hmmkit.annotations`), that of the model
        restricted or weighted frame by frame, as are the posteriors and paths below.
        """
        parts = self._map_forward(score_shard, X, lengths, state_mask)
        return np.concatenate(parts)

    def score(
        self, X: Sequences, lengths: ArrayLike | None = None, *, state_mask: Any = None
    ) -> float:
        """Total log-likelihood of the sequences."""
        return float(self.score_sequences(X, lengths, state_mask=state_mask).sum())

    def score_samples(
        self, X: Sequences, lengths: ArrayLike | None = None, *, state_mask: Any = None
    ) -> tuple[float, np.ndarray]:
        """Total log-likelihood and state posteriors (n_frames, K), as hmmlearn returns.

        Raises ValueError when a sequence has zero probability (no posteriors exist).
        """
        parts = self._map_forward(posterior_shard, X, lengths, state_mask)
        _refuse_impossible([p[1] for p in parts], "state posteriors")
        return float(sum(p[1].sum() for p in parts)), np.concatenate([p[0] for p in parts])

    def predict_proba(
        self, X: Sequences, lengths: ArrayLike | None = None, *, state_mask: Any = None
    ) -> np.ndarray:
        """State posteriors (n_frames, K)."""
        return self.score_samples(X, lengths, state_mask=state_mask)[1]

    def decode(
        self,
        X: Sequences,
        lengths: ArrayLike | None = None,
        algorithm: str = "viterbi",
        *,
        state_mask: Any = None,
    ) -> tuple[float, np.ndarray]:
        """Most likely states: ``(log_prob, states)``.

        ``"viterbi"``: the best joint path and its log-probability; ``"map"``: each
        frame's most probable state and the total log-likelihood. Raises ValueError
        when a sequence has zero probability (it has no state path).
        """
        if algorithm == "viterbi":
            parts = self._map(viterbi_shard, X, lengths, state_mask)
            _refuse_impossible([p[1] for p in parts], "most likely states")
            return float(sum(p[1].sum() for p in parts)), np.concatenate([p[0] for p in parts])
        if algorithm == "map":
            log_prob, posteriors = self.score_samples(X, lengths, state_mask=state_mask)
            return log_prob, np.argmax(posteriors, axis=1)
        raise ValueError(f"algorithm must be 'viterbi' or 'map', got {algorithm!r}")

    def predict(
        self, X: Sequences, lengths: ArrayLike | None = None, *, state_mask: Any = None
    ) -> np.ndarray:
        """Viterbi state of every frame."""
        return self.decode(X, lengths, state_mask=state_mask)[1]

    def sample(
        self, n_samples: int = 1, random_state: RandomState = None, currstate: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` frames: ``(X, states)``. Without ``random_state`` the
        model's own ``random_state`` is used (as hmmlearn does), so a model with a seed
        samples the same frames every time."""
        n_samples = check_count(n_samples, "n_samples")
        params = self._get_params()
        rng = check_random_state(self.random_state if random_state is None else random_state)
        states = np.empty(n_samples, dtype=np.int64)
        cum_trans = np.cumsum(params.transmat, axis=1)
        state = (
            int(rng.choice(self.n_states, p=params.startprob)) if currstate is None else currstate
        )
        if not 0 <= state < self.n_states:
            raise ValueError(f"currstate must be in [0, {self.n_states}), got {currstate}")
        kernels.markov_chain(cum_trans, state, rng.random(n_samples), states)
        return params.emission.sample(states, rng), states

    def get_stationary_distribution(self) -> np.ndarray:
        """The state distribution the chain settles into: ``pi = pi @ transmat_``, summing
        to 1 (hmmlearn's name). A chain with several closed classes (a left-right model's
        last state absorbs everything) has many; this is the least-squares one."""
        transmat = self._get_params().transmat
        n = self.n_states
        system = np.vstack([transmat.T - np.eye(n), np.ones((1, n))])
        target = np.zeros(n + 1)
        target[-1] = 1.0
        pi = np.linalg.lstsq(system, target, rcond=None)[0]
        pi = np.clip(pi, 0.0, None)  # rounding below zero
        return pi / pi.sum()

    # ---------------------------------------------------------- model selection

    def n_free_parameters(self) -> int:
        """Free parameters: start, transitions (outside structural zeros) and emissions."""
        params = self._get_params()
        n_start = max(int((params.startprob > 0).sum()) - 1, 0)
        n_trans = int(np.maximum((params.transmat > 0).sum(axis=1) - 1, 0).sum())
        return n_start + n_trans + params.emission.n_free_parameters()

    def aic(self, X: Sequences, lengths: ArrayLike | None = None) -> float:
        """Akaike information criterion (lower is better)."""
        return -2.0 * self.score(X, lengths) + 2.0 * self.n_free_parameters()

    def bic(self, X: Sequences, lengths: ArrayLike | None = None) -> float:
        """Bayesian information criterion (lower is better)."""
        n_frames = self._as_batch(X, lengths, fitting=False).n_frames
        return -2.0 * self.score(X, lengths) + self.n_free_parameters() * np.log(n_frames)

    # ---------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` (see :mod:`hmmkit.io`), atomically."""
        from .io import save

        save(self, path)
