"""Multiple sequence alignments for profile building: reading (Stockholm by our own parser,
aligned FASTA via Biopython) and digitising.

Residues are stored as Easel's digital codes (see :mod:`hmmkit.profile.digital`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..compiling import njit
from .alphabet import AMINO, DNA, RNA, Alphabet, get_alphabet
from .digital import CodeTable, code_table, digitize_aligned


@dataclass
class DigitalMSA:
    """A digitised multiple alignment: ``codes`` is (nseq, alen) of Easel digital codes.

    Alignment-level annotation follows Stockholm: ``reference`` (``#=GC RF``),
    ``consensus_structure`` (``SS_cons``), ``model_mask`` (``MM``) and Pfam score
    cutoffs (``GA``, ``TC``, ``NC``) as (per-sequence, per-domain) pairs.
    """

    alphabet: Alphabet
    names: list[str]
    codes: np.ndarray
    name: str | None = None
    accession: str | None = None
    description: str | None = None
    reference: str | None = None
    consensus_structure: str | None = None
    model_mask: str | None = None
    gathering: tuple[float, float] | None = None
    trusted: tuple[float, float] | None = None
    noise: tuple[float, float] | None = None
    extra: dict = field(default_factory=dict)
    #: per-sequence annotation by name: Stockholm's ``#=GS <name> AC`` and ``DE``
    sequence_accessions: dict[str, str] = field(default_factory=dict)
    sequence_descriptions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.alphabet = get_alphabet(self.alphabet)
        self.codes = np.ascontiguousarray(self.codes, dtype=np.uint8)
        if self.codes.ndim != 2:
            raise ValueError(f"codes must be a (nseq, alen) array, got shape {self.codes.shape}")
        if len(self.names) != self.codes.shape[0]:
            raise ValueError(
                f"names has {len(self.names)} entries but codes has {self.codes.shape[0]} rows"
            )
        if self.codes.size and int(self.codes.max()) >= code_table(self.alphabet).Kp:
            raise ValueError("codes holds values outside the alphabet's digital codes")
        for label in ("reference", "consensus_structure", "model_mask"):
            value = getattr(self, label)
            if value is not None and len(value) != self.alen:
                raise ValueError(f"{label} has length {len(value)}, alignment has {self.alen}")

    @property
    def nseq(self) -> int:
        """Number of sequences."""
        return self.codes.shape[0]

    @property
    def alen(self) -> int:
        """Number of alignment columns."""
        return self.codes.shape[1]

    @property
    def table(self) -> CodeTable:
        """The digital code table of this alignment's alphabet."""
        return code_table(self.alphabet)

    def text(self) -> list[str]:
        """The aligned sequences as text (upper case, ``-`` gaps, ``~`` missing data)."""
        letters = np.frombuffer(self.table.letters.encode(), dtype=np.uint8)
        return [letters[row].tobytes().decode() for row in self.codes]

    def with_codes(self, codes: np.ndarray) -> DigitalMSA:
        """A copy of this alignment with other digital codes (same shape)."""
        return replace(self, codes=codes)


def _guess_one(counts: np.ndarray) -> str | None:
    """Easel's esl_abc_GuessAlphabet on 26 letter counts: 'amino', 'DNA', 'RNA' or None."""

    def ct(letters: str) -> tuple[int, int]:
        vals = [int(counts[ord(c) - 65]) for c in letters]
        return sum(v for v in vals if v > 0), sum(1 for v in vals if v > 0)

    n = int(counts.sum())
    n1, x1 = ct("EFIJLOPQZ")
    n2, x2 = ct("ACG")
    n3, x3 = ct("DHKMRSVWY")
    nt, xt = ct("T")
    nu, xu = ct("U")
    nx = int(counts[ord("X") - 65])
    nn, xn = ct("N")
    if n <= 10:
        return None
    if n > 2000 and nn == n:
        return "DNA"
    if n1 > 0:
        return "amino"
    if n - (n2 + nt + nn) <= 0.02 * n and x2 + xt == 4:
        return "DNA"
    if n - (n2 + nu + nn) <= 0.02 * n and x2 + xu == 4:
        return "RNA"
    if n - (n1 + n2 + n3 + nn + nt + nx) <= 0.02 * n and n3 > n2 and x1 + x2 + x3 + xn + xt >= 15:
        return "amino"
    return None


def _letter_counts(text: str, limit: int | None = None) -> np.ndarray:
    raw = np.frombuffer(text.upper().encode("ascii", errors="replace"), dtype=np.uint8)
    raw = raw[(raw >= 65) & (raw <= 90)]
    if limit is not None:
        raw = raw[:limit]
    return np.bincount(raw - 65, minlength=26)


class AlphabetGuessError(ValueError):
    """The alphabet of an alignment or sequence set cannot be guessed from its letters; the
    caller names the option that gives it (``alphabet=``, ``--amino/--dna/--rna``)."""


def guess_alphabet(sequences: list[str]) -> Alphabet:
    """Guess amino/DNA/RNA from aligned text as Easel's esl_msa_GuessAlphabet does.

    Each sequence is classified on its own (first 10,001 letters); mixed calls or no
    calls fall back to the composition of the whole alignment. ValueError if undecided.
    """
    calls = [_guess_one(_letter_counts(s, 10001)) for s in sequences]
    n_amino, n_dna, n_rna = (calls.count(c) for c in ("amino", "DNA", "RNA"))
    guess = None
    if n_amino > 0 and n_dna + n_rna == 0:
        guess = "amino"
    elif n_dna > 0 and n_rna + n_amino == 0:
        guess = "DNA"
    elif n_rna > 0 and n_dna + n_amino == 0:
        guess = "RNA"
    elif n_dna + n_rna > 0 and n_amino == 0:
        guess = "DNA"
    if guess is None:
        guess = _guess_one(_letter_counts("".join(sequences), 10001))
    if guess is None:
        raise AlphabetGuessError("cannot guess the alphabet of the alignment; pass alphabet=")
    return {"amino": AMINO, "DNA": DNA, "RNA": RNA}[guess]


def from_text(
    names: list[str],
    aligned: list[str],
    alphabet: Alphabet | str | None = None,
    **annotation,
) -> DigitalMSA:
    """Build a DigitalMSA from aligned text rows (alphabet guessed when not given)."""
    if not aligned:
        raise ValueError("an alignment needs at least one sequence")
    lengths = {len(s) for s in aligned}
    if len(lengths) != 1:
        raise ValueError(
            f"aligned sequences differ in length ({sorted(lengths)[:5]}...): is the input aligned?"
        )
    alphabet = guess_alphabet(aligned) if alphabet is None else get_alphabet(alphabet)
    codes = np.empty((len(aligned), lengths.pop()), dtype=np.uint8)
    for row, (label, seq) in enumerate(zip(names, aligned, strict=True)):
        codes[row] = digitize_aligned(seq, alphabet, label=label)
    return DigitalMSA(alphabet, list(names), codes, **annotation)


@njit(cache=True, nogil=True)
def _jenkins_hash(codes):
    mask = 0xFFFFFFFF
    val = 0
    for x in codes:
        val = (val + x) & mask
        val = (val + (val << 10)) & mask
        val ^= val >> 6
    val = (val + (val << 3)) & mask
    val ^= val >> 11
    val = (val + (val << 15)) & mask
    return val


def checksum(msa: DigitalMSA) -> int:
    """HMMER's CKSUM of an alignment: Jenkins one-at-a-time hash of its digital codes."""
    return int(_jenkins_hash(msa.codes.ravel().astype(np.int64)))
