"""Long target sequences for nhmmer: FASTA files read whole (chromosome-sized records in
one piece, plain or gzip-compressed) and digitised, or sequences given in memory."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ...textfiles import open_text
from ..alphabet import Alphabet
from ..digital import digitize
from ..io.fasta import as_sequences


def iter_targets(targets: str | os.PathLike | Iterable, alphabet: Alphabet
                 ) -> Iterator[tuple[str, str, np.ndarray]]:  # fmt: skip
    """(name, description, digital codes) of each target sequence: from a FASTA file
    path, or from sequences as :func:`~hmmkit.profile.io.fasta.as_sequences` takes them.
    ValueError names a file that is empty or not FASTA, and a record with a character
    that is not a residue of `alphabet`."""
    if not isinstance(targets, (str, os.PathLike)):
        for rec in as_sequences(targets):
            yield rec.name, rec.description, digitize(rec.residues, alphabet, name=rec.name)
        return
    path = Path(targets)
    if not path.exists():
        raise FileNotFoundError(f"{path}: target sequence file not found")
    with open_text(path) as handle:
        try:
            text = handle.read()
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not a text file (not valid {err.encoding})") from None
    body = text.lstrip()
    if not body:
        raise ValueError(f"{path}: the sequence file is empty (no FASTA records)")
    if not body.startswith(">"):
        raise ValueError(f"{path}: not a FASTA file (no '>' header first)")
    for record in body[1:].split("\n>"):
        header, _, residues = record.partition("\n")
        words = header.strip().split(None, 1)
        if not words:
            raise ValueError(f"{path}: FASTA record without a name")
        desc = words[1] if len(words) > 1 else ""
        yield words[0], desc, digitize(residues, alphabet, name=words[0])
