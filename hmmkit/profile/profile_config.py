"""The Plan7 search profile: a core model configured for alignment, as HMMER's P7_PROFILE.

A :class:`~hmmkit.profile.model.ProfileHMM` holds core probabilities. Searching and aligning
use a *configured* profile: local or glocal entry/exit, multi-hit or uni-hit use of the J
state, and an N/C/J length model tuned to the target length L, scored against a null model
(:class:`Background`). This module mirrors HMMER's ``p7_ProfileConfig``,
``p7_ReconfigLength``, ``p7_ReconfigUnihit``/``Multihit`` and ``p7_bg``.

Sequences are *digitized* to small integer codes: ``0..K-1`` are the canonical residues,
``K..Kp-2`` the degenerate codes of the alphabet (in :meth:`Alphabet.degeneracy_matrix`
order) and ``Kp-1`` the non-residue ``*`` (allowed, never emitted by a match or insert).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..textfiles import open_text
from .alphabet import Alphabet
from .model import DD, DM, MD, MI, MM, ProfileHMM

#: HMMER's amino-acid background frequencies (p7_AminoFrequencies), ACDEFGHIKLMNPQRSTVWY.
AMINO_BACKGROUND = np.array(
    [
        0.0787945, 0.0151600, 0.0535222, 0.0668298, 0.0397062,
        0.0695071, 0.0229198, 0.0590092, 0.0594422, 0.0963728,
        0.0237718, 0.0414386, 0.0482904, 0.0395639, 0.0540978,
        0.0683364, 0.0540687, 0.0673417, 0.0114135, 0.0304133,
    ]
)  # fmt: skip

#: Index of the eighth per-node profile transition, the local/glocal entry B->M(k+1).
BM = 7
#: Rows of :attr:`SearchProfile.xsc`: the special states N, E, C, J.
XN, XE, XC, XJ = range(4)
#: Columns of :attr:`SearchProfile.xsc`.
LOOP, MOVE = 0, 1

NONRESIDUE = "*"
_GAPS = "-."


# --------------------------------------------------------------------------------------
# Digital sequences
# --------------------------------------------------------------------------------------


def residue_letters(alphabet: Alphabet) -> str:
    """Every residue letter accepted for `alphabet`, in digital-code order (last: ``*``)."""
    letters, _ = alphabet.degeneracy_matrix()
    return letters + NONRESIDUE


def _code_table(alphabet: Alphabet) -> np.ndarray:
    table = np.full(256, -1, dtype=np.int16)
    for code, letter in enumerate(residue_letters(alphabet)):
        table[ord(letter)] = code
        table[ord(letter.lower())] = code
    if alphabet.name.lower() in ("dna", "rna"):  # Easel reads U in DNA and T in RNA alike
        other = "U" if "T" in alphabet.symbols else "T"
        mate = "T" if other == "U" else "U"
        table[ord(other)] = table[ord(other.lower())] = table[ord(mate)]
    return table


_TABLES: dict[Alphabet, np.ndarray] = {}


def digitize(residues: str, alphabet: Alphabet, *, name: str = "sequence") -> np.ndarray:
    """Convert a residue string to digital codes (uint8); whitespace is ignored.

    Raises ValueError naming the sequence when a character is not a residue of `alphabet`.
    """
    table = _TABLES.get(alphabet)
    if table is None:
        table = _TABLES[alphabet] = _code_table(alphabet)
    raw = np.frombuffer("".join(residues.split()).encode("latin-1", "replace"), dtype=np.uint8)
    codes = table[raw]
    if np.any(codes < 0):
        bad = sorted({chr(c) for c in raw[codes < 0]})
        raise ValueError(f"{name}: characters {''.join(bad)!r} are not {alphabet.name} residues")
    return codes.astype(np.uint8)


def digitize_all(records, alphabet: Alphabet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`digitize` every record into one packed array: ``(codes, offsets, lengths)``,
    sequence s being ``codes[offsets[s]:offsets[s] + lengths[s]]``."""
    texts = ["".join(r.residues.split()) for r in records]
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    offsets = np.zeros(len(texts), dtype=np.int64)
    offsets[1:] = np.cumsum(lengths)[:-1]
    table = _TABLES.get(alphabet)
    if table is None:
        table = _TABLES[alphabet] = _code_table(alphabet)
    raw = np.frombuffer("".join(texts).encode("latin-1", "replace"), dtype=np.uint8)
    codes = table[raw]
    bad = np.flatnonzero(codes < 0)
    if len(bad):  # name the first sequence with a bad character
        s = int(np.searchsorted(offsets + lengths, bad[0], side="right"))
        digitize(records[s].residues, alphabet, name=records[s].name)
    return codes.astype(np.uint8), offsets, lengths


