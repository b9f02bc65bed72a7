"""Viterbi and its traceback against brute-force path enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force import CONFIGS, random_model, traced_paths

from hmmkit.profile import DNA, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize


def test_viterbi_trace_scores_its_own_score():
    rng = np.random.default_rng(3)
    model = random_model(rng, M=12)
    dsq = digitize("".join(rng.choice(list("ACGT"), size=40)), DNA)
    for mode, multihit in CONFIGS:
        profile = configure(model, len(dsq), mode=mode, multihit=multihit)
        local = 1.0 if profile.local else 0.0
        args = (dsq, profile.tsc, profile.msc, profile.isc, profile.xsc, local)
        *mats, score = dp.viterbi_matrix(*args)
        st, kk, ii = dp.viterbi_trace(*args, *mats)
        assert dp.trace_score(profile, dsq, st, kk, ii) == pytest.approx(score, abs=1e-9)
        emitted = ii[ii > 0]
        np.testing.assert_array_equal(emitted, np.arange(1, len(dsq) + 1))


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_viterbi_trace_is_the_most_probable_path(mode, multihit):
    """The traceback returns a path of largest odds among all enumerated paths (several
    may tie: an N, C or J loop emits any residue with the same probability)."""
    rng = np.random.default_rng(31)
    for trial in range(3):
        model = random_model(rng, M=3)
        dsq = digitize("".join(rng.choice(list("ACGT"), size=3 + trial % 2)), DNA)
        profile = configure(model, len(dsq), mode=mode, multihit=multihit)
        local = 1.0 if profile.local else 0.0
        args = (dsq, profile.tsc, profile.msc, profile.isc, profile.xsc, local)
        *mats, score = dp.viterbi_matrix(*args)
        st, kk, ii = dp.viterbi_trace(*args, *mats)
        paths = traced_paths(profile, dsq)
        best = max(odds for odds, *_ in paths)
        assert score == pytest.approx(np.log(best), abs=1e-9)
        found = [odds for odds, bst, bkk, bii in paths
                 if np.array_equal(st, bst) and np.array_equal(kk, bkk) and np.array_equal(ii, bii)]
        assert found == [pytest.approx(best, rel=1e-12)]
