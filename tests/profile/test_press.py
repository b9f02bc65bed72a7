"""Pressed model databases (``hmmkit press``): scans on them equal scans of the text file
and hmmscan's, their filter profiles are the models' own, HMMER reads their binary
models, stale ones (and ones of an older format) are noticed, failed presses leave
nothing."""

from __future__ import annotations

import dataclasses
import io
import json
import os

import numpy as np
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
from hmmkit.profile.press import PressedDatabase, open_pressed, press, pressed_paths
from hmmkit.profile.search.stages import FIELDS, ModelStages

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


def test_scan_on_two_threads_gives_the_one_thread_results(database, tmp_path, monkeypatch):
    """Models scored two at a time: the same tables and stage counters, pressed or not
    (pressed: threads taking the models one by one through their MSV filter and the
    pipeline, in windows of two models; with the MSV gate and without)."""
    from hmmkit.profile.search import scan as scan_module

    path, queries = database
    copy = tmp_path / "models.hmm"
    copy.write_bytes(path.read_bytes())
    for pressed in (False, True):
        if pressed:
            press(copy)
            monkeypatch.setattr(scan_module, "_PRESSED_MODELS_PER_TASK", 1)
            monkeypatch.setattr(scan_module, "_PRESSED_MODELS_PER_WINDOW", 2)
        for gates in ({}, {"F1": 1.0}):
            one, two = scan(copy, queries, **gates), scan(copy, queries, n_jobs=2, **gates)
            assert _tables(two) == _tables(one)
            assert [r.pipeline for r in two] == [r.pipeline for r in one]
    listed = read_hmmer_all(copy)
    assert _tables(scan(listed, queries[:50], n_jobs=2)) == _tables(scan(listed, queries[:50]))


def test_pressed_stages_are_the_models_own(database):
    """Every model's filter profiles, E-value parameters, cutoffs and names as the pressed
    files give them are those the pipeline derives from the model itself, bit for bit."""
    path, _ = database
    pressed = press(path, force=True)
    for i, model in enumerate(read_hmmer_all(path)):
        mine, theirs = pressed.stages(i), ModelStages.of(model)
        assert {f: getattr(mine, f) for f in FIELDS} == {f: getattr(theirs, f) for f in FIELDS}
        for name, a, b in zip(theirs.forward._fields, mine.forward, theirs.forward, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"{model.name} {name}")
        for a, b in (*zip(mine.words, theirs.words, strict=True), (mine.odds, theirs.odds),
                     (mine.msv_bytes[0], theirs.msv_bytes[0])):  # fmt: skip
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        assert mine.msv_bytes[1] == theirs.msv_bytes[1]
        assert "model" not in vars(mine)  # not read: everything came from the mapped files
        for attr in ("transitions", "match_emissions", "insert_emissions"):  # read when asked
            np.testing.assert_array_equal(getattr(mine.model, attr), getattr(model, attr))


def test_pressed_scan_tables_are_hmmscans(shared_data, database, tmp_path):
    """The pressed scan's per-target and per-domain rows against hmmscan's (pyhmmer), query
    by query, on HMMER's own models: the two Pfam ones (default thresholds, and GA cutoffs,
    one model's lowered) byte for byte; with two more built by HMMER's hmmbuild, all but the domain
    E-value columns, whose last digit may round the other way when a domain score sits
    within HMMER's single precision of a rounding edge (HBB_RABIT against globins4)."""
    from hmmer_reference import build_hmm, digital_queries, tables, to_profile_hmm

    _, queries = database
    pfam = [read_hmmer(shared_data / path) for path in PFAM]
    built = [to_profile_hmm(build_hmm(shared_data / path)) for path in ALIGNMENTS]
    with_ga = [pfam[0], dataclasses.replace(pfam[1], gathering=(3.0, 1.0))]  # lower: hits
    runs = ((pfam, None, {}, False), (with_ga, "ga", {"bit_cutoffs": "gathering"}, False),
            (pfam + built, None, {}, True))  # fmt: skip
    for n, (models, cutoffs, options, unsure) in enumerate(runs):
        path = tmp_path / f"models{n}.hmm"
        write_hmmer(models, path)
        press(path)
        with pyhmmer.plan7.HMMFile(io.BytesIO(path.read_bytes())) as handle:  # the text alone
            hmms = list(handle)
        theirs = list(pyhmmer.hmmscan(digital_queries(queries), hmms, cpus=1, **options))
        ours = scan(path, queries, cutoffs=cutoffs)
        assert sum(len(r) for r in ours) >= (40 if len(models) > 2 else 2)
        for mine, ref in zip(ours, theirs, strict=True):
            assert _fields(tables(mine), unsure) == _fields(tables(ref), unsure), mine.query_name


def _fields(tables: tuple[str, str], unsure: bool) -> tuple[list, list]:
    """The fields of a query's per-target and per-domain rows; without the domain E-values
    (best-domain E-value; c-Evalue, i-Evalue) when `unsure`."""
    targets, domains = (text.splitlines() for text in tables)
    target_rows = [row.split()[:18] for row in targets]  # then the description
    domain_rows = [row.split()[:22] for row in domains]
    if unsure:
        target_rows = [row[:7] + row[8:] for row in target_rows]
        domain_rows = [row[:11] + row[13:] for row in domain_rows]
    return target_rows, domain_rows


def test_pressed_scan_reads_only_models_with_a_hit(database, monkeypatch):
    path, queries = database
    press(path, force=True)
    read = []
    model = PressedDatabase.model
    monkeypatch.setattr(PressedDatabase, "model", lambda db, i: read.append(i) or model(db, i))
    results = scan(path, queries[:60])
    hit_models = {h.name for r in results for h in r.hits}
    names = [m.name for m in read_hmmer_all(path)]
    assert hit_models and {names[i] for i in read} == hit_models
    assert len(read) == len(set(read))


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


def test_older_format_and_missing_profiles_are_stale(database, tmp_path):
    """A database pressed in an older format (no filter profiles), or whose profile file
    is gone, is not used: the scan warns, says to press again, and reads the text file."""
    path, queries = database
    copy = tmp_path / "models.hmm"
    copy.write_bytes(path.read_bytes())
    expected = _tables(scan(read_hmmer_all(path), queries[:50]))
    paths = pressed_paths(copy)
    press(copy)
    index = json.loads(paths["index"].read_text())
    index["format"] = "hmmkit pressed database 2"
    paths["index"].write_text(json.dumps(index))
    paths["profiles"].unlink()  # format 2 had none
    with pytest.warns(UserWarning, match=r"stale \(pressed in an older format .*press -f"):
        assert open_pressed(copy) is None
    with pytest.warns(UserWarning, match="older format"):
        assert _tables(scan(copy, queries[:50])) == expected
    press(copy, force=True)
    paths["profiles"].unlink()
    with pytest.warns(UserWarning, match=r"models\.hmm\.hkp does not match its index"):
        assert _tables(scan(copy, queries[:50])) == expected
    paths["index"].write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ValueError, match=r"models\.hmm\.hki: not a pressed database index"):
        open_pressed(copy)


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
