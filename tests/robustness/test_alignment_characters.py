"""Alignments with odd characters or odd shapes get HMMER's answer.

Easel (HMMER's library, through pyhmmer) reads the same file: where Easel refuses it,
hmmkit must refuse it with a ValueError; where Easel reads it, hmmkit must read the same
names and rows, and build a model with the match states and emissions hmmbuild gives.
"""

from __future__ import annotations

import numpy as np
import pytest
from catalogue import record
from refusals import first_line, is_clear_error, write

from hmmkit.profile.build import build
from hmmkit.profile.io.alignments import read_alignment

pyhmmer = pytest.importorskip("pyhmmer")

AREA = "odd alignments (read_alignment, build)"
ROW = "ACDEFGHIKLMNPQRSTVWY"


def stockholm(*rows: tuple[str, str]) -> str:
    return "# STOCKHOLM 1.0\n" + "".join(f"{name} {seq}\n" for name, seq in rows) + "//\n"


def fasta(*rows: tuple[str, str]) -> str:
    return "".join(f">{name}\n{seq}\n" for name, seq in rows)


def with_row(seq: str) -> str:
    return stockholm(("a", ROW), ("b", seq), ("c", ROW))


CASES = [
    # (case, file name, content, defect when hmmkit departs from Easel)
    ("a digit in a row", "x.sto", with_row(ROW[:9] + "1" + ROW[10:]), ""),
    ("'!' in a row", "x.sto", with_row(ROW[:9] + "!" + ROW[10:]), ""),
    ("a space inside a row", "x.sto", with_row(ROW[:9] + " " + ROW[10:]), ""),
    ("'*' (non-residue) in a row", "x.sto", with_row(ROW[:9] + "*" + ROW[10:]), ""),
    ("'~' (missing data) in a row", "x.sto", with_row("~~" + ROW[2:]), ""),
    ("lower-case residues", "x.sto", with_row(ROW.lower()), ""),
    ("degenerate letters B J Z O U X", "x.sto", with_row("BJZOUX" + ROW[6:]), ""),
    ("'.' and '_' as gaps", "x.sto", with_row("AC._" + ROW[4:]), ""),
    ("an all-gap column", "x.sto", stockholm(*((n, ROW[:5] + "-" + ROW[5:]) for n in "abc")), ""),
    ("a row of gaps only", "x.sto", with_row("-" * 20), ""),
    ("a row of '*' only", "x.sto", with_row("*" * 20), ""),
    ("one sequence", "x.sto", stockholm(("a", ROW)), ""),
    ("rows of different lengths", "x.sto", with_row(ROW[:-1]), ""),
    ("duplicate names in one block", "x.sto", stockholm(("a", ROW), ("a", ROW)), ""),
    ("aligned FASTA: a digit", "x.afa", fasta(("a", ROW[:-1] + "1"), ("b", ROW)), ""),
    ("aligned FASTA: duplicate names", "x.afa", fasta(("a", ROW), ("a", ROW)), ""),
    ("aligned FASTA: a '>' line without a name", "x.afa", fasta(("", ROW), ("b", ROW)), ""),
    ("aligned FASTA: empty rows", "x.afa", fasta(("a", ""), ("b", "")), ""),
    ("A2M: a digit", "x.a2m", fasta(("a", "ACD9F"), ("b", "ACDEF")), ""),
]
EASEL_FORMATS = {".sto": "stockholm", ".afa": "afa", ".a2m": "a2m"}


def easel_read(path):
    """Easel's reading of a file: (names, text rows), or the ValueError it raises."""
    abc = pyhmmer.easel.Alphabet.amino()
    fmt = EASEL_FORMATS[path.suffix]
    try:
        with pyhmmer.easel.MSAFile(str(path), fmt, digital=True, alphabet=abc) as handle:
            msa = handle.read()
    except ValueError as exc:
        return exc
    return [str(n) for n in msa.names], list(msa.textize().alignment), msa


@pytest.mark.parametrize(
    "case, name, content, defect",
    [
        pytest.param(*c, marks=pytest.mark.xfail(strict=True, reason=c[3])) if c[3] else c
        for c in CASES
    ],
    ids=[c[0] for c in CASES],
)
def test_hmmkit_answers_as_easel(tmp_path, case, name, content, defect):
    path = write(tmp_path, name, content)
    easel = easel_read(path)
    try:
        ours = read_alignment(path, "amino")
    except Exception as exc:  # noqa: BLE001 - judged below
        record(
            AREA, case, type(exc).__name__ + (" (open defect)" if defect else ""), first_line(exc)
        )
        assert is_clear_error(exc, ValueError), f"{type(exc).__name__}: {exc}"
        assert isinstance(easel, ValueError), f"Easel reads it: {easel[:2]}"
        return
    if isinstance(easel, ValueError):
        record(AREA, case, "accepted (open defect)", defect)
        pytest.fail(f"Easel refuses ({easel}) but hmmkit reads it")
    names, rows, msa = easel
    assert ours.names == names and ours.text() == rows
    answer = f"read as HMMER does ({ours.nseq} x {ours.alen})"
    if any(set(r) - set("-~*") for r in rows):
        model = build(ours, name="x")
        msa.name = b"x"
        abc = msa.alphabet
        hmm, _, _ = pyhmmer.plan7.Builder(abc).build_msa(msa, pyhmmer.plan7.Background(abc))
        assert model.M == hmm.M
        np.testing.assert_allclose(model.match_emissions, hmm.match_emissions, atol=1e-4)
        answer += f"; builds hmmbuild's M={model.M}"
    record(AREA, case, "accepted", answer)


def test_blocks_in_another_order(tmp_path):
    """Easel insists on the same row order in every Stockholm block; hmmkit
    matches rows by name, which reads the same alignment."""
    text = "# STOCKHOLM 1.0\na ACDEF\nb ACDEG\n\nb HIKLM\na HIKLN\n//\n"
    msa = read_alignment(write(tmp_path, "x.sto", text), "amino")
    assert msa.names == ["a", "b"] and msa.text() == ["ACDEFHIKLN", "ACDEGHIKLM"]
    record(
        AREA, "Stockholm blocks listing rows in another order", "accepted", "rows joined by name"
    )


def test_gaps_only_alignment_cannot_be_built(tmp_path):
    msa = read_alignment(
        write(tmp_path, "x.sto", stockholm(("a", "-" * 8), ("b", "-" * 8))), "amino"
    )
    with pytest.raises(ValueError, match="no match columns") as info:
        build(msa, name="x")
    record(AREA, "an alignment of gaps only (build)", "ValueError", first_line(info.value))
