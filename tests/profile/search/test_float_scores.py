"""HMMER's single-precision score arithmetic: p7_FLogsum's table and esl_vec_FSum."""

from __future__ import annotations

import math

import numpy as np

from hmmkit.profile.search.float_scores import flogsum, fsum


def test_flogsum_is_the_table_lookup_of_p7_flogsum():
    f32 = np.float32
    assert flogsum(0.0, 0.0) == f32(math.log(2.0))
    assert flogsum(0.0, -np.inf) == 0.0
    assert flogsum(-3.0, 20.0) == f32(20.0)  # 23 nats apart: the larger alone
    # the difference is truncated to thousandths: 0.0019 reads the entry of 0.001
    assert flogsum(f32(0.0019), 0.0) == f32(f32(0.0019) + f32(math.log(1.0 + math.exp(-0.001))))
    rng = np.random.default_rng(0)
    for a, b in rng.uniform(-20, 20, size=(200, 2)):
        got = float(flogsum(a, b))
        assert abs(got - float(np.logaddexp(f32(a), f32(b)))) < 6e-4
        assert flogsum(b, a) == got


def test_fsum_is_kahan_compensated_in_single_precision():
    values = np.array([1.0, 1e-8, 1e-8, 1e-8, -1.0] * 50)
    total = np.float32(0.0)
    carry = np.float32(0.0)
    for v in values.astype(np.float32):
        y = np.float32(v - carry)
        t = np.float32(total + y)
        carry = np.float32(np.float32(t - total) - y)
        total = t
    assert fsum(values) == total
    assert fsum(np.zeros(0)) == 0.0
