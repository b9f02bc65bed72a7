"""The ``hmmkit build | search | align`` command lines, checked against HMMER (pyhmmer)."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from hmmkit.cli import main

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def table_rows(text: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split(None, 18)
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_search_writes_hmmers_tblout(shared_data, tmp_path, capsys):
    out = tmp_path / "hits.tbl"
    hmmfile = shared_data / "protein/pyhmmer/PF02826.hmm"
    assert main(["search", "--tblout", str(out), str(hmmfile), str(shared_data / PROTEOME)]) == 0
    ours = table_rows(out.read_text())
    ref = table_rows((shared_data / "protein/pyhmmer/PF02826.tbl").read_text())
    assert set(ours) == set(ref)
    for name, row in ref.items():
        assert ours[name][4:18] == row[4:18]
    out = capsys.readouterr().out
    assert "938293.PRJEB85.HG003685_328" in out
    # hmmsearch's hit list: full sequence and best domain columns, the inclusion rule
    assert (
        "    5.6e-54  179.1   0.0      1e-53  178.3   0.0    1.4  2  938293.PRJEB85.HG003685_328"
        in out
    )
    assert out.count("  ------ inclusion threshold ------") == 1
    # hmmsearch's per-domain table and alignments follow the hit list; --noali drops these
    assert "Domain annotation for each sequence (and alignments):" in out
    assert "   2 !  178.3   0.0     1e-55     1e-53       2     178 .]     101     279 .." in out
    assert "  == domain 2  score: 178.3 bits;  conditional E-value: 1e-55" in out
    assert main(["search", "--noali", str(hmmfile), str(shared_data / PROTEOME)]) == 0
    out = capsys.readouterr().out
    assert "Domain annotation for each sequence:" in out and "== domain" not in out


def test_search_saves_the_included_domains_alignment(shared_data, tmp_path, capsys):
    """-A as hmmsearch: one Stockholm record per query, HMMER reads it back."""
    import pyhmmer

    hmmfile = shared_data / "protein/pyhmmer/PF02826.hmm"
    out = tmp_path / "hits.sto"
    assert main(["search", "-A", str(out), str(hmmfile), str(shared_data / PROTEOME)]) == 0
    saved = f"# Alignment of 16 hits satisfying inclusion thresholds saved to: {out}"
    assert saved in capsys.readouterr().out
    with pyhmmer.easel.MSAFile(str(out)) as handle:
        msa = handle.read()

    def text(value):
        return value.decode() if isinstance(value, bytes) else value

    assert (text(msa.name), text(msa.accession)) == ("2-Hacid_dh_C", "PF02826.20")
    assert text(msa.author).startswith("hmmkit search")
    assert len(msa.sequences) == 16
    assert text(msa.sequences[0].name) == "938293.PRJEB85.HG003685_328/101-279"
    lonely = tmp_path / "one.fa"
    lonely.write_text(">random\nMKVLAAGIVGLPNVGKSTLFNALTKAG\n")
    assert main(["search", "-A", str(out), str(hmmfile), str(lonely)]) == 0
    assert "# No hits satisfy inclusion thresholds; no alignment saved" in capsys.readouterr().out
    assert out.read_text() == ""


@pytest.mark.parametrize("family", ["tutorial/Pkinase.sto", "pyhmmer/LuxC.sto"])
def test_build_then_search_gives_hmmers_hits(shared_data, tmp_path, family):
    """hmmkit build writes a calibrated HMMER3/f file that HMMER reads; hmmkit search with it
    finds HMMER's hits (HMMER's own model and search) at E <= 0.01, bits within 0.5."""
    from hmmer_reference import build_hmm, hmmsearch, read_hmm, read_sequences

    hmmfile, tbl = tmp_path / "model.hmm", tmp_path / "hits.tbl"
    assert main(["build", str(hmmfile), str(shared_data / "protein" / family)]) == 0
    written = read_hmm(hmmfile)  # HMMER reads it
    reference = build_hmm(shared_data / "protein" / family)
    assert written.M == reference.M
    ours_ev = list(written.evalue_parameters.as_vector())
    ref_ev = list(reference.evalue_parameters.as_vector())
    for k in (0, 4):  # MSV mu and Forward tau reproduce HMMER's calibration
        assert ours_ev[k] == pytest.approx(ref_ev[k], abs=0.05)
    assert main(["search", "--tblout", str(tbl), str(hmmfile), str(shared_data / PROTEOME)]) == 0
    ours = table_rows(tbl.read_text())
    seqs = read_sequences(shared_data / PROTEOME)
    ref = {h.name: h for h in hmmsearch(reference, seqs) if h.reported}
    assert {n for n, r in ours.items() if float(r[4]) <= 0.01} == {
        n for n, h in ref.items() if h.evalue <= 0.01
    }
    for name, hit in ref.items():
        assert float(ours[name][5]) == pytest.approx(hit.score, abs=0.5)


def test_align_writes_hmmaligns_stockholm(shared_data, tmp_path):
    import pyhmmer
    from hmmer_reference import read_hmm
    from pyhmmer import easel

    hmmfile, sto, a2m = tmp_path / "g.hmm", tmp_path / "out.sto", tmp_path / "out.a2m"
    seqfile = shared_data / "protein/tutorial/globins45.fa"
    assert main(["build", str(hmmfile), str(shared_data / "protein/tutorial/globins4.sto")]) == 0
    assert main(["align", "-o", str(sto), str(hmmfile), str(seqfile)]) == 0
    assert main(["align", "--outformat", "a2m", "-o", str(a2m), str(hmmfile), str(seqfile)]) == 0
    abc = easel.Alphabet.amino()
    with easel.SequenceFile(str(seqfile), digital=True, alphabet=abc) as handle:
        seqs = handle.read_block()
    ref = pyhmmer.hmmalign(read_hmm(hmmfile), seqs, all_consensus_cols=True)
    for path, fmt in ((sto, "stockholm"), (a2m, "a2m")):
        buf = io.BytesIO()
        ref.write(buf, fmt)
        assert path.read_text() == buf.getvalue().decode()


def test_cli_reports_bad_input(shared_data, tmp_path, capsys):
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nMKV1\n")
    hmmfile = shared_data / "protein/pyhmmer/PF02826.hmm"
    assert main(["search", str(hmmfile), str(bad)]) == 1
    assert "not amino residues" in capsys.readouterr().err


def test_build_takes_the_alignment_format_from_informat(shared_data, tmp_path, capsys):
    """``--informat`` names the format of a file whose name does not tell it."""
    source = shared_data / "protein/tutorial/MADE1.sto"
    renamed = tmp_path / "made1.txt"
    renamed.write_bytes(source.read_bytes())
    told, detected = tmp_path / "told.hmm", tmp_path / "detected.hmm"
    assert main(["build", "--informat", "stockholm", str(told), str(renamed)]) == 0
    assert main(["build", str(detected), str(source)]) == 0
    assert told.read_text() == detected.read_text()
    capsys.readouterr()
    assert main(["build", "--informat", "afa", str(tmp_path / "wrong.hmm"), str(renamed)]) == 1
    err = capsys.readouterr().err
    assert "made1.txt" in err and "must begin with a '>' header line" in err
    assert len(err.splitlines()) == 1  # one line, not a parser's advice
    assert not (tmp_path / "wrong.hmm").exists()


def test_build_makes_one_model_per_alignment_of_a_multi_alignment_file(
    shared_data, tmp_path, capsys
):
    """A Stockholm file of several alignments (as Pfam's seed file) gives one model each, in
    file order, each the same as built from its own file; ``-n`` is refused there."""
    from hmmkit.profile import read_hmmer_all

    tutorial = shared_data / "protein/tutorial"
    globins = (tutorial / "globins4.sto").read_text()  # has no #=GF ID line
    named = globins.replace("# STOCKHOLM 1.0\n", "# STOCKHOLM 1.0\n#=GF ID globins4\n", 1)
    both = tmp_path / "two.sto"
    both.write_text(named + (tutorial / "fn3.sto").read_text())
    assert main(["build", str(tmp_path / "two.hmm"), str(both)]) == 0
    text = (tmp_path / "two.hmm").read_text()
    assert [m.name for m in read_hmmer_all(tmp_path / "two.hmm")] == ["globins4", "fn3"]
    singles = ""
    for name in ("globins4", "fn3"):
        assert main(["build", str(tmp_path / f"{name}.hmm"), str(tutorial / f"{name}.sto")]) == 0
        singles += (tmp_path / f"{name}.hmm").read_text()
    assert text == singles
    capsys.readouterr()
    assert main(["build", "-n", "x", str(tmp_path / "named.hmm"), str(both)]) == 1
    assert "holds 2 alignments" in capsys.readouterr().err
    assert not (tmp_path / "named.hmm").exists()
    both.write_text((tutorial / "fn3.sto").read_text() + globins)
    assert main(["build", str(tmp_path / "unnamed.hmm"), str(both)]) == 1
    assert "alignment #2 has no name" in capsys.readouterr().err
    assert not (tmp_path / "unnamed.hmm").exists()


def test_build_refuses_names_with_spaces_and_takes_seed_zero(shared_data, tmp_path, capsys):
    """A model name is one word (HMMER's NAME; Easel refuses more); --seed 0 asks for an
    arbitrary seed, as in hmmbuild."""
    from hmmkit.profile import read_hmmer

    globins = shared_data / "protein/tutorial/globins4.sto"
    out = tmp_path / "g.hmm"
    assert main(["build", "-n", "my model", str(out), str(globins)]) == 1
    assert "one word without spaces, got 'my model'" in capsys.readouterr().err
    spaced = tmp_path / "spaced.sto"
    spaced.write_text("# STOCKHOLM 1.0\n#=GF ID fam with space\na ACDEFGHIK\nb ACDEFGHIK\n//\n")
    assert main(["build", str(out), str(spaced)]) == 1
    assert "'fam with space'" in capsys.readouterr().err
    assert not out.exists()
    unnamed = tmp_path / "lux c.sto"
    unnamed.write_text("# STOCKHOLM 1.0\na ACDEFGHIK\nb ACDEFGHIK\n//\n")
    assert main(["build", str(out), str(unnamed)]) == 1
    assert "the file name 'lux c' that would name the model has a space" in capsys.readouterr().err
    assert main(["build", "--seed", "0", str(out), str(globins)]) == 0
    assert set(read_hmmer(out).stats) == {"MSV", "VITERBI", "FORWARD"}


@pytest.mark.parametrize(
    ("flags", "hmmer_options"),
    [
        (
            ["--wblosum", "--eclust", "--plaplace"],
            {"weighting": "blosum", "effective_number": "clust", "prior_scheme": "laplace"},
        ),
        (
            ["--wnone", "--eset", "3.5", "--pnone"],
            {"weighting": "none", "effective_number": 3.5, "prior_scheme": None},
        ),
        (["--ere", "0.8", "--esigma", "200"], {"ere": 0.8, "esigma": 200.0}),
    ],
)
def test_build_weighting_effn_and_prior_options_are_hmmbuilds(
    shared_data, tmp_path, flags, hmmer_options
):
    """The CLI's hmmbuild options give HMMER's model for the same options."""
    import numpy as np
    from pyhmmer import easel, plan7

    from hmmkit.profile import read_hmmer

    path = shared_data / "protein/tutorial/fn3.sto"
    assert main(["build", *flags, str(tmp_path / "fn3.hmm"), str(path)]) == 0
    ours = read_hmmer(tmp_path / "fn3.hmm")
    abc = easel.Alphabet.amino()
    with easel.MSAFile(str(path), digital=True, alphabet=abc) as handle:
        msa = handle.read()
    theirs, _, _ = plan7.Builder(abc, **hmmer_options).build_msa(msa, plan7.Background(abc))
    assert ours.effn == pytest.approx(theirs.nseq_effective, rel=1e-5)
    # the file holds 5 decimals of -log(p)
    np.testing.assert_allclose(
        ours.match_emissions[1:], np.asarray(theirs.match_emissions)[1:], atol=2e-5
    )
    np.testing.assert_allclose(
        ours.transitions[1:], np.asarray(theirs.transition_probabilities)[1:], atol=2e-5
    )


def test_search_refuses_a_model_file_mixing_alphabets(shared_data, tmp_path, capsys):
    """hmmsearch stops at a model of another alphabet; so does hmmkit, and writes no table
    (the models are read one at a time, so a Pfam-sized file is never held in memory)."""
    tutorial = shared_data / "protein/tutorial"
    for name in ("MADE1", "globins4"):
        assert main(["build", str(tmp_path / f"{name}.hmm"), str(tutorial / f"{name}.sto")]) == 0
    mixed = tmp_path / "mixed.hmm"
    mixed.write_text((tmp_path / "MADE1.hmm").read_text() + (tmp_path / "globins4.hmm").read_text())
    dna = tmp_path / "dna.fa"
    dna.write_text(">s1\nACGTACGTTAGCATCGATCGATCGTAGCTAGCTAGCATCGATCGA\n")
    capsys.readouterr()
    out = tmp_path / "hits.tbl"
    assert main(["search", "--tblout", str(out), str(mixed), str(dna)]) == 1
    captured = capsys.readouterr()
    assert "mixes alphabets: MADE1 is DNA, globins4 is amino" in captured.err
    assert "Query:       globins4" not in captured.out and not out.exists()


@pytest.mark.parametrize(
    ("flags", "hmmer_options"),
    [
        (["--cut_ga"], {"bit_cutoffs": "gathering"}),
        (["--cut_nc"], {"bit_cutoffs": "noise"}),
        (["-T", "20", "--domT", "15", "--incT", "30", "--incdomT", "25"],
         {"T": 20.0, "domT": 15.0, "incT": 30.0, "incdomT": 25.0}),
    ],
)  # fmt: skip
def test_search_bit_score_thresholds_are_hmmsearchs(shared_data, tmp_path, flags, hmmer_options):
    """--cut_ga/--cut_nc and the bit-score thresholds report and include what hmmsearch does."""
    from hmmer_reference import hmmsearch, read_hmm, read_sequences

    hmm = shared_data / "protein/pyhmmer/PF02826.hmm"
    out = tmp_path / "hits.domtbl"
    assert (
        main(["search", *flags, "--domtblout", str(out), str(hmm), str(shared_data / PROTEOME)])
        == 0
    )
    rows = [line.split() for line in out.read_text().splitlines() if not line.startswith("#")]
    ours = {(r[0], int(r[9])) for r in rows}  # reported domains: (target, domain number)
    theirs = hmmsearch(read_hmm(hmm), read_sequences(shared_data / PROTEOME), **hmmer_options)

    def name(x):
        return x.decode() if isinstance(x, bytes) else x

    expected = {
        (name(h.name), i + 1)
        for h in theirs.reported
        for i, d in enumerate(d for d in h.domains if d.reported)
    }
    assert ours == expected and ours


def test_gzip_compressed_inputs_read_as_hmmer_reads_them(shared_data, tmp_path, capsys):
    """Alignments, model files and sequence databases may be gzip-compressed (known by
    their first bytes); the model is named after the file without .gz and extension."""
    import gzip

    def gz(source, name):
        path = tmp_path / name
        path.write_bytes(gzip.compress(source.read_bytes()))
        return path

    proteome = gz(shared_data / PROTEOME, "proteome.faa.gz")
    pfam = gz(shared_data / "protein/pyhmmer/PF02826.hmm", "PF02826.hmm.gz")
    plain, packed = tmp_path / "plain.tbl", tmp_path / "packed.tbl"
    args = ["search", "--noali", "--tblout"]
    hmmfile = shared_data / "protein/pyhmmer/PF02826.hmm"
    assert main([*args, str(plain), str(hmmfile), str(shared_data / PROTEOME)]) == 0
    assert main([*args, str(packed), str(pfam), str(proteome)]) == 0
    assert table_rows(packed.read_text()) == table_rows(plain.read_text())
    seed = gz(shared_data / "protein/tutorial/globins4.sto", "globins4.sto.gz")
    assert main(["build", str(tmp_path / "g.hmm"), str(seed)]) == 0
    assert "NAME  globins4\n" in (tmp_path / "g.hmm").read_text()
    damaged = tmp_path / "damaged.faa.gz"
    damaged.write_bytes(proteome.read_bytes()[:5000])
    capsys.readouterr()
    assert main(["search", str(hmmfile), str(damaged)]) == 1
    assert "damaged.faa.gz: damaged gzip file" in capsys.readouterr().err


def test_dash_reads_standard_input_as_in_hmmer(shared_data, tmp_path, monkeypatch, capsys):
    hmmfile = shared_data / "protein/pyhmmer/PF02826.hmm"
    plain, piped = tmp_path / "plain.tbl", tmp_path / "piped.tbl"
    assert main(["search", "--tblout", str(plain), str(hmmfile), str(shared_data / PROTEOME)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO((shared_data / PROTEOME).read_text()))
    assert main(["search", "--tblout", str(piped), str(hmmfile), "-"]) == 0
    assert table_rows(piped.read_text()) == table_rows(plain.read_text())
    seed = (shared_data / "protein/tutorial/globins4.sto").read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO(seed))
    capsys.readouterr()
    assert main(["build", str(tmp_path / "g.hmm"), "-"]) == 1
    assert "read from standard input has no name: pass -n NAME" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(seed))
    assert main(["build", "-n", "g4", str(tmp_path / "g.hmm"), "-"]) == 0
    assert main(["search", "-", "-"]) == 1
    assert "only one of query file and target database SEQDB can be '-'" in (
        capsys.readouterr().err
    )


def test_fetch_copies_named_models_as_written(shared_data, tmp_path, capsys):
    pfam = (shared_data / "protein/pyhmmer/PF02826.hmm").read_text()
    thio = (shared_data / "protein/pyhmmer/Thioesterase.hmm").read_text()
    database = tmp_path / "db.hmm"
    database.write_text(pfam + "\n" + thio)
    capsys.readouterr()
    assert main(["fetch", str(database), "Thioesterase", "PF02826"]) == 0
    assert capsys.readouterr().out == thio + pfam  # in the order asked
    out = tmp_path / "one.hmm"
    assert main(["fetch", "-o", str(out), str(database), "PF02826.20"]) == 0
    assert out.read_text() == pfam
    assert main(["fetch", str(database), "2-Hacid_dh_C", "nothing"]) == 1
    assert "holds no model named nothing" in capsys.readouterr().err


def test_python_dash_m_runs_the_command_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "hmmkit", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,  # -m puts the current folder first: not the checkout's hmmkit/
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: hmmkit ")
    for command in ("build", "search", "scan", "align", "recognize"):
        assert command in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "hmmkit"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2  # no command: the help, and a usage error's exit code


def test_build_names_the_alphabet_options_when_it_cannot_guess(tmp_path, capsys):
    msa = tmp_path / "unknown.sto"
    msa.write_text("# STOCKHOLM 1.0\na NNNNNN\nb NNNNNN\n//\n")  # N: DNA's or amino's?
    assert main(["build", str(tmp_path / "x.hmm"), str(msa)]) != 0
    err = capsys.readouterr().err
    assert "unknown.sto: cannot guess the alphabet" in err
    assert "--amino, --dna or --rna" in err
    assert main(["build", "--dna", str(tmp_path / "x.hmm"), str(msa)]) == 0
    assert "LENG  6" in (tmp_path / "x.hmm").read_text()


def test_search_reads_targets_in_other_formats(shared_data, tmp_path, capsys):
    """--tformat (or the format guessed): a GenBank copy of the database gives the FASTA
    search's hits, named as Easel names GenBank records (the LOCUS name, here cut to 16
    characters, with the VERSION as accession); a Stockholm alignment's rows are searched
    unaligned."""
    import warnings

    from Bio import BiopythonWarning, SeqIO
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    from hmmkit.profile.io.fasta import read_fasta

    proteins = read_fasta(shared_data / PROTEOME)
    fasta, genbank = tmp_path / "db.fa", tmp_path / "db.gb"
    fasta.write_text("".join(f">{p.name}\n{p.residues}\n" for p in proteins))
    records = [SeqRecord(Seq(p.residues), id=p.name, name=p.name[:16], description="",
                         annotations={"molecule_type": "protein"}) for p in proteins]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BiopythonWarning)
        SeqIO.write(records, genbank, "genbank")
    hmmfile = str(shared_data / "protein/pyhmmer/PF02826.hmm")
    tables = []
    for db, extra in ((fasta, []), (genbank, ["--tformat", "genbank"]), (genbank, [])):
        out = tmp_path / "hits.tbl"
        assert main(["search", *extra, "--tblout", str(out), hmmfile, str(db)]) == 0
        tables.append([line for line in out.read_text().splitlines() if line[0] != "#"])
    capsys.readouterr()
    assert len(tables[0]) == 22 and tables[2] == tables[1]
    for fasta_row, genbank_row in zip(tables[0], tables[1], strict=True):
        a, b = fasta_row.split(), genbank_row.split()
        assert (b[0], b[1], b[4:18]) == (a[0][:16], a[0], a[4:18])
    out = tmp_path / "fn3.tbl"
    globins = str(shared_data / "protein/tutorial/globins4.sto")
    assert main(["search", "--tformat", "stockholm", "--tblout", str(out),
                 str(shared_data / "protein/pyhmmer/PF02826.hmm"), globins]) == 0  # fmt: skip
    with pytest.raises(SystemExit):  # a usage error, as argparse reports it
        main(["search", "--tformat", "nexus", hmmfile, str(fasta)])
    assert "--tformat" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["search", "phmmer", "jackhmmer", "scan"])
def test_dash_o_writes_the_main_output_to_a_file(shared_data, tmp_path, capsys, command):
    """-o as HMMER's: the report standard output shows goes to FILE instead, and -A's
    closing line with it; -o naming an input is refused before anything is written."""
    tutorial, pfam = shared_data / "protein/tutorial", shared_data / "protein/pyhmmer/PF02826.hmm"
    few = tmp_path / "few.faa"  # a hit of PF02826 among a few proteins
    records = (shared_data / PROTEOME).read_text().split(">")[1:]
    few.write_text("".join(f">{r}" for r in records[:3] + [r for r in records if "_328 " in r]))
    query, targets = {
        "search": (pfam, shared_data / PROTEOME),
        "phmmer": (tutorial / "HBB_HUMAN", tutorial / "globins45.fa"),
        "jackhmmer": (tutorial / "HBB_HUMAN", tutorial / "globins45.fa"),
        "scan": (pfam, few),
    }[command]
    extra = ["-N", "2"] if command == "jackhmmer" else []
    alignment = [] if command == "scan" else ["-A", str(tmp_path / "hits.sto")]
    args = [command, *extra, *alignment, str(query), str(targets)]
    capsys.readouterr()
    assert main(args) == 0
    shown = capsys.readouterr().out
    assert "//\n" in shown and "Domain annotation" in shown
    report = tmp_path / "report.txt"
    assert main([command, "-o", str(report), *args[1:]]) == 0
    assert capsys.readouterr().out == ""
    assert report.read_text() == shown
    assert main([command, "-o", str(targets), *args[1:]]) == 1
    assert f"-o {targets} is the" in capsys.readouterr().err
    assert main([command, "-o", str(report), "--tblout", str(report), *args[1:]]) == 1
    assert "--tblout and -o are the same file" in capsys.readouterr().err


def test_acc_shows_accessions_where_hits_have_them(shared_data, tmp_path, capsys):
    """--acc as HMMER's: the hit list, the ``>>`` block headers and the alignment rows show
    a model's accession (PF02826.20, the accession HMMER gives the hit) for its name; the
    query line, names without an accession and the tables stay as they are."""
    import pyhmmer

    pfam = shared_data / "protein/pyhmmer/PF02826.hmm"
    records = (shared_data / PROTEOME).read_text().split(">")[1:]
    few = tmp_path / "few.faa"
    few.write_text("".join(f">{r}" for r in records[:2] + [r for r in records if "_328 " in r]))
    with pyhmmer.plan7.HMMFile(str(pfam)) as hmms, pyhmmer.easel.SequenceFile(
        str(few), digital=True
    ) as seqs:
        hits = [h for top in pyhmmer.hmmscan(seqs.read_block(), list(hmms)) for h in top]
    assert {h.accession for h in hits} == {"PF02826.20"}
    name, acc = "2-Hacid_dh_C", "PF02826.20"
    for command, targets in (("scan", few), ("search", shared_data / PROTEOME)):
        tables, reports = [], []
        for flags in (["--notextw"], ["--notextw", "--acc"]):  # whole descriptions
            table = tmp_path / f"{command}{len(flags)}.tbl"
            capsys.readouterr()
            assert main([command, *flags, "--tblout", str(table), str(pfam), str(targets)]) == 0
            reports.append(capsys.readouterr().out.splitlines())
            tables.append([line for line in table.read_text().splitlines() if line[0] != "#"])
        assert tables[1] == tables[0]
        plain, shown = reports
        assert len(shown) == len(plain)
        for ours, theirs in zip(shown, plain, strict=True):
            if theirs.startswith("Query:"):
                assert ours == theirs
            else:  # the same line, the accession for the name (columns may narrow)
                assert ours.split() == theirs.replace(name, acc).split()
        header = f">> {acc}  D-isomer specific 2-hydroxyacid dehydrogenase, NAD binding domain"
        assert (header in shown) == (command == "scan")
        rows = [line for line in shown if line.lstrip().startswith(acc + " ")]
        assert rows and all(name not in line for line in shown[1:])


def alignment_blocks(report: str, model: str) -> list[list[tuple[str, str]]]:
    """Each domain alignment's model rows, in order, with the block of each."""
    domains: list[list[tuple[str, str]]] = []
    for line in report.splitlines():
        if line.startswith("  == domain"):
            domains.append([])
        elif domains and line.split()[:1] == [model] and line.startswith("  "):
            domains[-1].append((line, line.split()[2]))
    return domains


def test_textw_lays_out_lines_as_hmmer(shared_data, capsys):
    """--textw N (N >= 120) and --notextw as HMMER's: hit list descriptions cut to
    max(32, N - name width - 61) characters, ">>" headers to max(32, N - name - 5),
    alignments in blocks of N - name width - 2 x coordinate width - 5 columns (at least
    40); --notextw: whole descriptions, each alignment in one block."""
    hmmfile = str(shared_data / "protein/pyhmmer/PF02826.hmm")
    proteome = str(shared_data / PROTEOME)
    capsys.readouterr()
    reports = {}
    for flags in ([], ["--notextw"], ["--textw", "120"], ["--textw", "200"]):
        assert main(["search", *flags, hmmfile, proteome]) == 0
        reports[" ".join(flags)] = capsys.readouterr().out
    name = "938293.PRJEB85.HG003685_328"  # the widest hit name: 27 columns
    desc = ("# 362674 # 363609 # 1 # ID=6_328;partial=00;start_type=TTG;rbs_motif=GGAGG;"
            "rbs_spacer=5-10bp;gc_cont=0.312")  # fmt: skip
    assert reports[""] == reports["--textw 120"]  # HMMER's default width
    for flags, cut in (("--notextw", None), ("--textw 120", 32), ("--textw 200", 112)):
        rows = [line for line in reports[flags].splitlines() if f"  {name}  " in line]
        assert rows and rows[0].endswith(f"  {name}  " + desc[:cut])
        header = f">> {name}  " + (desc[: max(32, int(flags[-3:]) - 27 - 5)] if cut else desc)
        assert any(line.startswith(header) for line in reports[flags].splitlines())
    whole = alignment_blocks(reports["--notextw"], "2-Hacid_dh_C")
    assert whole and all(len(rows) == 1 for rows in whole)
    for flags, width in (("--textw 120", 120), ("--textw 200", 200)):
        domains = alignment_blocks(reports[flags], "2-Hacid_dh_C")
        assert ["".join(b for _, b in rows) for rows in domains] == [r[0][1] for r in whole]
        for rows in domains:  # a full block fills the line: name, 2 coordinates, 5 spaces
            assert all(len(line) == width for line, _ in rows[:-1])
            assert len(rows[-1][0]) <= width
    with pytest.raises(SystemExit):  # HMMER's lower bound
        main(["search", "--textw", "119", hmmfile, proteome])
    assert "--textw must be at least 120, got 119" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["search", "--textw", "150", "--notextw", hmmfile, proteome])


