"""HMMER's null model (P7_BG) and the model statistics measured against it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .alphabet import Alphabet
from .plan7 import DM, MI, MM, ProfileHMM

#: HMMER's amino-acid background frequencies (p7_AminoFrequencies), ACDEFGHIKLMNPQRSTVWY.
AMINO_BACKGROUND = np.array(
    [
        0.0787945, 0.0151600, 0.0535222, 0.0668298, 0.0397062,
        0.0695071, 0.0229198, 0.0590092, 0.0594422, 0.0963728,
        0.0237718, 0.0414386, 0.0482904, 0.0395639, 0.0540978,
        0.0683364, 0.0540687, 0.0673417, 0.0114135, 0.0304133,
    ]
)  # fmt: skip


@dataclass
class Background:
    """HMMER's null model (P7_BG): i.i.d. residue frequencies and a geometric length model.

    `omega` is the prior probability of the null2 (biased composition) hypothesis.
    """

    alphabet: Alphabet
    frequencies: np.ndarray
    omega: float = 1.0 / 256.0

    @classmethod
    def default(cls, alphabet: Alphabet) -> Background:
        """HMMER's default background: its amino frequencies, else uniform."""
        if alphabet.size == 20 and alphabet.symbols == "ACDEFGHIKLMNPQRSTVWY":
            f = AMINO_BACKGROUND.copy()
        else:
            f = np.full(alphabet.size, 1.0 / alphabet.size)
        return cls(alphabet, f)

    @staticmethod
    def p1(length: int) -> float:
        """Self-transition of the null model for a mean length `length` (float32, as HMMER)."""
        return float(np.float32(length) / np.float32(length + 1))

    def null_score(self, length: int) -> float:
        """Null1 log-likelihood ratio baseline of a sequence of `length` residues, in nats."""
        return null1_score(length)


@lru_cache(maxsize=1 << 16)
def null1_score(length: int) -> float:
    """:meth:`Background.null_score` (the same for every background: it depends on the
    length alone), computed once per length."""
    p1 = Background.p1(length)
    return float(np.float32(length * math.log(p1) + math.log(1.0 - p1)))


#: null1_score by length (NaN: not computed yet; length 0: -inf), grown as lengths come.
_null1_by_length = np.full(1, -np.inf)


def null1_scores(lengths: np.ndarray) -> np.ndarray:
    """:func:`null1_score` of every length in `lengths` (-inf for an empty sequence), each
    distinct length computed once per process and then looked up."""
    global _null1_by_length
    lengths = np.asarray(lengths, dtype=np.int64)
    table = _null1_by_length
    top = int(lengths.max(initial=0))
    if top >= len(table):  # a new table (threads may hold the old one)
        table = np.concatenate([table, np.full(top + 1 - len(table), np.nan)])
    values = table[lengths]
    missing = np.isnan(values)
    if missing.any():
        table = table.copy() if table is _null1_by_length else table
        for length in np.unique(lengths[missing]):
            table[length] = null1_score(int(length))
        values = table[lengths]
    _null1_by_length = table
    return values


def match_occupancy(hmm: ProfileHMM) -> np.ndarray:
    """Probability that each match state is used, (M+1,), [0] = 0 (p7_hmm_CalculateOccupancy)."""
    t = hmm.transitions
    occ = np.zeros(hmm.M + 1)
    occ[1] = t[0, MI] + t[0, MM]
    for k in range(2, hmm.M + 1):
        occ[k] = occ[k - 1] * (t[k - 1, MM] + t[k - 1, MI]) + (1.0 - occ[k - 1]) * t[k - 1, DM]
    return occ


def mean_match_relative_entropy(match: np.ndarray, background: np.ndarray) -> float:
    """Mean over match states 1..M of sum_a p log2(p / f), in bits
    (p7_MeanMatchRelativeEntropy): `match` (M+1, K) match emissions, row 0 unused;
    `background` (K,) residue frequencies."""
    p = np.asarray(match, dtype=np.float64)[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / background), 0.0)
    return float(terms.sum(axis=1).mean() * 1.44269504)
