"""nhmmer against pyhmmer's nhmmer (HMMER 3.4): MADE1 on a synthetic genome with copies
inserted on both strands and a shuffled decoy; the same hits, coordinates, strands,
scores, biases and E-values, as nhmmer's --tblout prints them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hmmer_reference import build_hmm, to_profile_hmm

from hmmkit.cli import main
from hmmkit.profile import read_hmmer
from hmmkit.profile.long_target import nhmmer, reverse_complement, synthetic_genome

MADE1 = "protein/tutorial/MADE1.sto"


def _write_fasta(path: Path, sequences) -> Path:
    with open(path, "w") as fh:
        for s in sequences:
            fh.write(f">{s.name} {s.description}".rstrip() + "\n")
            for i in range(0, len(s.residues), 60):
                fh.write(s.residues[i : i + 60] + "\n")
    return path


@pytest.fixture(scope="module")
def made1(shared_data, tmp_path_factory):
    """MADE1 built by HMMER, its file, and the synthetic genome (3 x 1 Mb + decoy)."""
    folder = tmp_path_factory.mktemp("nhmmer")
    hmm = build_hmm(shared_data / MADE1, dna=True)
    hmm_path = folder / "MADE1.hmm"
    with open(hmm_path, "wb") as fh:
        hmm.write(fh)
    sequences, insertions = synthetic_genome(to_profile_hmm(hmm))
    genome = _write_fasta(folder / "genome.fa", sequences)
    return hmm, hmm_path, genome, sequences, insertions


def _pyhmmer_table(query, targets, **options) -> str:
    """pyhmmer's nhmmer hits written as nhmmer's --tblout (no closing comments)."""
    import io

    import pyhmmer
    from pyhmmer import easel

    abc = easel.Alphabet.dna()
    if isinstance(targets, Path):
        with easel.SequenceFile(str(targets), digital=True, alphabet=abc) as sf:
            hits = next(pyhmmer.nhmmer(query, sf, cpus=1, **options))
    else:
        block = easel.DigitalSequenceBlock(abc, [
            easel.TextSequence(name=s.name.encode(), sequence=s.residues).digitize(abc)
            for s in targets
        ])  # fmt: skip
        hits = next(pyhmmer.nhmmer(query, block, cpus=1, **options))
    buf = io.BytesIO()
    hits.write(buf, format="targets")
    return buf.getvalue().decode()


def test_hmm_query_table_is_nhmmers(made1):
    """Every reported hit of the 3 Mb genome (1 Mb chromosomes: several overlapping
    blocks each, both strands) as pyhmmer's nhmmer prints it, in its order."""
    hmm, hmm_path, genome, _, _ = made1
    expected = _pyhmmer_table(hmm, genome)
    ours = nhmmer(hmm_path, genome).tblout()
    assert ours.count("\n") > 30
    assert ours == expected


def test_wide_envelopes_are_trimmed_once_as_nhmmer_does(made1, tmp_path):
    """A 5 Mb chromosome with 50 copies (and its shuffled decoy) holds a locus (near
    784,900, on both strands) whose envelope, trimmed to 20 residues beyond the
    alignment and realigned, gets a shorter alignment: nhmmer trims once and keeps that
    envelope, and so the same table."""
    hmm, hmm_path, _, _, _ = made1
    sequences, _ = synthetic_genome(to_profile_hmm(hmm), chromosome_length=5_000_000,
                                    n_chromosomes=1, copies_per_chromosome=50)  # fmt: skip
    genome = _write_fasta(tmp_path / "dense.fa", sequences)
    ours = nhmmer(hmm_path, genome)
    assert any(h.name == "chr1" and min(h.env_from, h.env_to) == 784_864 for h in ours)
    assert ours.tblout() == _pyhmmer_table(hmm, genome)


def test_alignment_query_is_built_as_nhmmer_builds_it(made1, shared_data):
    """MADE1.sto as the query: built, given its MAXL and calibrated, then searched."""
    from pyhmmer import easel

    _, _, genome, _, _ = made1
    abc = easel.Alphabet.dna()
    with easel.MSAFile(str(shared_data / MADE1), digital=True, alphabet=abc) as fh:
        msa = fh.read()
    results = nhmmer(shared_data / MADE1, genome)
    assert results.max_length == 278
    assert results.tblout() == _pyhmmer_table(msa, genome)


