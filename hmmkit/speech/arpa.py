"""Bigram language models in ARPA format (``\\data\\``, ``\\1-grams:``, ``\\2-grams:``,
``\\end\\`` sections).

Log-probabilities are read as written (base 10) and kept in natural log. Higher orders
in the file are refused: the decoder's network holds one word of history.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

SENTENCE_START = "<s>"
SENTENCE_END = "</s>"
_LN10 = math.log(10.0)


@dataclass(frozen=True)
class BigramLM:
    """Unigram and bigram log-probabilities (natural log) with unigram back-off weights."""

    unigrams: dict[str, float]
    backoffs: dict[str, float]
    bigrams: dict[tuple[str, str], float]

    def log_prob(self, word: str, history: str) -> float:
        """ln P(word | history), backing off to the unigram."""
        if (history, word) in self.bigrams:
            return self.bigrams[(history, word)]
        if word not in self.unigrams:
            return -math.inf
        return self.backoffs.get(history, 0.0) + self.unigrams[word]

    def words(self) -> list[str]:
        """The vocabulary without the sentence markers."""
        return [w for w in self.unigrams if w not in (SENTENCE_START, SENTENCE_END)]


def read_arpa(path: str | os.PathLike) -> BigramLM:
    """Read an ARPA file with 1- and 2-grams; ValueError naming file:line when malformed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no language model file at {path}")
    unigrams: dict[str, float] = {}
    backoffs: dict[str, float] = {}
    bigrams: dict[tuple[str, str], float] = {}
    section = None
    seen_data = False
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            if line == "\\data\\":
                section, seen_data = "data", True
                continue
            if line == "\\end\\":
                section = "end"
                break
            if line.startswith("\\") and line.endswith("-grams:"):
                order = line[1:-7]
                if order not in ("1", "2"):
                    raise ValueError(f"{path}:{number}: only 1- and 2-grams are supported")
                section = order
                continue
            if section == "data":
                if line.startswith("ngram ") and int(line.split("=")[0].split()[1]) > 2:
                    raise ValueError(f"{path}:{number}: only 1- and 2-grams are supported")
                continue
            fields = line.split()
            try:
                if section == "1" and len(fields) in (2, 3):
                    unigrams[fields[1]] = float(fields[0]) * _LN10
                    if len(fields) == 3:
                        backoffs[fields[1]] = float(fields[2]) * _LN10
                elif section == "2" and len(fields) in (3, 4):
                    bigrams[(fields[1], fields[2])] = float(fields[0]) * _LN10
                else:
                    raise ValueError
            except ValueError:
                raise ValueError(f"{path}:{number}: malformed n-gram line {line!r}") from None
    if not seen_data or section != "end":
        raise ValueError(f"{path}: not a complete ARPA file (needs \\data\\ ... \\end\\)")
    return BigramLM(unigrams, backoffs, bigrams)
