"""Pronunciation lexicons: ``WORD PH1 PH2 ...`` lines (Kaldi ``lexicon.txt``, CMUdict).

A word may have several pronunciations (one line each). CMUdict's numbered variants
(``WORD(2)``) are read as alternatives of ``WORD``, its ``;;;`` lines as comments, and
Kaldi's ``lexiconp.txt`` layout (a probability after the word) is accepted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..atomic import atomic_output

_VARIANT = re.compile(r"^(?P<word>.+)\((?P<n>\d+)\)$")


class MissingWordError(KeyError):
    """A transcript word that the lexicon does not list."""

    def __str__(self) -> str:
        return str(self.args[0])


class Lexicon:
    """Words and their pronunciations (tuples of phone names), in file order."""

    def __init__(self, entries: Mapping[str, Sequence[Sequence[str]]], source: str = "lexicon"):
        self.source = source
        self.entries: dict[str, list[tuple[str, ...]]] = {}
        for word, prons in entries.items():
            if not prons:
                raise ValueError(f"{source}: word {word!r} has no pronunciation")
            self.entries[word] = []
            for pron in prons:
                if not pron:
                    raise ValueError(f"{source}: word {word!r} has an empty pronunciation")
                if tuple(pron) not in self.entries[word]:
                    self.entries[word].append(tuple(pron))

    def __contains__(self, word: str) -> bool:
        return word in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def pronunciations(self, word: str, where: str = "") -> list[tuple[str, ...]]:
        """The pronunciations of ``word``; MissingWordError names ``where`` it was used."""
        try:
            return self.entries[word]
        except KeyError:
            at = f"{where}: " if where else ""
            raise MissingWordError(
                f"{at}word {word!r} is not in the lexicon {self.source}"
            ) from None

    def phones(self) -> list[str]:
        """Every phone used, sorted."""
        return sorted({p for prons in self.entries.values() for pron in prons for p in pron})

    def write(self, path: str | os.PathLike) -> None:
        """Write as ``lexicon.txt`` (atomically)."""
        with atomic_output(path) as fh:
            for word, prons in self.entries.items():
                for pron in prons:
                    fh.write(f"{word} {' '.join(pron)}\n")


def _is_probability(token: str) -> bool:
    try:
        value = float(token)
    except ValueError:
        return False
    return 0.0 < value <= 1.0


def read_lexicon(path: str | os.PathLike) -> Lexicon:
    """Read a lexicon file; ValueError naming file:line for a word without phones."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no lexicon file at {path}")
    entries: dict[str, list[tuple[str, ...]]] = {}
    with open(path, encoding="utf-8", errors="strict") as fh:
        for number, line in enumerate(fh, start=1):
            if line.startswith(";;;") or line.startswith("#"):
                continue
            fields = line.split()
            if not fields:
                continue
            word = fields[0]
            match = _VARIANT.match(word)
            if match:
                word = match["word"]
            phones = fields[1:]
            if len(phones) > 1 and _is_probability(phones[0]):
                phones = phones[1:]
            if not phones:
                raise ValueError(f"{path}:{number}: word {word!r} has no phones")
            entries.setdefault(word, []).append(tuple(phones))
    if not entries:
        raise ValueError(f"{path}: the lexicon lists no words")
    return Lexicon(entries, str(path))


def check_transcripts(
    lexicon: Lexicon, transcripts: Iterable[tuple[str, Sequence[str], str]]
) -> None:
    """Raise MissingWordError for the first word missing, naming its utterance and line
    (``transcripts`` yields (utt, words, where))."""
    for utt, words, where in transcripts:
        for word in words:
            lexicon.pronunciations(word, f"{where} (utterance {utt})")
