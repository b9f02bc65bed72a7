"""Long target sequences for nhmmer: FASTA files read whole (chromosome-sized records in
one piece, plain or gzip-compressed) and digitised, or sequences given in memory."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ...textfiles import GZIP_MAGIC
from ..alphabet import Alphabet
from ..digital import digitize, residue_letters
from ..io.fasta import as_sequences

_WHITESPACE = b" \t\r\n\v\f"
_INVALID = 255


def _code_bytes(alphabet: Alphabet) -> bytes:
    """A bytes.translate table: input byte -> residue code (255: not a residue), as
    :func:`~hmmkit.profile.digital.digitize` reads letters (either case, U for T)."""
    table = bytearray([_INVALID]) * 256
    for code, letter in enumerate(residue_letters(alphabet)):
        table[ord(letter)] = table[ord(letter.lower())] = code
    if "T" in alphabet.symbols or "U" in alphabet.symbols:
        mate, other = ("T", "U") if "T" in alphabet.symbols else ("U", "T")
        table[ord(other)] = table[ord(other.lower())] = table[ord(mate)]
    return bytes(table)


def _fast_digitize(residues: bytes, table: bytes, alphabet: Alphabet, name: str) -> np.ndarray:
    raw = residues.translate(table, _WHITESPACE)
    if _INVALID.to_bytes(1, "little") in raw:  # raises, naming the characters
        return digitize(residues.decode("latin-1"), alphabet, name=name)
    return np.frombuffer(raw, dtype=np.uint8)


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
    data = _read_bytes(path)
    body = data.lstrip()
    if not body:
        raise ValueError(f"{path}: the sequence file is empty (no FASTA records)")
    if not body.startswith(b">"):
        raise ValueError(f"{path}: not a FASTA file (no '>' header first)")
    table = _code_bytes(alphabet)
    for record in _records(body):
        header, _, residues = record.partition(b"\n")
        try:
            words = header.decode().strip().split(None, 1)
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not a text file (not valid {err.encoding})") from None
        if not words:
            raise ValueError(f"{path}: FASTA record without a name")
        desc = words[1] if len(words) > 1 else ""
        yield words[0], desc, _fast_digitize(residues, table, alphabet, words[0])


def _records(body: bytes) -> Iterator[bytes]:
    """The records of FASTA text `body` (which starts with '>'), without their '>': a '>'
    starts a record at the start of a line (found by a one-byte search, '>' being rare)."""
    starts = []
    at = 0
    while at != -1:
        if at == 0 or body[at - 1] in b"\r\n":
            starts.append(at)
        at = body.find(b">", at + 1)
    starts.append(len(body))
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        yield body[a + 1 : b]


def _read_bytes(path: Path) -> bytes:
    """The whole file, decompressed if it is gzip-compressed."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: damaged gzip file ({err})") from None
