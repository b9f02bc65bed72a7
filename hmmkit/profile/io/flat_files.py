"""The sequence databases' flat files (EMBL and UniProt; GenBank and DDBJ), read as Easel
(HMMER's reader) reads them: each record's name, accession, description and residues
(upper case: the files' lower-case residues mean the same)."""

from __future__ import annotations

import os

from ...textfiles import open_text
from .fasta import Sequence

#: kind: (name line, description line, accession line, tag width, sequence start line)
_LAYOUT = {
    "embl": ("ID", "DE", "AC", 5, "SQ"),
    "genbank": ("LOCUS", "DEFINITION", "VERSION", 12, "ORIGIN"),
}
_NOT_RESIDUES = str.maketrans("", "", "0123456789 \t\r\n/")


def _first_word(text: str) -> str:
    words = text.split()
    return words[0].rstrip(";") if words else ""


class _Record:
    def __init__(self, start: int) -> None:
        self.start = start
        self.name: str | None = None
        self.accession: str | None = None
        self.description: list[str] = []
        self.residues: list[str] | None = None  # None until the sequence block starts


def read_flat_file(path: str | os.PathLike, kind: str, fmt: str) -> list[Sequence]:
    """Every record of a flat file of `kind` 'embl' (EMBL, UniProt: the ID line's name, the
    ``DE`` lines joined, the first ``AC`` accession) or 'genbank' (GenBank, DDBJ: the LOCUS
    name, the first ``DEFINITION`` line, the ``VERSION``; Easel ignores ``ACCESSION``).

    ValueError naming the file, the line and `fmt` for a record without its name line or
    sequence block, or text after the last ``//``.
    """
    name_tag, desc_tag, acc_tag, width, seq_tag = _LAYOUT[kind]
    label = os.fspath(path)
    out: list[Sequence] = []
    record: _Record | None = None

    def refuse(number: int, problem: str) -> ValueError:
        return ValueError(f"{label}, line {number}: not a readable {fmt} file ({problem})")

    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if record is None:
                    if not line.strip():
                        continue
                    record = _Record(number)
                if line.startswith("//"):
                    if record.name is None:
                        raise refuse(number, f"the record has no {name_tag} line")
                    if record.residues is None:
                        raise refuse(number, f"the record has no {seq_tag} line")
                    out.append(Sequence(record.name, "".join(record.residues).upper(),
                                        " ".join(record.description),
                                        record.accession or ""))  # fmt: skip
                    record = None
                    continue
                if record.residues is not None:
                    record.residues.append(line.translate(_NOT_RESIDUES))
                    continue
                tag = line[:width].strip() if kind == "genbank" else line[:2]
                if tag == name_tag and record.name is None:
                    record.name = _first_word(line[len(name_tag) :])
                elif tag == acc_tag and record.accession is None:
                    record.accession = _first_word(line[width:])
                elif tag == desc_tag and (kind == "embl" or not record.description):
                    record.description.append(line[width:].strip())
                elif tag == seq_tag:
                    record.residues = []
    except UnicodeDecodeError as err:
        raise ValueError(f"{label}: not a {fmt} file (not valid {err.encoding} text)") from None
    if record is not None:
        raise refuse(record.start, "the record starting here does not end with //")
    if not out:
        raise ValueError(f"{label}: no {fmt} sequence records")
    return out
