"""HMMER3 model files and alignments (Stockholm, aligned FASTA, A2M), fuzzed and broken.

Real files from the data folder are truncated, mutated byte by byte and line by line, and
replaced by files of the wrong type; each must be read correctly or refused with a
ValueError (OSError when it cannot be opened), never a crash or a decoding error.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from catalogue import record
from hypothesis import given
from hypothesis import strategies as st
from refusals import (
    FUZZ,
    Originals,
    mutate,
    read_or_refuse,
    refused,
    run_python,
    write,
)

from hmmkit.profile import read_hmmer
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.io.hmmer3 import read_hmmer_all

HMM_AREA = "HMMER3 model files (read_hmmer)"
MSA_AREA = "alignment files (read_alignment)"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def originals(shared_data, speech_wav):
    """The real files the fuzzers start from, as bytes."""
    protein = shared_data / "protein"
    return Originals(
        hmm=(protein / "pyhmmer/PF02826.hmm").read_bytes(),
        sto=(protein / "tutorial/globins4.sto").read_bytes(),
        afa=(protein / "pyhmmer/LuxC.faa").read_bytes(),
        wav=speech_wav.read_bytes(),
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("parsers")


def check_profile(model) -> None:
    for array in (model.transitions, model.match_emissions, model.insert_emissions):
        assert np.all(np.isfinite(array)) and np.all(array >= 0)
    model.validate()


# --------------------------------------------------------------------------- fuzzing


@FUZZ
@given(data=st.data())
def test_mutated_hmmer_files(folder, originals, data):
    path = write(folder, "fuzzed.hmm", mutate(data, originals["hmm"]))
    models = read_or_refuse(lambda: read_hmmer_all(path))
    for model in models or []:
        check_profile(model)


A2M_CRASH = "A2M reader hands records without residues to Biopython, which corrupts the heap"


def fuzz_alignment_reader(fmt: str, data_dir: str) -> None:
    """Read mutated copies of a real alignment; run in a child process (see below)."""
    import pyhmmer

    protein = Path(data_dir) / "protein"
    if fmt == "a2m":
        with pyhmmer.easel.MSAFile(str(protein / "tutorial/globins4.sto"), "stockholm") as f:
            buffer = io.BytesIO()
            f.read().write(buffer, "a2m")  # dotless A2M as Easel writes it
        original = buffer.getvalue()
    else:
        original = (
            protein / {"sto": "tutorial/globins4.sto", "afa": "pyhmmer/LuxC.faa"}[fmt]
        ).read_bytes()
    folder = Path(tempfile.mkdtemp())

    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        path = write(folder, f"fuzzed.{fmt}", mutate(data, original))
        msa = read_or_refuse(lambda: read_alignment(path))
        if msa is not None:
            assert msa.codes.shape == (len(msa.names), msa.alen)

    fuzz()


@pytest.mark.parametrize(
    "fmt",
    [
        "sto",
        "afa",
        "a2m",
    ],
)
def test_mutated_alignments(shared_data, fmt):
    """Mutated Stockholm, aligned FASTA (LuxC) and A2M files, read in a child process: a
    malformed A2M can corrupt the heap inside Biopython, which must not take pytest down."""
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import {Path(__file__).stem} as t; "
        f"t.fuzz_alignment_reader({fmt!r}, {str(shared_data)!r})"
    )
    child = run_python(["-c", code], cwd=HERE)
    assert child.returncode == 0, child.stderr[-3000:]


def test_a2m_records_without_residues(folder):
    """Reproducer of the heap corruption: the Python process aborts (free(): invalid pointer)."""
    path = write(folder, "empty_records.a2m", ">a\n>b\n>c\n>d\n-\n>e\n")
    code = (
        "from hmmkit.profile.io.alignments import read_alignment\n"
        f"try:\n    read_alignment({str(path)!r})\nexcept ValueError as exc:\n    print(exc)\n"
    )
    child = run_python(["-c", code], cwd=folder)
    crashed = child.returncode != 0
    record(
        MSA_AREA,
        "A2M with records that hold no residues",
        "process aborts (open defect)" if crashed else "ValueError",
        A2M_CRASH if crashed else child.stdout.strip(),
    )
    assert not crashed, child.stderr[-500:]
    assert child.stdout.strip(), "accepted"


READERS = {"fuzzed.hmm": read_hmmer_all, "fuzzed.sto": read_alignment, "fuzzed.afa": read_alignment}


@pytest.mark.parametrize("name", sorted(READERS))
@FUZZ
@given(data=st.binary(min_size=1, max_size=300))
def test_arbitrary_bytes(folder, name, data):
    path = write(folder, name, data)
    read_or_refuse(lambda: READERS[name](path))


# --------------------------------------------------------------------------- HMMER3 files


def hmm_text(originals) -> str:
    return originals["hmm"].decode()


def test_hmmer_file_catalogue(folder, originals, shared_data):
    text = hmm_text(originals)
    cases = [
        ("an empty file", "", "empty"),
        ("only blank lines", "\n\n  \n", "no HMMER3 model"),
        ("a Stockholm alignment", originals["sto"].decode(), "not a HMMER3 profile file"),
        ("a HMMER2 file cut short", "HMMER2.0 [2.3.2]\nNAME x\n", "line 3: file ends early"),
        ("truncated inside a node", text[: len(text) // 2], "line"),
        ("truncated before the HMM line", text[: text.index("HMM ")], "file ends early"),
        ("missing the closing //", text.rstrip().rstrip("/"), "file ends early"),
        ("LENG larger than the nodes", re.sub(r"LENG\s+\d+", "LENG  400", text), "expected node"),
        ("LENG smaller than the nodes", re.sub(r"LENG\s+\d+", "LENG  10", text), "'//'"),
        ("LENG 0", re.sub(r"LENG\s+\d+", "LENG  0", text), "LENG must be positive"),
        ("LENG not a number", re.sub(r"LENG\s+\d+", "LENG  x", text), "not an integer"),
        ("an unknown alphabet", re.sub(r"ALPH\s+\w+", "ALPH  coins", text), "alphabet"),
        ("no NAME line", re.sub(r"NAME .*\n", "", text), "NAME"),
        ("a probability field 'nan'", text.replace("2.82670", "nan", 1), "finite"),
        ("a probability field 'abc'", text.replace("2.82670", "abc", 1), "not a number"),
        ("a negative score field (p > 1)", text.replace("2.82670", "-2.82670", 1), "sum to 1"),
        ("a bad score cutoff (GA)", re.sub(r"GA .*\n", "GA    abc;\n", text), "cutoff"),
    ]
    for case, content, match in cases:
        path = write(folder, "case.hmm", content)
        refused(HMM_AREA, case, lambda p=path: read_hmmer(p), match=match)
    refused(HMM_AREA, "a directory", lambda: read_hmmer(folder), OSError)
    refused(HMM_AREA, "a missing file", lambda: read_hmmer(folder / "no.hmm"), OSError, "no.hmm")


def test_hmmer_file_carriage_returns_and_concatenation(folder, originals):
    text = hmm_text(originals)
    path = write(folder, "crlf.hmm", text.replace("\n", "\r\n"))
    assert read_hmmer(path).M == 178
    record(HMM_AREA, "Windows line ends (CRLF)", "read", "same model as with LF")
    path = write(folder, "two.hmm", text + text)
    assert [m.M for m in read_hmmer_all(path)] == [178, 178]
    record(HMM_AREA, "two models in one file", "read", "read_hmmer_all returns both")
    path = write(folder, "junk.hmm", text + "junk\n")
    refused(HMM_AREA, "junk after the last //", lambda: read_hmmer_all(path), match="junk")


def test_wav_handed_to_read_hmmer(folder, originals):
    path = write(folder, "audio.hmm", originals["wav"])
    refused(HMM_AREA, "a WAV file", lambda: read_hmmer(path), match="audio.hmm")


@pytest.mark.parametrize(
    "case, replacement",
    [
        ("a STATS line with mu 'nan'", r"\1 nan \3"),
        ("a STATS line with lambda 0", r"\1 \2 0"),
        ("a STATS line with lambda 'inf'", r"\1 \2 inf"),
        ("a STATS line with a negative lambda", r"\1 \2 -0.7"),
    ],
)
def test_unusable_evalue_parameters(folder, originals, case, replacement):
    """A STATS line that cannot give E-values (NaN, inf, lambda <= 0) must be refused; kept,
    it silently drops every hit (mu NaN) or gives meaningless E-values (lambda 0 or inf)."""
    text = re.sub(r"(STATS LOCAL FORWARD)\s+(\S+)\s+(\S+)", replacement, hmm_text(originals))
    path = write(folder, "stats.hmm", text)
    refused(HMM_AREA, case, lambda: read_hmmer(path), match="STATS")


def test_absurd_model_length(folder, originals):
    text = re.sub(r"LENG\s+\d+", "LENG  1000000000000", hmm_text(originals))
    path = write(folder, "huge.hmm", text)
    refused(
        HMM_AREA,
        "LENG 10^12 (a damaged length field)",
        lambda: read_hmmer(path),
        match="node|LENG",
    )


# --------------------------------------------------------------------------- alignments


def test_alignment_file_catalogue(folder, originals, shared_data):
    sto = originals["sto"].decode()
    protein = shared_data / "protein"
    cases = [
        ("an empty file", "x.sto", "", "empty"),
        ("only blank lines", "x.sto", "\n \n", "empty"),
        ("a Stockholm header and // only", "x.sto", "# STOCKHOLM 1.0\n//\n", "Stockholm"),
        ("Stockholm truncated inside a line", "x.sto", sto[: len(sto) // 2], ""),
        ("a HMMER3 model file", "x.txt", originals["hmm"].decode(), "alignment format"),
        ("plain text", "x.txt", "hello world\n", "alignment format"),
        ("aligned FASTA with rows of different lengths", "x.afa", ">a\nACDEF\n>b\nACD\n", "not"),
        ("A2M with different numbers of match columns", "x.a2m", ">a\nACdEF\n>b\nACD\n", "A2M"),
    ]
    for case, name, content, match in cases:
        path = write(folder, name, content)
        refused(MSA_AREA, case, lambda p=path: read_alignment(p), match=match)
    refused(
        MSA_AREA,
        "unaligned FASTA (globins45.fa)",
        lambda: read_alignment(protein / "tutorial/globins45.fa"),
        match="not an alignment",
    )
    globins = protein / "tutorial/globins4.sto"
    refused(
        MSA_AREA,
        "a protein alignment read as DNA",
        lambda: read_alignment(globins, "dna"),
        match="not valid in the DNA alphabet",
    )
    refused(
        MSA_AREA,
        "format= an unknown name",
        lambda: read_alignment(globins, format="clustal"),
        match="format must be one of",
    )
    refused(
        MSA_AREA,
        "alphabet= an unknown name",
        lambda: read_alignment(globins, "protein"),
        match="alphabet must be one of",
    )
    refused(MSA_AREA, "a directory", lambda: read_alignment(folder), OSError)
    refused(MSA_AREA, "a missing file", lambda: read_alignment(folder / "no.sto"), OSError)


def test_wav_handed_to_read_alignment(folder, originals):
    path = write(folder, "audio.sto", originals["wav"])
    refused(MSA_AREA, "a WAV file", lambda: read_alignment(path), match="audio.sto")


def test_stockholm_truncated_between_blocks(folder, originals):
    """globins4.sto cut after its first block must not read as an 80-column alignment."""
    sto = originals["sto"].decode()
    cut = sto.index("\n\n", sto.index("HBB_HUMAN")) + 1
    path = write(folder, "cut.sto", sto[:cut])
    refused(
        MSA_AREA,
        "Stockholm truncated between two blocks",
        lambda: read_alignment(path),
        match="//",
    )


def test_stockholm_without_terminator(folder, originals):
    sto = originals["sto"].decode()
    path = write(folder, "noend.sto", sto[: sto.rindex("//")])
    refused(
        MSA_AREA,
        "Stockholm missing the closing //",
        lambda: read_alignment(path),
        match="//",
    )


@pytest.mark.parametrize(
    ("case", "text", "match"),
    [
        (
            "Stockholm blocks naming different sequences",
            "# STOCKHOLM 1.0\na ACDEF\n\nb ACDEF\n//\n",
            "sequence 'b' is not in the first block",
        ),
        (
            "a Stockholm block missing a sequence",
            "# STOCKHOLM 1.0\na ACDEF\nb ACDEF\n\na GHIKL\n//\n",
            "a block lists 1 sequences, the first block 2",
        ),
    ],
)
def test_stockholm_blocks_must_list_the_first_blocks_sequences(folder, case, text, match):
    """Every block lists the first block's sequences (Easel also wants its order; rows in
    another order are joined by name, see test_alignment_characters)."""
    path = write(folder, "blocks.sto", text)
    refused(MSA_AREA, case, lambda: read_alignment(path, "amino"), match=match)
    fine = "# STOCKHOLM 1.0\na ACDEF\nb ACDEF\n\n\na GHIKL\nb GHIKL\n//\n"
    assert read_alignment(write(folder, "fine.sto", fine), "amino").alen == 10


def test_stockholm_line_after_terminator(folder):
    path = write(folder, "after.sto", "# STOCKHOLM 1.0\na ACDEF\n//\nb ACDEF\n")
    refused(
        MSA_AREA,
        "a sequence line after the closing //",
        lambda: read_alignment(path, "amino"),
        match="STOCKHOLM|//",
    )
