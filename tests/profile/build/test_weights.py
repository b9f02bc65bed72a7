"""Relative sequence weights, against Easel (pyhmmer) and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import AMINO, DNA
from hmmkit.profile.build.weights import (
    blosum_weights,
    consensus_columns,
    pairwise_identity,
    position_based_weights,
    relative_weights,
    single_linkage_clusters,
)
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.msa import from_text

pyhmmer = pytest.importorskip("pyhmmer")

from hmmer_reference import FAMILY_FILES  # noqa: E402

FILES = FAMILY_FILES[:-1]  # Stockholm files only


def easel_msa(path):
    with pyhmmer.easel.MSAFile(str(path), digital=True) as handle:
        return handle.read()


@pytest.mark.parametrize("relpath", FILES)
def test_weights_match_easel(shared_data, relpath):
    path = shared_data / relpath
    ours = read_alignment(path)
    theirs = easel_msa(path)
    pb = np.array(theirs.compute_weights("pb", ignore_rf=True).copy())
    np.testing.assert_allclose(position_based_weights(ours), pb, rtol=1e-12)
    pb_rf = np.array(theirs.compute_weights("pb", ignore_rf=False).copy())
    np.testing.assert_allclose(position_based_weights(ours, use_rf=True), pb_rf, rtol=1e-12)
    blosum = np.array(theirs.compute_weights("blosum", 0.62).copy())
    np.testing.assert_allclose(blosum_weights(ours, 0.62), blosum, rtol=1e-12)


def test_position_based_weights_by_hand():
    # column 1: A,A,A (r=1, n=3); column 2: A,A,C (r=2, n=2 or 1)
    msa = from_text(["a", "b", "c"], ["AA", "AA", "AC"], AMINO)
    raw = np.array([1 / 3 + 1 / 4, 1 / 3 + 1 / 4, 1 / 3 + 1 / 2]) / 2
    np.testing.assert_allclose(position_based_weights(msa), raw / raw.sum() * 3)
    assert relative_weights(msa, "none").tolist() == [1.0, 1.0, 1.0]


def test_position_based_weights_ignore_gaps_and_degeneracies():
    # the X in row c and the gap column do not count; row c is weighted on its A only
    msa = from_text(["a", "b", "c"], ["AC-", "AD-", "AXK"], AMINO)
    cols = consensus_columns(msa)
    assert cols.tolist() == [True, True, False]
    raw = np.array([1 / 3 + 1 / 2, 1 / 3 + 1 / 2, 1 / 3])
    raw /= np.array([2, 2, 1])
    np.testing.assert_allclose(position_based_weights(msa), raw / raw.sum() * 3)


def test_consensus_ignores_fragment_flanks():
    # the fragment's leading gaps would make column 1 gappy if counted
    rows = ["AC-DEFGHIK", "AC-DEFGHIK", "---DEF----", "----EF----", "AC-DEFGHIK", "-----FG---"]
    msa = from_text(list("abcdef"), rows, AMINO)
    cols = consensus_columns(msa)
    assert cols[0] and cols[1] and not cols[2]


def test_blosum_clusters_by_hand():
    rows = ["AAAAAAAAAA", "AAAAAAAAAC", "AAAAAACCCC", "MMMMMMMMMM"]
    msa = from_text(list("abcd"), rows, AMINO)
    assert pairwise_identity(msa, 0, 1) == pytest.approx(0.9)
    assert pairwise_identity(msa, 1, 2) == pytest.approx(0.7)
    assert single_linkage_clusters(msa, 0.62).tolist() == [0, 0, 0, 1]
    assert single_linkage_clusters(msa, 0.8).tolist() == [0, 0, 1, 2]
    w = blosum_weights(msa, 0.62)
    np.testing.assert_allclose(w, np.array([1 / 3, 1 / 3, 1 / 3, 1.0]) / 2 * 4)
    with pytest.raises(ValueError, match="maxid"):
        blosum_weights(msa, 1.5)


def test_unknown_weighting_rejected():
    msa = from_text(["a"], ["ACGT"], DNA)
    with pytest.raises(ValueError, match="weighting"):
        relative_weights(msa, "gsc")
    assert position_based_weights(msa).tolist() == [1.0]
