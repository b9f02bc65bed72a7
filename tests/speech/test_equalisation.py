"""Histogram equalisation: ranks to normal quantiles, per group, through the front end."""

import numpy as np
import pytest
from scipy.stats import norm

from hmmkit.speech.equalisation import gaussianise
from hmmkit.speech.features import MFCCConfig, normalise


def test_values_become_the_normal_quantiles_of_their_ranks():
    rng = np.random.default_rng(0)
    a, b = rng.gamma(2.0, size=(7, 3)), rng.gamma(2.0, size=(5, 3)) + 4.0
    out = gaussianise([a, b])
    assert [o.shape for o in out] == [a.shape, b.shape]
    stacked, warped = np.concatenate([a, b]), np.concatenate(out)
    for d in range(3):  # brute force: rank by counting
        for x, y in zip(stacked[:, d], warped[:, d], strict=True):
            rank = (stacked[:, d] < x).sum() + 1
            assert y == pytest.approx(norm.ppf((rank - 0.5) / len(stacked)))
    assert np.all(out[1] > out[0].max(axis=0))  # order kept across the group


def test_ties_share_their_mean_rank_and_the_map_is_monotone():
    x = np.array([[1.0], [1.0], [3.0], [0.0]])
    (y,) = gaussianise([x])
    assert y[0, 0] == y[1, 0] == pytest.approx(norm.ppf((2.5 - 0.5) / 4))
    assert y[3, 0] < y[0, 0] < y[2, 0]


def test_normalise_equalises_each_speaker_alone():
    rng = np.random.default_rng(1)
    feats = [rng.normal(size=(20, 2)) * s + s for s in (1.0, 5.0, 5.0)]
    out = normalise(feats, "speaker", speakers=["a", "b", "b"], equalise=True)
    np.testing.assert_allclose(out[0], gaussianise([feats[0]])[0])
    together = gaussianise(feats[1:])
    np.testing.assert_allclose(out[1], together[0])
    np.testing.assert_allclose(out[2], together[1])
    per_utt = normalise(feats, "utterance", equalise=True)
    np.testing.assert_allclose(per_utt[2], gaussianise([feats[2]])[0])


def test_equalise_needs_a_group():
    with pytest.raises(ValueError, match="equalise"):
        MFCCConfig(normalise="none", equalise=True)
    assert MFCCConfig.from_dict(MFCCConfig(equalise=True).to_dict()).equalise
