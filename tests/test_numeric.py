"""The compiled numeric helpers against numpy (the helpers that only kernels call are run
through a small kernel, as the library runs them)."""

import numpy as np
import pytest

from hmmkit.compiling import njit
from hmmkit.numeric import _CHECK_BLOCK, all_finite, all_within, max_int, min_int
from hmmkit.numeric import exp_nonpositive as _exp_nonpositive
from hmmkit.numeric import log_positive as _log_positive


@njit(cache=False)
def exp_nonpositive(values):
    _exp_nonpositive(values)


@njit(cache=False)
def log_positive(values):
    _log_positive(values)


def test_kernel_only_helpers_refuse_a_call_from_python():
    with pytest.raises(TypeError, match="exp_nonpositive runs inside compiled kernels only"):
        _exp_nonpositive(np.zeros(3))


def test_exp_of_non_positive_values_matches_numpy():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [-rng.exponential(50.0, size=10_000), [0.0, -0.0, -1e-300, -700.0, -707.9]]
    )
    expected = np.exp(values)
    got = values.copy()
    exp_nonpositive(got)
    np.testing.assert_allclose(got, expected, rtol=3e-16, atol=0)


def test_exp_below_the_cutoff_and_of_minus_infinity_is_zero():
    values = np.array([-np.inf, -800.0, -1e308])
    exp_nonpositive(values)
    assert np.all(values == 0.0)


def test_log_of_positive_values_matches_numpy():
    rng = np.random.default_rng(2)
    tiny, huge = np.finfo(float).tiny, np.finfo(float).max
    values = np.concatenate(
        [
            np.exp(rng.uniform(-700.0, 700.0, size=10_000)),  # every binade
            rng.uniform(1.0, 3.0, size=5_000),  # mixture sums
            1.0 + rng.uniform(-1e-6, 1e-6, size=2_000),  # logarithms near zero
            [1.0, 2.0, 0.5, np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 2.0), tiny, huge],
        ]
    )
    expected = np.log(values)
    got = values.copy()
    log_positive(got)
    np.testing.assert_allclose(got, expected, rtol=5e-16, atol=0)
    assert got[-7] == 0.0


def test_log_of_zero_is_minus_infinity_in_any_position():
    values = np.full(5_000, 2.0)
    values[[0, 2_047, 2_048, 4_999]] = 0.0
    log_positive(values)
    assert np.all(values[[0, 2_047, 2_048, 4_999]] == -np.inf)
    assert np.all(np.isfinite(np.delete(values, [0, 2_047, 2_048, 4_999])))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_all_finite_finds_one_bad_value_anywhere(bad):
    values = np.random.default_rng(1).normal(size=5_001) * 1e300
    assert all_finite(values)
    for position in (0, 2_500, 5_000):
        spoiled = values.copy()
        spoiled[position] = bad
        assert not all_finite(spoiled)


def test_all_finite_accepts_extremes_and_empty_arrays():
    assert all_finite(np.array([np.finfo(float).max, -np.finfo(float).max, 5e-324, -0.0]))
    assert all_finite(np.empty(0))


def test_bit_reinterpretation_round_trips_and_equals_numpy_views():
    from numba import njit

    from hmmkit.numeric import bits_float, float_bits

    @njit
    def through_bits(values, bits, back):
        for i in range(values.shape[0]):
            bits[i] = float_bits(values[i])
            back[i] = bits_float(bits[i])

    values = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, 5e-324, np.finfo(float).max])
    bits, back = np.empty(len(values), dtype=np.int64), np.empty(len(values))
    through_bits(values, bits, back)
    np.testing.assert_array_equal(bits, values.view(np.int64))
    np.testing.assert_array_equal(back.view(np.int64), values.view(np.int64))


@pytest.mark.parametrize("where", [0, _CHECK_BLOCK - 1, _CHECK_BLOCK, 2 * _CHECK_BLOCK + 5])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e151, -1e151])
def test_all_within_finds_a_value_beyond_the_bound_in_any_block(where, bad):
    values = np.random.default_rng(0).uniform(-1e150, 1e150, size=2 * _CHECK_BLOCK + 7)
    assert all_within(values, 1e150)
    values[where] = bad
    assert not all_within(values, 1e150)
    assert all_within(values[:0], 1.0)


@njit(cache=False)
def _int_extremes(pairs):
    out = np.empty((len(pairs), 2), dtype=np.int64)
    for i in range(len(pairs)):
        out[i, 0] = min_int(pairs[i, 0], pairs[i, 1])
        out[i, 1] = max_int(pairs[i, 0], pairs[i, 1])
    return out


def test_integer_min_and_max_match_the_builtins():
    pairs = np.array([[3, 5], [5, 3], [-2, -2], [0, -7], [2**62, -(2**62)]], dtype=np.int64)
    expected = [[min(a, b), max(a, b)] for a, b in pairs.tolist()]
    assert _int_extremes(pairs).tolist() == expected
