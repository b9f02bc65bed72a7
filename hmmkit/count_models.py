"""The HMM families over discrete frames: categorical symbols, Poisson counts and
multinomial counts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .arguments import (
    CATEGORICAL_ARGUMENTS,
    HMM_ARGUMENT_CHECKS,
    check_n_trials,
    check_optional_count,
)
from .emissions.base import Emission
from .emissions.categorical import CategoricalEmission
from .emissions.multinomial import MultinomialEmission
from .emissions.poisson import PoissonEmission
from .hmm import BaseHMM
from .initialization import kmeans
from .parameter_checks import CheckedParameter, check_emissionprob, check_lambdas
from .sequences import SequenceBatch, as_count_batch, as_symbol_batch
from .settings import check_concentration

#: Largest alphabet CategoricalHMM infers from the data without an explicit n_symbols.
MAX_INFERRED_SYMBOLS = 2**20


class _ProbabilityTableHMM(BaseHMM):
    """Shared by the families whose emission is a table of probabilities over categories,
    ``emissionprob_`` (K, n_features): its initial tables and attribute."""

    _emission_letters = "e"
    _letter_attributes = {"e": "emissionprob_"}
    _default_init = "random"

    emissionprob_ = CheckedParameter(
        lambda model, value: check_emissionprob(value, model.n_states, model._columns),
        "Emission probabilities (n_states, n_categories); every row sums to 1.",
    )
    #: What the columns of emissionprob_ are, for messages.
    _columns = "n_features"

    def _add_counts(self, counts: np.ndarray, labels, batch: SequenceBatch) -> None:
        """Add each frame's category counts into row ``labels[t]`` of ``counts``."""
        raise NotImplementedError

    def _table(self, rows: np.ndarray) -> Emission:
        """The emission whose probabilities are the normalised ``rows``."""
        return self._make_emission({"emissionprob_": rows / rows.sum(axis=1, keepdims=True)})

    def _emission_attributes(self, emission: Emission) -> dict:
        return {"emissionprob_": emission.emissionprob}

    def _global_emission(self, batch, rng) -> Emission:
        """Every state at the corpus' category frequencies, add-one smoothed."""
        counts = np.ones((self.n_states, self.n_features))
        self._add_counts(counts, np.zeros(batch.n_frames, dtype=np.int64), batch)
        return self._table(np.repeat(counts[:1], self.n_states, axis=0))

    def _random_emission(self, batch, rng) -> Emission:
        return self._table(rng.gamma(1.0, size=(self.n_states, self.n_features)))

    def _emission_from_labels(self, batch, labels, rng) -> Emission:
        """Category frequencies of the frames labelled with each state, add-one smoothed."""
        counts = np.ones((self.n_states, self.n_features))
        self._add_counts(counts, labels, batch)
        return self._table(counts)


