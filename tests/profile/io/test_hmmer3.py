"""HMMER3 files: written by hmmkit and read by HMMER (pyhmmer), and Pfam models read back."""

from __future__ import annotations

import io

import numpy as np
import pytest

from hmmkit.profile import build, read_hmmer, read_hmmer_all, write_hmmer
from hmmkit.profile.io.hmmer3 import format_hmmer, iter_hmmer

pyhmmer = pytest.importorskip("pyhmmer")

PFAM = ["protein/pyhmmer/PF02826.hmm", "protein/pyhmmer/Thioesterase.hmm"]
# -ln p is written with five decimals: a relative error of at most 5e-6
RTOL = 1e-5


def hmmer_read(text: str):
    with pyhmmer.plan7.HMMFile(io.BytesIO(text.encode())) as handle:
        return list(handle)


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def assert_same_probabilities(ours, theirs, rtol=RTOL):
    np.testing.assert_allclose(
        ours.transitions, np.asarray(theirs.transition_probabilities), rtol=rtol, atol=1e-7
    )
    np.testing.assert_allclose(
        ours.match_emissions[1:], np.asarray(theirs.match_emissions)[1:], rtol=rtol, atol=1e-7
    )
    np.testing.assert_allclose(
        ours.insert_emissions, np.asarray(theirs.insert_emissions), rtol=rtol, atol=1e-7
    )


@pytest.mark.parametrize("relpath", ["protein/tutorial/globins4.sto", "protein/tutorial/MADE1.sto"])
def test_written_model_is_read_by_hmmer(shared_data, relpath):
    model = build(shared_data / relpath)
    (theirs,) = hmmer_read(format_hmmer(model))
    assert theirs.M == model.M
    assert text(theirs.name) == model.name
    assert theirs.nseq == model.nseq
    assert theirs.nseq_effective == pytest.approx(model.effn, rel=1e-6)
    assert theirs.checksum == model.checksum
    assert text(theirs.consensus) == model.consensus
    assert_same_probabilities(model, theirs)
    if model.reference is not None:
        assert text(theirs.reference) == model.reference


@pytest.mark.parametrize("relpath", ["protein/tutorial/fn3.sto", "protein/tutorial/MADE1.sto"])
def test_written_text_is_hmmbuilds(shared_data, relpath):
    """Line for line what hmmbuild writes, apart from its DATE, COM and STATS lines."""
    path = shared_data / relpath
    with pyhmmer.easel.MSAFile(str(path), digital=True) as handle:
        msa = handle.read()
        abc = handle.alphabet
    hmm, _, _ = pyhmmer.plan7.Builder(abc).build_msa(msa, pyhmmer.plan7.Background(abc))
    buf = io.BytesIO()
    hmm.write(buf)
    skip = ("HMMER3/f", "DATE", "COM", "STATS")
    theirs = [line for line in buf.getvalue().decode().splitlines() if not line.startswith(skip)]
    ours = [line for line in format_hmmer(build(path)).splitlines() if not line.startswith(skip)]
    assert ours == theirs


@pytest.mark.parametrize("relpath", PFAM)
def test_pfam_models_read_as_hmmer_reads_them(shared_data, relpath):
    path = shared_data / relpath
    ours = read_hmmer(path)
    with pyhmmer.plan7.HMMFile(str(path)) as handle:
        theirs = handle.read()
    assert ours.M == theirs.M and ours.name == text(theirs.name)
    assert ours.consensus == text(theirs.consensus)
    assert_same_probabilities(ours, theirs, rtol=1e-6)
    evparam = list(theirs.evalue_parameters.as_vector())  # MSV, VITERBI, FORWARD pairs
    assert ours.stats["MSV"] == pytest.approx(tuple(evparam[0:2]), rel=1e-6)
    assert ours.stats["VITERBI"] == pytest.approx(tuple(evparam[2:4]), rel=1e-6)
    assert ours.stats["FORWARD"] == pytest.approx(tuple(evparam[4:6]), rel=1e-6)
    if theirs.cutoffs.gathering_available():
        assert ours.gathering == pytest.approx(theirs.cutoffs.gathering)


