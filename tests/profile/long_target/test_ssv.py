"""The striped SSV scan of long targets against the SSV recurrence written out row by
row in numpy: the same seeds for models of every width (one node, under one vector,
between vectors, several vectors) and thresholds from many seeds to none."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile.long_target.ssv import SSVSeeder, _ssv_diagonal


def _reference_seeds(seeder: SSVSeeder, dsq: np.ndarray) -> np.ndarray:
    """The scan as the recurrence reads: cell (i, k) = saturated byte of
    max(cell (i-1, k-1), xb) + bias - cost; the first row with a cell at the threshold
    gives a seed, and the scan restarts from zero after the seed's end."""
    costs, bias, th = seeder.costs.astype(np.int64), seeder.bias, seeder.sc_thresh
    M = costs.shape[1] - 1
    seeds = []
    prev = np.zeros(M + 1, dtype=np.int64)
    i = 0
    while i < len(dsq):
        cur = np.zeros(M + 1, dtype=np.int64)
        lifted = np.minimum(np.maximum(prev[:-1], seeder.xb) + bias, 255)
        cur[1:] = np.maximum(lifted - costs[dsq[i], 1:], 0)
        if cur.max() >= th:
            start, end, length, max_end = _ssv_diagonal.py_func(
                dsq, seeder.costs, cur.astype(np.uint8), i, bias, seeder.floor, th, seeder.order
            )
            seeds.append((start, end, length))
            prev = np.zeros(M + 1, dtype=np.int64)
            i = max_end
            continue
        prev = cur
        i += 1
    return np.array(seeds, dtype=np.int64).reshape(-1, 3)


@pytest.mark.parametrize("M", [1, 7, 16, 17, 40, 80, 161])
def test_striped_scan_finds_the_recurrences_seeds(M):
    rng = np.random.default_rng(M)
    costs = rng.integers(0, 45, size=(18, M + 1)).astype(np.uint8)
    costs[:, 0] = 255
    costs[4:, :] = np.maximum(costs[4:, :], 30)  # degenerate codes cost more
    dsq = rng.integers(0, 18, size=4000).astype(np.uint8)
    dsq[rng.random(4000) < 0.8] %= 4
    counts = []
    for th in (200, 215, 240, 256, 400):
        seeder = SSVSeeder(costs, 20, M, 300, th)
        seeds = seeder.seeds(dsq)
        assert np.array_equal(seeds, _reference_seeds(seeder, dsq)), th
        counts.append(len(seeds))
    assert counts[-1] == 0
    assert counts[0] > 0 or M == 1  # one node cannot reach the lowest threshold