def test_search_stats_closes_each_query_with_hmmers_pipeline_counters(shared_data, capsys):
    """--stats: the statistics summary before each query's '//', its counters HMMER's own
    for the same model and database (pyhmmer's pipeline)."""
    from hmmer_reference import hmmsearch, read_hmm, read_sequences

    hmmfile = shared_data / "protein/pyhmmer/PF02826.hmm"
    proteome = shared_data / PROTEOME
    assert main(["search", "--stats", "--noali", str(hmmfile), str(proteome)]) == 0
    out = capsys.readouterr().out
    state = hmmsearch(read_hmm(hmmfile), read_sequences(proteome)).__getstate__()["pipeline"]
    block = out[out.index("Internal pipeline statistics summary:"):]
    lines = block.splitlines()
    assert lines[2].split()[2:4] == ["1", f"({state['nnodes']}"]
    assert lines[3].split()[2:4] == [str(state["nseqs"]), f"({state['nres']}"]
    for line, counter in zip(lines[4:8], ("n_past_msv", "n_past_bias", "n_past_vit",
                                         "n_past_fwd"), strict=True):  # fmt: skip
        assert int(line.split()[3]) == state[counter], line
    assert lines[10] == "//"
    assert main(["search", "--noali", str(hmmfile), str(proteome)]) == 0
    assert "Internal pipeline statistics summary" not in capsys.readouterr().out
