"""Variational Bayes HMM over integer symbols: Dirichlet posteriors on every row of the
emission table."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from ..emissions.categorical import CategoricalEmission
from ..models import MAX_INFERRED_SYMBOLS, CategoricalHMM
from ..sequences import SequenceBatch
from ..settings import check_count
from ..stats import Stats
from .base import (
    CHAIN_ATTRIBUTES,
    VariationalHMM,
    VariationalPosterior,
    given_array,
    positive_prior,
    random_chain_posterior,
)
from .divergences import dirichlet_expected_log, dirichlet_kl


@dataclass(frozen=True)
class SubnormalisedCategorical(CategoricalEmission):
    """A categorical emission whose rows ``exp(E[log B])`` sum to less than one: the
    frame weights of the variational E-step (not a distribution to sample or re-fit)."""

    def __post_init__(self) -> None:
        if not np.all(np.isfinite(self.emissionprob)) or np.any(self.emissionprob <= 0):
            raise ValueError("expected-log emission weights must be finite and positive")


@dataclass(frozen=True)
class DirichletRows:
    """Dirichlet prior and posterior concentrations of the emission rows, (K, n_symbols)."""

    prior: np.ndarray
    posterior: np.ndarray

    def expected_emission(self) -> SubnormalisedCategorical:
        """Frame weights ``exp(E_q[log B])`` for the E-step."""
        return SubnormalisedCategorical(np.exp(dirichlet_expected_log(self.posterior)))

    def updated(self, stats: Stats, letters: str) -> DirichletRows:
        """The posterior after the expected symbol counts (when ``e`` is in ``letters``)."""
        if "e" not in letters:
            return self
        return replace(self, posterior=self.prior + stats["symbol_counts"].T)

    def divergence(self) -> float:
        """KL of the posterior rows from the prior rows."""
        return dirichlet_kl(self.posterior, self.prior)

    def point_emission(self) -> CategoricalEmission:
        """The emission at the posterior mean."""
        return CategoricalEmission(self.posterior / self.posterior.sum(axis=1, keepdims=True))


class VariationalCategoricalHMM(VariationalHMM, CategoricalHMM):
    """Categorical HMM trained by variational Bayes (hmmlearn's VariationalCategoricalHMM).

    Dirichlet priors: ``startprob_prior`` (K,), ``transmat_prior`` (each row) and
    ``emissionprob_prior`` (each row of the (K, n_symbols) table); scalars broadcast,
    None means hmmlearn's defaults 1/K, 1/K and 1/n_symbols. After ``fit``:
    ``startprob_posterior_``, ``transmat_posterior_``, ``emissionprob_posterior_`` (the
    posterior concentrations), the priors as ``*_prior_``, the point estimates
    ``startprob_``, ``transmat_``, ``emissionprob_`` (posterior means), and the ELBO of
    every iteration in ``monitor_.history``. Fresh posteriors are the priors plus random
    pseudo-counts; a letter left out of ``init_params`` keeps its ``*_posterior_``
    attribute. Parameter letters: ``s``, ``t``, ``e``. ``n_init`` starts keep the best
    ELBO; ``n_jobs`` threads run the E-step. See docs/variational.md.
    """

    _saved_extras = (*CHAIN_ATTRIBUTES, "emissionprob_prior_", "emissionprob_posterior_")

    def __init__(
        self,
        n_states: int = 1,
        *,
        n_symbols: int | None = None,
        emissionprob_prior: ArrayLike | None = None,
        **kwargs,
    ) -> None:
        super().__init__(n_states, **kwargs)
        self.n_symbols = n_symbols
        self.emissionprob_prior = emissionprob_prior

    def _prepare_fit(self, batch: SequenceBatch, source=None) -> None:
        seen = max(int(batch.X.max()) + 1, getattr(source, "n_symbols", None) or 0)
        given = getattr(self, "emissionprob_posterior_", None)
        if self.n_symbols is not None:
            n_symbols = check_count(self.n_symbols, "n_symbols")
        elif "e" not in self._init_letters() and given is not None:
            n_symbols = int(np.shape(given)[-1])
        else:
            if seen > MAX_INFERRED_SYMBOLS:
                raise ValueError(
                    f"X contains symbol {seen - 1}: an alphabet of {seen} symbols is implied; "
                    "pass n_symbols explicitly if that is intended"
                )
            n_symbols = seen
        if seen > n_symbols:
            raise ValueError(f"X contains symbol {seen - 1} but the model has {n_symbols} symbols")
        self.n_features = n_symbols
        shape = (self.n_states, n_symbols)
        self.emissionprob_prior_ = positive_prior(
            self.emissionprob_prior, 1.0 / n_symbols, "emissionprob_prior", shape
        )

    def _fresh_posterior(self, batch: SequenceBatch, rng) -> VariationalPosterior:
        start, trans = random_chain_posterior(self, batch, rng)
        k, m = self.emissionprob_prior_.shape
        counts = batch.n_frames / k * rng.dirichlet(np.ones(m), size=k)
        prior = self.emissionprob_prior_
        return VariationalPosterior(start, trans, DirichletRows(prior, prior + counts))

    def _kept_emission(self, fresh: DirichletRows, letters: str) -> DirichletRows:
        if "e" in letters:
            return fresh
        shape = fresh.prior.shape
        return replace(fresh, posterior=given_array(self, "emissionprob_posterior_", shape))

    def _posterior_attributes(self, emission: DirichletRows) -> dict:
        return {
            "emissionprob_prior_": emission.prior,
            "emissionprob_posterior_": emission.posterior,
        }

    def _make_emission(self, attributes: dict) -> CategoricalEmission:
        return CategoricalEmission(np.asarray(attributes["emissionprob_"], dtype=float))
