"""The striped 16-bit Viterbi filter of long-target windows against the filter's
recurrence written out in numpy (every delete path evaluated on every row): the same
seeds -- window, row, model position, in HMMER's order -- for model widths from one node
to several vectors, with delete paths that matter and thresholds from many seeds to
none."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile.dp import viterbi_word_profile
from hmmkit.profile.long_target.viterbi import ViterbiSeeder, _viterbi_windows
from hmmkit.profile.long_target.windows import WORD_BASE


def _sat(x):
    return np.clip(x, -32768, 32767)


def _reference_seeds(seeder, rwv, twv, dsq, starts, lengths, moves, thresholds):
    M = rwv.shape[1] - 1
    NEG = -32768
    rows = []
    for w, (lo, L) in enumerate(zip(starts, lengths, strict=True)):
        mp = np.full(M + 1, NEG, dtype=np.int64)
        ip, dp_ = mp.copy(), mp.copy()
        xN = WORD_BASE
        xB = int(_sat(xN + moves[w]))
        xJ = NEG
        for i in range(L):
            mc = np.full(M + 1, NEG, dtype=np.int64)
            into = np.maximum.reduce([
                _sat(xB + twv[0, 1:]), _sat(mp[:-1] + twv[1, 1:]),
                _sat(ip[:-1] + twv[2, 1:]), _sat(dp_[:-1] + twv[3, 1:]),
            ])  # fmt: skip
            mc[1:] = _sat(into + rwv[dsq[lo + i], 1:])
            ic = np.full(M + 1, NEG, dtype=np.int64)
            ic[1:] = np.maximum(_sat(mp[1:] + twv[5, 1:]), _sat(ip[1:] + twv[6, 1:]))
            xE = int(mc[1:].max())
            if xE >= thresholds[w]:
                rows += [(w, i + 1, int(k)) for k in seeder.order if mc[k] == xE]
                mp, ip, dp_ = (np.full(M + 1, NEG, dtype=np.int64) for _ in range(3))
                continue
            xJ = max(xJ, int(_sat(xE + seeder.e_loop)))
            xB = max(int(_sat(xJ + moves[w])), int(_sat(xN + moves[w])))
            dc = np.full(M + 1, NEG, dtype=np.int64)
            for k in range(2, M + 1):
                step = max(int(mc[k - 1]) + int(twv[4, k - 1]), int(dc[k - 1]) + int(twv[7, k - 1]))
                dc[k] = min(32767, max(-32768, step))
            mp, ip, dp_ = mc, ic, dc
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


@pytest.mark.parametrize("M", [1, 3, 15, 16, 17, 40, 90])
def test_striped_filter_finds_the_recurrences_seeds(M):
    rng = np.random.default_rng(M)
    tsc = np.log(rng.uniform(0.02, 1.0, size=(M + 1, 9)))
    tsc[:, 7] = np.log(rng.uniform(0.5, 1.0, size=M + 1))  # long delete paths score well
    msc = np.log(rng.uniform(0.1, 3.5, size=(18, M + 1)))
    rwv, twv = viterbi_word_profile(tsc, msc)
    seeder = ViterbiSeeder((rwv, twv), (-6.0, 0.7), 0.02)
    dsq = rng.integers(0, 4, size=6000).astype(np.uint8)
    starts = np.array([0, 700, 2000, 2100, 4000])
    lengths = np.array([650, 1200, 90, 1500, 1999])
    moves = np.array([seeder.move(int(min(n, 300))) for n in lengths])
    counts = []
    for lift in (-4000, 0, 3000, 40000):
        thresholds = np.full(len(starts), WORD_BASE + lift)
        expected = _reference_seeds(seeder, rwv, twv, dsq, starts, lengths, moves, thresholds)
        found = _viterbi_windows(dsq, starts, lengths, seeder.Q, seeder.emissions,
                                 seeder.trans, seeder.node_at, seeder.dd_bound, seeder.e_move,
                                 seeder.e_loop, moves, moves, thresholds, seeder.order)  # fmt: skip
        assert np.array_equal(found, expected), lift
        counts.append(len(found))
    assert counts[0] > 0 and counts[-1] == 0
