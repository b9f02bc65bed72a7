"""Variational Bayes training of HMMs (Beal 2003), shared by the families.

The parameters are not point values but a factorised posterior ``q(pi) q(A) q(theta)``:
Dirichlet distributions over the start probabilities and over every transition row,
and the family's conjugate posterior over its emission parameters. One iteration:

- E-step: forward-backward with the sub-normalised weights ``exp(E_q[log pi])``,
  ``exp(E_q[log A])`` and the frame scores ``E_q[log p(x | theta)]`` (the project's
  kernels, unchanged: they take any positive weights), giving the expected counts and
  ``log Z``, the log of the sub-normalised likelihood of the data;
- the evidence lower bound of the posterior the E-step used,
  ``ELBO = log Z - KL(q(pi)||p(pi)) - KL(q(A)||p(A)) - KL(q(theta)||p(theta))``,
  recorded in ``monitor_.history`` (it never decreases);
- M-step: every posterior is its prior plus the expected counts (conjugacy).

A family supplies an *emission posterior*: a frozen value holding the emission's prior
and posterior, with ``expected_emission()`` (an object with ``frame_scores``,
``new_stats`` and ``accumulate``, as :class:`~hmmkit.emissions.base.Emission`, whose
frame scores are ``E_q[log p(x | theta)]``), ``updated(stats, letters)`` (the M-step),
``divergence()`` (its KL from the prior) and ``point_emission()`` (the emission at the
posterior means, used by score, decode and sample).
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import ArrayLike

from ..hmm import BaseHMM
from ..sequences import SequenceBatch, Sequences
from ..settings import (
    RandomState,
    check_count,
    check_prior,
    check_random_state,
    check_tolerance,
)
from ..shard_work import HMMParams, e_step_shard
from ..sources import INIT_FRAMES, SequenceSource
from ..stats import Stats
from ..training import ConvergenceMonitor, baum_welch
from ..training.backends import make_backend
from .divergences import dirichlet_expected_log, dirichlet_kl


class EmissionPosterior(Protocol):
    """What a family's emission posterior provides (see the module docstring)."""

    def expected_emission(self) -> Any: ...
    def updated(self, stats: Stats, letters: str) -> EmissionPosterior: ...
    def divergence(self) -> float: ...
    def point_emission(self) -> Any: ...


@dataclass(frozen=True)
class VariationalPosterior:
    """The posterior over all parameters: Dirichlet concentrations of the start
    probabilities (K,) and of each transition row (K, K), and the emission's."""

    start: np.ndarray
    trans: np.ndarray
    emission: EmissionPosterior


