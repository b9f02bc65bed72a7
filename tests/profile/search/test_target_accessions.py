"""Target accessions (UniProt/EMBL/GenBank AC, Stockholm ``#=GS AC``) kept from the target
file and shown where hmmsearch shows them: the tables always, the report with --acc."""

from __future__ import annotations

import io

import pyhmmer
import pytest

from hmmkit.cli import main
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.io.sequence_files import read_sequences

PFAM = "protein/pyhmmer/PF02826.hmm"
PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
TABLE = "protein/pyhmmer/PF02826.tbl"
FORMATS = {"dat": "uniprot", "sto": "stockholm"}


@pytest.fixture(scope="module")
def targets(shared_data, tmp_path_factory):
    """The proteome's first 12 PF02826 hits and 30 other proteins as a UniProt flat file
    and as the rows of a Stockholm file; two proteins in three carry an accession, every
    other one a description (#=GS DE) in the Stockholm file."""
    hit_names = [line.split()[0] for line in (shared_data / TABLE).read_text().splitlines()
                 if not line.startswith("#")][:12]  # fmt: skip
    proteins = read_fasta(shared_data / PROTEOME)
    chosen = [p for p in proteins if p.name in hit_names]
    chosen += [p for p in proteins if p.name not in hit_names][:30]
    folder = tmp_path_factory.mktemp("accessions")
    dat, sto = [], ["# STOCKHOLM 1.0"]
    width = max(len(p) for p in chosen)
    for i, p in enumerate(chosen):
        dat.append(f"ID   {p.name}             Reviewed;         {len(p)} AA.")
        if i % 3:
            dat.append(f"AC   Q{i:05d}; A{i:05d};")
            sto.append(f"#=GS {p.name} AC R{i:05d}.1")
        dat.append(f"DE   {p.description or 'none'}")
        if i % 2:
            sto.append(f"#=GS {p.name} DE {p.description}")
        dat.append(f"SQ   SEQUENCE   {len(p)} AA;  0 MW;  0000000000000000 CRC64;")
        dat += ["     " + p.residues[s : s + 60] for s in range(0, len(p), 60)]
        dat.append("//")
    sto += [f"{p.name} {p.residues.ljust(width, '-')}" for p in chosen] + ["//"]
    (folder / "targets.dat").write_text("\n".join(dat) + "\n")
    (folder / "targets.sto").write_text("\n".join(sto) + "\n")
    return folder


def easel_read(path, fmt, **options):
    with pyhmmer.easel.SequenceFile(str(path), format=fmt, **options) as handle:
        return handle.read_block()


@pytest.mark.parametrize("ext", FORMATS)
def test_target_files_keep_easels_accessions(targets, ext):
    ours = {s.name: (s.accession, s.description, s.residues) for s in
            read_sequences(targets / f"targets.{ext}")}  # fmt: skip
    theirs = {s.name: (s.accession, s.description, s.sequence) for s in
              easel_read(targets / f"targets.{ext}", FORMATS[ext])}  # fmt: skip
    assert ours == theirs
    assert sum(bool(acc) for acc, _, _ in ours.values()) == 28


@pytest.fixture(scope="module")
def hmmsearch_hits(shared_data, targets):
    hmm = pyhmmer.plan7.HMMFile(str(shared_data / PFAM)).read()
    hits = {}
    for ext, fmt in FORMATS.items():
        seqs = easel_read(targets / f"targets.{ext}", fmt, digital=True, alphabet=hmm.alphabet)
        hits[ext] = next(pyhmmer.hmmsearch([hmm], seqs, cpus=1))
    return hmm, hits


