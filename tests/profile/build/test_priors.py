"""Dirichlet-mixture priors and parameter estimation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hmmkit.profile import AMINO, DNA, RNA
from hmmkit.profile.background import mean_match_relative_entropy
from hmmkit.profile.build.prior_parameters import PRIOR_PARAMETERS
from hmmkit.profile.build.priors import (
    DirichletMixture,
    background_frequencies,
    default_prior,
    estimate_parameters,
    laplace_prior,
    relative_entropy_target,
)


def test_packaged_parameters_equal_reference(shared_data):
    reference = json.loads((shared_data / "hmmer_parameters/priors.json").read_text())
    assert PRIOR_PARAMETERS == reference


def test_default_priors_shapes_and_values():
    amino = default_prior(AMINO)
    assert amino.match_emissions.alpha.shape == (9, 20)
    assert amino.match_emissions.weights.sum() == pytest.approx(1.0, abs=1e-5)
    assert amino.match_transitions.alpha[0].tolist() == [0.7939, 0.0278, 0.0135]
    assert amino.insert_emissions.alpha[0, 0] == 681.0
    nucleic = default_prior(DNA)
    assert nucleic.match_emissions.alpha.shape == (4, 4)
    assert default_prior(RNA).delete_transitions.alpha[0].tolist() == [0.5, 1.0]
    assert background_frequencies(DNA).tolist() == [0.25] * 4
    assert background_frequencies(AMINO)[0] == pytest.approx(0.0787945)
    assert relative_entropy_target(AMINO) == 0.59
    assert relative_entropy_target(DNA) == 0.62


def brute_force_mean_posterior(counts, weights, alphas):
    """Direct formula with math.lgamma, one component at a time."""
    logs = []
    for w, alpha in zip(weights, alphas, strict=True):
        a0, c0 = sum(alpha), sum(counts)
        lp = math.lgamma(a0) - math.lgamma(c0 + a0)
        lp += sum(math.lgamma(c + a) - math.lgamma(a) for c, a in zip(counts, alpha, strict=True))
        logs.append(math.log(w) + lp)
    top = max(logs)
    post = [math.exp(v - top) for v in logs]
    post = [p / sum(post) for p in post]
    est = [0.0] * len(counts)
    for q, alpha in zip(post, alphas, strict=True):
        denom = sum(counts) + sum(alpha)
        for i, (c, a) in enumerate(zip(counts, alpha, strict=True)):
            est[i] += q * (c + a) / denom
    return np.array(est) / sum(est)


@pytest.mark.parametrize("counts", [[0.0] * 20, [5, 0, 0, 1] + [0] * 16, list(range(20))])
def test_mixture_mean_posterior_matches_formula(counts):
    mix = default_prior(AMINO).match_emissions
    expected = brute_force_mean_posterior(counts, mix.weights, mix.alpha)
    np.testing.assert_allclose(mix.mean_posterior(np.array(counts, dtype=float)), expected)


def test_mean_posterior_limits():
    mix = default_prior(DNA).match_emissions
    # no data: the prior mean, each component weighted by its mixture weight
    prior_mean = (mix.weights[:, None] * mix.alpha / mix.alpha.sum(1, keepdims=True)).sum(0)
    np.testing.assert_allclose(mix.mean_posterior(np.zeros(4)), prior_mean / prior_mean.sum())
    # lots of data: the observed frequencies
    big = np.array([6e6, 2e6, 1e6, 1e6])
    np.testing.assert_allclose(mix.mean_posterior(big), big / big.sum(), atol=1e-5)
    single = DirichletMixture(np.ones(1), np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(
        single.mean_posterior(np.array([3.0, 0, 1])), [4 / 10, 2 / 10, 4 / 10]
    )
    with pytest.raises(ValueError, match="entries"):
        single.mean_posterior(np.zeros(4))
    with pytest.raises(ValueError, match="positive"):
        DirichletMixture(np.ones(1), np.array([[0.0, 1.0]]))


def test_parameter_estimation_boundary_conventions():
    M, K = 4, 4
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 5, size=(M + 1, 7))
    mat = rng.uniform(0, 5, size=(M + 1, K))
    ins = rng.uniform(0, 5, size=(M + 1, K))
    for prior in (default_prior(DNA), laplace_prior(DNA), None):
        tp, mp, ip = estimate_parameters(t, mat, ins, prior)
        assert tp[M, 2] == 0.0 and tp[M, 5] == 1.0 and tp[M, 6] == 0.0
        if prior is not None:  # without a prior node 0's D row is normalised like any row
            assert tp[0, 5] == 1.0 and tp[0, 6] == 0.0
        assert tp[0, 5:7].sum() == pytest.approx(1.0)
        assert mp[0].tolist() == [1.0, 0.0, 0.0, 0.0]
        np.testing.assert_allclose(tp[:, 0:3].sum(1), 1.0, atol=1e-6)
        np.testing.assert_allclose(tp[:, 3:5].sum(1), 1.0, atol=1e-6)
        np.testing.assert_allclose(tp[1:M, 5:7].sum(1), 1.0, atol=1e-6)
        np.testing.assert_allclose(mp[1:].sum(1), 1.0, atol=1e-6)
        np.testing.assert_allclose(ip.sum(1), 1.0, atol=1e-6)
    # Laplace: (c + 1) / (n + K); node M's M->D is dropped and the rest renormalised
    tp, mp, _ = estimate_parameters(t, mat, ins, laplace_prior(DNA))
    np.testing.assert_allclose(mp[2], (mat[2] + 1) / (mat[2].sum() + 4), rtol=1e-6)
    last = (t[M, 0:2] + 1) / (t[M, 0:3].sum() + 3)
    np.testing.assert_allclose(tp[M, 0:2], last / last.sum(), rtol=1e-6)


def test_relative_entropy_against_hmmer(shared_data):
    pyhmmer = pytest.importorskip("pyhmmer")
    path = shared_data / "protein/tutorial/fn3.sto"
    with pyhmmer.easel.MSAFile(str(path), digital=True) as handle:
        msa = handle.read()
        abc = handle.alphabet
    bg = pyhmmer.plan7.Background(abc)
    hmm, _, _ = pyhmmer.plan7.Builder(abc).build_msa(msa, bg)
    mat = np.asarray(hmm.match_emissions, dtype=np.float64)
    ours = mean_match_relative_entropy(mat, background_frequencies(AMINO))
    assert ours == pytest.approx(hmm.mean_match_relative_entropy(bg), rel=1e-5)