@pytest.mark.parametrize("relpath", PFAM)
def test_pfam_round_trip(shared_data, relpath):
    first = read_hmmer(shared_data / relpath)
    buf = io.StringIO()
    write_hmmer(first, buf)
    second = read_hmmer(io.StringIO(buf.getvalue()))
    for name in ("transitions", "match_emissions", "insert_emissions"):
        np.testing.assert_array_equal(getattr(second, name), getattr(first, name))
    for name in (
        "name", "accession", "description", "nseq", "effn", "checksum", "consensus",
        "reference", "consensus_structure", "model_mask", "gathering", "trusted", "noise",
        "stats", "max_length",
    ):  # fmt: skip
        assert getattr(second, name) == getattr(first, name), name
    np.testing.assert_array_equal(second.alignment_map, first.alignment_map)
    # and the original text, apart from header line, DATE and COM lines, is reproduced
    original = (shared_data / relpath).read_text().splitlines()
    skip = ("HMMER3/f", "DATE", "COM")
    assert [x for x in buf.getvalue().splitlines() if not x.startswith(skip)] == [
        x for x in original if not x.startswith(skip)
    ]


def test_stats_lines_written_when_present(shared_data):
    model = build(shared_data / "protein/tutorial/globins4.sto")
    assert "STATS" not in format_hmmer(model)
    model.stats = {"MSV": (-9.9014, 0.70957), "VITERBI": (-10.7224, 0.70957),
                   "FORWARD": (-4.1637, 0.70957)}  # fmt: skip
    (theirs,) = hmmer_read(format_hmmer(model))
    evparam = list(theirs.evalue_parameters.as_vector())
    expected = (-9.9014, 0.70957, -10.7224, 0.70957, -4.1637, 0.70957)
    assert evparam == pytest.approx(expected, rel=1e-6)
    model.stats = {"MSV": (-9.9, 0.7)}
    with pytest.raises(ValueError, match="VITERBI"):
        format_hmmer(model)


def test_several_models_in_one_file(shared_data, tmp_path):
    models = [read_hmmer(shared_data / p) for p in PFAM]
    path = tmp_path / "two.hmm"
    write_hmmer(models, path)
    back = read_hmmer_all(path)
    assert [m.name for m in back] == [m.name for m in models]
    assert [m.M for m in hmmer_read(path.read_text())] == [m.M for m in models]
    assert read_hmmer(path).name == models[0].name
    assert sum(1 for _ in iter_hmmer(path)) == 2


def test_older_format_without_mm_column(shared_data):
    """HMMER3/e has no MM header line or MM column; both are optional to the reader."""
    lines = (shared_data / PFAM[0]).read_text().splitlines()
    converted = []
    for line in lines:
        if line.startswith("HMMER3/f"):
            line = "HMMER3/e" + line[8:]
        elif line.startswith("MM "):
            continue
        elif line.split() and line.split()[0].isdigit() and len(line.split()) == 26:
            fields = line.rsplit(" ", 2)
            line = fields[0] + " " + fields[2]  # drop the MM character
        converted.append(line)
    old = read_hmmer(io.StringIO("\n".join(converted) + "\n"))
    new = read_hmmer(shared_data / PFAM[0])
    np.testing.assert_array_equal(old.match_emissions, new.match_emissions)
    assert old.consensus_structure == new.consensus_structure


def test_truncated_file_reports_line(shared_data):
    lines = (shared_data / PFAM[0]).read_text().splitlines(keepends=True)
    with pytest.raises(ValueError, match=r"line 300: file ends early"):
        read_hmmer(io.StringIO("".join(lines[:299])))
    broken = lines[:30] + ["      9   oops\n"] + lines[31:]
    with pytest.raises(ValueError, match=r"line \d+"):
        read_hmmer(io.StringIO("".join(broken)))


def test_foreign_and_empty_files_rejected(shared_data, tmp_path):
    with pytest.raises(ValueError, match="line 1: not a HMMER3"):
        read_hmmer(shared_data / "protein/tutorial/HBB_HUMAN")
    with pytest.raises(ValueError, match="line 3: file ends early"):  # a HMMER2 file cut short
        read_hmmer(io.StringIO("HMMER2.0  [2.3.2]\nNAME x\n"))
    with pytest.raises(ValueError, match="empty"):
        read_hmmer(io.StringIO(""))
    with pytest.raises(ValueError, match="mandatory LENG"):
        read_hmmer(io.StringIO("HMMER3/f\nNAME x\nALPH amino\nHMM A\n"))
