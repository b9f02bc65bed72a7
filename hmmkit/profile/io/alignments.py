"""Reading alignment files: Stockholm, aligned FASTA or A2M, the format told or guessed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from ...textfiles import file_stem, is_stdin, open_text
from ..alphabet import Alphabet, get_alphabet
from ..msa import AlphabetGuessError, DigitalMSA
from .a2m import read_a2m
from .fasta import read_aligned_fasta
from .stockholm import read_stockholm

_FORMATS = ("stockholm", "afa", "a2m")


def _guess_format(text: str, filename: str | None) -> str:
    suffix = Path(filename).suffix.lower() if filename else ""
    if suffix in (".sto", ".stk", ".sth", ".stockholm"):
        return "stockholm"
    if suffix == ".a2m":
        return "a2m"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.startswith("# STOCKHOLM"):
        return "stockholm"
    if first.startswith(">"):
        rows = ["".join(chunk.splitlines()[1:]).replace(" ", "") for chunk in text.split(">")[1:]]
        if len({len(r) for r in rows}) == 1:
            return "afa"
        if not any(c.islower() or c == "." for r in rows for c in r):
            raise ValueError(
                f"{filename or 'the input'}: FASTA sequences differ in length and have no "
                "A2M insert columns; this is not an alignment"
            )
        return "a2m"
    raise ValueError(
        f"cannot tell the alignment format of {filename or 'the input'}; "
        f"name it with format= (--informat on the command line), one of {_FORMATS}"
    )


def read_alignments(
    source: str | os.PathLike | IO[str],
    alphabet: Alphabet | str | None = None,
    *,
    format: str | None = None,
    name_from_file: bool = True,
) -> list[DigitalMSA]:
    """Read every alignment of a Stockholm, aligned FASTA or A2M file.

    ``format`` is one of 'stockholm', 'afa' (aligned FASTA) or 'a2m'; guessed from the
    file name and content when omitted. The alphabet is guessed as HMMER does unless
    given. Unnamed alignments take the file name without its extension as name
    (``name_from_file=False``: their name stays None).
    """
    filename = None
    try:
        if hasattr(source, "read"):
            filename = getattr(source, "name", None)
            text = source.read()
        else:
            filename = os.fspath(source)
            with open_text(filename) as handle:
                text = handle.read()
    except UnicodeDecodeError as err:
        label = filename or "alignment input"
        raise ValueError(f"{label}: not a text file (not valid {err.encoding})") from None
    if not text.strip():
        raise ValueError(f"{filename or 'alignment input'} is empty")
    fmt = (format or _guess_format(text, filename)).lower()
    if fmt in ("fasta", "aligned-fasta"):
        fmt = "afa"
    readers = {"stockholm": read_stockholm, "afa": read_aligned_fasta, "a2m": read_a2m}
    if fmt not in readers:
        raise ValueError(f"format must be one of {_FORMATS}, got {format!r}")
    alphabet = None if alphabet is None else get_alphabet(alphabet)
    try:
        alignments = readers[fmt](text, alphabet)
    except ValueError as err:
        if filename is None or str(filename) in str(err):
            raise
        kind = AlphabetGuessError if isinstance(err, AlphabetGuessError) else ValueError
        raise kind(f"{filename}: {err}") from err
    if not alignments:
        raise ValueError(f"{filename or 'alignment input'} holds no alignment")
    if name_from_file and isinstance(filename, str) and not is_stdin(filename):
        stem = file_stem(filename)
        for aln in alignments:
            if aln.name is None:
                aln.name = stem
    return alignments


def read_alignment(
    source: str | os.PathLike | IO[str],
    alphabet: Alphabet | str | None = None,
    *,
    format: str | None = None,
) -> DigitalMSA:
    """Read the first alignment of a file (see :func:`read_alignments`)."""
    return read_alignments(source, alphabet, format=format)[0]