@dataclass
class Sequence:
    """A named biological sequence: `name`, optional `description`, residue string."""

    name: str
    residues: str
    description: str = ""

    def __len__(self) -> int:
        return len(self.residues)


def read_fasta(path: str | Path) -> list[Sequence]:
    """Read a FASTA file (plain or gzip-compressed): the header's first word is the name,
    the rest the description."""
    records: list[Sequence] = []
    name, desc, chunks = None, "", []
    with open_text(path) as handle:
        try:
            for line in handle:
                if line.startswith(">"):
                    if name is not None:
                        records.append(Sequence(name, "".join(chunks), desc))
                    header = line[1:].strip().split(None, 1)
                    if not header:
                        raise ValueError(f"{path}: FASTA record without a name")
                    name = header[0]
                    desc = header[1] if len(header) > 1 else ""
                    chunks = []
                elif name is None:
                    if line.strip():
                        raise ValueError(f"{path}: not a FASTA file (no '>' header first)")
                else:
                    chunks.append("".join(line.split()))
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: not a text file (not valid {err.encoding})") from None
    if name is not None:
        records.append(Sequence(name, "".join(chunks), desc))
    return records


def as_sequences(
    sequences: str | Path | Iterable[Sequence | tuple[str, str] | str | object],
    *,
    strip_gaps: bool = False,
) -> list[Sequence]:
    """Normalize a FASTA path or an iterable of sequences to a list of :class:`Sequence`.

    Items may be :class:`Sequence`, ``(name, residues)`` pairs, Biopython ``SeqRecord``\\ s
    or bare strings (named ``seq1``, ``seq2``...). With `strip_gaps`, alignment gap
    characters ``-`` and ``.`` are removed from the residues.
    """
    if isinstance(sequences, (str, Path)):
        records = read_fasta(sequences)
    else:
        records = []
        for i, item in enumerate(sequences, start=1):
            if isinstance(item, Sequence):
                records.append(item)
            elif isinstance(item, tuple) and len(item) == 2:
                records.append(Sequence(str(item[0]), str(item[1])))
            elif isinstance(item, str):
                records.append(Sequence(f"seq{i}", item))
            elif hasattr(item, "seq") and hasattr(item, "id"):
                desc = getattr(item, "description", "") or ""
                if desc.startswith(item.id):
                    desc = desc[len(item.id) :].strip()
                records.append(Sequence(str(item.id), str(item.seq), desc))
            else:
                raise TypeError(f"sequences: cannot read item {i} of type {type(item).__name__}")
    if strip_gaps:
        gaps = str.maketrans("", "", _GAPS)
        records = [Sequence(r.name, r.residues.translate(gaps), r.description) for r in records]
    return records


# --------------------------------------------------------------------------------------
# Null model
# --------------------------------------------------------------------------------------


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
        p1 = self.p1(length)
        return float(np.float32(length * math.log(p1) + math.log(1.0 - p1)))


# --------------------------------------------------------------------------------------
# Model statistics used by configuration
# --------------------------------------------------------------------------------------


def match_occupancy(hmm: ProfileHMM) -> np.ndarray:
    """Probability that each match state is used, (M+1,), [0] = 0 (p7_hmm_CalculateOccupancy)."""
    t = hmm.transitions
    occ = np.zeros(hmm.M + 1)
    occ[1] = t[0, MI] + t[0, MM]
    for k in range(2, hmm.M + 1):
        occ[k] = occ[k - 1] * (t[k - 1, MM] + t[k - 1, MI]) + (1.0 - occ[k - 1]) * t[k - 1, DM]
    return occ


