"""Sufficient statistics: sums in a fixed order, inputs left alone."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.stats import Stats, sum_stats


def parts(n=4):
    rng = np.random.default_rng(0)
    return [
        Stats({"trans": rng.random((3, 3)), "n": rng.random(3)}, -float(i), i + 1, 10 * i)
        for i in range(n)
    ]


def test_sum_equals_left_to_right_addition_bit_for_bit():
    given = parts()
    before = [{k: v.copy() for k, v in p.items()} for p in given]
    total = sum_stats(given)
    expected = ((given[0] + given[1]) + given[2]) + given[3]
    for key in expected:
        assert np.array_equal(total[key], expected[key])
    assert (total.log_likelihood, total.n_sequences, total.n_frames) == (-6.0, 10, 60)
    for p, b in zip(given, before, strict=True):  # the parts are not written into
        for key in b:
            assert np.array_equal(p[key], b[key])


def test_one_part_is_copied_and_integer_counts_become_float():
    one = Stats({"c": np.array([1, 2, 3])}, 0.0, 1, 3)
    total = sum_stats([one])
    total["c"][0] = 99
    assert one["c"][0] == 1 and total["c"].dtype == np.float64


def test_empty_and_mismatched_sums_are_refused():
    with pytest.raises(ValueError, match="no statistics"):
        sum_stats([])
    with pytest.raises(ValueError, match="different models"):
        sum_stats([Stats({"a": np.zeros(2)}), Stats({"b": np.zeros(2)})])
