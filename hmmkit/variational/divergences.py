"""Expectations and Kullback-Leibler divergences of the conjugate distributions of
variational Bayes: Dirichlet, Wishart and the Normal part of a Normal-Wishart.

A Wishart here is written with its inverse scale ``S`` (as the posterior keeps it):
``p(L) ~ |L|^((nu - D - 1)/2) exp(-tr(S L)/2)``, so ``E[L] = nu S^-1``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

LOG_2 = float(np.log(2.0))


def dirichlet_expected_log(concentration: np.ndarray) -> np.ndarray:
    """``E[log p]`` of Dirichlet rows (along the last axis): ``psi(a) - psi(sum a)``."""
    concentration = np.asarray(concentration, dtype=float)
    return digamma(concentration) - digamma(concentration.sum(axis=-1, keepdims=True))


def dirichlet_kl(posterior: np.ndarray, prior: np.ndarray) -> float:
    """``KL(Dir(posterior) || Dir(prior))`` summed over the rows (last axis: one Dirichlet)."""
    q = np.asarray(posterior, dtype=float)
    p = np.broadcast_to(np.asarray(prior, dtype=float), q.shape)
    q_total, p_total = q.sum(axis=-1), p.sum(axis=-1)
    per_row = (
        gammaln(q_total)
        - gammaln(p_total)
        - (gammaln(q) - gammaln(p)).sum(axis=-1)
        + ((q - p) * (digamma(q) - digamma(q_total)[..., None])).sum(axis=-1)
    )
    return float(np.sum(per_row))


def _half_dof_terms(dof: np.ndarray, n_features: int) -> np.ndarray:
    """``(nu - d) / 2`` for d = 0..D-1, on a trailing axis."""
    return 0.5 * (np.asarray(dof, dtype=float)[..., None] - np.arange(n_features))


def wishart_digamma_sum(dof: np.ndarray, n_features: int) -> np.ndarray:
    """``sum_d psi((nu - d) / 2)``, the data-free part of ``E[log |L|]``."""
    return digamma(_half_dof_terms(dof, n_features)).sum(axis=-1)


def _log_det(matrices: np.ndarray) -> np.ndarray:
    sign, value = np.linalg.slogdet(matrices)
    if np.any(sign <= 0):
        raise ValueError("a Wishart scale matrix is not positive definite")
    return value


def wishart_expected_log_det(dof: np.ndarray, inverse_scale: np.ndarray) -> np.ndarray:
    """``E[log |L|]`` for ``L ~ Wishart(nu, S^-1)``, one value per matrix."""
    n_features = inverse_scale.shape[-1]
    return wishart_digamma_sum(dof, n_features) + n_features * LOG_2 - _log_det(inverse_scale)


def _wishart_log_normaliser(dof: np.ndarray, inverse_scale: np.ndarray) -> np.ndarray:
    """``log Z(nu, S)`` with ``Z = 2^(nu D/2) |S|^(-nu/2) Gamma_D(nu/2)``."""
    n_features = inverse_scale.shape[-1]
    log_multigamma = n_features * (n_features - 1) / 4.0 * np.log(np.pi) + gammaln(
        _half_dof_terms(dof, n_features)
    ).sum(axis=-1)
    return 0.5 * dof * (n_features * LOG_2 - _log_det(inverse_scale)) + log_multigamma


def wishart_kl(
    dof_q: np.ndarray, scale_q: np.ndarray, dof_p: np.ndarray, scale_p: np.ndarray
) -> np.ndarray:
    """``KL(Wishart(nu_q, S_q^-1) || Wishart(nu_p, S_p^-1))`` per matrix (leading axes)."""
    dof_q, dof_p = np.asarray(dof_q, dtype=float), np.asarray(dof_p, dtype=float)
    n_features = scale_q.shape[-1]
    trace = np.einsum("...ij,...ji->...", scale_p, np.linalg.inv(scale_q))
    return (
        0.5 * (dof_q - dof_p) * wishart_expected_log_det(dof_q, scale_q)
        - 0.5 * dof_q * n_features
        + 0.5 * dof_q * trace
        + _wishart_log_normaliser(dof_p, scale_p)
        - _wishart_log_normaliser(dof_q, scale_q)
    )


def normal_mean_kl(
    means_q: np.ndarray,
    beta_q: np.ndarray,
    means_p: np.ndarray,
    beta_p: np.ndarray,
    expected_precision: np.ndarray,
) -> np.ndarray:
    """Expected KL of the means' Normals ``N(m, (beta L)^-1)`` given the precision L,
    over L (which only enters through ``E[L]``): one value per state."""
    n_features = means_q.shape[-1]
    ratio = np.asarray(beta_p, dtype=float) / np.asarray(beta_q, dtype=float)
    offset = means_q - means_p
    mahalanobis = np.einsum("ki,kij,kj->k", offset, expected_precision, offset)
    return 0.5 * (n_features * (ratio - np.log(ratio) - 1.0) + beta_p * mahalanobis)
