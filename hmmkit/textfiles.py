"""Opening the text files of sequence work: plain or gzip-compressed, as HMMER reads them."""

from __future__ import annotations

import contextlib
import gzip
import os
import sys
import zlib
from collections.abc import Iterator
from typing import IO

#: The first two bytes of every gzip file.
GZIP_MAGIC = b"\x1f\x8b"
#: The file name that means standard input.
STDIN = "-"


@contextlib.contextmanager
def open_text(path: str | os.PathLike) -> Iterator[IO[str]]:
    """Open `path` for reading text; a gzip-compressed file (``Pfam-A.hmm.gz``,
    ``proteome.faa.gz``: known by its first bytes, whatever its name) is decompressed as
    it is read, and ``-`` is standard input (uncompressed), as in HMMER. A damaged
    compressed file raises ValueError naming it."""
    path = os.fspath(path)
    if path == STDIN:
        yield sys.stdin
        return
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    try:
        with gzip.open(path, "rt") if compressed else open(path) as handle:
            yield handle
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: damaged gzip file ({err})") from None


def file_stem(path: str | os.PathLike) -> str:
    """A file's name without its folder, a ``.gz`` ending and its extension
    (``seeds/globins4.sto.gz`` -> ``globins4``): the default name of what it holds."""
    name = os.path.basename(os.fspath(path)).removesuffix(".gz")
    return os.path.splitext(name)[0] or name


def is_stdin(path: str | os.PathLike) -> bool:
    """Whether `path` is ``-``, standard input."""
    return os.fspath(path) == STDIN
