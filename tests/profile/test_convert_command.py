"""``hmmkit convert`` (hmmconvert) and the commands that read binary model files."""

from __future__ import annotations

import io

import pytest

from hmmkit.cli import main
from hmmkit.profile.io.hmmer3 import format_hmmer, read_hmmer

pyhmmer = pytest.importorskip("pyhmmer")

PFAM = "protein/pyhmmer/PF02826.hmm"
PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def test_convert_to_binary_is_hmmconverts_and_converts_back(shared_data, tmp_path, capsys):
    text_path = shared_data / PFAM
    binary = tmp_path / "pfam.h3m"
    assert main(["convert", "-b", "-o", str(binary), str(text_path)]) == 0
    with pyhmmer.plan7.HMMFile(text_path) as handle:
        hmm = handle.read()
    hmm.command_line = None  # the text's COM and DATE lines are not kept by hmmkit
    hmm.creation_time = None
    expected = io.BytesIO()
    hmm.write(expected, binary=True)
    assert binary.read_bytes() == expected.getvalue()
    assert main(["convert", str(binary)]) == 0
    assert capsys.readouterr().out == format_hmmer(read_hmmer(text_path))


def test_search_fetch_and_stat_read_binary_files(shared_data, tmp_path, capsys):
    binary = tmp_path / "pfam.h3m"
    assert main(["convert", "-b", "-o", str(binary), str(shared_data / PFAM)]) == 0
    outputs = {}
    for source in (str(shared_data / PFAM), str(binary)):
        table = tmp_path / "hits.tbl"
        assert main(["search", "--tblout", str(table), source, str(shared_data / PROTEOME)]) == 0
        capsys.readouterr()
        rows = [line for line in table.read_text().splitlines() if not line.startswith("#")]
        assert main(["stat", source]) == 0
        outputs[source] = (rows, capsys.readouterr().out)
    text_result, binary_result = outputs.values()
    assert len(text_result[0]) == 22 and binary_result == text_result
    assert main(["fetch", str(binary), "PF02826"]) == 0
    assert capsys.readouterr().out == format_hmmer(read_hmmer(shared_data / PFAM))


def test_convert_refuses_to_overwrite_its_input(shared_data, tmp_path, capsys):
    path = tmp_path / "model.hmm"
    path.write_text((shared_data / PFAM).read_text())
    assert main(["convert", "-b", "-o", str(path), str(path)]) != 0
    assert "-o" in capsys.readouterr().err
    assert path.read_text() == (shared_data / PFAM).read_text()