@pytest.mark.parametrize("ext", FORMATS)
def test_search_tables_and_alignment_carry_accessions_as_hmmsearchs(
    shared_data, targets, hmmsearch_hits, tmp_path, capsys, ext
):
    hmm, all_hits = hmmsearch_hits
    hits = all_hits[ext]
    out = {name: tmp_path / name for name in ("t.tbl", "d.tbl", "a.sto")}
    args = [
        "search",
        "--tblout",
        str(out["t.tbl"]),
        "--domtblout",
        str(out["d.tbl"]),
        "-A",
        str(out["a.sto"]),
        str(shared_data / PFAM),
        str(targets / f"targets.{ext}"),
    ]
    assert main(args) == 0  # fmt: skip
    capsys.readouterr()
    for kind, name in (("targets", "t.tbl"), ("domains", "d.tbl")):
        expected = io.BytesIO()
        hits.write(expected, format=kind, header=False)
        rows = [line for line in out[name].read_text().splitlines() if not line.startswith("#")]
        assert rows == expected.getvalue().decode().splitlines()
    assert sum(row.split()[1] != "-" for row in rows) >= 8  # accessions in the tables
    msa = hits.to_msa(hmm.alphabet, all_consensus_cols=True)
    msa.name, msa.accession, msa.description = hmm.name, hmm.accession, hmm.description
    expected = io.BytesIO()
    msa.write(expected, "stockholm")
    saved = [line for line in out["a.sto"].read_text().splitlines() if "#=GF AU" not in line]
    assert saved == expected.getvalue().decode().splitlines()
    assert any(" AC " in line for line in saved)


def test_acc_shows_target_accessions_in_the_report(shared_data, targets, hmmsearch_hits, capsys):
    """hmmsearch --acc: the hit list, the '>>' headers and the alignments' target rows show
    the accession where the sequence has one, its name elsewhere."""
    _, all_hits = hmmsearch_hits
    accessions = {h.name: h.accession for h in all_hits["sto"].reported}
    args = [str(shared_data / PFAM), str(targets / "targets.sto")]
    assert main(["search", *args]) == 0
    plain = capsys.readouterr().out
    assert main(["search", "--acc", *args]) == 0
    shown = capsys.readouterr().out
    with_acc = [n for n, a in accessions.items() if a]
    without = [n for n, a in accessions.items() if not a]
    assert with_acc and without
    for name in with_acc:
        acc = accessions[name]
        assert f">> {acc} " in shown and f">> {name} " not in shown
        assert any(line.split()[0] == acc and line.split()[1].isdigit()
                   for line in shown.splitlines() if line.split())  # fmt: skip
        assert f">> {name} " in plain
    for name in without:
        assert f">> {name} " in shown
    hit_list = shown.split("Domain annotation")[0].splitlines()
    rows = [row.split() for row in hit_list if row.startswith("    ") and len(row.split()) > 8]
    names = {row[8] for row in rows if row[0][0].isdigit()}
    assert names == {accessions[n] or n for n in accessions}


def test_phmmer_tables_carry_target_accessions(shared_data, targets, tmp_path, capsys):
    """phmmer of a proteome protein against the Stockholm targets: the accession column is
    HMMER's (phmmer's E-values differ in their last digit; the rest as hmmsearch's)."""
    query = read_sequences(targets / "targets.sto")[1]  # a PF02826 family member
    query_file = tmp_path / "q.fa"
    query_file.write_text(f">{query.name}\n{query.residues.rstrip('*')}\n")
    table = tmp_path / "p.tbl"
    assert main(["phmmer", "--noali", "--tblout", str(table), str(query_file),
                 str(targets / "targets.sto")]) == 0  # fmt: skip
    capsys.readouterr()
    block = pyhmmer.easel.TextSequenceBlock(
        [pyhmmer.easel.TextSequence(name=query.name.encode(), sequence=query.residues.rstrip("*"))]
    ).digitize(pyhmmer.easel.Alphabet.amino())
    seqs = easel_read(targets / "targets.sto", "stockholm", digital=True,
                      alphabet=pyhmmer.easel.Alphabet.amino())  # fmt: skip
    expected = io.BytesIO()
    next(pyhmmer.phmmer(block, seqs, cpus=1)).write(expected, format="targets", header=False)
    theirs = [line.split()[:2] for line in expected.getvalue().decode().splitlines()]
    ours = [line.split()[:2] for line in table.read_text().splitlines() if line[0] != "#"]
    assert ours == theirs and any(acc != "-" for _, acc in ours)
