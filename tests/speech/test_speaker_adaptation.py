"""Unsupervised MAP adaptation of the means."""

from dataclasses import replace

import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.emissions.mixture import MixtureBank
from hmmkit.speech.embedded import utterance_stats
from hmmkit.speech.speaker_adaptation import map_adapt_means


def test_means_move_towards_the_data_and_raise_its_likelihood():
    model = tiny_model(5)
    rng = np.random.default_rng(1)
    feats = [rng.normal(loc=1.5, size=(30, 3)) for _ in range(4)]
    words = [["a", "b"], ["b"], ["a"], []]
    adapted = map_adapt_means(model, feats, words, tau=5.0)
    items = [
        (str(i), x, model.transcript_graph(w))
        for i, (x, w) in enumerate(zip(feats, words, strict=True))
        if w
    ]
    before = utterance_stats(model, items, np.inf)
    after = utterance_stats(adapted, items, np.inf)
    assert after.log_likelihood > before.log_likelihood
    n = before.moments["n"].reshape(model.mixtures.means.shape[:2] + (1,))
    # the frames' sums, from the posteriors of a dense forward-backward of each utterance
    sums = np.zeros(model.mixtures.means.shape)
    for _, x, graph in items:
        sums += _component_frame_sums(model, graph, x)
    expected = (5.0 * model.mixtures.means + sums) / (5.0 + n)
    np.testing.assert_allclose(adapted.mixtures.means, expected, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(adapted.mixtures.covars, model.mixtures.covars)
    assert map_adapt_means(model, feats[3:], words[3:]) is model
    with pytest.raises(ValueError, match="tau must be positive"):
        map_adapt_means(model, feats, words, tau=0.0)


def _component_frame_sums(model, graph, x):
    """Sum over frames of each component's posterior times the frame (G, M, D): the state
    posteriors of the graph's forward-backward shared by the components' responsibilities."""
    from hmmkit.composite import forward_backward
    from hmmkit.speech.embedded import with_graph_transitions

    mix = model.mixtures
    log_b = mix.frame_scores(x)[0]
    post = forward_backward(with_graph_transitions(graph, model), log_b)
    occupancy = post.state_occupancy  # (T, G)
    g, m, d = mix.means.shape
    comp = np.empty((len(x), g, m))
    for j in range(m):
        diff = (x[:, None, :] - mix.means[None, :, j]) ** 2 / mix.covars[None, :, j]
        comp[:, :, j] = np.log(mix.weights[:, j]) - 0.5 * (
            diff.sum(axis=2) + np.log(2 * np.pi * mix.covars[:, j]).sum(axis=1)
        )
    resp = np.exp(comp - np.logaddexp.reduce(comp, axis=2, keepdims=True))
    weight = occupancy[:, :, None] * resp  # (T, G, M)
    return np.einsum("tgm,td->gmd", weight, x)


def replace_means(bank, means):
    """The mixtures with other means."""
    return MixtureBank(bank.weights, means, bank.covars, "diag")


def _implied_frame_means(model, adapted, counts, tau):
    """The mean of the frames each component took, recovered from MAP's formula."""
    n = counts.reshape(model.mixtures.means.shape[:2] + (1,))
    shift = (adapted.mixtures.means - model.mixtures.means) * (tau + n)  # sum of (x - mu)
    return model.mixtures.means + shift / np.maximum(n, 1e-12)


def test_background_penalty_keeps_the_quiet_frames_out_of_the_word_states():
    model = tiny_model(2)
    rng = np.random.default_rng(3)

    def frames(n, low, high):
        return np.column_stack([rng.uniform(low, high, n), rng.normal(size=(n, 2))])

    # the ends' c0 lies in [-5, -4], the pause's below every end frame: all are background
    feats = [
        np.vstack(
            [
                frames(12, -5, -4),
                frames(8, 4.5, 6),
                frames(6, -6, -5),
                frames(8, 4.5, 6),
                frames(12, -5, -4),
            ]
        )
        for _ in range(3)
    ]
    words = [["a", "b"]] * 3
    # the word states start nearer the quiet frames than sil does, so unpenalised they take some
    means = model.mixtures.means.copy()
    means[:, :, 0] = 0.0
    means[:3, :, 0] = 20.0
    model = replace(model, mixtures=replace_means(model.mixtures, means))
    items = [
        (str(i), x, model.transcript_graph(w))
        for i, (x, w) in enumerate(zip(feats, words, strict=True))
    ]
    word_components = np.arange(3 * model.mixtures.n_mix, model.mixtures.n_groups * 2)
    for penalty, word_c0_all_loud in ((0.0, False), (1e3, True)):
        adapted = map_adapt_means(model, feats, words, tau=2.0, background_penalty=penalty)
        background = None if penalty == 0 else (penalty, 0.75, 10)
        counts = utterance_stats(model, items, np.inf, background=background).moments["n"]
        implied = _implied_frame_means(model, adapted, counts, 2.0).reshape(-1, 3)
        took = word_components[counts[word_components] > 0.5]
        assert len(took) > 0
        assert bool(np.all(implied[took, 0] > 4.0)) is word_c0_all_loud
    with pytest.raises(ValueError, match="background_penalty"):
        map_adapt_means(model, feats, words, background_penalty=-1.0)
