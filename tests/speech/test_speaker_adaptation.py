"""Unsupervised MAP adaptation of the means."""

import numpy as np
import pytest
from asr_factories import tiny_model

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
    s1 = before.moments["s1"].reshape(model.mixtures.means.shape)
    expected = (5.0 * model.mixtures.means + s1) / (5.0 + n)
    np.testing.assert_allclose(adapted.mixtures.means, expected)
    np.testing.assert_array_equal(adapted.mixtures.covars, model.mixtures.covars)
    assert map_adapt_means(model, feats[3:], words[3:]) is model
    with pytest.raises(ValueError, match="tau must be positive"):
        map_adapt_means(model, feats, words, tau=0.0)