@pytest.mark.parametrize("strand", ["watson", "crick"])
def test_one_strand_matches_nhmmer(made1, strand):
    """--watson/--crick: one strand searched, E-values over its residues only. (pyhmmer's
    file loop searches both strands whatever the setting, so its in-memory loop is the
    reference, on chromosomes of one block each, where the two loops agree.)"""
    hmm, _, _, _, _ = made1
    sequences, _ = synthetic_genome(to_profile_hmm(hmm), chromosome_length=200_000,
                                    copies_per_chromosome=6, seed=3)  # fmt: skip
    expected = _pyhmmer_table(hmm, sequences, strand=strand)
    ours = nhmmer(to_profile_hmm_with_maxl(hmm), sequences, strand=strand)
    assert len(ours) > 3
    assert all(h.strand == ("+" if strand == "watson" else "-") for h in ours)
    assert ours.tblout() == expected


def to_profile_hmm_with_maxl(hmm):
    """A pyhmmer model as a hmmkit model, with the MAXL nhmmer computes for it."""
    from hmmkit.profile.build import max_emission_length

    model = to_profile_hmm(hmm)
    model.max_length = max_emission_length(model.transitions)
    return model


def test_hits_lie_on_the_inserted_copies(made1):
    """Significant hits sit on inserted copies, strand and coordinates consistent; the
    shuffled decoy holds none."""
    _, hmm_path, genome, sequences, insertions = made1
    results = nhmmer(hmm_path, genome)
    strong = [h for h in results if h.evalue < 1e-3]
    assert len(strong) >= 10
    for h in strong:
        lo, hi = sorted((h.ali_from, h.ali_to))
        assert (h.strand == "+") == (h.ali_from < h.ali_to)
        assert (h.strand == "+") == (h.env_from < h.env_to)
        assert h.length == len(next(s for s in sequences if s.name == h.name).residues)
        assert any(i.chromosome == h.name and i.start - 5 <= lo and hi <= i.end + 5
                   for i in insertions)  # fmt: skip
    assert not [h for h in results if h.name == "shuffled" and h.evalue < 0.01]
    # the forward-strand copies (top strand) are each found on the strand they were put on
    found = {(h.name, h.strand, h.ali_from if h.strand == "+" else h.ali_to) for h in strong}
    assert any(("chr2", "+", 333499) == f for f in found)


def test_reverse_complement_search_mirrors_coordinates(made1):
    """A chromosome and its reverse complement give the same hits with strands swapped
    and coordinates mirrored (L - x + 1)."""
    _, hmm_path, _, sequences, _ = made1
    model = read_hmmer(hmm_path)
    piece = sequences[1].residues[300_000:360_000]  # holds the + copy at 333499
    forward = nhmmer(model, [("piece", piece)], E=1.0)
    backward = nhmmer(model, [("piece", reverse_complement(piece))], E=1.0)
    L = len(piece)
    mirrored = sorted((h.score, "-" if h.strand == "+" else "+", L - h.ali_from + 1,
                       L - h.ali_to + 1) for h in forward)  # fmt: skip
    assert mirrored == sorted((h.score, h.strand, h.ali_from, h.ali_to) for h in backward)
    assert len(forward) >= 1


def test_cli_tblout_is_nhmmers(made1, tmp_path, capsys):
    """``hmmkit nhmmer --tblout``: nhmmer's table, then HMMER's closing comment block."""
    hmm, hmm_path, genome, _, _ = made1
    table = tmp_path / "hits.tbl"
    assert main(["nhmmer", "--tblout", str(table), str(hmm_path), str(genome)]) == 0
    text = table.read_text()
    body, footer = text.split("#\n# Program:")
    assert body == _pyhmmer_table(hmm, genome)
    assert "hmmkit nhmmer" in footer and footer.endswith("# [ok]\n")
    report = capsys.readouterr().out
    rows = [line.split() for line in body.splitlines() if not line.startswith("#")]
    listed = report.split("Scores for complete hits:\n")[1].split("\n\n")[0].splitlines()[2:]
    marker = listed.index("  ------ inclusion threshold ------")
    hits = [line.split() for line in listed if "inclusion threshold" not in line]
    # the hit list holds the table's hits in its order: E-value, score, bias, name, ali
    assert [h[:6] for h in hits] == [[r[12], r[13], r[14], r[0], r[6], r[7]] for r in rows]
    assert all(float(h[0]) <= 0.01 for h in hits[:marker])
    assert all(float(h[0]) > 0.01 for h in hits[marker:])
    assert f"Total number of hits:          {len(rows):15d}" in report
    assert "Residues passing SSV filter:" in report and report.endswith("//\n[ok]\n")


