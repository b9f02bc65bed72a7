"""Easel's fast random number generator, deviate for deviate against Easel's (pyhmmer)."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import dp


def test_rng_reproduces_easel():
    easel = pytest.importorskip("pyhmmer.easel")
    ref = easel.Randomness(42, fast=True)
    state = dp.rng_state(42)
    expected = [ref.random() for _ in range(1000)]
    got = [dp.rng_uniform(state) for _ in range(1000)]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)


def test_choices_follow_easels_deviates():
    """esl_rnd_FChoose: the first index whose cumulative normalised weight exceeds the
    deviate, with the deviates of Easel's own generator."""
    easel = pytest.importorskip("pyhmmer.easel")
    ref = easel.Randomness(7, fast=True)
    state = dp.rng_state(7)
    weights = np.array([0.1, 0.4, 0.0, 0.3, 0.2]) * 3.0
    cumulative = np.cumsum(weights) / weights.sum()
    for _ in range(500):
        expected = int(np.searchsorted(cumulative, ref.random(), side="right"))
        assert dp.rng_choose(state, weights) == expected


def test_iid_sequences_follow_easels_deviates():
    easel = pytest.importorskip("pyhmmer.easel")
    ref = easel.Randomness(11, fast=True)
    freqs = np.array([0.3, 0.2, 0.2, 0.3], dtype=np.float32)
    cumulative = np.cumsum(freqs.astype(np.float64)) / freqs.astype(np.float64).sum()
    expected = [int(np.searchsorted(cumulative, ref.random(), side="right")) for _ in range(300)]
    np.testing.assert_array_equal(dp.random_iid(dp.rng_state(11), freqs, 300), expected)
