"""Frame moments of many utterances against NumPy's of their frames stacked, bit for bit."""

import numpy as np
import pytest

from hmmkit.speech.equalisation import gaussianise
from hmmkit.speech.frame_moments import frame_moments


def _utterances(seed=0, dim=13, n=40):
    rng = np.random.default_rng(seed)
    return [rng.normal(loc=3.0, scale=5.0, size=(int(rng.integers(1, 300)), dim)) for _ in range(n)]


def _numpys(features, floors=None):
    if floors is not None:
        features = [x[x[:, 0] > f] for x, f in zip(features, floors, strict=True)]
    stack = np.concatenate(features)
    return stack.mean(axis=0), stack.var(axis=0)


def _assert_numpys(features, floors=None):
    mean, var = frame_moments(features, floors)
    want_mean, want_var = _numpys(features, floors)
    np.testing.assert_array_equal(mean, want_mean)
    np.testing.assert_array_equal(var, want_var)


@pytest.mark.parametrize("dim", [1, 2, 3, 13, 39])
def test_the_moments_are_numpys_of_the_stacked_frames(dim):
    features = _utterances(dim=dim)
    _assert_numpys(features)
    _assert_numpys(features, [float(np.median(x[:, 0])) for x in features])


def test_other_layouts_and_types_are_numpys_too():
    equalised = gaussianise(_utterances(1))
    assert not np.concatenate(equalised).flags.c_contiguous  # NumPy sums these pairwise
    strided = [x[::2] for x in _utterances(2)]
    single = [x.astype(np.float32) for x in _utterances(3)]
    for features in (equalised, strided, single):
        _assert_numpys(features)
        _assert_numpys(features, [float(np.median(x[:, 0])) for x in features])


def test_nan_frames_give_nan_moments_and_bad_input_is_refused():
    features = _utterances(5)
    features[3][0, 2] = np.nan
    mean, var = frame_moments(features)
    assert np.isnan(mean[2]) and np.isnan(var[2]) and np.isfinite(mean[1])
    with pytest.raises(ValueError, match="no frames"):
        frame_moments([])
    with pytest.raises(ValueError, match="one floor per utterance"):
        frame_moments(features, [0.0])
