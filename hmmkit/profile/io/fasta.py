"""FASTA: the named-sequence value, its reader, normalising sequence inputs, and aligned
FASTA alignments."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...textfiles import open_text
from ..msa import DigitalMSA, from_text

_GAPS = "-."


@dataclass
class Sequence:
    """A named biological sequence: `name`, optional `description`, residue string, and the
    `accession` its file gives (a database flat file's, Stockholm's ``#=GS AC``; FASTA
    has none: "")."""

    name: str
    residues: str
    description: str = ""
    accession: str = ""

    def __len__(self) -> int:
        return len(self.residues)


def read_fasta(path: str | Path) -> list[Sequence]:
    """Read a FASTA file (plain or gzip-compressed): the header's first word is the name,
    the rest the description."""
    records: list[Sequence] = []
    name, desc, chunks = None, "", []
    with open_text(path) as handle:
        try:
            for line in handle:
                if line.startswith(">"):
                    if name is not None:
                        records.append(Sequence(name, "".join(chunks), desc))
                    header = line[1:].strip().split(None, 1)
                    if not header:
                        raise ValueError(f"{path}: FASTA record without a name")
                    name = header[0]
                    desc = header[1] if len(header) > 1 else ""
                    chunks = []
                elif name is None:
                    if line.strip():
                        raise ValueError(f"{path}: not a FASTA file (no '>' header first)")
                else:
                    chunks.append("".join(line.split()))
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not a text file (not valid {err.encoding})") from None
    if name is not None:
        records.append(Sequence(name, "".join(chunks), desc))
    return records


def as_sequences(
    sequences: str | Path | Iterable[Sequence | tuple[str, str] | str | object],
    *,
    strip_gaps: bool = False,
) -> list[Sequence]:
    """Normalize a FASTA path or an iterable of sequences to a list of :class:`Sequence`.

    Items may be :class:`Sequence`, ``(name, residues)`` pairs, Biopython ``SeqRecord``\\ s
    or bare strings (named ``seq1``, ``seq2``...). With `strip_gaps`, alignment gap
    characters ``-`` and ``.`` are removed from the residues.
    """
    if isinstance(sequences, (str, Path)):
        records = read_fasta(sequences)
    else:
        records = []
        for i, item in enumerate(sequences, start=1):
            if isinstance(item, Sequence):
                records.append(item)
            elif isinstance(item, tuple) and len(item) == 2:
                records.append(Sequence(str(item[0]), str(item[1])))
            elif isinstance(item, str):
                records.append(Sequence(f"seq{i}", item))
            elif hasattr(item, "seq") and hasattr(item, "id"):
                desc = getattr(item, "description", "") or ""
                if desc.startswith(item.id):
                    desc = desc[len(item.id) :].strip()
                records.append(Sequence(str(item.id), str(item.seq), desc))
            else:
                raise TypeError(f"sequences: cannot read item {i} of type {type(item).__name__}")
    if strip_gaps:
        gaps = str.maketrans("", "", _GAPS)
        records = [Sequence(r.name, r.residues.translate(gaps), r.description, r.accession)
                   for r in records]  # fmt: skip
    return records


def read_aligned_fasta(text: str, alphabet) -> list[DigitalMSA]:
    """The alignment of aligned FASTA `text`, digitised."""
    from Bio import AlignIO

    if not text.lstrip().startswith(">"):
        first = text.lstrip().splitlines()[0][:40]
        raise ValueError(f"aligned FASTA must begin with a '>' header line, found {first!r}")
    aln = AlignIO.read(io.StringIO(text), "fasta")
    if any(not rec.id for rec in aln):
        raise ValueError("aligned FASTA: a '>' header without a sequence name")
    if aln.get_alignment_length() == 0:
        raise ValueError("aligned FASTA: every row is empty (no alignment columns)")
    return [from_text([rec.id for rec in aln], [str(rec.seq) for rec in aln], alphabet)]
