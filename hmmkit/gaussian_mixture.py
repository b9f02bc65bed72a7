"""A standalone Gaussian mixture model, scikit-learn style, on the shared mixture EM."""

from __future__ import annotations

import os
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from .emissions.gaussian import check_covariance_type
from .emissions.mixture import MixtureBank, mix_up
from .estimator import EstimatorMixin, NotFittedError
from .initialization import kmeans
from .models import covariance_floor, global_covariance
from .sequences import SHARD_FRAMES, as_continuous_batch
from .settings import (
    RandomState,
    check_count,
    check_floor_settings,
    check_fraction,
    check_random_state,
    check_tolerance,
)
from .sources import SequenceSource
from .stats import Stats, sum_stats
from .training import ConvergenceMonitor, baum_welch, map_shards

INITS = ("kmeans", "random")


def _frame_chunks(X: np.ndarray) -> list[np.ndarray]:
    return [X[i : i + SHARD_FRAMES] for i in range(0, len(X), SHARD_FRAMES)]


def _e_step_chunk(bank: MixtureBank, X: np.ndarray) -> Stats:
    log_p, resp = bank.frame_scores(X)
    stats = bank.new_stats()
    bank.accumulate(X, np.ones((len(X), 1)), resp, stats)
    return Stats(stats, float(log_p.sum()), 0, len(X))


