"""Easel's digital code table and digitising aligned text, checked against Easel (pyhmmer)."""

from __future__ import annotations

import pytest

from hmmkit.profile import AMINO, DNA, RNA
from hmmkit.profile.digital import code_table, digitize_aligned

pyhmmer = pytest.importorskip("pyhmmer")


def test_digital_layout_is_easels():
    assert code_table(AMINO).letters == "ACDEFGHIKLMNPQRSTVWY-BJZOUX*~"
    assert code_table(DNA).letters == "ACGT-RYMKSWHBVDN*~"
    assert code_table(RNA).letters == "ACGU-RYMKSWHBVDN*~"
    for abc in (AMINO, DNA):
        alphabet = pyhmmer.easel.Alphabet.amino() if abc is AMINO else pyhmmer.easel.Alphabet.dna()
        assert code_table(abc).letters == alphabet.symbols


def test_degenerate_residues_counted_as_easel():
    table = code_table(AMINO)
    counts = table.count_matrix()
    b = table.letters.index("B")
    assert counts[b, AMINO.symbols.index("D")] == pytest.approx(0.5)
    assert counts[b, AMINO.symbols.index("N")] == pytest.approx(0.5)
    assert counts[table.any].sum() == pytest.approx(1.0)
    assert counts[table.any].max() == pytest.approx(1 / 20)
    assert counts[table.gap].sum() == 0 and counts[table.nonresidue].sum() == 0
    assert counts[table.letters.index("U"), AMINO.symbols.index("C")] == 1.0
    dna = code_table(DNA)
    assert dna.count_matrix()[dna.letters.index("R")].tolist() == [0.5, 0.0, 0.5, 0.0]
    # synonyms Easel accepts: '.' and '_' are gaps, U reads as T in DNA, X as N
    assert digitize_aligned("a.u_x", DNA).tolist() == [0, 4, 3, 4, dna.any]


def test_digitize_rejects_invalid_letters():
    with pytest.raises(ValueError, match=r"seq7.*'J'.*column 3"):
        digitize_aligned("ACJT", DNA, label="seq7")
