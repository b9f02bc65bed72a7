"""Independent truth for tests: emission densities from scipy and brute-force HMM sums."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal


def full_covariances(covars, covariance_type, n_components, n_features):
    """Covariance matrices (C, D, D) from a compact form with C components (tied: one)."""
    covars = np.asarray(covars)
    if covariance_type == "spherical":
        return np.array([np.eye(n_features) * c for c in covars])
    if covariance_type == "diag":
        return np.array([np.diag(c) for c in covars])
    if covariance_type == "tied":
        return np.repeat(covars.reshape(1, n_features, n_features), n_components, axis=0)
    return covars


def gaussian_log_emissions(X, means, covars, covariance_type):
    """(T, K) log-densities of a GaussianHMM's states, computed by scipy."""
    k, d = means.shape
    cov = full_covariances(covars, covariance_type, k, d)
    return np.column_stack([multivariate_normal(means[i], cov[i]).logpdf(X) for i in range(k)])


def gmm_log_emissions(X, weights, means, covars, covariance_type):
    """(T, K) log-densities of a GMMHMM's states (hmmlearn shapes), computed by scipy."""
    k, m, d = means.shape
    out = np.empty((len(X), k))
    for i in range(k):
        if covariance_type == "tied":
            cov = np.repeat(covars[i][None], m, axis=0)
        else:
            cov = full_covariances(covars[i], covariance_type, m, d)
        comps = [
            np.log(weights[i, j]) + multivariate_normal(means[i, j], cov[j]).logpdf(X)
            for j in range(m)
        ]
        out[:, i] = logsumexp(np.column_stack(comps), axis=1)
    return out


def every_path(log_b, startprob, transmat):
    """Every state path (n_paths, T) and its joint log-probability with the frames."""
    t_len, k = log_b.shape
    with np.errstate(divide="ignore"):
        log_pi, log_a = np.log(startprob), np.log(transmat)
    paths = np.array(list(itertools.product(range(k), repeat=t_len)))
    scores = log_pi[paths[:, 0]] + log_b[0, paths[:, 0]]
    for t in range(1, t_len):
        scores = scores + log_a[paths[:, t - 1], paths[:, t]] + log_b[t, paths[:, t]]
    return paths, scores


def expected_transitions(log_b, startprob, transmat):
    """Expected transition counts (K, K) of one sequence, summed over every state path."""
    paths, scores = every_path(log_b, startprob, transmat)
    weights = np.exp(scores - logsumexp(scores))
    k = log_b.shape[1]
    xi = np.zeros((k, k))
    for t in range(1, log_b.shape[0]):
        np.add.at(xi, (paths[:, t - 1], paths[:, t]), weights)
    return xi


def brute_force(log_b, startprob, transmat):
    """Enumerate every state path: log-likelihood, posteriors (T, K), Viterbi path and score."""
    t_len, k = log_b.shape
    paths, scores = every_path(log_b, startprob, transmat)
    loglik = logsumexp(scores)
    weights = np.exp(scores - loglik)
    posteriors = np.zeros((t_len, k))
    for t in range(t_len):
        np.add.at(posteriors[t], paths[:, t], weights)
    best = int(np.argmax(scores))
    return loglik, posteriors, paths[best], scores[best]
