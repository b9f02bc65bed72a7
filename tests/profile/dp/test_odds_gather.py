"""The Forward lanes' match odds, gathered by vector permutes (on AVX-512) or cell by cell,
against numpy's indexing."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from hmmkit.profile.dp import odds_gather


@numba.njit
def gathered(me_t, xs, M, W):
    er = np.full((M + 1, W), -1.0, dtype=me_t.dtype)
    odds_gather.gather_odds(er, me_t, xs, M, W)
    return er


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("codes", "M", "W"),
    [(29, 178, 128), (18, 5, 37), (32, 40, 16), (33, 7, 32), (29, 1, 8), (21, 300, 48), (4, 9, 16)],
)
def test_each_lane_reads_its_own_codes_odds(dtype, codes, M, W):
    rng = np.random.default_rng(codes * M + W)
    me_t = rng.random((M + 1, codes)).astype(dtype)
    xs = rng.integers(0, codes, size=W).astype(np.int64)
    xs[: min(W, 4)] = codes - 1  # the last code: the end of the last node's row
    er = gathered(me_t, xs, M, W)
    assert np.array_equal(er[1:], me_t[1:, xs])
    assert (er[0] == -1.0).all()  # node 0 is not written


def test_the_permutes_are_used_where_the_machine_has_them():
    from llvmlite import binding

    has = bool(binding.get_host_cpu_features().get("avx512f"))
    if numba.config.CPU_FEATURES:
        has = "+avx512f" in numba.config.CPU_FEATURES.split(",")
    assert odds_gather.PERMUTE == (has and numba.config.CPU_NAME in (None, "host"))
    with pytest.raises(TypeError, match="compiled kernels only"):
        odds_gather.gather_odds(None, None, None, 1, 1)
