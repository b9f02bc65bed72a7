"""Pressed model databases (``hmmkit press``): scans on them equal scans of the text file,
HMMER reads their binary models, stale ones are noticed, failed presses leave nothing."""

from __future__ import annotations

import io
import os

import pytest

from hmmkit.cli import main
from hmmkit.profile import (
    build,
    calibrate,
    read_alignment,
    read_hmmer,
    read_hmmer_all,
    scan,
    write_hmmer,
)
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.press import open_pressed, press, pressed_paths

pyhmmer = pytest.importorskip("pyhmmer")

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
PFAM = ["protein/pyhmmer/PF02826.hmm", "protein/pyhmmer/Thioesterase.hmm"]
ALIGNMENTS = ["protein/tutorial/globins4.sto", "protein/tutorial/fn3.sto"]


@pytest.fixture(scope="module")
def database(shared_data, tmp_path_factory):
    """A model file of two Pfam models and two built ones, and query proteins holding
    hits of each (the proteome's first 400 proteins and the 45 globins)."""
    models = [read_hmmer(shared_data / path) for path in PFAM]
    models += [calibrate(build(read_alignment(shared_data / path))) for path in ALIGNMENTS]
    folder = tmp_path_factory.mktemp("press")
    path = folder / "models.hmm"
    write_hmmer(models, path)
    queries = read_fasta(shared_data / PROTEOME)[:400]
    queries += read_fasta(shared_data / "protein/tutorial/globins45.fa")
    return path, queries


def _tables(results) -> list[str]:
    out = []
    for result in results:
        domains = io.StringIO()
        result.write_domtblout(domains)
        out.append(result.tblout() + domains.getvalue())
    return out


def test_scan_of_the_pressed_database_equals_the_text_files(database):
    path, queries = database
    expected = _tables(scan(path, queries))
    assert sum(t.count("\n") for t in expected) > 100  # hits of every model are in there
    pressed = press(path, force=True)
    assert pressed.n_models == 4 and open_pressed(path) is not None
    assert _tables(scan(path, queries)) == expected
    assert _tables(scan(path, queries, F1=1.0)) == _tables(scan(read_hmmer_all(path),
                                                                queries, F1=1.0))  # fmt: skip


def test_hmmer_reads_the_pressed_models(database):
    path, _ = database
    press(path, force=True)
    with pyhmmer.plan7.HMMFile(pressed_paths(path)["models"]) as handle:
        names = [hmm.name for hmm in handle]
    assert names == [m.name for m in read_hmmer_all(path)]


def test_stale_database_is_noticed_and_not_used(database, tmp_path):
    path, queries = database
    copy = tmp_path / "models.hmm"
    copy.write_bytes(path.read_bytes())
    press(copy)
    with pytest.raises(FileExistsError, match="force=True"):
        press(copy)
    stat = os.stat(copy)
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the text file changed
    with pytest.warns(UserWarning, match="stale .*changed since it was pressed"):
        assert open_pressed(copy) is None
    with pytest.warns(UserWarning, match="stale"):
        results = scan(copy, queries[:50])
    assert _tables(results) == _tables(scan(read_hmmer_all(path), queries[:50]))


def test_cli_press_and_stale_scan_warning(database, tmp_path, capsys):
    path, _ = database
    copy = tmp_path / "models.hmm"
    copy.write_bytes(path.read_bytes())
    assert main(["press", str(copy)]) == 0
    assert "Pressed and indexed 4 HMMs" in capsys.readouterr().out
    assert main(["press", str(copy)]) != 0
    assert "exists; press with force=True (hmmkit press -f)" in capsys.readouterr().err
    assert main(["press", "-f", str(copy)]) == 0
    capsys.readouterr()
    copy.write_bytes(copy.read_bytes())  # rewritten: a new modification time
    stat = os.stat(copy)
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    query = tmp_path / "q.fa"
    query.write_text(">q\nMVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF\n")
    assert main(["scan", str(copy), str(query)]) == 0
    assert "hmmkit scan: warning: pressed database of" in capsys.readouterr().err


def test_a_failed_press_leaves_no_pressed_file(shared_data, tmp_path):
    models = [read_hmmer(shared_data / PFAM[0]), build(read_alignment(shared_data / ALIGNMENTS[0]))]
    path = tmp_path / "models.hmm"
    write_hmmer(models, path)  # the built model is not calibrated: no STATS lines
    with pytest.raises(ValueError, match="model globins4 has no E-value parameters"):
        press(path)
    assert not any(p.exists() for p in pressed_paths(path).values())
    assert sorted(os.listdir(tmp_path)) == ["models.hmm"]
