"""Path scores and domain indexing of traces, on every enumerated path of tiny profiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brute_force import CONFIGS, random_model, tiny_case, traced_paths

from hmmkit.profile import DNA, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.plan7 import ST_B, ST_E, ST_M


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_trace_score_is_the_log_odds_of_the_path(mode, multihit):
    profile, dsq = tiny_case(37, 3, "TGCA", mode, multihit)
    paths = traced_paths(profile, dsq)
    assert len(paths) > 20
    for odds, st, kk, ii in paths:
        assert dp.trace_score(profile, dsq, st, kk, ii) == pytest.approx(math.log(odds), abs=1e-9)


def test_glocal_exit_before_the_last_node_scores_minus_infinity():
    rng = np.random.default_rng(41)
    model = random_model(rng, M=3)
    dsq = digitize("AC", DNA)
    local = configure(model, len(dsq), mode="local")
    early = [p for p in traced_paths(local, dsq) if p[2][list(p[1]).index(ST_E) - 1] < 3]
    _, st, kk, ii = early[0]
    glocal = configure(model, len(dsq), mode="glocal")
    assert dp.trace_score(glocal, dsq, st, kk, ii) == -math.inf


def test_trace_domains_index_every_domain():
    """Each B..E segment of a path: its trace indices, first/last residue emitted by a match
    state and first/last match state, read off the path step by step."""
    profile, dsq = tiny_case(43, 2, "ACGTA")
    n_multi = 0
    for _, st, kk, ii in traced_paths(profile, dsq):
        starts = np.flatnonzero(st == ST_B)
        ends = np.flatnonzero(st == ST_E)
        want = []
        for b, e in zip(starts, ends, strict=True):
            match = [z for z in range(b, e) if st[z] == ST_M]
            want.append([b, e, ii[match[0]], ii[match[-1]], kk[match[0]], kk[match[-1]]])
        np.testing.assert_array_equal(dp.trace_domains(st, kk, ii), np.array(want).reshape(-1, 6))
        n_multi += len(starts) > 1
    assert n_multi > 10
