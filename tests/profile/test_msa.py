"""Reading and digitising alignments, checked against Easel's reader (pyhmmer)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from hmmkit.profile import AMINO, DNA, RNA
from hmmkit.profile.io.alignments import read_alignment, read_alignments
from hmmkit.profile.msa import DigitalMSA, checksum, from_text, guess_alphabet

pyhmmer = pytest.importorskip("pyhmmer")

from hmmer_reference import FAMILY_FILES  # noqa: E402

FILES = FAMILY_FILES


def text(value):
    """pyhmmer strings may be bytes or str depending on the version."""
    return value.decode() if isinstance(value, bytes) else value


def easel_read(path, fmt=None):
    with pyhmmer.easel.MSAFile(str(path), digital=True, format=fmt) as handle:
        return handle.read(), handle.alphabet


@pytest.mark.parametrize("relpath", FILES)
def test_alignment_matches_easel(shared_data, relpath):
    path = shared_data / relpath
    ours = read_alignment(path)
    theirs, abc = easel_read(path)
    assert ours.alphabet.name.lower() == ("amino" if abc.is_amino() else "dna")
    assert ours.nseq == len(theirs.sequences)
    assert ours.alen == len(theirs.alignment[0])
    assert ours.names == [text(n) for n in theirs.names]
    assert ours.text() == [text(r).upper().replace(".", "-") for r in theirs.textize().alignment]
    assert checksum(ours) == theirs.checksum()
    if theirs.name is not None:
        assert ours.name == text(theirs.name)
    if theirs.accession is not None:
        assert ours.accession == text(theirs.accession)
    if theirs.reference is not None:
        assert ours.reference == text(theirs.reference)
    else:
        assert ours.reference is None


def test_stockholm_annotation(shared_data):
    made1 = read_alignment(shared_data / "protein/tutorial/MADE1.sto")
    assert made1.alphabet == DNA
    assert made1.description.startswith("MADE1 (MAriner Derived Element 1)")
    assert made1.gathering == (15.98, 15.98)
    assert made1.trusted == (32.0, 32.0)
    pkinase = read_alignment(shared_data / "protein/tutorial/Pkinase.sto")
    assert pkinase.noise == (26.9, 26.9)


def test_fasta_and_stockholm_forms_agree(shared_data):
    sto = read_alignment(shared_data / "protein/pyhmmer/LuxC.sto")
    afa = read_alignment(shared_data / "protein/pyhmmer/LuxC.faa")
    np.testing.assert_array_equal(sto.codes, afa.codes)
    assert afa.name == "LuxC"  # unnamed alignments take the file name


A2M_DOTTED = """>s1 first
ACDaa-EF
>s2
AC-c.DEF
>s3
ACD..-EF
"""
A2M_DOTLESS = """>s1 first
ACDaa-EF
>s2
AC-cDEF
>s3
ACD-EF
"""


@pytest.mark.parametrize("text", [A2M_DOTTED, A2M_DOTLESS])
def test_a2m_insert_columns(tmp_path, text):
    path = tmp_path / "small.a2m"
    path.write_text(text)
    ours = read_alignment(path, "amino")
    assert ours.reference == "xxx..xxx"
    assert ours.text() == ["ACDAA-EF", "AC-C-DEF", "ACD---EF"]


def test_a2m_matches_easel(tmp_path):
    path = tmp_path / "small.a2m"
    path.write_text(A2M_DOTTED)
    ours = read_alignment(path, "amino")
    theirs, _ = easel_read(path, "a2m")
    assert ours.reference == text(theirs.reference)
    assert ours.text() == [text(r).upper().replace(".", "-") for r in theirs.textize().alignment]


def test_guess_alphabet():
    assert guess_alphabet(["ACGTACGTAAGGTTCC"]) == DNA
    assert guess_alphabet(["ACGUACGUAAGGUUCC"]) == RNA
    assert guess_alphabet(["MKVLEFWPQRST"]) == AMINO
    with pytest.raises(ValueError, match="alphabet"):
        guess_alphabet(["ACG"])


def test_from_text_checks_lengths_and_names():
    with pytest.raises(ValueError, match="differ in length"):
        from_text(["a", "b"], ["ACGT", "ACG"], DNA)
    with pytest.raises(ValueError, match="names"):
        DigitalMSA(DNA, ["a"], np.zeros((2, 3), dtype=np.uint8))


def test_multiple_stockholm_records():
    text = (
        "# STOCKHOLM 1.0\n#=GF ID one\na ACGT\nb AC-T\n//\n"
        "# STOCKHOLM 1.0\n#=GF ID two\nc ACGTT\n//\n"
    )
    alignments = read_alignments(io.StringIO(text), "DNA")
    assert [a.name for a in alignments] == ["one", "two"]
    assert [a.alen for a in alignments] == [4, 5]


def test_tabs_separate_stockholm_fields_as_spaces_do(shared_data, tmp_path):
    """Easel takes any whitespace between a name and its sequence; so do we."""
    source = shared_data / "protein/tutorial/fn3.sto"
    tabbed = tmp_path / "fn3_tabs.sto"
    lines = source.read_text().splitlines(keepends=True)
    tabbed.write_text(
        "".join(
            line if line[0] in "#/\n" else re.sub(r"^(\S+)\s+", "\\1\t", line) for line in lines
        )
    )
    assert "\t" in tabbed.read_text()
    ours, spaced = read_alignment(tabbed), read_alignment(source)
    assert ours.names == spaced.names
    np.testing.assert_array_equal(ours.codes, spaced.codes)
    easel, _ = easel_read(tabbed)
    assert [text(n) for n in easel.names] == ours.names


def test_unknown_format_is_reported(tmp_path):
    path = tmp_path / "junk.txt"
    path.write_text("hello\n")
    with pytest.raises(ValueError, match="format"):
        read_alignment(path)


def test_unaligned_fasta_is_rejected(shared_data):
    with pytest.raises(ValueError, match="not an alignment"):
        read_alignment(shared_data / "protein/tutorial/globins45.fa")