def positive_prior(value, default, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A prior parameter broadcast to ``shape``: ``default`` when None, else finite and
    strictly positive (ValueError/TypeError naming ``name`` otherwise)."""
    if value is None:
        value = default
    array = check_prior(value, name, shape, "must be > 0")
    if np.any(array <= 0):
        raise ValueError(f"{name} must be strictly positive, got {value!r}")
    return np.broadcast_to(array, shape).astype(float)


def given_array(model, name: str, shape: tuple[int, ...], minimum: float = 0.0) -> np.ndarray:
    """Attribute ``name`` (set by hand or by an earlier fit) checked to have ``shape`` and
    finite values above ``minimum``; used when ``init_params`` leaves its letter out."""
    value = getattr(model, name, None)
    if value is None:
        raise ValueError(
            f"{type(model).__name__} has no {name}: init_params leaves its letter out, so "
            "it must be set (by hand or by an earlier fit)"
        )
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array <= minimum):
        raise ValueError(f"{name} must be finite and greater than {minimum:g}")
    return array


#: The constructor parameters every variational family takes (appended to their docstrings).
VARIATIONAL_PARAMETERS_DOC = """Parameters common to every variational family (keyword-only):

- ``n_states``: number of hidden states (unused ones fall back to their prior).
- ``startprob_prior``, ``transmat_prior``: Dirichlet concentrations of the start
  probabilities and of every transition row (None: 1/K, hmmlearn's default).
- ``params`` / ``init_params``: letters of the posteriors to update / to start afresh
  (``s`` start, ``t`` transitions, plus the family's own; all by default). A letter
  left out of ``init_params`` starts from its ``*_posterior_`` attributes.
- ``n_iter`` (100), ``tol`` (1e-6: stop when the ELBO gains less; ``-inf`` runs all
  iterations), ``n_init`` (1: starts, the best final ELBO kept), ``verbose``.
- ``random_state``: seed or numpy Generator; ``n_jobs``: threads for the E-step
  (None: all cores).
"""


#: The fitted attributes of the start and transition posteriors that save/load keep.
CHAIN_ATTRIBUTES = (
    "startprob_prior_",
    "startprob_posterior_",
    "transmat_prior_",
    "transmat_posterior_",
)


class VariationalHMM(BaseHMM):
    """Shared machinery of the variational HMMs; use
    :class:`~hmmkit.VariationalCategoricalHMM` or :class:`~hmmkit.VariationalGaussianHMM`.

    After ``fit``: ``startprob_posterior_``, ``transmat_posterior_`` and the family's
    posterior parameters; the priors as ``*_prior_``; point estimates ``startprob_``,
    ``transmat_`` (normalised posterior concentrations) and the family's, with which
    ``score``, ``decode``, ``predict_proba`` and ``sample`` work as for the EM families.
    ``monitor_.history`` holds the ELBO of every iteration. (The EM families' topology,
    init and algorithm settings do not apply: the Parameters common to every family of
    those are replaced by :data:`VARIATIONAL_PARAMETERS_DOC`.)
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super(BaseHMM, cls).__init_subclass__(**kwargs)  # not the EM families' docstring
        if cls.__doc__ and "Parameters common to every variational" not in cls.__doc__:
            cls.__doc__ = inspect.cleandoc(cls.__doc__) + "\n\n" + VARIATIONAL_PARAMETERS_DOC

    # ---------------------------------------------------------- family hooks

    def _fresh_posterior(self, batch: SequenceBatch, rng: np.random.Generator):
        """Starting posterior of every parameter (the priors are resolved already)."""
        raise NotImplementedError

    def _kept_emission(self, fresh: EmissionPosterior, letters: str) -> EmissionPosterior:
        """``fresh`` with the parts whose letters are not in ``letters`` taken from the
        attributes (a hand-set or earlier posterior)."""
        raise NotImplementedError

    def _posterior_attributes(self, emission: EmissionPosterior) -> dict:
        """Public posterior attributes of an emission posterior."""
        raise NotImplementedError

    # ---------------------------------------------------------- settings

    def __init__(
        self,
        n_states: int = 1,
        *,
        startprob_prior: ArrayLike | None = None,
        transmat_prior: ArrayLike | None = None,
        n_init: int = 1,
        n_iter: int = 100,
        tol: float = 1e-6,
        params: str | None = None,
        init_params: str | None = None,
        random_state: RandomState = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.n_states = n_states
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.n_init = n_init
        self.n_iter = n_iter
        self.tol = tol
        self.params = params
        self.init_params = init_params
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _validate_loaded(self) -> None:
        self._check_settings()
        self._get_params()
        # the priors are resolved (and checked) by _prepare_fit, on a copy and one frame
        copy.copy(self)._prepare_fit(self._probe_batch(), None)

    def _check_settings(self) -> None:
        check_count(self.n_states, "n_states")
        check_count(self.n_init, "n_init")
        check_count(self.n_iter, "n_iter")
        check_tolerance(self.tol)
        self._check_letters()

    def _resolve_chain_priors(self) -> None:
        """``startprob_prior_`` and ``transmat_prior_`` from the settings (None: 1/K)."""
        k = self.n_states
        self.startprob_prior_ = positive_prior(
            self.startprob_prior, 1.0 / k, "startprob_prior", (k,)
        )
        self.transmat_prior_ = positive_prior(
            self.transmat_prior, 1.0 / k, "transmat_prior", (k, k)
        )

    # ---------------------------------------------------------- training

    def fit(
        self,
        X: Sequences | SequenceSource,
        lengths: ArrayLike | None = None,
        *,
        backend: str = "threads",
        client: Any = None,
    ) -> Self:
        """Variational Bayes over the sequences (list, ``X`` with ``lengths``, or a
        :class:`~hmmkit.sources.SequenceSource`); the E-step runs on ``n_jobs`` threads
        or a Dask ``client``'s workers. ``n_init`` starts keep the best final ELBO."""
        self._check_settings()
        rng = check_random_state(self.random_state)
        source = self._as_source(X, lengths, fitting=True)
        init_batch = self._as_batch(source.sample(INIT_FRAMES, rng), None, fitting=True)
        self._prepare_fit(init_batch, source)
        self._resolve_chain_priors()
        runner = make_backend(backend, source, self.n_jobs, client)
        try:
            best = None
            for _ in range(self.n_init):
                start = self._initial_posterior(init_batch, rng)
                monitor = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
                posterior = baum_welch(partial(self._e_step, runner), self._m_step, start, monitor)
                if best is None or monitor.history[-1] > best[0]:
                    best = (monitor.history[-1], posterior, monitor)
        finally:
            runner.close()
        self._set_posterior(best[1])
        self.monitor_ = best[2]
        return self

    def partial_fit(self, X, lengths=None, **kwargs) -> Self:
        """Not available: stepwise EM averages the statistics of point estimates, which
        variational Bayes does not have; fit the whole data (or a source) instead."""
        raise NotImplementedError(
            f"{type(self).__name__} has no partial_fit: fit it on all the data "
            "(a SequenceSource streams a corpus from disk)"
        )

    def _initial_posterior(self, batch: SequenceBatch, rng) -> VariationalPosterior:
        """Fresh posteriors for the letters in ``init_params``, the attributes for the rest."""
        letters = self._init_letters()
        fresh = self._fresh_posterior(batch, rng)
        k = self.n_states
        start = fresh.start if "s" in letters else given_array(self, "startprob_posterior_", (k,))
        trans = fresh.trans if "t" in letters else given_array(self, "transmat_posterior_", (k, k))
        return VariationalPosterior(start, trans, self._kept_emission(fresh.emission, letters))

    def _e_step(self, runner, posterior: VariationalPosterior) -> Stats:
        """Expected counts under ``posterior``; ``log_likelihood`` holds its ELBO."""
        weights = HMMParams(
            np.exp(dirichlet_expected_log(posterior.start)),
            np.exp(dirichlet_expected_log(posterior.trans)),
            posterior.emission.expected_emission(),
        )
        stats = runner.map_reduce(e_step_shard, weights)
        elbo = (
            stats.log_likelihood
            - dirichlet_kl(posterior.start, self.startprob_prior_)
            - dirichlet_kl(posterior.trans, self.transmat_prior_)
            - posterior.emission.divergence()
        )
        return Stats(stats, elbo, stats.n_sequences, stats.n_frames)

    def _m_step(self, stats: Stats, posterior: VariationalPosterior) -> VariationalPosterior:
        """Each posterior becomes its prior plus the expected counts (letters in ``params``)."""
        letters = self._update_letters()
        start = self.startprob_prior_ + stats["start"] if "s" in letters else posterior.start
        trans = self.transmat_prior_ + stats["trans"] if "t" in letters else posterior.trans
        return VariationalPosterior(start, trans, posterior.emission.updated(stats, letters))

    def _set_posterior(self, posterior: VariationalPosterior) -> None:
        """Posterior attributes and the point estimates derived from them."""
        self.startprob_posterior_ = posterior.start
        self.transmat_posterior_ = posterior.trans
        for name, value in self._posterior_attributes(posterior.emission).items():
            setattr(self, name, value)
        self.startprob_ = posterior.start / posterior.start.sum()
        self.transmat_ = posterior.trans / posterior.trans.sum(axis=1, keepdims=True)
        self._set_emission(posterior.emission.point_emission())


def random_chain_posterior(
    model: VariationalHMM, batch: SequenceBatch, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Start and transition posteriors: the priors plus random pseudo-counts, as if the
    batch's first frames and transitions were spread at random over the states."""
    k = model.n_states
    start = model.startprob_prior_ + batch.n_sequences * rng.dirichlet(np.ones(k))
    per_state = (batch.n_frames - batch.n_sequences) / k
    trans = model.transmat_prior_ + per_state * rng.dirichlet(np.ones(k), size=k)
    return start, trans
