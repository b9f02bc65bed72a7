"""The Dirichlet and Wishart expectations and divergences against scipy's densities."""

from __future__ import annotations

import numpy as np
from scipy.stats import dirichlet, wishart

from hmmkit.variational.divergences import (
    dirichlet_expected_log,
    dirichlet_kl,
    normal_mean_kl,
    wishart_expected_log_det,
    wishart_kl,
)


def test_dirichlet_kl_is_minus_entropy_minus_cross_term():
    q, p = np.array([2.0, 0.5, 7.0]), np.array([0.3, 1.0, 4.0])
    # E_q[log p(x)] = log Z_p^-1 + sum (p_i - 1) E_q[log x_i]; scipy gives both pieces
    x = np.array([0.2, 0.3, 0.5])
    log_norm_p = dirichlet.logpdf(x, p) - np.sum((p - 1) * np.log(x))
    cross = log_norm_p + np.sum((p - 1) * dirichlet_expected_log(q))
    expected = -dirichlet.entropy(q) - cross
    assert np.isclose(dirichlet_kl(q, p), expected, rtol=1e-12)
    assert dirichlet_kl(q, q) == 0.0
    # rows add: a (2, 3) table is two Dirichlets
    assert np.isclose(dirichlet_kl(np.stack([q, p]), p), dirichlet_kl(q, p), rtol=1e-12)


def test_dirichlet_expected_log_matches_sampling():
    q = np.array([3.0, 1.5, 0.7])
    draws = np.random.default_rng(0).dirichlet(q, size=400_000)
    assert np.allclose(np.log(draws).mean(axis=0), dirichlet_expected_log(q), atol=0.01)


def _spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + d * np.eye(d)


def test_wishart_expected_log_det_matches_sampling():
    rng = np.random.default_rng(1)
    scale_inv = _spd(rng, 3)
    draws = wishart(df=6.5, scale=np.linalg.inv(scale_inv)).rvs(200_000, random_state=2)
    sampled = np.linalg.slogdet(draws)[1].mean()
    assert np.isclose(wishart_expected_log_det(np.array(6.5), scale_inv), sampled, atol=0.01)


def test_wishart_kl_against_scipy_entropy_and_density():
    rng = np.random.default_rng(3)
    d = 3
    s_q, s_p = _spd(rng, d), _spd(rng, d)
    nu_q, nu_p = 9.0, 4.5
    q, p = wishart(df=nu_q, scale=np.linalg.inv(s_q)), wishart(df=nu_p, scale=np.linalg.inv(s_p))
    point = _spd(rng, d)
    log_norm_p = (
        (nu_p - d - 1) / 2 * np.linalg.slogdet(point)[1]
        - 0.5 * np.trace(s_p @ point)
        - p.logpdf(point)
    )
    e_log_det = wishart_expected_log_det(np.array(nu_q), s_q)
    cross = (nu_p - d - 1) / 2 * e_log_det - 0.5 * np.trace(s_p @ (nu_q * np.linalg.inv(s_q)))
    expected = -q.entropy() - (cross - log_norm_p)
    assert np.isclose(wishart_kl(nu_q, s_q, nu_p, s_p), expected, rtol=1e-10)
    assert abs(wishart_kl(nu_q, s_q, nu_q, s_q)) < 1e-10


def test_normal_mean_kl_is_the_gaussian_kl_at_the_mean_precision():
    rng = np.random.default_rng(4)
    precision = _spd(rng, 2)[None]
    m_q, m_p = np.array([[1.0, -2.0]]), np.array([[0.5, 0.0]])
    beta_q, beta_p = np.array([12.0]), np.array([0.7])
    cov_q, cov_p = np.linalg.inv(beta_q[0] * precision[0]), np.linalg.inv(beta_p[0] * precision[0])
    diff = m_q[0] - m_p[0]
    expected = 0.5 * (
        np.linalg.slogdet(cov_p)[1]
        - np.linalg.slogdet(cov_q)[1]
        + np.trace(np.linalg.solve(cov_p, cov_q))
        + diff @ np.linalg.solve(cov_p, diff)
        - 2
    )
    got = normal_mean_kl(m_q, beta_q, m_p, beta_p, precision)
    assert np.isclose(got[0], expected, rtol=1e-12)
