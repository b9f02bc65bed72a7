"""Multiple sequence alignments for profile building: reading (Stockholm by our own parser,
aligned FASTA via Biopython) and digitising.

Residues are stored as Easel's digital codes (see :mod:`hmmkit.profile.digital`).
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np

from ..compiling import njit
from ..textfiles import file_stem, is_stdin, open_text
from .alphabet import AMINO, DNA, RNA, Alphabet, get_alphabet
from .digital import CodeTable, code_table, digitize_aligned
from .stockholm import parse_stockholm


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
        raise ValueError("cannot guess the alphabet of the alignment; pass alphabet=")
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


# --------------------------------------------------------------------------- reading

_FORMATS = ("stockholm", "afa", "a2m")


def _cutoff(tag: str, lines: list[tuple[int, str]] | None) -> tuple[float, float] | None:
    """A Pfam score cutoff (``#=GF GA``, ``TC``, ``NC``): one or two finite numbers."""
    if not lines:
        return None
    number, text = lines[0]
    try:
        values = [float(v) for v in text.replace(";", " ").split()]
    except ValueError:
        raise ValueError(f"Stockholm line {number}: #=GF {tag} {text!r} is not a score") from None
    if not values:
        return None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"Stockholm line {number}: #=GF {tag} {text!r} is not finite")
    return (values[0], values[1] if len(values) > 1 else values[0])


def _read_stockholm(text: str, alphabet) -> list[DigitalMSA]:
    result = []
    for record in parse_stockholm(text):
        gf = {tag: [value for _, value in lines] for tag, lines in record.gf.items()}
        aligned = [row.replace(".", "-") for row in record.aligned()]
        result.append(
            from_text(
                record.names(),
                aligned,
                alphabet,
                name=gf["ID"][0] if "ID" in gf else None,
                accession=gf["AC"][0] if "AC" in gf else None,
                description=" ".join(gf["DE"]) if "DE" in gf else None,
                reference=record.column_annotation("RF"),
                consensus_structure=record.column_annotation("SS_cons"),
                model_mask=record.column_annotation("MM"),
                gathering=_cutoff("GA", record.gf.get("GA")),
                trusted=_cutoff("TC", record.gf.get("TC")),
                noise=_cutoff("NC", record.gf.get("NC")),
            )
        )
    return result


def _read_afa(text: str, alphabet) -> list[DigitalMSA]:
    from Bio import AlignIO

    if not text.lstrip().startswith(">"):
        first = text.lstrip().splitlines()[0][:40]
        raise ValueError(f"aligned FASTA must begin with a '>' header line, found {first!r}")
    aln = AlignIO.read(io.StringIO(text), "fasta")
    if any(not rec.id for rec in aln):
        raise ValueError("aligned FASTA: a '>' header without a sequence name")
    if aln.get_alignment_length() == 0:
        raise ValueError("aligned FASTA: every row is empty (no alignment columns)")
    return [from_text([rec.id for rec in aln], [str(rec.seq) for rec in aln], alphabet)]


def _a2m_dotless(records: list[tuple[str, str]]) -> tuple[list[str], str]:
    """Align A2M rows whose insertions are not padded with dots (inserts flushed left)."""
    pieces = []  # per sequence: list of (insert run, consensus char) ... + trailing insert
    for name, seq in records:
        seq = seq.replace(".", "")
        runs, current = [], []
        for c in seq:
            if c.islower():
                current.append(c)
            else:
                runs.append("".join(current))
                runs.append(c)
                current = []
        runs.append("".join(current))
        pieces.append((name, runs))
    n_cons = {len(r) for _, r in pieces}
    if len(n_cons) != 1:
        raise ValueError("A2M: sequences have different numbers of consensus columns")
    width = [max(len(r[j]) for _, r in pieces) for j in range(0, n_cons.pop(), 2)]
    rows = []
    for _, runs in pieces:
        out = []
        for j, run in enumerate(runs):
            out.append(run.ljust(width[j // 2], ".") if j % 2 == 0 else run)
        rows.append("".join(out))
    rf = "".join(("." * width[j // 2]) if j % 2 == 0 else "x" for j in range(len(pieces[0][1])))
    return rows, rf


def _a2m_records(text: str) -> list[tuple[str, str]]:
    """The (name, sequence) records of A2M text, checked before any column is inferred.

    Whitespace inside sequence lines is dropped. ValueError for text before the first
    header, a header without a name, a record without residues or a character that A2M
    does not allow (letters, ``-`` and ``.`` only).
    """
    records: list[tuple[str, list[str]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(">"):
            header = line[1:].split(None, 1)
            if not header:
                raise ValueError(f"A2M line {number}: a '>' header without a sequence name")
            records.append((header[0], []))
        elif not records:
            if line.strip():
                raise ValueError(f"A2M line {number}: text before the first '>' header")
        else:
            records[-1][1].append("".join(line.split()))
    result = []
    for name, chunks in records:
        seq = "".join(chunks)
        if not seq:
            raise ValueError(f"A2M record {name!r} holds no residues")
        bad = next((c for c in seq if not (c.isascii() and c.isalpha()) and c not in "-."), None)
        if bad is not None:
            raise ValueError(
                f"A2M record {name!r}: character {bad!r} is not allowed "
                "(A2M rows hold letters, '-' and '.' only)"
            )
        result.append((name, seq))
    return result


def _a2m_states(seq: str) -> str:
    """Per column: 'D' for a consensus column (upper case or ``-``), 'I' for an insert."""
    return "".join("I" if c == "." or c.islower() else "D" for c in seq)


def _read_a2m(text: str, alphabet) -> list[DigitalMSA]:
    records = _a2m_records(text)
    if not records:
        raise ValueError("A2M file holds no sequences")
    rows = [seq for _, seq in records]
    states = _a2m_states(rows[0])
    if all(len(r) == len(states) and _a2m_states(r) == states for r in rows):
        rf = "".join("x" if s == "D" else "." for s in states)  # dotted: columns as given
    else:
        rows, rf = _a2m_dotless(records)
    return [from_text([r[0] for r in records], rows, alphabet, reference=rf)]


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
    readers = {"stockholm": _read_stockholm, "afa": _read_afa, "a2m": _read_a2m}
    if fmt not in readers:
        raise ValueError(f"format must be one of {_FORMATS}, got {format!r}")
    alphabet = None if alphabet is None else get_alphabet(alphabet)
    try:
        alignments = readers[fmt](text, alphabet)
    except ValueError as err:
        if filename is None or str(filename) in str(err):
            raise
        raise ValueError(f"{filename}: {err}") from err
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