def mean_match_relative_entropy(hmm: ProfileHMM, background: Background) -> float:
    """Mean relative entropy of the match emissions to the background, in bits."""
    p = hmm.match_emissions[1:]
    f = background.frequencies[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / f), 0.0)
    return float(terms.sum(axis=1).mean())


# --------------------------------------------------------------------------------------
# The configured profile
# --------------------------------------------------------------------------------------

MODES = ("local", "glocal")


@dataclass
class SearchProfile:
    """A Plan7 profile configured for search/alignment (HMMER's P7_PROFILE), in log space.

    ``tsc[k]`` (M+1, 8) holds log transitions out of node k in the order MM MI MD IM II DM
    DD, and in column :data:`BM` the entry B->M(k+1) (HMMER's off-by-one storage).
    ``msc`` (Kp, M+1) are match log-odds per digital code (-inf for ``*``); insert emissions
    score 0 except at node M. ``xsc`` (4, 2) are the N, E, C, J loop/move log probabilities.
    """

    alphabet: Alphabet
    background: Background
    M: int
    mode: str
    multihit: bool
    tsc: np.ndarray
    msc: np.ndarray
    isc: np.ndarray
    xsc: np.ndarray
    L: int = 0
    name: str = "unnamed"
    accession: str | None = None
    description: str | None = None
    stats: dict[str, tuple[float, float]] = field(default_factory=dict)
    composition: np.ndarray | None = None  # the model's COMPO line, if it has one

    @property
    def local(self) -> bool:
        """Whether entries and exits are local (anywhere in the model)."""
        return self.mode == "local"

    @property
    def nj(self) -> float:
        """Expected number of J-state uses (1 multi-hit, 0 uni-hit)."""
        return 1.0 if self.multihit else 0.0

    def set_length(self, length: int) -> SearchProfile:
        """Retune the N/C/J length model for a target of `length` residues (in place)."""
        if length < 0:
            raise ValueError(f"length must be >= 0, got {length}")
        nj = np.float32(self.nj)
        pmove = float((np.float32(2.0) + nj) / (np.float32(length) + np.float32(2.0) + nj))
        ploop = float(np.float32(1.0) - np.float32(pmove))
        for state in (XN, XC, XJ):
            self.xsc[state, LOOP] = math.log(ploop) if ploop > 0 else -math.inf
            self.xsc[state, MOVE] = math.log(pmove)
        self.L = length
        return self

    def set_multihit(self, multihit: bool, length: int | None = None) -> SearchProfile:
        """Switch between multi-hit and uni-hit use of the J state, then reset the length."""
        self.multihit = bool(multihit)
        if self.multihit:
            self.xsc[XE, LOOP] = self.xsc[XE, MOVE] = -math.log(2.0)
        else:
            self.xsc[XE, MOVE], self.xsc[XE, LOOP] = 0.0, -math.inf
        return self.set_length(self.L if length is None else length)

    def copy(self) -> SearchProfile:
        """An independent copy (arrays copied)."""
        return SearchProfile(
            self.alphabet, self.background, self.M, self.mode, self.multihit,
            self.tsc.copy(), self.msc.copy(), self.isc.copy(), self.xsc.copy(), self.L,
            self.name, self.accession, self.description, dict(self.stats),
            None if self.composition is None else self.composition.copy(),
        )  # fmt: skip

    # Probability-space views used by the compiled kernels -------------------------------

    def kernel_arrays(self, dtype=np.float64) -> tuple[np.ndarray, ...]:
        """(tp, me, ie, xp, local) in probability space for the DP kernels.

        ``tp`` (M+1, 8) transition probabilities, ``me``/``ie`` (Kp, M+1) match/insert
        emission odds ratios, ``xp`` (4, 2) special transitions, ``local`` 1.0 or 0.0.
        """
        with np.errstate(over="ignore"):
            tp = np.exp(self.tsc).astype(dtype)
            me = np.exp(self.msc).astype(dtype)
            ie = np.exp(self.isc).astype(dtype)
            xp = np.exp(self.xsc).astype(dtype)
        return (
            tp,
            np.ascontiguousarray(me),
            np.ascontiguousarray(ie),
            xp,
            1.0 if self.local else 0.0,
        )


