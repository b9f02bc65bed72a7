"""hmmkit scan against HMMER's hmmscan (pyhmmer)."""

from __future__ import annotations

import dataclasses

import pytest

from hmmkit.cli import main
from hmmkit.profile import read_hmmer, scan
from hmmkit.profile.io.fasta import read_fasta

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


@pytest.mark.parametrize("cutoffs", [None, "ga"])
def test_scan_tables_are_hmmscans(shared_data, cutoffs):
    """The proteome against a small model database: for every query, the per-target and
    per-domain rows hmmscan writes, byte for byte (models ranked, E-values over the number
    of models, domain E-values over the models reported for that query); with Pfam
    cutoffs, each model's own."""
    import pyhmmer
    from hmmer_reference import build_hmm, digital_queries, read_hmm, tables, to_profile_hmm

    protein = shared_data / "protein"
    hmms = [
        read_hmm(protein / "pyhmmer/PF02826.hmm"),
        read_hmm(protein / "pyhmmer/Thioesterase.hmm"),
    ]
    models = [read_hmmer(protein / "pyhmmer/PF02826.hmm"), to_profile_hmm(hmms[1])]
    if cutoffs:  # a second, lower gathering threshold: thresholds differ model by model
        hmms[1].cutoffs.gathering = (3.0, 1.0)
        models[1] = dataclasses.replace(models[1], gathering=(3.0, 1.0))
    else:
        for family in ("tutorial/Pkinase.sto", "tutorial/globins4.sto"):
            hmms.append(build_hmm(protein / family))
            models.append(to_profile_hmm(hmms[-1]))
    records = read_fasta(shared_data / PROTEOME)
    options = {"bit_cutoffs": "gathering"} if cutoffs else {}
    theirs = list(pyhmmer.hmmscan(digital_queries(records), hmms, cpus=1, **options))
    ours = scan(models, records, cutoffs=cutoffs)
    assert [r.query_name for r in ours] == [r.name for r in records]
    assert sum(len(r) for r in ours) >= 8
    for mine, ref in zip(ours, theirs, strict=True):
        assert tables(mine) == tables(ref), mine.query_name


def test_scan_reads_a_model_file_and_validates(shared_data, tmp_path):
    database = tmp_path / "db.hmm"
    database.write_text(
        (shared_data / "protein/pyhmmer/PF02826.hmm").read_text()
        + (shared_data / "protein/pyhmmer/Thioesterase.hmm").read_text()
    )
    query = [("q1", "MKVLAAGIVGLPNVGKSTLFNALTKAG")]
    (result,) = scan(database, query)
    assert (result.query_name, result.M, result.nseqs, result.Z) == ("q1", 27, 2, 2.0)
    with pytest.raises(ValueError, match=r"Thioesterase has no gathering \(GA\) bit score"):
        scan(database, query, cutoffs="ga")
    with pytest.raises(ValueError, match="cutoffs must be one of"):
        scan(database, query, cutoffs="GA1")
    with pytest.raises(ValueError, match="holds no model"):
        scan([], query)
    from hmmkit.profile import build

    dna = build(shared_data / "protein/tutorial/MADE1.sto")
    with pytest.raises(ValueError, match="mixes alphabets: 2-Hacid_dh_C is amino, MADE1 is DNA"):
        scan([read_hmmer(database), dna], query)


def test_scan_command_writes_hmmscan_tables(shared_data, tmp_path, capsys):
    database = tmp_path / "db.hmm"
    database.write_text((shared_data / "protein/pyhmmer/PF02826.hmm").read_text())
    hits = {"938293.PRJEB85.HG003685_328", "938293.PRJEB85.HG003689_19"}
    records = [r for r in read_fasta(shared_data / PROTEOME) if r.name in hits]
    queries = tmp_path / "q.fa"
    queries.write_text("".join(f">{r.name} {r.description}\n{r.residues}\n" for r in records))
    tbl = tmp_path / "hits.tbl"
    assert main(["scan", "--cut_ga", "--tblout", str(tbl), str(database), str(queries)]) == 0
    out = capsys.readouterr().out
    assert out.count("Query:") == 2 and "2-Hacid_dh_C" in out
    assert out.count("Domain annotation for each model (and alignments):") == 2
    assert "  == domain 1  score: 171.6 bits;  conditional E-value: 5.5e-55" in out
    rows = [line.split() for line in tbl.read_text().splitlines() if not line.startswith("#")]
    assert {(row[0], row[1], row[2]) for row in rows} == {
        ("2-Hacid_dh_C", "PF02826.20", name) for name in hits
    }
    assert "# Program:         hmmkit scan" in tbl.read_text()
