"""Implied paths of aligned sequences, their doctoring, and the counts they give."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import AMINO
from hmmkit.profile.build import Builder
from hmmkit.profile.build.traces import count_paths, implied_trace
from hmmkit.profile.msa import from_text


def test_trace_doctoring_removes_d_to_i_and_i_to_d():
    # columns:      M M I M ; row a: D then I -> doctored to one M
    msa = from_text(["a", "b"], ["A-CD", "AC-D"], AMINO)
    matassign = np.array([True, True, False, True])
    raw = implied_trace(msa, 0, matassign, doctor=False)
    assert [s for s, _, _ in raw] == list("BMDIME")
    doctored = implied_trace(msa, 0, matassign)
    assert doctored == [("B", 0, -1), ("M", 1, 0), ("M", 2, 2), ("M", 3, 3), ("E", 0, -1)]
    # I then D: the insert residue is pushed into the deleted match state
    msa2 = from_text(["a"], ["ACD-E"], AMINO)
    matassign2 = np.array([True, False, False, True, True])
    states = implied_trace(msa2, 0, matassign2)
    assert states == [
        ("B", 0, -1),
        ("M", 1, 0),
        ("I", 1, 1),
        ("M", 2, 2),
        ("M", 3, 4),
        ("E", 0, -1),
    ]


def test_counts_by_hand():
    # three sequences, match columns 1, 2, 4; weights 1, 2, 0.5
    msa = from_text(["a", "b", "c"], ["AC-D", "A-GD", "ACGB"], AMINO)
    matassign = np.array([True, True, False, True])
    t, mat, ins = count_paths(msa, np.array([1.0, 2.0, 0.5]), matassign)
    sym = AMINO.symbols.index
    # a: B M1 M2 M3 E ; b: B M1 (D2 I2 -> M2 with G) M3 E ; c: B M1 M2 I2 M3 E
    assert t[0, 0] == pytest.approx(3.5)  # B -> M1
    assert t[1, 0] == pytest.approx(3.5)  # M1 -> M2
    assert t[2, 0] == pytest.approx(3.0) and t[2, 1] == pytest.approx(0.5)  # M2 -> M3 / I2
    assert t[2, 3] == pytest.approx(0.5)  # I2 -> M3
    assert t[3, 0] == pytest.approx(3.5)  # M3 -> E counted as M->M
    assert mat[2, sym("C")] == pytest.approx(1.5) and mat[2, sym("G")] == pytest.approx(2.0)
    assert ins[2, sym("G")] == pytest.approx(0.5)
    # the degenerate B (D or N) splits its weight
    assert mat[3, sym("D")] == pytest.approx(3.25) and mat[3, sym("N")] == pytest.approx(0.25)
    assert t.dtype == np.float32


def test_fragment_flanks_are_not_counted():
    # row b is a fragment: its flanks become missing data, so no B->D or D->E counts
    msa = from_text(["a", "b"], ["ACDEFGHIKL", "---EF-----"], AMINO)
    steps = Builder(weighting="none").run(msa, stop_after="counts")
    matassign, (t, mat, _) = steps.match_columns, steps.counts
    assert matassign.all()
    assert t[0, 2] == 0.0 and t[:, 6].sum() == 0.0  # no B->D1, no D->D
    assert t[0, 0] == 1.0  # only row a enters at M1
    sym = AMINO.symbols.index
    # HMMER counts a fragment from its first M up to, not including, its last M
    assert mat[4, sym("E")] == 2.0 and mat[5, sym("F")] == 1.0
    assert t[4, 0] == 2.0  # M4 -> M5 seen in both rows