def _expected_scores(scores: np.ndarray, alphabet: Alphabet, weights: np.ndarray) -> np.ndarray:
    """Extend canonical scores (K, ...) to every digital code: canonical codes keep theirs,
    degenerate codes get the background-weighted mean score (esl_abc_FExpectScVec), ``*``
    gets -inf."""
    letters, degen = alphabet.degeneracy_matrix()
    K = alphabet.size
    expected = np.empty((len(letters) + 1,) + scores.shape[1:])
    expected[:K] = scores
    for code in range(K, len(letters)):
        # only the residues the code denotes count, even where another's score is -inf
        members = np.flatnonzero(degen[code])
        w = weights[members].reshape((-1,) + (1,) * (scores.ndim - 1))
        expected[code] = (w * scores[members]).sum(axis=0) / weights[members].sum()
    expected[-1] = -np.inf
    return expected


def configure(
    hmm: ProfileHMM,
    length: int = 400,
    *,
    mode: str = "local",
    multihit: bool = True,
    background: Background | None = None,
) -> SearchProfile:
    """Configure `hmm` into a search profile (HMMER's p7_ProfileConfig).

    `mode` is ``"local"`` (HMMER's default: entry weighted by match occupancy, exit from any
    match or delete state) or ``"glocal"`` (wing-retracted entry, exit only at node M);
    `multihit` allows several domains per sequence via the J state. `length` sets the
    expected target length of the N/C/J model.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not isinstance(hmm, ProfileHMM):
        raise TypeError(f"hmm must be a ProfileHMM, got {type(hmm).__name__}")
    hmm.validate()
    bg = background or Background.default(hmm.alphabet)
    if len(bg.frequencies) != hmm.alphabet.size:
        raise ValueError("background frequencies do not match the model's alphabet")
    M, t = hmm.M, np.asarray(hmm.transitions, dtype=float)
    bgf = np.asarray(bg.frequencies, dtype=np.float32).astype(float)

    tsc = np.full((M + 1, 8), -np.inf)
    with np.errstate(divide="ignore"):
        logt = np.log(t)
        tsc[1:M, :7] = logt[1:M]
        if mode == "local":
            occ = match_occupancy(hmm).astype(np.float32)
            z = np.float32(0.0)
            for k in range(1, M + 1):
                z = np.float32(z + occ[k] * np.float32(M - k + 1))
            tsc[:M, BM] = np.log((occ[1:] / z).astype(np.float32).astype(float))
        else:
            z = math.log(t[0, MD]) if t[0, MD] > 0 else -math.inf
            tsc[0, BM] = math.log(1.0 - t[0, MD])
            for k in range(1, M):
                tsc[k, BM] = z + logt[k, DM]
                z += logt[k, DD]

        match = np.log(hmm.match_emissions[1:].T.astype(np.float64) / bgf[:, None])
    msc = np.full((hmm.alphabet.size + len(hmm.alphabet.degenerate) + 1, M + 1), -np.inf)
    msc[:, 1:] = _expected_scores(match, hmm.alphabet, bgf)
    # Insert states emit like the background: odds 1 for every code, even the non-residue
    # '*', as in HMMER's vectorized DP (its generic profile forbids '*'; the vectorized
    # code that searches and aligns has no insert emission scores at all).
    isc = np.zeros_like(msc)
    isc[:, 0] = -np.inf
    isc[:, M] = -np.inf

    xsc = np.zeros((4, 2))
    profile = SearchProfile(
        hmm.alphabet, bg, M, mode, multihit, tsc, msc, isc, xsc, 0,
        hmm.name, hmm.accession, hmm.description, dict(hmm.stats),
        None if hmm.composition is None else np.asarray(hmm.composition, dtype=float),
    )  # fmt: skip
    return profile.set_multihit(multihit, length)