class GaussianMixture(EstimatorMixin):
    """Mixture of ``n_components`` Gaussians fitted by EM (scikit-learn's interface).

    Attributes after ``fit``: ``weights_`` (M,), ``means_`` (M, D),
    ``covariances_`` spherical (M,), diag (M, D), full (M, D, D), tied (D, D).
    Covariances are floored at ``min_covar`` (or ``var_floor`` x the global
    variance); ``tol`` applies to the mean log-likelihood per frame. With
    ``warm_start=True`` a fitted model continues from its current parameters (for
    example after :meth:`mix_up`).
    """

    @classmethod
    def _saved_attributes(cls) -> tuple[str, ...]:
        return ("weights_", "means_", "covariances_")

    def __init__(
        self,
        n_components: int = 1,
        covariance_type: str = "full",
        *,
        tol: float = 1e-3,
        max_iter: int = 100,
        n_init: int = 1,
        init: str = "kmeans",
        min_covar: float = 1e-6,
        var_floor: float | None = None,
        min_weight: float = 0.0,
        warm_start: bool = False,
        random_state: RandomState = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init = init
        self.min_covar = min_covar
        self.var_floor = var_floor
        self.min_weight = min_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -------------------------------------------------------------- parameters

    def _bank(self) -> MixtureBank:
        if getattr(self, "means_", None) is None:
            raise NotFittedError("GaussianMixture has no means_: call fit() or set the parameters")
        check_covariance_type(self.covariance_type)
        covars = np.asarray(self.covariances_, dtype=float)
        n_weights = np.size(self.weights_)
        if n_weights != self.n_components:
            raise ValueError(
                f"weights_ holds {n_weights} components but n_components={self.n_components!r}"
            )
        return MixtureBank(
            np.asarray(self.weights_, dtype=float)[None],
            np.asarray(self.means_, dtype=float)[None],
            covars[None],
            self.covariance_type,
        )

    def _set_bank(self, bank: MixtureBank) -> None:
        self.weights_ = bank.weights[0]
        self.means_ = bank.means[0]
        self.covariances_ = bank.covars[0]

    def _check_X(self, X, fitting: bool = False) -> np.ndarray:
        if isinstance(X, SequenceSource):
            raise TypeError(
                "GaussianMixture takes an array of frames (n_frames, n_features), not a "
                "SequenceSource; the HMMs' fit reads sources shard by shard"
            )
        if isinstance(X, (list, tuple)):  # frames, scikit-learn style: one array
            X = np.asarray(X, dtype=float)
        n_features = None if fitting else np.shape(self.means_)[-1]
        return as_continuous_batch(X, n_features=n_features).X

    # -------------------------------------------------------------- fitting

    def _validate_loaded(self) -> None:
        self._check_settings()
        self._bank()

    def _check_settings(self) -> None:
        """Raise ValueError or TypeError naming the first invalid constructor setting."""
        check_covariance_type(self.covariance_type)
        n_components = check_count(self.n_components, "n_components")
        check_count(self.max_iter, "max_iter")
        check_count(self.n_init, "n_init")
        check_tolerance(self.tol)
        check_fraction(self.min_weight, "min_weight", 1.0 / n_components)
        check_floor_settings(self.min_covar, self.var_floor)
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")

    def fit(self, X: ArrayLike, y: None = None) -> GaussianMixture:
        """Estimate the mixture from frames ``X`` (n_frames, n_features); returns self."""
        self._check_settings()
        X = self._check_X(X, fitting=True)
        if len(X) < self.n_components:
            raise ValueError(f"X has {len(X)} frames, fewer than n_components={self.n_components}")
        floor = covariance_floor(X, self.min_covar, self.var_floor)
        chunks = _frame_chunks(X)
        rng = check_random_state(self.random_state)
        best = None
        warm = self.warm_start and getattr(self, "means_", None) is not None
        for _ in range(1 if warm else self.n_init):
            bank = self._bank() if warm else self._initial_bank(X, floor, rng)
            monitor = ConvergenceMonitor(self.tol * len(X), self.max_iter, self.verbose)
            bank = baum_welch(
                partial(self._e_step, chunks=chunks),
                partial(self._m_step, floor=floor),
                bank,
                monitor,
            )
            if best is None or monitor.history[-1] > best[0]:
                best = (monitor.history[-1], bank, monitor)
        self._set_bank(best[1])
        self.monitor_ = best[2]
        self.converged_ = best[2].converged
        self.n_iter_ = best[2].iter
        self.lower_bound_ = best[0] / len(X)
        return self

    def _initial_bank(self, X: np.ndarray, floor: np.ndarray, rng) -> MixtureBank:
        m = self.n_components
        cov = global_covariance(X, self.covariance_type, floor)
        if self.init == "kmeans":
            centers, labels = kmeans(X, m, rng)
            resp = np.zeros((len(X), m))
            resp[np.arange(len(X)), labels] = 1.0
            start = self._one_mixture(np.full(m, 1.0 / m), centers, cov)
            stats = start.new_stats()
            start.accumulate(X, np.ones((len(X), 1)), resp, stats)
            return start.m_step(stats, "wmc", floor)
        means = X[rng.choice(len(X), m, replace=False)]
        return self._one_mixture(np.full(m, 1.0 / m), means, cov)

    def _one_mixture(self, weights, means, cov) -> MixtureBank:
        m = len(weights)
        if self.covariance_type == "tied":
            covars = cov[None]
        else:
            covars = np.repeat(cov[None], m, axis=0)[None]
        return MixtureBank(weights[None], means[None], covars, self.covariance_type)

    def _e_step(self, bank: MixtureBank, chunks) -> Stats:
        return sum_stats(map_shards(partial(_e_step_chunk, bank), chunks, self.n_jobs))

    def _m_step(self, stats: Stats, bank: MixtureBank, floor: np.ndarray) -> MixtureBank:
        return bank.m_step(stats, "wmc", floor, min_weight=self.min_weight, kind="mixture")

    def mix_up(self, n_components: int) -> GaussianMixture:
        """Split the heaviest components until there are ``n_components``; returns self."""
        self._set_bank(mix_up(self._bank(), n_components))
        self.n_components = n_components
        return self

    # -------------------------------------------------------------- inference

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Log-density of every frame (n_frames,)."""
        bank = self._bank()
        return bank.frame_scores(self._check_X(X))[0][:, 0]

    def score(self, X: ArrayLike, y: None = None) -> float:
        """Mean log-density per frame."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Posterior of each component for every frame (n_frames, n_components)."""
        return self._bank().frame_scores(self._check_X(X))[1]

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable component of every frame."""
        return np.argmax(self.predict_proba(X), axis=1)

    def sample(
        self, n_samples: int = 1, random_state: RandomState = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` frames: ``(X, component_labels)``."""
        n_samples = check_count(n_samples, "n_samples")
        bank = self._bank()
        rng = check_random_state(random_state)
        labels = rng.choice(self.n_components, size=n_samples, p=bank.weights[0])
        return bank.bank.sample(labels, rng), labels

    def n_free_parameters(self) -> int:
        """Free parameters of weights, means and covariances."""
        return self._bank().n_free_parameters()

    def bic(self, X: ArrayLike) -> float:
        """Bayesian information criterion (lower is better)."""
        X = self._check_X(X)
        return -2.0 * self.score(X) * len(X) + self.n_free_parameters() * np.log(len(X))

    def aic(self, X: ArrayLike) -> float:
        """Akaike information criterion (lower is better)."""
        return -2.0 * self.score(X) * len(self._check_X(X)) + 2.0 * self.n_free_parameters()

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to ``path`` (see :mod:`hmmkit.io`), atomically."""
        from .io import save

        save(self, path)
