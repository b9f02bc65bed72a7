"""HMMER3 binary model files: byte for byte HMMER's (pyhmmer's) for the same text, and read
back to the model the text gives."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest

from hmmkit.profile import build, read_alignment, read_hmmer, read_hmmer_all, write_hmmer
from hmmkit.profile.io.hmmer3 import format_hmmer
from hmmkit.profile.io.hmmer3_binary import (
    format_hmmer_binary,
    is_binary_hmm,
    read_hmmer_binary,
    write_hmmer_binary,
)

pyhmmer = pytest.importorskip("pyhmmer")

PFAM = ["protein/pyhmmer/PF02826.hmm", "protein/pyhmmer/Thioesterase.hmm"]
ALIGNMENTS = ["protein/tutorial/globins4.sto", "protein/tutorial/MADE1.sto",
              "protein/tutorial/fn3.sto"]  # fmt: skip


def _models(shared_data):
    models = [read_hmmer(shared_data / path) for path in PFAM]
    for path in ALIGNMENTS:
        models.append(build(read_alignment(shared_data / path)))
    return models


def _hmmer_binary(text: str) -> bytes:
    """HMMER's binary record of the model in `text` (as hmmconvert -b writes it)."""
    with pyhmmer.plan7.HMMFile(io.BytesIO(text.encode())) as handle:
        hmm = handle.read()
    out = io.BytesIO()
    hmm.write(out, binary=True)
    return out.getvalue()


def _fields(model):
    out = {}
    for field in dataclasses.fields(model):
        if field.compare:
            value = getattr(model, field.name)
            out[field.name] = value.tolist() if isinstance(value, np.ndarray) else value
    return out


def test_binary_records_are_hmmers_byte_for_byte(shared_data):
    for model in _models(shared_data):
        assert format_hmmer_binary(model) == _hmmer_binary(format_hmmer(model)), model.name


def test_hmmers_binary_reads_back_as_its_text(shared_data):
    for model in _models(shared_data):
        text = format_hmmer(model)
        from_text = read_hmmer(io.StringIO(text))
        (from_binary,) = read_hmmer_binary(_hmmer_binary(text))
        assert _fields(from_binary) == _fields(from_text), model.name
        assert format_hmmer(from_binary) == text


@pytest.mark.parametrize("alphabet", ["amino", "DNA"])
def test_hmmer_reads_our_binary_file(shared_data, tmp_path, alphabet):
    """A file of several models (HMMER takes one alphabet per file)."""
    models = [m for m in _models(shared_data) if m.alphabet.name == alphabet]
    path = tmp_path / "models.h3m"
    write_hmmer_binary(models, path)
    assert is_binary_hmm(path)
    with pyhmmer.plan7.HMMFile(path) as handle:
        theirs = list(handle)
    assert [hmm.name for hmm in theirs] == [model.name for model in models]
    for hmm, model in zip(theirs, models, strict=True):
        out = io.BytesIO()
        hmm.write(out)
        ours = out.getvalue().decode().splitlines()
        expected = format_hmmer(model).splitlines()
        # HMMER's header line names its version; everything after it is the same text
        assert ours[1:] == expected[1:]


def test_read_hmmer_takes_binary_files(shared_data, tmp_path):
    models = [read_hmmer(shared_data / path) for path in PFAM]
    path = tmp_path / "pfam.h3m"
    write_hmmer_binary(models, path)
    assert [_fields(m) for m in read_hmmer_all(path)] == [_fields(m) for m in models]
    assert _fields(read_hmmer(path)) == _fields(models[0])
    text_path = tmp_path / "pfam.hmm"
    write_hmmer(models, text_path)
    assert not is_binary_hmm(text_path)


def test_truncated_and_foreign_files_name_the_file_and_byte(shared_data, tmp_path):
    record = format_hmmer_binary(read_hmmer(shared_data / PFAM[0]))
    path = tmp_path / "cut.h3m"
    path.write_bytes(record[: len(record) // 2])
    with pytest.raises(ValueError, match=r"cut\.h3m, byte \d+: file ends inside"):
        read_hmmer_binary(path)
    with pytest.raises(ValueError, match="not a HMMER3 binary model"):
        read_hmmer_binary(record + b"junk")
    huge = bytearray(record)
    huge[8:12] = (10**9).to_bytes(4, "little")  # M
    with pytest.raises(ValueError, match="model length 1000000000"):
        read_hmmer_binary(bytes(huge))
    nan = bytearray(record)
    nan[16:20] = np.float32(np.nan).tobytes()
    with pytest.raises(ValueError, match="match emissions holds a value that is not a finite"):
        read_hmmer_binary(bytes(nan))
    with pytest.raises(ValueError, match="empty input"):
        read_hmmer_binary(b"")