def test_windows_decoded_side_by_side_define_the_same_hits(made1):
    """Domain definition of many windows at once (posterior decoding in lanes) gives each
    window the hits it gets alone."""
    from hmmkit.profile.digital import digitize
    from hmmkit.profile.long_target import query_model
    from hmmkit.profile.long_target.pipeline import LongTargetOptions, LongTargetPipeline

    _, hmm_path, _, sequences, _ = made1
    pipeline = LongTargetPipeline(query_model(hmm_path), LongTargetOptions())
    codes = digitize(sequences[0].residues, pipeline.model.alphabet)
    windows = [w for w, _ in pipeline.scan(codes[:262_144])]
    windows = (windows * (130 // len(windows) + 1))[:130]
    together = pipeline.define(windows)
    alone = [pipeline.define([w])[0] for w in windows[:10]]
    assert sum(len(h) for h in together) > 0
    key = [[(h.score, h.bias, h.domain.ali_from, h.domain.ali_to) for h in hs] for hs in alone]
    assert key == [[(h.score, h.bias, h.domain.ali_from, h.domain.ali_to) for h in hs]
                   for hs in together[:10]]  # fmt: skip


def test_gzip_targets_and_bad_residues(made1, tmp_path):
    """A gzip-compressed target file reads as the plain one; a character that is not a
    nucleotide is refused, naming its sequence."""
    import gzip

    _, hmm_path, genome, _, _ = made1
    packed = tmp_path / "genome.fa.gz"
    packed.write_bytes(gzip.compress(genome.read_bytes()))
    model = read_hmmer(hmm_path)
    assert nhmmer(model, packed).tblout() == nhmmer(model, genome).tblout()
    odd = tmp_path / "odd.fa"  # '>' inside a header, CRLF line ends, an empty record
    odd.write_text(">a desc with > inside\nAC\nGT\n>b\r\nAAA\r\n>c\n")
    from hmmkit.profile.long_target.targets import iter_targets

    assert [(n, d, c.tolist()) for n, d, c in iter_targets(odd, model.alphabet)] == [
        ("a", "desc with > inside", [0, 1, 2, 3]), ("b", "", [0, 0, 0]), ("c", "", [])
    ]  # fmt: skip
    bad = tmp_path / "bad.fa"
    bad.write_text(">ok\nACGTN\n>broken  a description\nACGTJACGT\n")
    with pytest.raises(ValueError, match="broken.*'J'"):
        nhmmer(model, bad)


def test_binary_and_compressed_model_files(made1, tmp_path):
    """The query model read from HMMER's binary format or a gzip-compressed text file."""
    import gzip

    from hmmkit.profile.io.hmmer3_binary import write_hmmer_binary

    _, hmm_path, genome, _, _ = made1
    model = read_hmmer(hmm_path)
    binary = tmp_path / "MADE1.h3m"
    write_hmmer_binary(model, binary)
    packed = tmp_path / "MADE1.hmm.gz"
    packed.write_bytes(gzip.compress(hmm_path.read_bytes()))
    expected = nhmmer(hmm_path, genome).tblout()
    assert nhmmer(binary, genome).tblout() == expected
    assert nhmmer(packed, genome).tblout() == expected


def test_bad_queries_and_options_are_refused(made1, shared_data, tmp_path):
    _, hmm_path, genome, _, _ = made1
    with pytest.raises(ValueError, match="DNA or RNA"):
        nhmmer(shared_data / "protein/tutorial/globins4.sto", genome)
    with pytest.raises(ValueError, match="strand"):
        nhmmer(hmm_path, genome, strand="both-ways")
    with pytest.raises(ValueError, match="F1"):
        nhmmer(hmm_path, genome, F1=0.0)
    with pytest.raises(FileNotFoundError, match="nope.hmm"):
        nhmmer(tmp_path / "nope.hmm", genome)
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        nhmmer(hmm_path, empty)
    with pytest.raises(ValueError, match="block_length"):
        nhmmer(hmm_path, genome, block_length=100)
