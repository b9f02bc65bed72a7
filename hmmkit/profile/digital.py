"""Digital sequences: Easel's code table, digitising residues and alignments, packing.

One table per alphabet (:func:`code_table`) holds Easel's digital codes, the only residue
numbering of the package: building counts with them, the profile scores them and the DP
kernels read them. For an alphabet of K canonical residues the layout is ``canonical
(0..K-1)``, gap ``-`` (K), the degenerate codes, the all-degenerate ``X``/``N`` (Kp-3),
the non-residue ``*`` (Kp-2) and missing data ``~`` (Kp-1). Degenerate residues are
counted as HMMER does: their weight is split equally over the canonical residues they
stand for. Alignments are digitised with every code (:func:`digitize_aligned`);
unaligned sequences (:func:`digitize`) hold residues and ``*`` only, never a gap or
``~``. Many sequences are packed back to back in one
:class:`~hmmkit.sequences.SequenceBatch` (:func:`digitize_batch`, :func:`pack`), the
only packed form the package uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ..compiling import njit
from ..sequences import SequenceBatch
from .alphabet import Alphabet, get_alphabet

NONRESIDUE = "*"

#: Extra input letters each alphabet accepts as synonyms, as Easel defines them.
_SYNONYMS = {
    "amino": {"_": "-", ".": "-"},
    "DNA": {"U": "T", "X": "N", "I": "A", "_": "-", ".": "-"},
    "RNA": {"T": "U", "X": "N", "I": "A", "_": "-", ".": "-"},
}

_INVALID = 255


@dataclass(frozen=True)
class CodeTable:
    """Easel's digital code layout for one alphabet, with per-code lookup arrays."""

    alphabet: Alphabet
    letters: str  # one letter per digital code 0..Kp-1
    inmap: np.ndarray  # (256,) uint8: input byte -> digital code, 255 if invalid
    degeneracy: np.ndarray  # (Kp, K) float: 1 where a code denotes a canonical residue
    ndegen: np.ndarray  # (Kp,) number of canonical residues a code denotes (0: none)

    @property
    def K(self) -> int:
        """Number of canonical residues."""
        return self.alphabet.size

    @property
    def Kp(self) -> int:
        """Total number of digital codes."""
        return len(self.letters)

    @property
    def gap(self) -> int:
        """Digital code of the gap symbol."""
        return self.K

    @property
    def any(self) -> int:
        """Digital code of the all-degenerate residue (X or N)."""
        return self.Kp - 3

    @property
    def nonresidue(self) -> int:
        """Digital code of the non-residue ``*``."""
        return self.Kp - 2

    @property
    def missing(self) -> int:
        """Digital code of missing data ``~``."""
        return self.Kp - 1

    def is_residue(self) -> np.ndarray:
        """(Kp,) bool: canonical or degenerate residue codes (Easel's XIsResidue)."""
        codes = np.arange(self.Kp)
        return (codes < self.K) | ((codes > self.K) & (codes < self.Kp - 2))

    def is_canonical(self) -> np.ndarray:
        """(Kp,) bool: canonical residue codes."""
        return np.arange(self.Kp) < self.K

    def count_matrix(self) -> np.ndarray:
        """(Kp, K) float32 weights with which each code is counted (esl_abc_FCount).

        Canonical codes count 1 for themselves, degenerate codes 1/n for each of the n
        residues they denote; gap, ``*`` and ``~`` count nothing.
        """
        m = np.zeros((self.Kp, self.K), dtype=np.float32)
        for x in range(self.Kp):
            if self.ndegen[x] > 0:
                m[x] = self.degeneracy[x] / np.float32(self.ndegen[x])
        return m


@cache
def code_table(alphabet: Alphabet | str) -> CodeTable:
    """The digital code table of an alphabet (amino, DNA or RNA)."""
    alphabet = get_alphabet(alphabet)
    degenerate = "".join(alphabet.degenerate)
    letters = alphabet.symbols + "-" + degenerate + "*~"
    kp, k = len(letters), alphabet.size
    inmap = np.full(256, _INVALID, dtype=np.uint8)
    for code, letter in enumerate(letters):
        inmap[ord(letter)] = code
        inmap[ord(letter.lower())] = code
    for src, dst in _SYNONYMS.get(alphabet.name, {"_": "-", ".": "-"}).items():
        inmap[ord(src)] = letters.index(dst)
        inmap[ord(src.lower())] = letters.index(dst)
    degeneracy = np.zeros((kp, k))
    for code in range(k):
        degeneracy[code, code] = 1.0
    for letter, meaning in alphabet.degenerate.items():
        code = letters.index(letter)
        for c in meaning:
            degeneracy[code, alphabet.symbols.index(c)] = 1.0
    ndegen = degeneracy.sum(axis=1).astype(np.int64)
    return CodeTable(alphabet, letters, inmap, degeneracy, ndegen)


