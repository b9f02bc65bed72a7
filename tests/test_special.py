"""hmmkit.special.gammaln against scipy.special.gammaln."""

import numpy as np
import pytest
from scipy import special

from hmmkit.special import gammaln


def test_gammaln_equals_scipy_over_the_range_priors_and_counts_use():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(1e-4, 1.0, 1000), rng.uniform(1, 1e6, 1000),
                        np.arange(1.0, 300.0), [0.5, 1.0, 2.0, 1e-300, 1e300]])  # fmt: skip
    np.testing.assert_allclose(gammaln(x), special.gammaln(x), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("shape", [(), (0,), (3, 4), (2, 3, 5)])
def test_gammaln_keeps_the_shape(shape):
    x = np.full(shape, 3.5)
    out = gammaln(x)
    assert out.shape == shape and out.dtype == np.float64
    np.testing.assert_allclose(out, special.gammaln(x))


def test_gammaln_of_a_strided_view_and_of_poles_and_nan():
    x = np.arange(1.0, 21.0)[::3]
    np.testing.assert_allclose(gammaln(x), special.gammaln(x))
    out = gammaln([0.0, -1.0, -2.5, np.inf, np.nan])
    assert out[0] == out[1] == np.inf and out[3] == np.inf and np.isnan(out[4])
    np.testing.assert_allclose(out[2], special.gammaln(-2.5))
