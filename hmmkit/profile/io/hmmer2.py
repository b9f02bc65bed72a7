"""HMMER2 ASCII model files (``HMMER2.0``), read as HMMER3 reads them (hmmconvert).

A HMMER2 model holds integer scores: ``1000 * log2(p / null)`` for match emissions (null
the file's NULE line, itself scored against a uniform 1/K) and ``1000 * log2(p)`` for
transitions; ``*`` is a probability of zero. HMMER3 keeps only what its Plan7 model can
use: the begin transitions, match emissions, and the transitions of nodes 1..M-1. Insert
emissions become the background frequencies, node 0's insert state and node M's
transitions are fixed, every distribution is renormalised in single precision, and the
model is calibrated (HMMER2's EVD, XT and NULT lines do not carry over).
"""

from __future__ import annotations

import math
import os
import re

import numpy as np

from ...textfiles import open_text
from ..alphabet import AMINO, DNA
from ..plan7 import DD, DM, II, IM, MD, MI, MM, ProfileHMM

MAGIC = "HMMER2.0"
#: HMMER2's score unit in nats: scores are thousandths of a bit (HMMER3 uses this constant).
_NATS_PER_UNIT = 0.00069314718
_ALPHABETS = {"amino": AMINO, "nucleic": DNA}
_INTEGER = re.compile(r"[+-]?\d+\Z")
_F32 = np.float32


def is_hmmer2_file(path: str | os.PathLike) -> bool:
    """Whether the text file at `path` (plain or gzip-compressed) begins with a HMMER2 model."""
    try:
        with open_text(path) as handle:
            for line in handle:
                if line.strip():
                    return line.split()[0] == MAGIC
    except (UnicodeDecodeError, OSError):
        return False
    return False


def _data_line(lines, what: str) -> list[str]:
    """The fields of the next line that is neither blank nor a ``#`` comment."""
    while True:
        fields = lines.next(what).split()
        if fields and not fields[0].startswith("#"):
            return fields


def _integer(token: str, lines, what: str) -> int:
    if not _INTEGER.match(token):
        raise lines.error(f"{what}: {token!r} is not an integer score or '*'")
    return int(token)


def _scores_to_probabilities(tokens: list[str], null: np.ndarray, lines, what: str) -> np.ndarray:
    """``null * 2**(score/1000)`` in single precision (``*`` gives 0), as HMMER3 converts."""
    out = np.zeros(len(tokens), dtype=_F32)
    for j, token in enumerate(tokens):
        if token == "*":
            continue
        score = _integer(token, lines, what)
        try:
            value = float(null[j]) * math.exp(score * _NATS_PER_UNIT)
        except OverflowError:
            value = math.inf
        with np.errstate(over="ignore"):
            out[j] = value
        if not np.isfinite(out[j]):
            raise lines.error(f"{what}: score {token} is too large (a probability overflows)")
    return out


def _fields(fields: list[str], n: int, lines, what: str) -> list[str]:
    if len(fields) < n:
        raise lines.error(f"{what}: expected {n} values, found {len(fields)}")
    return fields[:n]


def _normalise_rows(rows: np.ndarray) -> np.ndarray:
    """Each row divided by its Kahan-compensated single-precision sum (esl_vec_FNorm); a row
    summing to zero becomes uniform."""
    rows = rows.astype(_F32)
    total = np.zeros(rows.shape[0], dtype=_F32)
    carry = np.zeros(rows.shape[0], dtype=_F32)
    for column in rows.T:
        y = column - carry
        t = total + y
        carry = (t - total) - y
        total = t
    out = np.empty_like(rows)
    nonzero = total != 0
    out[nonzero] = rows[nonzero] / total[nonzero, None]
    out[~nonzero] = _F32(1.0) / _F32(rows.shape[1])
    return out


def _renormalise(t: np.ndarray, mat: np.ndarray, ins: np.ndarray) -> None:
    """p7_hmm_Renormalize in place: every emission row and transition group sums to one,
    then node M's delete transitions (and, when needed, its match ones) are fixed again."""
    mat[:] = _normalise_rows(mat)
    ins[:] = _normalise_rows(ins)
    for group in ([MM, MI, MD], [IM, II], [DM, DD]):
        t[:, group] = _normalise_rows(t[:, group])
    M = t.shape[0] - 1
    t[M, DM], t[M, DD] = 1.0, 0.0
    if t[M, MD] > 0:
        t[M, MD], t[M, MM], t[M, MI] = 0.0, 0.5, 0.5


