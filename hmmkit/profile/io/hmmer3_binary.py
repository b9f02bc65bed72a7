"""HMMER3 binary model files (what ``hmmconvert -b`` and ``hmmpress``'s ``.h3m`` hold).

The layout is HMMER 3.4's (p7_hmmfile.c): per model a magic number (3/c..3/f), flags, M
and the alphabet type as native 32-bit integers, then float32 match emissions 1..M,
insert emissions 0..M and transitions 0..M, the strings and annotation lines the flags
announce, NSEQ, EFFN, MAXL, the date, MAP, the checksum, six E-value parameters, six Pfam
cutoffs and, when flagged, the composition. Files are little-endian, as HMMER writes them
on the machines it runs on.

A binary file holds exactly what the text file says: probabilities are written as HMMER
reads them from text (``expf(-x)`` of each five-decimal field), and read back to the
values :func:`~.hmmer3.read_hmmer` gives for that text (those same floats), so a model's
search results do not depend on which of the two files it came from.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Iterable, Iterator
from typing import IO

import numba
import numpy as np

from ...atomic import atomic_output
from ..alphabet import AMINO, DNA, RNA
from ..plan7 import ProfileHMM
from .finish import finish_model
from .scores import negated_log_scores, probabilities_from_scores

#: Magic numbers of the binary formats this module reads (3/c..3/f) and writes (3/f).
MAGIC = {0xE8EDEDB8: "3/c", 0xE8EDEDB9: "3/d", 0xE8EDEDB0: "3/e", 0xE8EDEDBA: "3/f"}
MAGIC_3F = 0xE8EDEDBA

_ALPHABET_TYPES = {1: RNA, 2: DNA, 3: AMINO}
_TYPE_OF = {"RNA": 1, "DNA": 2, "amino": 3}

# hmm->flags bits that say which optional fields follow
_DESC, _RF, _CS, _STATS, _MAP, _ACC = 1 << 1, 1 << 2, 1 << 3, 1 << 7, 1 << 8, 1 << 9
_GA, _TC, _NC, _CA, _COMPO, _CHKSUM, _CONS, _MMASK = (1 << b for b in range(10, 18))
_UNSET = -99999.0  # p7_EVPARAM_UNSET and p7_CUTOFF_UNSET
_STATS_ORDER = ("MSV", "VITERBI", "FORWARD")
#: Sanity bounds on sizes read from a file, so a corrupt header cannot ask for gigabytes.
_MAX_NODES = 100_000
_MAX_STRING = 1 << 20


def is_binary_hmm(path: str | os.PathLike) -> bool:
    """Whether the file at `path` starts with a HMMER3 binary magic number."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<I", head)[0] in MAGIC


# ----------------------------------------------------------------------------- writing


