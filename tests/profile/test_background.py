"""The null model's length scores looked up by length."""

from __future__ import annotations

import math

import numpy as np

from hmmkit.profile.alphabet import AMINO
from hmmkit.profile.background import Background, null1_scores


def _by_hand(length: int) -> float:
    """HMMER's null1 score of a length (p7_bg_NullOne), written out as it does."""
    p1 = float(np.float32(length) / np.float32(length + 1))
    return float(np.float32(length * math.log(p1) + math.log(1.0 - p1)))


def test_null1_scores_are_the_null_score_of_each_length():
    """Lengths in any order and repeated, the table growing from call to call (longer
    lengths later, shorter ones already seen, new ones in between): every value is the
    length's own, -inf for an empty sequence."""
    bg = Background.default(AMINO)
    rng = np.random.default_rng(0)
    for top in (5, 400, 100, 7000, 3000):
        lengths = rng.integers(0, top, size=500)
        lengths[0] = 0
        expected = [-math.inf if n == 0 else _by_hand(int(n)) for n in lengths]
        assert null1_scores(lengths).tolist() == expected
        nonempty = lengths > 0
        assert [bg.null_score(int(n)) for n in lengths[nonempty]] == [
            v for v, keep in zip(expected, nonempty, strict=True) if keep
        ]
    assert null1_scores(np.zeros(0, dtype=np.int64)).shape == (0,)
