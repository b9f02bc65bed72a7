"""Fragment marking as hmmbuild's, and the missing data it leaves."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import DNA
from hmmkit.profile.build.fragments import (
    check_missing_data,
    fragments_to_missing,
    mark_fragments,
    residue_spans,
)
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.msa import from_text


def test_fragments_follow_hmmbuild_rule():
    # hmmbuild (esl_msa_MarkFragments_old): fragment iff residues <= fragthresh * alen
    rows = ["ACGTACGTAC", "--GTAC----", "ACGTA-----", "A--------C"]
    msa = from_text(list("abcd"), rows, DNA)
    assert mark_fragments(msa, 0.5).tolist() == [False, True, True, True]
    codes = fragments_to_missing(msa, mark_fragments(msa, 0.5))
    text = from_text(list("abcd"), rows, DNA).with_codes(codes).text()
    assert text == ["ACGTACGTAC", "~~GTAC~~~~", "ACGTA~~~~~", "A--------C"]
    with pytest.raises(ValueError, match="fragthresh"):
        mark_fragments(msa, 2.0)


def test_fragment_counts_match_hmmbuild_on_made1(shared_data):
    # every MADE1 sequence spans fewer residues than half the 304 columns
    msa = read_alignment(shared_data / "protein/tutorial/MADE1.sto")
    assert mark_fragments(msa).all()


def test_residue_spans_by_hand():
    residue = np.array([[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 0, 1]], dtype=bool)
    first, last = residue_spans(residue)
    assert first.tolist() == [1, 4, 0]
    assert last.tolist() == [2, -1, 3]


def test_missing_data_only_at_the_ends():
    check_missing_data(from_text(["a", "b"], ["~~GT", "ACG~"], DNA))
    check_missing_data(from_text(["a"], ["~~~~"], DNA))
    with pytest.raises(ValueError, match="'b' has missing data"):
        check_missing_data(from_text(["a", "b"], ["ACGT", "AC~T"], DNA))
