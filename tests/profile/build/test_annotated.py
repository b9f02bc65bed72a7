"""hmmbuild -O's annotated alignment: HMMER (pyhmmer) builds the same model from it with
--hand as from the original alignment, every residue is kept, and doctored paths and
fragments are written as hmmbuild writes them."""

from __future__ import annotations

import io
import re

import numpy as np
import pyhmmer
import pytest

from hmmkit.cli import main
from hmmkit.profile.build import Builder
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.msa import from_text

TUTORIAL = ("globins4", "fn3", "Pkinase", "MADE1")
STOCKHOLM_FAMILIES = [f"protein/tutorial/{n}.sto" for n in TUTORIAL] + ["protein/pyhmmer/LuxC.sto"]


def hmmer_model(source, architecture: str):
    """pyhmmer's (HMMER 3.4's) unweighted model of a Stockholm path or text."""
    if isinstance(source, str):
        with pyhmmer.easel.MSAFile(source, digital=True) as handle:
            msa, abc = handle.read(), handle.alphabet
    else:
        with pyhmmer.easel.MSAFile(source, digital=True, format="stockholm") as handle:
            msa, abc = handle.read(), handle.alphabet
    msa.name = b"family"
    builder = pyhmmer.plan7.Builder(abc, architecture=architecture, weighting="none")
    hmm, _, _ = builder.build_msa(msa, pyhmmer.plan7.Background(abc))
    return hmm


def annotated_text(msa, builder: Builder) -> str:
    steps = builder.run(msa, name="family")
    buf = io.StringIO()
    builder.annotated_alignment(steps).write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("family", STOCKHOLM_FAMILIES)
def test_hmmer_builds_the_same_model_from_the_annotated_alignment(shared_data, family):
    path = str(shared_data / family)
    text = annotated_text(read_alignment(path), Builder(weighting="none"))
    original = hmmer_model(path, "fast")
    rebuilt = hmmer_model(io.BytesIO(text.encode()), "hand")
    assert rebuilt.M == original.M
    for attr in ("match_emissions", "insert_emissions", "transition_probabilities"):
        expected = np.asarray(getattr(original, attr))
        assert np.array_equal(np.asarray(getattr(rebuilt, attr)), expected)
    assert rebuilt.nseq_effective == original.nseq_effective


@pytest.mark.parametrize("family", STOCKHOLM_FAMILIES)
def test_rf_marks_the_match_columns_and_every_residue_is_kept(shared_data, family):
    msa = read_alignment(shared_data / family)
    builder = Builder()
    steps = builder.run(msa, name="family")
    aln = builder.annotated_alignment(steps)
    assert aln.reference.count("x") == steps.model.M
    for row, original in zip(aln.rows, msa.text(), strict=True):
        assert len(row) == len(aln.reference)
        assert re.sub(r"[-.~]", "", row).upper() == re.sub(r"[-.~]", "", original)
        for char, ref in zip(row, aln.reference, strict=True):
            assert (char.isupper() or char in "-~*") if ref == "x" else not char.isupper()
    weights = [line.split()[-1] for line in aln.to_text().splitlines() if " WT " in line]
    assert weights == [f"{w:.2f}" for w in steps.weights]


def test_doctored_path_puts_the_moved_residue_in_its_match_column():
    # s3 deletes column 2 and inserts E after it: D2 I2 becomes M2 holding E
    msa = from_text(["s1", "s2", "s3"], ["AC-D", "AC-D", "A-ED"], "amino")
    builder = Builder(weighting="none")
    aln = builder.annotated_alignment(builder.run(msa, name="t"))
    assert aln.rows == ["ACD", "ACD", "AED"]
    assert aln.reference == "xxx"
    assert aln.weights is None


def test_fragment_flanks_are_missing_data_and_insertions_are_justified_as_hmmer():
    msa = from_text(
        ["a", "b", "c", "d", "e"],
        ["AC--DEF", "ACGHDEF", "AC--DEF", "------F", "A------"],
        "amino",
    )
    builder = Builder(weighting="none")
    aln = builder.annotated_alignment(builder.run(msa, name="t"))
    assert aln.reference == "xx..xxx"
    assert aln.rows == ["AC..DEF", "ACghDEF", "AC..DEF", "~~~~~~F", "A~~~~~~"]
    text = aln.to_text()
    assert text.startswith("# STOCKHOLM 1.0\n#=GF ID t\n\na       AC..DEF\n")
    assert "#=GC RF xx..xxx\n//\n" in text


def test_build_writes_the_annotated_alignment_with_dash_O(shared_data, tmp_path, capsys):
    src = shared_data / "protein/tutorial/globins4.sto"
    out = tmp_path / "post.sto"
    assert main(["build", "-O", str(out), str(tmp_path / "g.hmm"), str(src)]) == 0
    text = out.read_text()
    assert text.startswith("# STOCKHOLM 1.0\n#=GF ID globins4\n\n#=GS HBB_HUMAN  WT ")
    assert text.count("#=GC RF") == 1 and text.endswith("//\n")
    assert main(["build", "-O", str(src), str(tmp_path / "h.hmm"), str(src)]) != 0
    assert "is the input alignment" in capsys.readouterr().err
    assert not (tmp_path / "h.hmm").exists()
