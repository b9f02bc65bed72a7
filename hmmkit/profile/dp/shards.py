"""Contiguous parts of a sequence batch for the filter kernels' threads."""

from __future__ import annotations

import numpy as np

from ...training.parallel import resolve_n_jobs

#: Parts per thread: several, so that a thread slowed by a busy machine holds up little.
PARTS_PER_JOB = 4
#: No part is made smaller than this many residues (a thread's start costs more).
MIN_PART_RESIDUES = 200_000


def shard_slices(lengths: np.ndarray, n_jobs: int | None) -> list[slice]:
    """Slices of a batch of sequences of `lengths`, of about equal residue counts, for
    `n_jobs` threads (None: all cores); one slice over everything for one thread."""
    jobs = resolve_n_jobs(n_jobs)
    total = int(np.sum(lengths))
    parts = min(jobs * PARTS_PER_JOB, total // MIN_PART_RESIDUES, len(lengths))
    if jobs <= 1 or parts <= 1:
        return [slice(0, len(lengths))]
    cumulative = np.cumsum(lengths)
    cuts = np.searchsorted(cumulative, np.linspace(0, total, parts + 1)[1:-1], side="right")
    bounds = [0, *sorted(set(int(c) for c in cuts) - {0, len(lengths)}), len(lengths)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
