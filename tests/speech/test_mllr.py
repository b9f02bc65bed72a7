"""MLLR mean transforms: closed form against known transforms and brute-force optimality."""

import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.speech.embedded import utterance_stats
from hmmkit.speech.mllr import apply_transform, mllr_means, mllr_transform
from hmmkit.speech.speaker_adaptation import mllr_adapt_means


def _problem(seed, k=12, d=3):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(k, d)) * 2
    variances = rng.uniform(0.3, 3.0, size=(k, d))
    counts = rng.uniform(1.0, 50.0, size=k)
    return rng, means, variances, counts


def _auxiliary(transform, counts, sums, means, variances):
    """The part of the expected log-likelihood that depends on the adapted means (the
    frames' second moments are constant)."""
    moved = apply_transform(transform, means)
    return float(np.sum((2 * sums * moved - counts[:, None] * moved**2) / (2 * variances)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_known_transform_is_recovered_from_its_own_statistics(seed):
    rng, means, variances, counts = _problem(seed)
    truth = np.column_stack([rng.normal(size=3), np.eye(3) + 0.2 * rng.normal(size=(3, 3))])
    sums = counts[:, None] * apply_transform(truth, means)  # frames centred on moved means
    np.testing.assert_allclose(mllr_transform(counts, sums, means, variances), truth, atol=1e-9)


@pytest.mark.parametrize("seed", [3, 4])
def test_the_transform_maximises_the_auxiliary_function(seed):
    rng, means, variances, counts = _problem(seed)
    sums = counts[:, None] * (means * 0.8 + rng.normal(size=means.shape))
    best = mllr_transform(counts, sums, means, variances)
    top = _auxiliary(best, counts, sums, means, variances)
    for _ in range(200):
        other = best + rng.normal(scale=rng.choice([1e-3, 1e-1, 1.0]), size=best.shape)
        assert _auxiliary(other, counts, sums, means, variances) < top


def test_classes_and_fallbacks():
    rng, means, variances, counts = _problem(5, k=20)
    shift = np.array([1.0, -2.0, 0.5])
    sums = counts[:, None] * (means + shift)
    few = np.arange(2)  # two components: too few frames for their own 12 parameters
    counts[few] = 1.0
    sums[few] = counts[few, None] * (means[few] + shift)
    moved = mllr_means(counts, sums, means, variances, [few, np.arange(2, 20)])
    np.testing.assert_allclose(moved, means + shift, atol=1e-9)  # global transform for `few`
    unchanged = mllr_means(np.zeros(20), np.zeros((20, 3)), means, variances, [np.arange(20)])
    np.testing.assert_array_equal(unchanged, means)
    with pytest.raises(ValueError, match="cannot fix an MLLR transform"):
        mllr_transform(counts[:2], sums[:2], means[:2], variances[:2])
    with pytest.raises(ValueError, match="variances > 0"):
        mllr_transform(counts, sums, means, -variances)


def test_adapted_model_fits_shifted_data_better():
    model = tiny_model(6)
    rng = np.random.default_rng(2)
    feats = [rng.normal(loc=2.0, size=(40, 3)) for _ in range(5)]
    words = [["a", "b"], ["b", "a"], ["a"], ["b"], []]
    adapted = mllr_adapt_means(model, feats, words)
    items = [
        (str(i), x, model.transcript_graph(w))
        for i, (x, w) in enumerate(zip(feats, words, strict=True))
        if w
    ]
    before = utterance_stats(model, items, np.inf).log_likelihood
    assert utterance_stats(adapted, items, np.inf).log_likelihood > before
    np.testing.assert_array_equal(adapted.mixtures.covars, model.mixtures.covars)
    assert mllr_adapt_means(model, feats[4:], words[4:]) is model
