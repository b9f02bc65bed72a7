"""Frame moments without joining the utterances, against NumPy's of the joined frames."""

import numpy as np
import pytest

from hmmkit.speech.frame_moments import frame_moments


def _utterances(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(loc=3.0, scale=5.0, size=(int(rng.integers(1, 300)), 13)) for _ in range(40)]


def test_the_moments_are_numpys_of_the_joined_frames_bit_for_bit():
    features = _utterances()
    mean, var = frame_moments(features)
    frames = np.concatenate(features)
    np.testing.assert_array_equal(mean, frames.mean(axis=0))
    np.testing.assert_array_equal(var, frames.var(axis=0))


def test_floors_keep_the_rows_above_each_utterances_floor():
    features = _utterances(1)
    floors = [float(np.median(x[:, 0])) for x in features]
    mean, var = frame_moments(features, floors)
    kept = np.concatenate([x[x[:, 0] > f] for x, f in zip(features, floors, strict=True)])
    np.testing.assert_array_equal(mean, kept.mean(axis=0))
    np.testing.assert_array_equal(var, kept.var(axis=0))


def test_nan_frames_give_nan_moments_and_bad_input_is_refused():
    features = _utterances(2)
    features[3][5, 2] = np.nan
    mean, var = frame_moments(features)
    assert np.isnan(mean[2]) and np.isnan(var[2]) and np.isfinite(mean[1])
    with pytest.raises(ValueError, match="no frames"):
        frame_moments([])
    with pytest.raises(ValueError, match="alike"):
        frame_moments([np.zeros((3, 2)), np.zeros((3, 4))])
    with pytest.raises(ValueError, match="one floor per utterance"):
        frame_moments(features, [0.0])
