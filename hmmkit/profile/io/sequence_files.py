"""Target sequence files in the formats HMMER's ``--tformat`` names: FASTA, the flat files
of the sequence databases (GenBank/DDBJ, EMBL, UniProt) and alignments (Stockholm/Pfam,
A2M, aligned FASTA, Clustal, PHYLIP), whose rows are read as unaligned sequences."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ...textfiles import open_text

if TYPE_CHECKING:  # the command line reads FORMATS: this module imports nothing heavy
    from ..alphabet import Alphabet
    from .fasta import Sequence

#: The layout (:mod:`.flat_files`) of each database flat-file format.
_FLAT_FILES = {"genbank": "genbank", "ddbj": "genbank", "embl": "embl", "uniprot": "embl"}
#: Alignment formats read by hmmkit's own readers, and those read through Biopython.
_OWN_ALIGNMENTS = {"stockholm": "stockholm", "pfam": "stockholm", "a2m": "a2m", "afa": "afa"}
_BIOPYTHON_ALIGNMENTS = {"clustal": "clustal", "phylip": "phylip-relaxed"}
FORMATS = ("fasta", *_FLAT_FILES, *_OWN_ALIGNMENTS, *_BIOPYTHON_ALIGNMENTS)


def guess_sequence_format(path: str | os.PathLike) -> str:
    """The format of a sequence file from its first non-blank line (FASTA when unsure)."""
    try:
        with open_text(path) as handle:
            for line in handle:
                if line.strip():
                    break
            else:
                return "fasta"
    except UnicodeDecodeError as err:
        raise ValueError(f"{os.fspath(path)}: not a sequence file (not valid {err.encoding} "
                         "text)") from None  # fmt: skip
    if line.startswith("# STOCKHOLM"):
        return "stockholm"
    if line.startswith("LOCUS"):
        return "genbank"
    if line.startswith("ID   "):  # EMBL's entry name ends with ';', UniProt's does not
        words = line.split()
        return "embl" if len(words) > 1 and words[1].endswith(";") else "uniprot"
    if line.startswith("CLUSTAL") or line.startswith("MUSCLE"):
        return "clustal"
    return "fasta"


def read_sequences(
    path: str | os.PathLike, format: str | None = None, *, alphabet: Alphabet | None = None
) -> list[Sequence]:
    """Every sequence of a file in one of :data:`FORMATS` (plain or gzip-compressed),
    unaligned: alignment rows lose their gap characters. `format` None guesses it.

    `alphabet` is the one to read alignment rows in (guessed from the letters when None).
    ValueError naming the file for an unknown format or an unreadable file.
    """
    from .fasta import Sequence, read_fasta

    label = os.fspath(path)
    fmt = (format or guess_sequence_format(path)).lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown sequence file format {format!r}; one of {', '.join(FORMATS)}")
    if fmt == "fasta":
        return read_fasta(path)
    if fmt in _OWN_ALIGNMENTS:
        from .alignments import read_alignments

        msas = read_alignments(path, alphabet, format=_OWN_ALIGNMENTS[fmt], name_from_file=False)
        return [seq for msa in msas for seq in _unaligned_rows(msa)]
    if fmt in _FLAT_FILES:
        from .flat_files import read_flat_file

        return read_flat_file(path, _FLAT_FILES[fmt], fmt)
    records = _biopython_records(path, fmt, label)
    return [Sequence(r.id, "".join(str(r.seq).split()).replace("-", "").replace(".", ""),
                     _description(r)) for r in records]  # fmt: skip


def _unaligned_rows(msa) -> list[Sequence]:
    from ..digital import code_table
    from .fasta import Sequence

    letters = code_table(msa.alphabet).letters
    out = []
    for name, row in zip(msa.names, msa.codes, strict=True):
        text = "".join(letters[c] for c in row.tolist())
        out.append(Sequence(name, text.replace("-", "").replace("~", "").replace(".", ""),
                            msa.sequence_descriptions.get(name, ""),
                            msa.sequence_accessions.get(name, "")))  # fmt: skip
    return out


def _description(record) -> str:
    """A record's description without the identifier Biopython may repeat at its start."""
    text = record.description or ""
    if text in ("<unknown description>", "."):
        return ""
    return text[len(record.id) :].strip() if text.startswith(record.id) else text


def _biopython_records(path: str | os.PathLike, fmt: str, label: str) -> list:
    from Bio import AlignIO

    try:
        with open_text(Path(path)) as handle:
            records = [r for a in AlignIO.parse(handle, _BIOPYTHON_ALIGNMENTS[fmt]) for r in a]
    except UnicodeDecodeError as err:
        raise ValueError(f"{label}: not a {fmt} file (not valid {err.encoding} text)") from None
    except (ValueError, AssertionError, TypeError, IndexError) as err:
        raise ValueError(f"{label}: not a readable {fmt} file ({err})") from None
    if not records:
        raise ValueError(f"{label}: no {fmt} sequence records")
    return records
