"""FASTA sequence files as ``search`` and ``align`` read them: fuzzed, broken, wrong-type.

Each is searched (or aligned) correctly or refused with a ValueError (OSError when it
cannot be opened); where Easel reads an odd file (``*``, lower case, an empty record),
hmmkit reads it too.
"""

from __future__ import annotations

import math

import pytest
from catalogue import record
from hypothesis import given
from hypothesis import strategies as st
from refusals import FUZZ, Originals, mutate, read_or_refuse, refused, write

from hmmkit.profile import align, read_hmmer, search

SEARCH = "sequence databases (search)"
ALIGN = "sequences to align (align)"


@pytest.fixture(scope="module")
def model(shared_data):
    return read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")


@pytest.fixture(scope="module")
def originals(shared_data, speech_wav):
    proteome = (shared_data / "protein/pyhmmer/938293.PRJEB85.HG003687.faa").read_text()
    first_six = ">" + ">".join(proteome.split(">")[1:7])
    return Originals(
        db=first_six.encode(),
        one=(shared_data / "protein/tutorial/HBB_HUMAN").read_bytes(),
        wav=speech_wav.read_bytes(),
        sto=(shared_data / "protein/tutorial/globins4.sto").read_bytes(),
        hmm=(shared_data / "protein/pyhmmer/PF02826.hmm").read_bytes(),
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fasta")


def check_hits(results) -> None:
    for hit in results:
        assert math.isfinite(hit.score) and hit.evalue >= 0 and not math.isnan(hit.evalue)


@FUZZ
@given(data=st.data())
def test_mutated_databases_are_searched_or_refused(folder, model, originals, data):
    path = write(folder, "fuzzed.fa", mutate(data, originals["db"]))
    results = read_or_refuse(lambda: search(model, path))
    if results is not None:
        check_hits(results)


@FUZZ
@given(data=st.data())
def test_mutated_sequence_files_are_aligned_or_refused(folder, model, originals, data):
    path = write(folder, "fuzzed.fa", mutate(data, originals["one"]))
    alignment = read_or_refuse(lambda: align(model, path))
    if alignment is not None:
        assert len({len(row) for row in alignment.rows}) == 1


@FUZZ
@given(data=st.binary(min_size=1, max_size=300))
def test_arbitrary_bytes(folder, model, data):
    path = write(folder, "fuzzed.fa", data)
    read_or_refuse(lambda: search(model, path))


BAD_FILES = [
    # (case, content, message the refusal must match)
    ("a Stockholm alignment", "sto", "not a FASTA file"),
    ("a HMMER3 model file", "hmm", "not a FASTA file"),
    ("text before the first '>'", "hello\n>a\nACDEF\n", "not a FASTA file"),
    ("a '>' line without a name", ">\nACDEF\n", "without a name"),
    ("a digit in a sequence", ">a\nACD1EF\n", "'1'"),
    ("'~' in a sequence", ">a\nACD~EF\n", "'~'"),
]


@pytest.mark.parametrize("case, content, match", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_files(folder, model, originals, case, content, match):
    data = originals[content] if content in originals else content
    path = write(folder, "bad.fa", data)
    refused(SEARCH, case, lambda: search(model, path), match=match)
    refused(ALIGN, case, lambda: align(model, path), match=match)


def test_unopenable_files(folder, model):
    for area, call in ((SEARCH, search), (ALIGN, align)):
        refused(area, "a directory", lambda c=call: c(model, folder), OSError)
        refused(area, "a missing file", lambda c=call: c(model, folder / "no.fa"), OSError, "no.fa")


def test_gaps_are_refused_by_search_and_ignored_by_align(folder, model):
    path = write(folder, "gapped.fa", ">a\nAC-DE.F\n")
    refused(
        SEARCH, "alignment gaps '-' '.' in a sequence", lambda: search(model, path), match="'-.'"
    )
    assert align(model, path).names == ["a"]
    record(ALIGN, "alignment gaps '-' '.' in a sequence", "accepted", "gaps removed, as hmmalign")


@pytest.mark.parametrize(
    "case, content",
    [
        ("'*' in a sequence", ">a\nMKVLIAGAG*GIGRAV\n"),
        ("lower-case residues", ">a\nmkvliagaggigrav\n"),
        ("a record without residues", ">a\n>b\nMKVLIAGAGGIGRAV\n"),
        ("DNA letters against a protein model", ">a\nACGTACGTACGTTTGA\n"),
    ],
)
def test_files_easel_reads_are_read(folder, model, case, content):
    path = write(folder, "odd.fa", content)
    results = search(model, path)
    check_hits(results)
    assert results.nseqs == content.count(">")
    alignment = align(model, path)
    assert alignment.names == [line[1:] for line in content.splitlines() if line.startswith(">")]
    record(SEARCH, case, "accepted", f"searched ({results.nseqs} targets), as hmmsearch")
    record(ALIGN, case, "accepted", "aligned, as hmmalign")


def test_empty_file_to_align(folder, model):
    path = write(folder, "empty.fa", "")
    refused(ALIGN, "an empty file", lambda: align(model, path), match="nothing to align")


def test_empty_database(folder, model):
    """hmmsearch refuses an empty target file (Easel: 'Sequence file is empty'); an empty
    database is almost always a failed download or a wrong path."""
    path = write(folder, "empty.fa", "")
    refused(
        SEARCH,
        "an empty file",
        lambda: search(model, path),
        match="empty",
    )


def test_wav_handed_as_database(folder, model, originals):
    path = write(folder, "audio.fa", originals["wav"])
    refused(SEARCH, "a WAV file", lambda: search(model, path), match="audio.fa")
