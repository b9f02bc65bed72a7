"""Annotation: MAXL, consensus and composition, against HMMER and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import AMINO, DNA, build
from hmmkit.profile.build.annotation import (
    consensus_line,
    max_emission_length,
    model_composition,
)

pytest.importorskip("pyhmmer")


def test_max_emission_length(shared_data):
    from hmmer_reference import build_hmm, map_and_max_length

    path = shared_data / "protein/tutorial/MADE1.sto"
    ours = build(path)
    assert ours.max_length == map_and_max_length(build_hmm(path, dna=True))[1]
    assert max_emission_length(ours.transitions) == ours.max_length
    one = np.array([[1.0, 0, 0, 1, 0, 1, 0], [1.0, 0, 0, 1, 0, 1, 0]])
    assert max_emission_length(one) == 1


def test_consensus_and_composition_helpers():
    mat = np.array([[1, 0, 0, 0], [0.95, 0.05, 0, 0], [0.4, 0.3, 0.2, 0.1]])
    assert consensus_line(mat, DNA) == "Aa"
    assert consensus_line(mat, AMINO.__class__("amino", "ACGT")) == "Aa"
    t = np.array([[1.0, 0, 0, 1, 0, 1, 0]] * 3)
    t[2, 0] = 1.0
    ins = np.full((3, 4), 0.25)
    compo = model_composition(t, mat, ins)
    np.testing.assert_allclose(compo, (mat[1] + mat[2]) / 2, atol=1e-7)
