"""A profile with exact zero probabilities (e.g. trained without priors) still configures,
searches and aligns: 0 * log 0 counts as 0."""

import numpy as np

from hmmkit.profile import AMINO, ProfileHMM, align
from hmmkit.profile.config import configure


def zero_heavy_model(m=4):
    k = AMINO.size
    t = np.zeros((m + 1, 7))
    t[:, 0], t[:, 3], t[:, 5] = 1.0, 1.0, 1.0  # M->M, I->M, D->M only
    match = np.zeros((m + 1, k))
    match[0, 0] = 1.0
    for node in range(1, m + 1):
        match[node, node] = 1.0  # one residue per position, every other probability zero
    insert = np.zeros((m + 1, k))
    insert[:, 0] = 1.0
    t[m] = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    return ProfileHMM(AMINO, t, match, insert, name="zeros")


def test_zero_probabilities_give_finite_or_minus_infinite_scores_never_nan():
    model = zero_heavy_model()
    profile = configure(model, 10)
    for name in ("msc", "tsc", "isc"):
        values = getattr(profile, name)
        assert not np.any(np.isnan(values)), name
    consensus = "".join(AMINO.symbols[i] for i in range(1, 5))
    result = align(model, [("s1", consensus)])
    np.testing.assert_array_equal(result.assignments()[0], [1, 2, 3, 4])
    assert np.isfinite(result.scores[0])
