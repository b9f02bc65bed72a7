"""Frame moments against NumPy's mean and var, bit for bit."""

import numpy as np
import pytest

from hmmkit.speech.equalisation import gaussianise
from hmmkit.speech.frame_moments import frame_moments


def _frames(seed=0, n=5000):
    return np.random.default_rng(seed).normal(loc=3.0, scale=5.0, size=(n, 13))


@pytest.mark.parametrize("n", [1, 7, 5000])
def test_the_moments_are_numpys_bit_for_bit(n):
    frames = _frames(n=n)
    mean, var = frame_moments(frames)
    np.testing.assert_array_equal(mean, frames.mean(axis=0))
    np.testing.assert_array_equal(var, frames.var(axis=0))


def test_other_layouts_and_types_are_numpys_too():
    equalised = np.concatenate(gaussianise([_frames(1, 300), _frames(2, 200)]))
    assert not equalised.flags.c_contiguous  # NumPy sums these pairwise
    for frames in (equalised, _frames(3)[::2], _frames(4).astype(np.float32)):
        mean, var = frame_moments(frames)
        np.testing.assert_array_equal(mean, frames.mean(axis=0))
        np.testing.assert_array_equal(var, frames.var(axis=0))


def test_nan_frames_give_nan_moments_and_bad_shapes_are_refused():
    frames = _frames(5)
    frames[5, 2] = np.nan
    mean, var = frame_moments(frames)
    assert np.isnan(mean[2]) and np.isnan(var[2]) and np.isfinite(mean[1])
    with pytest.raises(ValueError, match="n_frames, n_features"):
        frame_moments(np.zeros(4))