class _Header:
    """The header fields of one HMMER2 model that HMMER3 keeps."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.accession: str | None = None
        self.description: str | None = None
        self.M = 0
        self.alphabet = None
        self.flags = {"RF": False, "CS": False, "MAP": False}
        self.nseq: int | None = None
        self.cutoffs: dict[str, tuple[float, float]] = {}
        self.null: np.ndarray | None = None


def _cutoff(tag: str, fields: list[str], lines) -> tuple[float, float]:
    if len(fields) < 3:
        raise lines.error(f"{tag}: expected two score cutoffs, found {len(fields) - 1}")
    try:
        values = tuple(float(v.rstrip(";")) for v in fields[1:3])
    except ValueError:
        raise lines.error(f"{tag}: bad score cutoffs {' '.join(fields[1:3])!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise lines.error(f"{tag}: score cutoffs must be finite")
    return values


def _read_header(lines) -> _Header:
    head = _Header()
    while True:
        line = lines.next("header line or HMM")
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        tag = fields[0]
        if tag == "HMM":
            return head
        if tag == "//":
            raise lines.error("model ends before its HMM section")
        if tag in ("NAME", "ACC") and len(fields) < 2:
            raise lines.error(f"{tag}: the line has no value")
        if tag == "NAME":
            head.name = fields[1]
        elif tag == "ACC":
            head.accession = fields[1]
        elif tag == "DESC":
            head.description = line.strip()[4:].strip() or head.description
        elif tag == "LENG":
            value = fields[1] if len(fields) > 1 else ""
            if not _INTEGER.match(value) or int(value) < 1:
                raise lines.error(f"LENG: {value!r} is not a positive integer")
            head.M = int(value)
        elif tag == "ALPH":
            value = fields[1] if len(fields) > 1 else ""
            if value.lower() not in _ALPHABETS:
                raise lines.error(f"ALPH: unknown alphabet {value!r} (Amino or Nucleic)")
            head.alphabet = _ALPHABETS[value.lower()]
        elif tag in head.flags:
            value = fields[1].lower() if len(fields) > 1 else ""
            if value not in ("yes", "no"):
                raise lines.error(f"{tag}: must say yes or no, not {value!r}")
            head.flags[tag] = value == "yes"
        elif tag == "NSEQ":
            value = fields[1] if len(fields) > 1 else ""
            if not _INTEGER.match(value) or int(value) < 0:
                raise lines.error(f"NSEQ: {value!r} is not a non-negative integer")
            head.nseq = int(value)
        elif tag in ("GA", "TC", "NC"):
            head.cutoffs[tag] = _cutoff(tag, fields, lines)
        elif tag == "NULE":
            if head.alphabet is None:
                raise lines.error("NULE: the ALPH line must come before NULE")
            K = head.alphabet.size
            uniform = np.full(K, 1.0 / K, dtype=_F32)
            head.null = _scores_to_probabilities(_fields(fields[1:], K, lines, "NULE"), uniform,
                                                 lines, "NULE")  # fmt: skip


def read_hmmer2_model(lines, first: str) -> ProfileHMM:
    """One HMMER2 model whose ``HMMER2.0`` line `first` was just read from `lines` (the line
    reader of :mod:`.hmmer3`), as HMMER3 converts it; calibrated as hmmconvert does.

    ValueError naming the file, line and field on a malformed model.
    """
    from ..background import Background
    from ..build.calibrate import calibrate
    from .finish import finish_model

    if not first.split() or first.split()[0] != MAGIC:
        raise lines.error(f"not a HMMER2 model (first line {first[:40]!r})")
    head = _read_header(lines)
    for value, tag in ((head.name, "NAME"), (head.M or None, "LENG"), (head.alphabet, "ALPH")):
        if value is None:
            raise lines.error(f"header lacks the mandatory {tag} line")
    if head.null is None:
        raise lines.error("header lacks the NULE line (the null model the scores are against)")
    abc, M, K = head.alphabet, head.M, head.alphabet.size
    background = Background.default(abc)
    bg = np.asarray(background.frequencies, dtype=_F32)
    ones = np.ones(9, dtype=_F32)

    _data_line(lines, "the transition names line after HMM")
    begin = _fields(_data_line(lines, "the begin transitions"), 3, lines, "begin transitions")
    b_m1, _, b_d1 = _scores_to_probabilities(begin, ones, lines, "begin transitions")
    t = np.zeros((M + 1, 7), dtype=_F32)
    mat = np.zeros((M + 1, K), dtype=_F32)
    mat[0, 0] = 1.0
    ins = np.tile(bg, (M + 1, 1))
    t[0] = (b_m1, 0.0, b_d1, 1.0, 0.0, 1.0, 0.0)
    amap = np.zeros(M, dtype=np.int64) if head.flags["MAP"] else None
    rf, cs = [], []
    for k in range(1, M + 1):
        fields = _data_line(lines, f"node {k} of LENG {M}")
        if fields[0] != str(k):
            raise lines.error(f"expected node {k} of LENG {M}, found {fields[0][:40]!r}")
        what = f"node {k} match emissions"
        mat[k] = _scores_to_probabilities(_fields(fields[1:], K, lines, what), head.null, lines,
                                          what)  # fmt: skip
        if amap is not None:
            if len(fields) < K + 2 or not _INTEGER.match(fields[K + 1]):
                found = fields[K + 1] if len(fields) > K + 1 else "nothing"
                raise lines.error(f"node {k}: MAP column {found!r} is not an integer")
            amap[k - 1] = int(fields[K + 1])
        rf.append(_data_line(lines, f"node {k} insert emissions")[0][0])
        fields = _data_line(lines, f"node {k} transitions")
        cs.append(fields[0][0])
        if k < M:
            what = f"node {k} transitions"
            t[k] = _scores_to_probabilities(_fields(fields[1:], 7, lines, what), ones, lines, what)
    t[M] = (1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0)
    end = _data_line(lines, "'//' closing the model")
    if end[0] != "//":
        raise lines.error(f"expected '//' after node {M}, found {end[0][:40]!r}")
    _renormalise(t, mat, ins)
    model = ProfileHMM(
        alphabet=abc,
        transitions=t.astype(np.float64),
        match_emissions=mat.astype(np.float64),
        insert_emissions=ins.astype(np.float64),
        name=head.name,
        accession=head.accession,
        description=head.description,
        reference="".join(rf) if head.flags["RF"] else None,
        consensus_structure="".join(cs) if head.flags["CS"] else None,
        alignment_map=amap,
        nseq=head.nseq,
    )
    for tag, attr in (("GA", "gathering"), ("TC", "trusted"), ("NC", "noise")):
        setattr(model, attr, head.cutoffs.get(tag))
    model = finish_model(model, lines.label)
    return calibrate(model, background=background, in_place=True)