@numba.njit(cache=True, nogil=True)
def _expf_negated(values: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """float32 exp(-x) of float32 `values` by the C library's expf, as HMMER reads text."""
    out = np.empty_like(values)
    for i in range(values.size):
        out[i] = math.exp(-values[i])
    return out


def text_scores(probabilities: np.ndarray) -> np.ndarray:
    """The values of the five-decimal ``-ln p`` fields a HMMER3 text file holds for these
    probabilities (``inf`` for ``*``), as :func:`~.hmmer3.probability_fields` writes them.

    Vectorised: ``rint(1e5 x) / 1e5`` is the correctly rounded double of the printed
    decimal; the rare values within rounding error of a tie are formatted exactly.
    """
    p = np.asarray(probabilities, dtype=np.float32).ravel()
    scores = negated_log_scores(p).astype(np.float64)
    with np.errstate(invalid="ignore"):
        scaled = scores * 1e5
        out = np.rint(scaled) / 1e5
        near_tie = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for i in np.flatnonzero(near_tie & np.isfinite(scores)):
        out[i] = float(f"{scores[i]:.5f}")
    out[p <= 0.0] = np.inf
    out[p >= 1.0] = 0.0
    return out.reshape(np.shape(probabilities))


def _as_read_by_hmmer(probabilities: np.ndarray) -> np.ndarray:
    """The float32 values HMMER holds after reading these probabilities' text fields
    (``expf`` of the float32 field; a five-decimal double rounds to float32 as the
    decimal itself does)."""
    scores = text_scores(probabilities).astype(np.float32).ravel()
    out = np.zeros(scores.shape, dtype=np.float32)
    finite = np.isfinite(scores)
    out[finite] = _expf_negated(np.ascontiguousarray(scores[finite]))
    return out.reshape(np.shape(probabilities))


def _string(value: str | None) -> bytes:
    if value is None:
        return struct.pack("<i", 0)
    data = value.encode() + b"\0"
    return struct.pack("<i", len(data)) + data


def _line(value: str) -> bytes:
    return b" " + value.encode() + b"\0"  # index 0 unused, 1..M, trailing NUL


def format_hmmer_binary(model: ProfileHMM) -> bytes:
    """The HMMER3/f binary record of one model."""
    model.validate()
    M, abc = model.M, model.alphabet
    flags = 0
    optional = (
        (model.description, _DESC), (model.accession, _ACC), (model.reference, _RF),
        (model.model_mask, _MMASK), (model.consensus, _CONS),
        (model.consensus_structure, _CS), (model.alignment_map, _MAP),
        (model.gathering, _GA), (model.trusted, _TC), (model.noise, _NC),
        (model.composition, _COMPO), (model.checksum, _CHKSUM),
    )  # fmt: skip
    for value, bit in optional:
        if value is not None:
            flags |= bit
    if model.stats:
        flags |= _STATS
    parts = [struct.pack("<Iiii", MAGIC_3F, flags, M, _TYPE_OF[abc.name])]
    parts.append(_as_read_by_hmmer(model.match_emissions[1:, : abc.size]).tobytes())
    parts.append(_as_read_by_hmmer(model.insert_emissions[:, : abc.size]).tobytes())
    parts.append(_as_read_by_hmmer(model.transitions).tobytes())
    parts.append(_string(model.name))
    if model.accession is not None:
        parts.append(_string(model.accession))
    if model.description is not None:
        parts.append(_string(model.description))
    for value in (model.reference, model.model_mask, model.consensus,
                  model.consensus_structure):  # fmt: skip
        if value is not None:
            parts.append(_line(value))
    parts.append(_string(None))  # command log
    nseq = model.nseq if model.nseq is not None and model.nseq > 0 else -1
    effn = float(f"{model.effn:f}") if model.effn is not None and model.effn >= 0 else -1.0
    maxl = model.max_length if model.max_length is not None and model.max_length > 0 else -1
    parts.append(struct.pack("<ifi", nseq, effn, maxl))
    parts.append(_string(None))  # creation date
    if model.alignment_map is not None:
        amap = np.concatenate([[0], np.asarray(model.alignment_map, dtype=np.int64)])
        parts.append(amap.astype("<i4").tobytes())
    parts.append(struct.pack("<I", (model.checksum or 0) & 0xFFFFFFFF))
    evparam = [_UNSET] * 6
    for n, label in enumerate(_STATS_ORDER):
        if label in model.stats:
            mu, lam = model.stats[label]  # as the text's STATS line gives them
            evparam[2 * n : 2 * n + 2] = float(f"{mu:.4f}"), float(f"{lam:.5f}")
    cutoffs = []
    for cut in (model.gathering, model.trusted, model.noise):
        if cut is None:
            cutoffs.extend((_UNSET, _UNSET))
        elif abc.name == "amino":
            cutoffs.extend(float(f"{c:.2f}") for c in cut)
        else:  # the text of a nucleic model gives one value; HMMER stores it twice
            cutoffs.extend((float(f"{cut[0]:.2f}"),) * 2)
    parts.append(struct.pack("<6f6f", *evparam, *cutoffs))
    if model.composition is not None:
        parts.append(_as_read_by_hmmer(np.asarray(model.composition)[: abc.size]).tobytes())
    return b"".join(parts)


def write_hmmer_binary(
    models: ProfileHMM | Iterable[ProfileHMM], destination: str | os.PathLike | IO[bytes]
) -> None:
    """Write one model or several to a HMMER3/f binary file (atomically for a path) or to
    an open binary handle."""
    if isinstance(models, ProfileHMM):
        models = [models]
    records = [format_hmmer_binary(model) for model in models]
    if hasattr(destination, "write"):
        for record in records:
            destination.write(record)
        return
    with atomic_output(destination, "wb") as handle:
        for record in records:
            handle.write(record)


# ----------------------------------------------------------------------------- reading


class _Reader:
    """Bounds-checked reads from a binary model file, with errors naming file and offset."""

    def __init__(self, data: bytes | memoryview, label: str):
        self.data, self.label, self.at = data, label, 0

    def error(self, message: str) -> ValueError:
        return ValueError(f"{self.label}, byte {self.at}: {message}")

    def take(self, n: int, what: str) -> memoryview:
        if n < 0 or self.at + n > len(self.data):
            raise self.error(f"file ends inside {what} (a truncated binary model file)")
        view = memoryview(self.data)[self.at : self.at + n]
        self.at += n
        return view

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))

    def floats(self, n: int, what: str) -> np.ndarray:
        values = np.frombuffer(self.take(4 * n, what), dtype="<f4").astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise self.error(f"{what} holds a value that is not a finite number")
        return values

    def string(self, what: str) -> str | None:
        (n,) = self.unpack("<i", what)
        if n == 0:
            return None
        if not 0 < n <= _MAX_STRING:
            raise self.error(f"{what} claims {n} bytes")
        raw = bytes(self.take(n, what))
        if raw[-1:] != b"\0":
            raise self.error(f"{what} is not NUL-terminated")
        return raw[:-1].decode("utf-8", errors="replace")

    def line(self, M: int, what: str) -> str:
        raw = bytes(self.take(M + 2, what))
        return raw[1 : M + 1].decode("ascii", errors="replace")


