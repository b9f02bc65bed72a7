"""The speaker's background model: its frames and its fit."""

import numpy as np
import pytest

from hmmkit.speech.background_model import edge_frames, fit_background


def test_edge_frames_are_each_utterances_first_and_last_frames():
    a = np.arange(20.0)[:, None] * np.ones((1, 2))
    b = 100 + np.arange(5.0)[:, None] * np.ones((1, 2))
    frames = edge_frames([a, b], 3)
    expected = np.concatenate([a[:3], a[-3:], b])  # b is too short: all of it, once
    np.testing.assert_array_equal(frames, expected)
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="edge must be an integer >= 1"):
            edge_frames([a], bad)
    with pytest.raises(ValueError, match="no utterances"):
        edge_frames([], 3)


def test_the_background_mixture_fits_the_edges_and_shrinks_with_few_frames():
    rng = np.random.default_rng(0)
    quiet = [
        np.concatenate(
            [
                rng.normal(-3, 0.3, (10, 2)),
                rng.normal(3, 0.3, (30, 2)),
                rng.normal(-3, 0.3, (10, 2)),
            ]
        )
        for _ in range(20)
    ]
    gmm = fit_background(quiet, 10, 4)
    assert gmm.n_components == 4
    speech, noise = np.full((1, 2), 3.0), np.full((1, 2), -3.0)
    assert gmm.score_samples(noise)[0] > gmm.score_samples(speech)[0] + 10
    assert fit_background(quiet[:1], 10, 4).n_components == 2  # 20 frames: 10 a component
    for bad in (0, True, 2.5):
        with pytest.raises(ValueError, match="n_components must be an integer >= 1"):
            fit_background(quiet, 10, bad)