def digitize_aligned(
    sequence: str, alphabet: Alphabet | str, *, label: str = "sequence"
) -> np.ndarray:
    """Convert aligned text to Easel digital codes; ValueError naming any invalid letter."""
    table = code_table(alphabet)
    raw = np.frombuffer(sequence.encode("ascii", errors="replace"), dtype=np.uint8)
    codes = table.inmap[raw]
    bad = np.flatnonzero(codes == _INVALID)
    if bad.size:
        pos = int(bad[0])
        raise ValueError(
            f"{label}: character {sequence[pos]!r} at column {pos + 1} is not valid in the "
            f"{table.alphabet.name} alphabet"
        )
    return codes


def residue_letters(alphabet: Alphabet) -> str:
    """The letter of every digital code, indexed by code (the code table's letters)."""
    return code_table(alphabet).letters


@cache
def _residue_table(alphabet: Alphabet) -> np.ndarray:
    """(256,) int16: input byte -> digital code of a residue letter (canonical, degenerate
    or ``*``), -1 for anything else (gap and ``~`` included)."""
    table = code_table(alphabet)
    residues = np.full(256, -1, dtype=np.int16)
    for code, letter in enumerate(table.letters):
        if code != table.gap and code != table.missing:
            residues[ord(letter)] = residues[ord(letter.lower())] = code
    if alphabet.name.lower() in ("dna", "rna"):  # Easel reads U in DNA and T in RNA alike
        other = "U" if "T" in alphabet.symbols else "T"
        mate = "T" if other == "U" else "U"
        residues[ord(other)] = residues[ord(other.lower())] = residues[ord(mate)]
    return residues


_NOT_A_RESIDUE = 255


@cache
def _residue_bytes(alphabet: Alphabet) -> bytes:
    """:func:`_residue_table` as a ``bytes.translate`` table (255: not a residue letter)."""
    table = _residue_table(alphabet)
    return np.where(table < 0, _NOT_A_RESIDUE, table).astype(np.uint8).tobytes()


def digitize(residues: str, alphabet: Alphabet, *, name: str = "sequence") -> np.ndarray:
    """Convert a residue string to Easel digital codes (uint8); whitespace is ignored.

    Raises ValueError naming the sequence when a character is not a residue of `alphabet`.
    """
    table = _residue_table(alphabet)
    raw = np.frombuffer("".join(residues.split()).encode("latin-1", "replace"), dtype=np.uint8)
    codes = table[raw]
    if np.any(codes < 0):
        bad = sorted({chr(c) for c in raw[codes < 0]})
        raise ValueError(f"{name}: characters {''.join(bad)!r} are not {alphabet.name} residues")
    return codes.astype(np.uint8)


def digitize_batch(records, alphabet: Alphabet) -> SequenceBatch:
    """:func:`digitize` every record (``.name``, ``.residues``) into one packed batch."""
    texts = [r.residues for r in records]
    table = _residue_bytes(alphabet)
    coded = "".join(texts).encode("latin-1", "replace").translate(table)
    bad = np.zeros(0, dtype=np.int64)
    if bytes([_NOT_A_RESIDUE]) in coded:  # whitespace is not a residue: leave it out, look again
        texts = ["".join(t.split()) for t in texts]
        coded = "".join(texts).encode("latin-1", "replace").translate(table)
        bad = np.flatnonzero(np.frombuffer(coded, np.uint8) == _NOT_A_RESIDUE)
    codes = np.frombuffer(coded, np.uint8)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=offsets[1:])
    if len(bad):  # name the first sequence with a bad character
        s = int(np.searchsorted(offsets[1:], bad[0], side="right"))
        digitize(records[s].residues, alphabet, name=records[s].name)
    return SequenceBatch(codes.copy(), offsets)


@njit(cache=True, nogil=True)
def _gather_codes(X, starts, lengths, offsets, out):
    for n in range(lengths.shape[0]):
        out[offsets[n] : offsets[n] + lengths[n]] = X[starts[n] : starts[n] + lengths[n]]


def gather(batch: SequenceBatch, indices: np.ndarray) -> SequenceBatch:
    """The digital sequences at `indices` of `batch` (uint8 codes), copied back to back
    into a batch of their own."""
    indices = np.asarray(indices, dtype=np.int64)
    lengths = batch.lengths[indices]
    offsets = np.zeros(len(indices) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    out = np.empty(offsets[-1], dtype=np.uint8)
    X = np.ascontiguousarray(batch.X, dtype=np.uint8)
    _gather_codes(X, np.ascontiguousarray(batch.starts[indices], dtype=np.int64), lengths,
                  offsets, out)  # fmt: skip
    return SequenceBatch(out, offsets)


def pack(codes: list[np.ndarray]) -> SequenceBatch:
    """Digital sequences (uint8 arrays) back to back in one batch."""
    return SequenceBatch.pack(codes, dtype=np.uint8)
