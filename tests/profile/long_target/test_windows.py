"""Windows around seeds (p7_pli_ExtendAndMergeWindows), worked out by hand."""

from __future__ import annotations

import numpy as np

from hmmkit.profile.long_target.windows import extend_and_merge


def test_windows_extend_by_the_model_share_clip_and_merge():
    prefix = np.array([0.0, 0.0, 0.25, 0.5, 0.75], dtype=np.float32)  # M = 4
    suffix = np.array([0.0, 0.75, 0.5, 0.25, 0.0], dtype=np.float32)
    # seed (start 50, model end 3, length 2): before = 100 * (0.1 + prefix[2]) = 35,
    # after = 100 * (0.1 + suffix[3]) = 35 -> [15, 87]
    assert extend_and_merge([(50, 3, 2)], prefix, suffix, 100, 1000, 0.0).tolist() == [[15, 73]]
    # near the ends: clipped to 1 and L
    assert extend_and_merge([(5, 3, 2)], prefix, suffix, 100, 30, 0.0).tolist() == [[1, 30]]
    # [15, 87] and [75, 147] overlap by 13 residues: merged at 0.0, kept apart at 0.5
    seeds = [(50, 3, 2), (110, 3, 2)]
    assert extend_and_merge(seeds, prefix, suffix, 100, 1000, 0.0).tolist() == [[15, 133]]
    assert extend_and_merge(seeds, prefix, suffix, 100, 1000, 0.5).tolist() == [[15, 73], [75, 73]]
    # no seeds, no windows
    assert extend_and_merge([], prefix, suffix, 100, 1000, 0.0).shape == (0, 2)
