"""CMLLR (fMLLR) feature transforms: known transforms recovered, the auxiliary function
against a brute-force log-likelihood, optimality, and a speaker's transform from
alignments."""

import numpy as np
import pytest
from asr_factories import tiny_model
from scipy.stats import norm

from hmmkit.speech.fmllr import (
    FmllrStats,
    apply_fmllr,
    estimate_fmllr,
    fmllr_objective,
    fmllr_stats,
    identity_transform,
)
from hmmkit.speech.speaker_adaptation import adapt_round, fmllr_alignment_stats, speaker_fmllr


def _model(rng, k=6, d=3):
    means = rng.normal(size=(k, d)) * 3
    variances = rng.uniform(0.2, 2.0, size=(k, d))
    return means, variances


def _random_transform(rng, d=3, scale=0.3):
    return np.column_stack([rng.normal(size=d), np.eye(d) + scale * rng.normal(size=(d, d))])


def _inverse(transform):
    inv = np.linalg.inv(transform[:, 1:])
    return np.column_stack([-inv @ transform[:, 0], inv])


def _brute_force(X, gamma, means, variances, transform):
    """sum_t sum_m gamma_tm (log N(A x_t + b; mu_m, var_m) + log |det A|), term by term."""
    moved = apply_fmllr(transform, X)
    logdet = np.log(abs(np.linalg.det(transform[:, 1:])))
    total = 0.0
    for t in range(len(X)):
        for m in range(len(means)):
            log_density = norm.logpdf(moved[t], means[m], np.sqrt(variances[m])).sum()
            total += gamma[t, m] * (log_density + logdet)
    return total


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_known_transform_is_recovered(seed):
    rng = np.random.default_rng(seed)
    means, variances = _model(rng)
    labels = rng.integers(0, len(means), size=20000)
    canonical = means[labels] + rng.normal(size=(len(labels), 3)) * np.sqrt(variances[labels])
    truth = _random_transform(rng)
    speaker = apply_fmllr(_inverse(truth), canonical)  # the speaker's frames
    gamma = np.eye(len(means))[labels]
    estimate = estimate_fmllr(fmllr_stats(speaker, gamma, means, variances))
    np.testing.assert_allclose(estimate, truth, atol=0.05)
    np.testing.assert_allclose(apply_fmllr(estimate, speaker), canonical, atol=0.1)


@pytest.mark.parametrize("seed", [3, 4])
def test_the_objective_is_the_transformed_frames_log_likelihood(seed):
    rng = np.random.default_rng(seed)
    means, variances = _model(rng, k=4)
    X = rng.normal(size=(30, 3)) * 2
    gamma = rng.dirichlet(np.ones(4), size=30) * rng.uniform(0.2, 1.0, size=(30, 1))
    halves = [
        fmllr_stats(X[:12], gamma[:12], means, variances),
        fmllr_stats(X[12:], gamma[12:], means, variances),
    ]
    stats = halves[0] + halves[1]
    assert stats.beta == pytest.approx(gamma.sum())
    for transform in (identity_transform(3), _random_transform(rng, scale=0.5)):
        expected = _brute_force(X, gamma, means, variances, transform)
        assert fmllr_objective(stats, transform) == pytest.approx(expected, rel=1e-10)
    singular = identity_transform(3)
    singular[2, 1:] = singular[1, 1:]
    assert fmllr_objective(stats, singular) == -np.inf


@pytest.mark.parametrize("seed", [5, 6])
def test_the_estimate_maximises_the_objective(seed):
    rng = np.random.default_rng(seed)
    means, variances = _model(rng)
    X = rng.normal(size=(400, 3)) * 2 + 1
    gamma = rng.dirichlet(np.ones(len(means)) * 0.3, size=400)
    stats = fmllr_stats(X, gamma, means, variances)
    best = estimate_fmllr(stats)
    top = fmllr_objective(stats, best)
    assert top > fmllr_objective(stats, identity_transform(3))
    for _ in range(200):
        other = best + rng.normal(scale=rng.choice([1e-3, 1e-2, 1e-1]), size=best.shape)
        assert fmllr_objective(stats, other) < top
    # from another start, the same maximum
    again = estimate_fmllr(stats, _random_transform(rng, scale=0.1))
    np.testing.assert_allclose(again, best, atol=1e-4)


def test_too_few_frames_and_bad_input():
    rng = np.random.default_rng(7)
    means, variances = _model(rng)
    X = rng.normal(size=(5, 3))
    gamma = np.eye(len(means))[rng.integers(0, len(means), size=5)]
    stats = fmllr_stats(X, gamma, means, variances)
    np.testing.assert_array_equal(estimate_fmllr(stats), identity_transform(3))
    start = _random_transform(rng)
    np.testing.assert_array_equal(estimate_fmllr(stats, start), start)
    assert FmllrStats.zeros(3).beta == 0.0
    with pytest.raises(ValueError, match="must agree"):
        fmllr_stats(X, gamma[:, :2], means, variances)
    with pytest.raises(ValueError, match="variances must be > 0"):
        fmllr_stats(X, gamma, means, -variances)
    with pytest.raises(ValueError, match="initial transform must be"):
        estimate_fmllr(stats, np.eye(3))


