"""How the pipeline schedules its work: which sequences are decoded side by side."""

from __future__ import annotations

import numpy as np

from hmmkit.profile import dp
from hmmkit.profile.search import scoring


def _decoding_cost(lengths: list[int], alone: int) -> float:
    """Cost (batch steps) of decoding the `alone` longest of `lengths` (descending) one by
    one and the rest side by side, counted sequence by sequence."""
    rest = lengths[alone:]
    steps = max(max(rest, default=0), sum(rest) / dp.PARSER_LANES)
    return steps + scoring.SINGLE_RESIDUE_STEPS * sum(lengths[:alone])


def test_single_count_is_the_cheapest_split():
    """The number of longest sequences decoded alone is the one of least cost, found by
    trying every split, on lengths from a few sequences to several lane widths, some with
    a few very long sequences."""
    rng = np.random.default_rng(3)
    for trial in range(200):
        n = int(rng.integers(1, 400))
        lengths = rng.integers(20, 800, size=n)
        if trial % 2:
            lengths[: int(rng.integers(1, 4))] = rng.integers(2000, 6000)
        lengths = sorted((int(v) for v in lengths), reverse=True)
        costs = [_decoding_cost(lengths, k) for k in range(n + 1)]
        chosen = scoring._single_count(np.array(lengths, dtype=np.float64))
        assert abs(costs[chosen] - min(costs)) <= 1e-9 * max(costs)


def test_decoding_chunks_share_out_each_sequence_once():
    """Every sequence is in at most one chunk, the chunks are one per thread at most and
    their longest sequences alike; the sequences left out are the longest of their chunk."""
    rng = np.random.default_rng(4)
    lengths = rng.integers(30, 900, size=1000)
    lengths[[5, 50, 500]] = 5000
    block = [(int(i), 0.0) for i in rng.permutation(1000)[:600]]
    for jobs in (1, 2, 3):
        chunks = scoring._decoding_chunks(block, lengths, jobs)
        assert 1 <= len(chunks) <= jobs
        taken = [idx for chunk in chunks for idx, _ in chunk]
        assert len(taken) == len(set(taken))
        assert set(taken) <= {idx for idx, _ in block}
        alone = {idx for idx, _ in block} - set(taken)
        assert {5, 50, 500} & {idx for idx, _ in block} <= alone
        if alone:
            assert min(lengths[list(alone)]) >= max(lengths[taken])
        longest = [max(lengths[idx] for idx, _ in chunk) for chunk in chunks]
        assert max(longest) - min(longest) <= 60
