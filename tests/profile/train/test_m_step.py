"""The M-step against hmmbuild's estimator, and the prior density it climbs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import dirichlet

from hmmkit.profile import AMINO, ProfileHMM
from hmmkit.profile.build.priors import (
    DirichletMixture,
    default_prior,
    estimate_parameters,
    laplace_prior,
)
from hmmkit.profile.train import (
    log_prior,
    posterior_mode,
    reestimate,
    uniform_model,
)
from hmmkit.stats import Stats


def _random_counts(M, K, rng, scale=5.0):
    return Stats(
        {
            "transitions": rng.gamma(1.0, scale, (M + 1, 7)),
            "match": rng.gamma(0.5, scale, (M + 1, K)),
            "insert": rng.gamma(0.5, scale, (M + 1, K)),
        }
    )


def test_single_dirichlet_m_step_is_hmmbuilds_estimator():
    """For single-Dirichlet priors the M-step equals p7_ParameterEstimation (float32)."""
    rng = np.random.default_rng(0)
    M = 6
    counts = _random_counts(M, 20, rng)
    current = uniform_model(M)
    for prior in (laplace_prior(AMINO), default_prior(AMINO)):
        t, mat, ins = reestimate(
            counts,
            (current.transitions, current.match_emissions, current.insert_emissions),
            prior,
        )
        rt, rm, ri = estimate_parameters(
            counts["transitions"], counts["match"], counts["insert"], prior
        )
        np.testing.assert_allclose(t, rt, atol=2e-7)
        np.testing.assert_allclose(ins, ri, atol=2e-7)
        if prior.match_emissions.alpha.shape[0] == 1:
            np.testing.assert_allclose(mat, rm, atol=2e-7)
        model = ProfileHMM(AMINO, t, mat, ins)
        model.validate()


def test_mixture_posterior_mode_climbs():
    """The mixture M-step beats the current vector and hmmbuild's mean posterior
    estimate, and no small move within the simplex improves on it."""
    rng = np.random.default_rng(1)
    mix = default_prior(AMINO).match_emissions
    counts = rng.gamma(0.4, 4.0, (12, 20))
    current = rng.dirichlet(np.ones(20), 12)

    def objective(theta):
        dens = np.stack(
            [
                np.log(w) + dirichlet.logpdf(theta.T, a + 1.0)
                for w, a in zip(mix.weights, mix.alpha, strict=True)
            ]
        )
        return (counts * np.log(theta)).sum(axis=1) + logsumexp(dens, axis=0)

    best = posterior_mode(counts, mix, current)
    np.testing.assert_allclose(best.sum(axis=1), 1.0)
    assert np.all(objective(best) >= objective(current))
    assert np.all(objective(best) >= objective(mix.mean_posterior(counts)) - 1e-9)
    for _ in range(20):
        step = rng.normal(0, 1e-4, best.shape)
        step -= step.mean(axis=1, keepdims=True)
        moved = best + step * best
        moved /= moved.sum(axis=1, keepdims=True)
        assert np.all(objective(moved) <= objective(best) + 1e-9)


def test_log_prior_is_the_dirichlet_densities():
    """log pi: Dirichlet(alpha + 1) densities (scipy) over every free vector."""
    rng = np.random.default_rng(2)
    prior = default_prior(AMINO)
    start = uniform_model(4)
    current = (start.transitions, start.match_emissions, start.insert_emissions)
    model = ProfileHMM(AMINO, *reestimate(_random_counts(4, 20, rng), current, prior))
    t, mat, ins = model.transitions, model.match_emissions, model.insert_emissions

    def single(rows, mixture, cols=None):
        a = mixture.alpha[0] if cols is None else mixture.alpha[0, cols]
        return sum(dirichlet.logpdf(r, a + 1.0) for r in rows)

    want = single(t[:4, 0:3], prior.match_transitions)
    want += single(t[4:5, 0:2], prior.match_transitions, [0, 1])
    want += single(t[:, 3:5], prior.insert_transitions)
    want += single(t[1:4, 5:7], prior.delete_transitions)
    want += single(ins, prior.insert_emissions)
    mix = prior.match_emissions
    for row in mat[1:]:
        want += logsumexp(
            [
                np.log(w) + dirichlet.logpdf(row, a + 1.0)
                for w, a in zip(mix.weights, mix.alpha, strict=True)
            ]
        )
    assert log_prior(model, "default") == pytest.approx(want, rel=1e-10)
    assert log_prior(model, None) == 0.0


def test_single_component_posterior_mode_is_closed_form():
    mix = DirichletMixture(np.ones(1), np.array([[0.5, 2.0, 1.0]]))
    c = np.array([[3.0, 0.0, 1.0]])
    np.testing.assert_allclose(posterior_mode(c, mix), [[3.5, 2.0, 2.0]] / np.float64(7.5))
