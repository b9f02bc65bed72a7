"""The variational machinery against independent truth: the ELBO bounds the log
evidence, computed here by brute force over state paths and Monte Carlo over the prior."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import gammaln, logsumexp, multigammaln

from hmmkit import VariationalCategoricalHMM, VariationalGaussianHMM
from hmmkit.variational.base import positive_prior


def log_evidence(sequence: np.ndarray, n_states: int, n_symbols: int, n_draws: int) -> tuple:
    """``log p(X)`` under flat Dirichlet priors: the mean over prior draws of ``p(X | theta)``
    summed over every state path. Returns the estimate and its standard error."""
    rng = np.random.default_rng(0)
    start = rng.dirichlet(np.ones(n_states), size=n_draws)
    trans = rng.dirichlet(np.ones(n_states), size=(n_draws, n_states))
    emit = rng.dirichlet(np.ones(n_symbols), size=(n_draws, n_states))
    total = np.zeros(n_draws)
    for path in itertools.product(range(n_states), repeat=len(sequence)):
        p = start[:, path[0]] * emit[:, path[0], sequence[0]]
        for t in range(1, len(sequence)):
            p = p * trans[:, path[t - 1], path[t]] * emit[:, path[t], sequence[t]]
        total += p
    estimate = logsumexp(np.log(total)) - np.log(n_draws)
    return estimate, total.std() / total.mean() / np.sqrt(n_draws)


def test_the_elbo_is_a_lower_bound_on_the_log_evidence():
    sequence = np.array([0, 0, 1, 1, 1, 0])
    evidence, error = log_evidence(sequence, 2, 2, 200_000)
    model = VariationalCategoricalHMM(
        2, n_symbols=2, startprob_prior=1.0, transmat_prior=1.0, emissionprob_prior=1.0,
        n_iter=300, tol=1e-12, random_state=0,
    )  # fmt: skip
    elbo = model.fit([sequence]).monitor_.history[-1]
    assert elbo <= evidence + 4 * error
    # the factorised posterior misses the two symmetric modes (log 2) and the
    # correlations between parameters: a gap of under two nats here
    assert elbo > evidence - 2.0


def test_one_state_elbo_is_the_exact_categorical_evidence():
    """With one state the posterior is exactly Dirichlet: the ELBO is the Dirichlet-
    multinomial evidence."""
    symbols = np.array([0, 2, 2, 1, 2, 0, 2, 2, 3, 2])
    prior = np.array([0.5, 1.0, 2.0, 0.3])
    counts = np.bincount(symbols, minlength=4)
    exact = (
        gammaln(prior.sum()) - gammaln(prior.sum() + len(symbols))
        + np.sum(gammaln(prior + counts) - gammaln(prior))
    )  # fmt: skip
    model = VariationalCategoricalHMM(1, n_symbols=4, emissionprob_prior=prior[None], n_iter=3)
    history = model.fit([symbols[:4], symbols[4:]]).monitor_.history
    assert np.isclose(history[-1], exact, rtol=1e-12)


def test_one_state_elbo_is_the_exact_normal_wishart_evidence():
    """With one state and full covariance the posterior is exactly Normal-Wishart: the
    ELBO is the closed-form evidence (the 2 pi constant included)."""
    X = np.random.default_rng(5).normal(size=(40, 2)) @ np.array([[1.0, 0.4], [0.0, 0.7]]) + 3
    n, d = X.shape
    m0, beta0, nu0, s0 = np.array([1.0, -1.0]), 0.5, 4.0, np.array([[2.0, 0.3], [0.3, 1.0]])
    model = VariationalGaussianHMM(
        1, "full", means_prior=m0, beta_prior=beta0, dof_prior=nu0, scale_prior=s0, n_iter=3
    )
    history = model.fit([X[:25], X[25:]]).monitor_.history
    mean = X.mean(axis=0)
    scatter = (X - mean).T @ (X - mean)
    beta_n, nu_n = beta0 + n, nu0 + n
    s_n = s0 + scatter + beta0 * n / beta_n * np.outer(mean - m0, mean - m0)
    exact = (
        -n * d / 2 * np.log(np.pi)
        + multigammaln(nu_n / 2, d) - multigammaln(nu0 / 2, d)
        + nu0 / 2 * np.linalg.slogdet(s0)[1] - nu_n / 2 * np.linalg.slogdet(s_n)[1]
        + d / 2 * np.log(beta0 / beta_n)
    )  # fmt: skip
    assert np.isclose(history[-1], exact, rtol=1e-12)


def test_priors_are_checked_and_broadcast():
    assert positive_prior(None, 0.25, "p", (2, 2)).tolist() == [[0.25, 0.25], [0.25, 0.25]]
    assert positive_prior([1.0, 2.0], 0.25, "p", (2, 2))[1].tolist() == [1.0, 2.0]
    for bad, kind in ((0.0, ValueError), (np.ones(3), ValueError), ("x", TypeError)):
        try:
            positive_prior(bad, 1.0, "startprob_prior", (2,))
        except kind as error:
            assert "startprob_prior" in str(error)
        else:
            raise AssertionError(f"{bad!r} was accepted")