class CategoricalHMM(_ProbabilityTableHMM):
    """HMM over integer symbols ``0..n_symbols-1``; ``emissionprob_`` is (K, n_symbols).

    ``emissionprob_prior`` is a Dirichlet concentration on every row (1 = none).
    ``n_symbols`` defaults to one more than the largest symbol seen in ``fit``.
    Parameter letters: ``s``, ``t``, ``e`` (emission probabilities).
    """

    _foreign_arguments = CATEGORICAL_ARGUMENTS
    _argument_checks = HMM_ARGUMENT_CHECKS | {"n_symbols": check_optional_count}
    _columns = "n_symbols"

    def __init__(
        self,
        n_states: int = 1,
        *,
        n_symbols: int | None = None,
        emissionprob_prior: ArrayLike = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(n_states, **kwargs)
        self.n_symbols = n_symbols
        self.emissionprob_prior = emissionprob_prior

    def _probe_batch(self) -> SequenceBatch:
        return SequenceBatch(np.zeros(1, dtype=np.int64), np.array([0, 1], dtype=np.int64))

    def _as_batch(self, X, lengths, fitting: bool) -> SequenceBatch:
        known = self.n_symbols
        if known is None and not fitting and getattr(self, "emissionprob_", None) is not None:
            known = np.shape(self.emissionprob_)[1]
        return as_symbol_batch(X, lengths, n_symbols=known)

    def _prepare_fit(self, batch: SequenceBatch, source=None) -> None:
        given = getattr(self, "emissionprob_", None)
        if self.n_symbols is None:
            # the whole corpus's alphabet when the source knows it, else the sample's
            seen = max(int(batch.X.max()) + 1, getattr(source, "n_symbols", None) or 0)
            if seen > MAX_INFERRED_SYMBOLS:
                raise ValueError(
                    f"X contains symbol {seen - 1}: an alphabet of {seen} symbols is implied; "
                    "pass n_symbols explicitly if that is intended"
                )
            self.n_features = max(seen, np.shape(given)[1]) if given is not None else seen
        else:
            self.n_features = self.n_symbols
        if "e" not in self._init_letters() and given is not None:
            width = np.shape(given)[1]
            if width < self.n_features:
                raise ValueError(
                    f"X holds symbols up to {self.n_features - 1} but the emissionprob_ kept "
                    f"from before (init_params without 'e') has only {width} columns"
                )
        shape = (self.n_states, self.n_features)
        check_concentration(self.emissionprob_prior, "emissionprob_prior", shape)

    def _make_emission(self, attributes: dict) -> Emission:
        return CategoricalEmission(
            np.asarray(attributes["emissionprob_"], dtype=float), self.emissionprob_prior
        )

    def _add_counts(self, counts, labels, batch) -> None:
        np.add.at(counts, (labels, batch.X), 1.0)


class PoissonHMM(BaseHMM):
    """HMM whose states emit vectors of independent Poisson counts (hmmlearn's PoissonHMM).

    ``lambdas_`` is (K, n_features), the rates; frames are non-negative whole counts.
    ``lambdas_prior`` and ``lambdas_weight`` are the shape and rate of a Gamma prior on
    every rate (0 and 0: maximum likelihood); the M-step takes the posterior mean
    ``(lambdas_prior + sum gamma x) / (lambdas_weight + sum gamma)`` of each state.
    (hmmlearn divides by the corpus' total frames instead of the state's; the two agree
    when the priors are 0.) Parameter letters: ``s``, ``t``, ``l`` (rates).
    """

    _emission_letters = "l"
    _letter_attributes = {"l": "lambdas_"}

    lambdas_ = CheckedParameter(
        lambda model, value: check_lambdas(value, model.n_states),
        "Poisson rates (n_states, n_features).",
    )

    def __init__(
        self,
        n_states: int = 1,
        *,
        lambdas_prior: ArrayLike = 0.0,
        lambdas_weight: ArrayLike = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(n_states, **kwargs)
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight

    def _as_batch(self, X, lengths, fitting: bool) -> SequenceBatch:
        known = self._known_width("lambdas_", "l", fitting)
        return as_count_batch(X, lengths, n_features=known)

    def _prepare_fit(self, batch: SequenceBatch, source=None) -> None:
        self.n_features = batch.X.shape[1]
        shape = (self.n_states, self.n_features)
        for name in ("lambdas_prior", "lambdas_weight"):
            value = np.asarray(getattr(self, name), dtype=float)
            try:
                np.broadcast_to(value, shape)
            except ValueError:
                raise ValueError(
                    f"{name} must broadcast to (n_states, n_features) = {shape}, got shape "
                    f"{value.shape}"
                ) from None
            if not np.all(np.isfinite(value)) or np.any(value < 0):
                raise ValueError(f"{name} must be finite and non-negative")

    def _make_emission(self, attributes: dict) -> Emission:
        lambdas = np.atleast_2d(np.asarray(attributes["lambdas_"], dtype=float))
        if lambdas.shape[0] != self.n_states:
            raise ValueError(
                f"lambdas_ must have shape (n_states, n_features) with n_states={self.n_states}, "
                f"got {lambdas.shape}"
            )
        return PoissonEmission(lambdas, self.lambdas_prior, self.lambdas_weight)

    def _emission_attributes(self, emission: Emission) -> dict:
        return {"lambdas_": emission.lambdas}

    def _global_emission(self, batch, rng) -> Emission:
        means = np.repeat(batch.X.mean(axis=0)[None], self.n_states, axis=0)
        return PoissonEmission(means, self.lambdas_prior, self.lambdas_weight)

    def _random_emission(self, batch, rng) -> Emission:
        """Rates drawn from a Gamma matching each feature's mean and variance (as hmmlearn
        draws them from the whole corpus' mean and variance)."""
        mean, var = batch.X.mean(axis=0), batch.X.var(axis=0)
        spread = np.where((mean > 0) & (var > 0), var, np.maximum(mean, 1.0))
        safe_mean = np.maximum(mean, 1e-3)
        draws = rng.gamma(safe_mean**2 / spread, spread / safe_mean,
                          size=(self.n_states, len(mean)))  # fmt: skip
        return PoissonEmission(draws, self.lambdas_prior, self.lambdas_weight)

    def _kmeans_labels(self, batch: SequenceBatch, rng: np.random.Generator) -> np.ndarray:
        return kmeans(batch.X, self.n_states, rng)[1]


class MultinomialHMM(_ProbabilityTableHMM):
    """HMM whose frames are vectors of counts of ``n_features`` categories (hmmlearn's
    MultinomialHMM): state k spreads a frame's trials over the categories with
    probabilities ``emissionprob_[k]`` (K, n_features).

    ``n_trials`` (an int) is the number of trials in every frame; it is checked when
    given and needed to sample. Left as None, each frame's total is its own number of
    trials (what hmmlearn's array of per-frame trials says). ``emissionprob_prior`` is
    a Dirichlet concentration on every row (1 = none).
    Parameter letters: ``s``, ``t``, ``e`` (emission probabilities).
    """

    _argument_checks = HMM_ARGUMENT_CHECKS | {"n_trials": check_n_trials}

    def __init__(
        self,
        n_states: int = 1,
        *,
        n_trials: int | None = None,
        emissionprob_prior: ArrayLike = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(n_states, **kwargs)
        self.n_trials = n_trials
        self.emissionprob_prior = emissionprob_prior

    def sample(
        self, n_samples: int = 1, random_state=None, currstate: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` frames of ``n_trials`` trials each: ``(X, states)``."""
        if check_n_trials(self.n_trials) is None:
            raise ValueError(
                "MultinomialHMM.sample needs n_trials, the number of trials of every frame "
                "(an int); it is None"
            )
        return super().sample(n_samples, random_state, currstate)

    def _as_batch(self, X, lengths, fitting: bool) -> SequenceBatch:
        check_n_trials(self.n_trials)
        known = self._known_width("emissionprob_", "e", fitting)
        batch = as_count_batch(X, lengths, n_features=known)
        if self.n_trials is not None:
            totals = batch.X.sum(axis=1)
            wrong = np.flatnonzero(totals != self.n_trials)
            if len(wrong):
                raise ValueError(
                    f"X: frame {int(wrong[0])} counts {totals[wrong[0]]:g} trials, but "
                    f"n_trials={self.n_trials}"
                )
        return batch

    def _prepare_fit(self, batch: SequenceBatch, source=None) -> None:
        self.n_features = batch.X.shape[1]
        shape = (self.n_states, self.n_features)
        check_concentration(self.emissionprob_prior, "emissionprob_prior", shape)

    def _make_emission(self, attributes: dict) -> Emission:
        return MultinomialEmission(
            np.asarray(attributes["emissionprob_"], dtype=float),
            self.emissionprob_prior,
            self.n_trials,
        )

    def _add_counts(self, counts, labels, batch) -> None:
        np.add.at(counts, labels, batch.X)

    def _kmeans_labels(self, batch: SequenceBatch, rng: np.random.Generator) -> np.ndarray:
        totals = np.maximum(batch.X.sum(axis=1, keepdims=True), 1.0)
        return kmeans(batch.X / totals, self.n_states, rng)[1]
