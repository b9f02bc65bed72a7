"""Target sequence files in HMMER's --tformat formats read as the FASTA they came from."""

from __future__ import annotations

import io
import warnings

import pyhmmer
import pytest
from Bio import BiopythonWarning, SeqIO
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from hmmkit.profile import read_hmmer, search
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.io.sequence_files import FORMATS, guess_sequence_format, read_sequences

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


@pytest.fixture(scope="module")
def proteins(shared_data):
    return read_fasta(shared_data / PROTEOME)[:60]


def _write(records, path, fmt):
    """Biopython's writer, quiet about description lines longer than the format's width."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BiopythonWarning)
        SeqIO.write(records, path, fmt)


def _records(proteins):
    return [SeqRecord(Seq(p.residues), id=p.name, name=p.name[:16], description=p.description,
                      annotations={"molecule_type": "protein"}) for p in proteins]  # fmt: skip


def easel_records(path, fmt):
    """(name, accession, description, residues) of each record as Easel (pyhmmer) reads them."""
    with pyhmmer.easel.SequenceFile(str(path), format=fmt) as handle:
        return [(s.name, s.accession, s.description, s.sequence.upper()) for s in handle]


@pytest.mark.parametrize("fmt", ["genbank", "embl"])
def test_database_flat_files_read_as_easel_reads_them(proteins, tmp_path, fmt):
    """The residues of the FASTA they came from; names, accessions and descriptions as
    Easel's: GenBank's LOCUS name and VERSION, EMBL's ID name and first AC accession."""
    path = tmp_path / f"targets.{fmt}"
    _write(_records(proteins), path, fmt)
    assert guess_sequence_format(path) == fmt
    got = read_sequences(path)  # guessed
    assert [s.residues for s in got] == [p.residues for p in proteins]
    assert [(s.name, s.accession, s.description, s.residues) for s in got] == easel_records(
        path, fmt
    )
    assert got[0].accession
    if fmt == "genbank":  # Biopython writes the name cut to 16 characters in LOCUS
        assert got[0].name == proteins[0].name[:16]


def test_alignment_rows_read_unaligned(shared_data, tmp_path):
    """Stockholm, A2M and Clustal alignments: each row without its gaps (Stockholm from the
    tutorial; its FASTA twin from the unaligned globins)."""
    fn3 = read_sequences(shared_data / "protein/tutorial/fn3.sto", "stockholm")
    assert len(fn3) == 98 and all("-" not in s.residues and "." not in s.residues for s in fn3)
    raw = (shared_data / "protein/tutorial/fn3.sto").read_text().splitlines()
    first = next(line for line in raw if line and not line.startswith("#")).split()
    assert fn3[0].name == first[0]
    assert fn3[0].residues.upper() == first[1].replace("-", "").replace(".", "").upper()
    clustal = tmp_path / "fn3.aln"
    from Bio import AlignIO

    AlignIO.write(AlignIO.read(shared_data / "protein/tutorial/fn3.sto", "stockholm"), clustal,
                  "clustal")  # fmt: skip
    got = read_sequences(clustal)
    assert [s.name for s in got] == [s.name for s in fn3]
    assert [s.residues.upper() for s in got] == [s.residues.upper() for s in fn3]


def test_search_of_a_genbank_database_is_hmmsearchs(shared_data, proteins, tmp_path):
    """The hits of the FASTA search, named and accessioned as hmmsearch names them (the
    tables' rows, accession column included, byte for byte HMMER's)."""
    path = tmp_path / "targets.gb"
    _write(_records(proteins), path, "genbank")
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    options = {"F1": 1.0, "F2": 1.0, "F3": 1.0}
    ours = search(model, read_sequences(path), **options)
    fasta = search(model, proteins, **options)
    assert [(h.accession, h.score) for h in ours.reported()] == [
        (h.name, h.score) for h in fasta.reported()
    ]
    hmm = pyhmmer.plan7.HMMFile(str(shared_data / "protein/pyhmmer/PF02826.hmm")).read()
    with pyhmmer.easel.SequenceFile(str(path), format="genbank", digital=True,
                                    alphabet=hmm.alphabet) as handle:  # fmt: skip
        hits = next(pyhmmer.hmmsearch([hmm], handle.read_block(), cpus=1, F1=1.0, F2=1.0, F3=1.0))
    for kind, write in (("targets", ours.write_tblout), ("domains", ours.write_domtblout)):
        table, expected = io.StringIO(), io.BytesIO()
        write(table, header=False)
        hits.write(expected, format=kind, header=False)
        assert table.getvalue() == expected.getvalue().decode()


def test_bad_format_and_unreadable_files_are_named(tmp_path):
    path = tmp_path / "x.gb"
    path.write_text("LOCUS       broken\nthis is not genbank\n")
    with pytest.raises(ValueError, match=r"x\.gb, line 1: not a readable genbank file \(the "
                       r"record starting here does not end with //\)"):  # fmt: skip
        read_sequences(path)
    with pytest.raises(ValueError, match="unknown sequence file format 'nexus'"):
        read_sequences(path, "nexus")
    assert "stockholm" in FORMATS and "fasta" in FORMATS


def test_a_binary_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "audio.wav"
    path.write_bytes(b"RIFF\x24\xc4\x00\x00WAVEfmt " + bytes(range(256)))
    with pytest.raises(ValueError, match=r"audio\.wav: not a sequence file"):
        read_sequences(path)
    with pytest.raises(ValueError, match=r"audio\.wav: not a genbank file"):
        read_sequences(path, "genbank")