def _speaker_data(model, rng, n=12):
    words = [["a", "b"], ["b", "a", "b"], ["a"], ["b"]] * (n // 4)
    feats = []
    for w in words:
        length = 30 * len(w) + 20
        feats.append(rng.normal(size=(length, 3)) * 1.5)
    return feats, words


def test_moved_frames_get_the_transform_composed_with_the_move():
    rng = np.random.default_rng(8)
    means, variances = _model(rng)
    X = rng.normal(size=(300, 3)) * 2
    gamma = rng.dirichlet(np.ones(len(means)), size=300)
    plain = estimate_fmllr(fmllr_stats(X, gamma, means, variances))
    shift = _random_transform(rng, scale=0.2)
    Y = apply_fmllr(shift, X)
    composed = estimate_fmllr(fmllr_stats(Y, gamma, means, variances))
    np.testing.assert_allclose(apply_fmllr(composed, Y), apply_fmllr(plain, X), atol=1e-4)


def test_a_speakers_transform_raises_its_alignment_likelihood():
    from hmmkit.speech.alignment import align

    model = tiny_model(3)
    rng = np.random.default_rng(11)
    feats, words = _speaker_data(model, rng)
    feats = [apply_fmllr(_random_transform(np.random.default_rng(1), scale=0.4), X) for X in feats]
    transform = speaker_fmllr(model, feats, words, iterations=3)
    logdet = np.log(abs(np.linalg.det(transform[:, 1:])))

    def viterbi_score(frames, jacobian):
        return sum(
            align(model, str(i), X, w).log_prob + jacobian * len(X)
            for i, (X, w) in enumerate(zip(frames, words, strict=True))
        )

    moved = [apply_fmllr(transform, X) for X in feats]
    assert viterbi_score(moved, logdet) > viterbi_score(feats, 0.0) + 10


def test_alignment_statistics_against_the_alignments_frames():
    from hmmkit.composite import viterbi
    from hmmkit.speech.embedded import with_graph_transitions

    model = tiny_model(4)
    rng = np.random.default_rng(9)
    feats, words = _speaker_data(model, rng, n=4)
    transform = _random_transform(rng, scale=0.1)
    stats = fmllr_alignment_stats(model, feats, words, transform, beam=np.inf)
    mix = model.mixtures
    g, m, d = mix.means.shape
    expected = FmllrStats.zeros(d)
    for X, w in zip(feats, words, strict=True):  # one frame at a time
        moved = apply_fmllr(transform, X)
        graph = with_graph_transitions(model.transcript_graph(w), model)
        states = graph.node_state[viterbi(graph, mix.frame_scores(moved)[0]).frame_nodes]
        gamma = np.zeros((len(X), g * m))
        for t, s in enumerate(states):
            weights = mix.weights[s] * np.array(
                [
                    norm.pdf(moved[t], mix.means[s, j], np.sqrt(mix.covars[s, j])).prod()
                    for j in range(m)
                ]
            )
            gamma[t, s * m : (s + 1) * m] = weights / weights.sum()
        expected = expected + fmllr_stats(
            X, gamma, mix.means.reshape(g * m, d), mix.covars.reshape(g * m, d)
        )
    assert stats.beta == pytest.approx(sum(len(X) for X in feats))
    np.testing.assert_allclose(stats.gram, expected.gram, rtol=1e-9)
    np.testing.assert_allclose(stats.linear, expected.linear, rtol=1e-9, atol=1e-9)


def test_an_adaptation_round_with_fmllr():
    model = tiny_model(5)
    rng = np.random.default_rng(10)
    feats, words = _speaker_data(model, rng)
    adapted, transform, moved = adapt_round(model, model, None, feats, words, "fmllr")
    assert adapted is model and transform.shape == (3, 4)
    np.testing.assert_allclose(moved[0], apply_fmllr(transform, feats[0]))
    before = fmllr_alignment_stats(model, feats, words, identity_transform(3))
    assert fmllr_objective(before, transform) > fmllr_objective(before, identity_transform(3))
    mapped, again, _ = adapt_round(model, model, transform, feats, words, "fmllr+map", 5.0)
    assert mapped is not model and again.shape == (3, 4)
    assert not np.array_equal(mapped.mixtures.means, model.mixtures.means)
    with pytest.raises(ValueError, match="method must be one of"):
        adapt_round(model, model, None, feats, words, "vtln")