def _probabilities(values: np.ndarray, reader: _Reader, what: str) -> np.ndarray:
    """The probabilities :func:`~.hmmer3.read_hmmer` gives for the text of these values
    (the values themselves when they were read from text, as HMMER's files hold them)."""
    if np.any(values < 0) or np.any(values > 1.0 + 1e-6):
        raise reader.error(f"{what}: a probability outside [0, 1]")
    return probabilities_from_scores(text_scores(values))


def _read_one(reader: _Reader) -> ProfileHMM:
    start = reader.at
    (magic,) = reader.unpack("<I", "the magic number")
    if magic not in MAGIC:
        reader.at = start
        raise reader.error(f"not a HMMER3 binary model (magic number {magic:#010x})")
    version = MAGIC[magic]
    flags, M, atype = reader.unpack("<iii", "the model header")
    if not 0 < M <= _MAX_NODES:
        raise reader.error(f"model length {M} is not in 1..{_MAX_NODES}")
    if atype not in _ALPHABET_TYPES:
        raise reader.error(f"alphabet type {atype} is not RNA (1), DNA (2) or amino (3)")
    abc = _ALPHABET_TYPES[atype]
    K = abc.size
    mat = reader.floats(M * K, "match emissions").reshape(M, K)
    ins = reader.floats((M + 1) * K, "insert emissions").reshape(M + 1, K)
    t = reader.floats((M + 1) * 7, "transitions").reshape(M + 1, 7)
    match = np.zeros((M + 1, K))
    match[0, 0] = 1.0
    match[1:] = _probabilities(mat, reader, "match emissions")
    name = reader.string("the name") or ""
    accession = reader.string("the accession") if flags & _ACC else None
    description = reader.string("the description") if flags & _DESC else None
    lines = {}
    for bit, label in ((_RF, "RF"), (_MMASK, "MM"), (_CONS, "CONS"), (_CS, "CS"), (_CA, "CA")):
        if flags & bit and (bit != _CONS or version >= "3/e"):
            lines[label] = reader.line(M, f"the {label} line")
    reader.string("the command log")
    nseq, effn = reader.unpack("<if", "NSEQ and EFFN")
    (maxl,) = reader.unpack("<i", "MAXL") if version >= "3/c" else (-1,)
    reader.string("the creation date")
    amap = None
    if flags & _MAP:
        amap = np.frombuffer(reader.take(4 * (M + 1), "MAP"), dtype="<i4")[1:].astype(np.int64)
    (checksum,) = reader.unpack("<I", "the checksum")
    evparam = reader.unpack("<6f", "the E-value parameters")
    cutoffs = reader.unpack("<6f", "the Pfam cutoffs")
    composition = reader.floats(K, "COMPO") if flags & _COMPO else None
    stats = {}
    if flags & _STATS:
        for n, label in enumerate(_STATS_ORDER):
            pair = evparam[2 * n : 2 * n + 2]
            if not all(math.isfinite(v) for v in pair):
                raise reader.error(f"STATS {label} is not finite")
            stats[label] = (round(pair[0], 4), round(pair[1], 5))

    def cutoff(bit: int, n: int) -> tuple[float, float] | None:
        if not flags & bit:
            return None
        pair = cutoffs[2 * n : 2 * n + 2]
        if abc.name != "amino":  # nucleic models carry one value per cutoff, as in text
            pair = (pair[0], pair[0])
        if not all(math.isfinite(v) for v in pair):
            raise reader.error("a Pfam cutoff is not finite")
        return (round(pair[0], 2), round(pair[1], 2))

    transitions = _probabilities(t, reader, "transitions")
    inserts = _probabilities(ins, reader, "insert emissions")
    if composition is not None:
        composition = _probabilities(composition, reader, "COMPO")
    model = ProfileHMM(
        alphabet=abc,
        transitions=transitions,
        match_emissions=match,
        insert_emissions=inserts,
        name=name, accession=accession, description=description,
        nseq=nseq if nseq > 0 else None,
        effn=round(effn, 6) if effn >= 0 else None,
        consensus=lines.get("CONS"), reference=lines.get("RF"),
        consensus_structure=lines.get("CS"), model_mask=lines.get("MM"),
        alignment_map=amap,
        composition=composition,
        stats=stats, gathering=cutoff(_GA, 0), trusted=cutoff(_TC, 1), noise=cutoff(_NC, 2),
        checksum=int(checksum) if flags & _CHKSUM else None,
        max_length=maxl if maxl > 0 else None,
    )  # fmt: skip
    return finish_model(model, reader.label)


def iter_hmmer_binary(source: str | os.PathLike | bytes) -> Iterator[ProfileHMM]:
    """Iterate over the models of a HMMER3 binary file (a path, or its bytes)."""
    if isinstance(source, bytes | bytearray | memoryview):
        data, label = source, "binary HMM input"
    else:
        label = os.fspath(source)
        with open(label, "rb") as handle:
            data = handle.read()
    reader = _Reader(data, label)
    if not len(data):
        raise ValueError(f"{label}: no HMMER3 model found (empty input)")
    while reader.at < len(data):
        yield _read_one(reader)


def read_hmmer_binary(source: str | os.PathLike | bytes) -> list[ProfileHMM]:
    """Every model of a HMMER3 binary file, in order."""
    return list(iter_hmmer_binary(source))
