"""HMMER3 ASCII profile files: write HMMER3/f, read HMMER3/a..f (e.g. Pfam models) and,
through :mod:`.hmmer2`, HMMER2.0 files.

Probabilities are stored as negative natural logarithms with five decimals, ``*`` for a
probability of zero. :func:`read_hmmer` returns the first model of a file,
:func:`read_hmmer_all` every model, :func:`iter_hmmer` iterates lazily;
:func:`write_hmmer` writes one model or several.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO

import numpy as np

from ...atomic import atomic_output
from ...textfiles import open_text
from ..alphabet import AMINO, DNA, RNA
from ..plan7 import ProfileHMM
from .finish import finish_model
from .hmmer2 import MAGIC as HMMER2_MAGIC
from .hmmer2 import read_hmmer2_model
from .scores import negated_log_scores, probabilities_from_scores

_ALPHABETS = {"amino": AMINO, "dna": DNA, "rna": RNA}
_ALPH_NAMES = {"amino": "amino", "DNA": "DNA", "RNA": "RNA"}
_STATS_ORDER = ("MSV", "VITERBI", "FORWARD")
_FORMATS = "abcdef"


# ----------------------------------------------------------------------------- writing


def probability_fields(row: Iterable[float]) -> str:
    """Probability fields ' %8.5f' of -ln p ('*' for zero), computed in single precision
    from the float32 value by ``logf`` as HMMER does, so files written here match hmmbuild's."""
    p = np.asarray(row, dtype=np.float32)
    scores = negated_log_scores(p)
    fields = []
    for prob, score in zip(p.tolist(), scores.tolist(), strict=True):
        if prob <= 0.0:
            fields.append(f" {'*':>8s}")
        elif prob >= 1.0:
            fields.append(f" {0.0:8.5f}")
        else:
            fields.append(f" {score:8.5f}")
    return "".join(fields)


def format_hmmer(model: ProfileHMM) -> str:
    """The HMMER3/f text of one model (ending with ``//``)."""
    model.validate()
    M, abc = model.M, model.alphabet
    out = ["HMMER3/f [hmmkit]"]
    out.append(f"NAME  {model.name}")
    if model.accession:
        out.append(f"ACC   {model.accession}")
    if model.description:
        out.append(f"DESC  {model.description}")
    out.append(f"LENG  {M}")
    if model.max_length is not None and model.max_length > 0:
        out.append(f"MAXL  {model.max_length}")
    out.append(f"ALPH  {_ALPH_NAMES[abc.name]}")
    annotations = {
        "reference": model.reference,
        "model_mask": model.model_mask,
        "consensus": model.consensus,
        "consensus_structure": model.consensus_structure,
    }
    for label, value in annotations.items():
        if value is not None and len(value) != M:
            raise ValueError(f"{label} has length {len(value)}, the model has {M} nodes")
    if model.reference is not None and " " in model.reference:
        raise ValueError("reference annotation (RF) may not contain spaces")
    yes = {True: "yes", False: "no"}
    out.append(f"RF    {yes[model.reference is not None]}")
    out.append(f"MM    {yes[model.model_mask is not None]}")
    out.append(f"CONS  {yes[model.consensus is not None]}")
    out.append(f"CS    {yes[model.consensus_structure is not None]}")
    out.append(f"MAP   {yes[model.alignment_map is not None]}")
    if model.nseq is not None and model.nseq > 0:
        out.append(f"NSEQ  {model.nseq}")
    if model.effn is not None and model.effn >= 0:
        out.append(f"EFFN  {model.effn:f}")
    if model.checksum is not None:
        out.append(f"CKSUM {model.checksum}")
    nucleic = abc.name in ("DNA", "RNA")
    for tag, cut in (("GA", model.gathering), ("TC", model.trusted), ("NC", model.noise)):
        if cut is not None:
            out.append(f"{tag}    {cut[0]:.2f}" + ("" if nucleic else f" {cut[1]:.2f}"))
    if model.stats:
        missing = [s for s in _STATS_ORDER if s not in model.stats]
        if missing:
            raise ValueError(f"stats lacks {missing}; need MSV, VITERBI and FORWARD")
        for label in _STATS_ORDER:
            a, b = model.stats[label]
            out.append(f"STATS LOCAL {label:<8s} {a:8.4f} {b:8.5f}")
    out.append("HMM     " + "".join(f"     {c}   " for c in abc.symbols))
    names = ("m->m", "m->i", "m->d", "i->m", "i->i", "d->m", "d->d")
    out.append("        " + " ".join(f"{n:>8s}" for n in names))
    if model.composition is not None:
        out.append("  COMPO " + probability_fields(model.composition))
    t, mat, ins = model.transitions, model.match_emissions, model.insert_emissions
    out.append("        " + probability_fields(ins[0]))
    out.append("        " + probability_fields(t[0]))
    amap = model.alignment_map
    for k in range(1, M + 1):
        map_field = f" {int(amap[k - 1]):6d}" if amap is not None else f" {'-':>6s}"
        if model.model_mask is not None and model.model_mask[k - 1] == "m":
            cons = "x" if abc.name == "amino" else "n"
        elif model.consensus is not None:
            cons = model.consensus[k - 1]
        else:
            cons = "-"
        rf = model.reference[k - 1] if model.reference is not None else "-"
        mm = model.model_mask[k - 1] if model.model_mask is not None else "-"
        cs = model.consensus_structure[k - 1] if model.consensus_structure is not None else "-"
        out.append(f" {k:6d} " + probability_fields(mat[k]) + map_field + f" {cons} {rf} {mm} {cs}")
        out.append("        " + probability_fields(ins[k]))
        out.append("        " + probability_fields(t[k]))
    out.append("//")
    return "\n".join(out) + "\n"


def write_hmmer(
    models: ProfileHMM | Iterable[ProfileHMM], destination: str | os.PathLike | IO[str]
) -> None:
    """Write one model (or several, one after the other) as HMMER3/f text.

    ``destination`` is a path or an open text handle. E-value parameters are written
    as STATS lines when the model's ``stats`` holds MSV, VITERBI and FORWARD.
    """
    if isinstance(models, ProfileHMM):
        models = [models]
    text = "".join(format_hmmer(m) for m in models)
    if hasattr(destination, "write"):
        destination.write(text)
    else:
        with atomic_output(destination) as handle:
            handle.write(text)


# ----------------------------------------------------------------------------- reading


class _Lines:
    """Line reader that knows its line number, for error messages."""

    def __init__(self, handle: IO[str], label: str):
        self.handle = handle
        self.label = label
        self.number = 0

    def next(self, what: str) -> str:
        """The next line (without newline); ValueError at end of file."""
        line = self.handle.readline()
        if not line:
            raise ValueError(
                f"{self.label}, line {self.number + 1}: file ends early (expected {what})"
            )
        self.number += 1
        return line.rstrip("\r\n")

    def next_text(self, what: str) -> str:
        """The next line that is not blank; ValueError after :data:`MAX_BLANK_RUN` blank
        lines in a row (a file of nothing but newlines is refused quickly)."""
        for _ in range(MAX_BLANK_RUN):
            line = self.next(what)
            if line.strip():
                return line
        raise self.error(f"{MAX_BLANK_RUN} blank lines in a row (expected {what})")

    def error(self, message: str, number: int | None = None) -> ValueError:
        return ValueError(f"{self.label}, line {self.number if number is None else number}: "
                          f"{message}")  # fmt: skip


#: Blank lines in a row after which a file is refused: no HMMER3 file holds runs this long,
#: and reading a compressed file of nothing but newlines line by line would take minutes.
MAX_BLANK_RUN = 10_000

#: Largest value of an integer header field or MAP column (HMMER stores them as C ints).
MAX_C_INT = 2**31 - 1


def _parse_probs(fields: list[str], lines: _Lines, n: int, what: str) -> np.ndarray:
    if len(fields) < n:
        raise lines.error(f"{what}: expected {n} values, found {len(fields)}")
    out = np.empty(n)
    for j, token in enumerate(fields[:n]):
        if token == "*":
            out[j] = 0.0
            continue
        try:
            value = float(token)
        except ValueError:
            raise lines.error(f"{what}: {token!r} is not a number or '*'") from None
        if math.isnan(value):
            raise lines.error(f"{what}: {token!r} is not a finite number")
        (out[j],) = probabilities_from_scores(np.array([value]))
        if math.isinf(out[j]):
            raise lines.error(f"{what}: {token!r} is far below 0 (a probability > 1)")
    return out


def _take(numbers: list[str], spans: list, fields: list[str], lines: _Lines, n: int,
          what: str) -> None:  # fmt: skip
    """Append the first `n` probability fields of the current line (``*`` as ``inf``)."""
    if len(fields) < n:
        raise lines.error(f"{what}: expected {n} values, found {len(fields)}")
    fields = fields[:n]
    if "*" in fields:
        fields = ["inf" if token == "*" else token for token in fields]
    numbers.extend(fields)
    spans.append((lines.number, n, what))


def _probabilities(numbers: list[str], spans: list, lines: _Lines) -> np.ndarray:
    """The probabilities of every collected field (:func:`~.scores.probabilities_from_scores`),
    converted at once; where that fails, line by line with :func:`_parse_probs`, which
    names the bad field and its line."""
    try:
        values = np.array(numbers, dtype=np.float64)
        if not np.isnan(values).any():
            out = probabilities_from_scores(values)
            if not np.isinf(out).any():
                return out
    except ValueError:
        pass
    parts, position, current = [], 0, lines.number
    for number, n, what in spans:
        lines.number = number
        fields = ["*" if v == "inf" else v for v in numbers[position : position + n]]
        parts.append(_parse_probs(fields, lines, n, what))
        position += n
    lines.number = current
    return np.concatenate(parts)


def _parse_cutoff(tag: str, value: str, lines: _Lines, number: int) -> tuple[float, float]:
    try:
        numbers = [float(v) for v in value.replace(";", " ").split()]
    except ValueError:
        raise lines.error(f"{tag}: bad score cutoff {value!r}", number) from None
    if not numbers:
        raise lines.error(f"{tag}: empty score cutoff", number)
    if not all(math.isfinite(v) for v in numbers):
        raise lines.error(f"{tag}: score cutoff {value!r} is not finite", number)
    return numbers[0], numbers[1] if len(numbers) > 1 else numbers[0]


def _header_int(header: dict, where: dict, tag: str, lines: _Lines) -> int | None:
    """Integer header field `tag` (NSEQ, MAXL, CKSUM), 0..MAX_C_INT (CKSUM: 32 bits)."""
    if tag not in header:
        return None
    top = 2**32 - 1 if tag == "CKSUM" else MAX_C_INT
    try:
        value = int(header[tag])
    except ValueError:
        raise lines.error(f"{tag} {header[tag]!r} is not an integer", where[tag]) from None
    if not 0 <= value <= top:
        raise lines.error(f"{tag} {value} is out of range (0..{top})", where[tag])
    return value


def _header_effn(header: dict, where: dict, lines: _Lines) -> float | None:
    if "EFFN" not in header:
        return None
    try:
        value = float(header["EFFN"])
    except ValueError:
        raise lines.error(f"EFFN {header['EFFN']!r} is not a number", where["EFFN"]) from None
    if not (math.isfinite(value) and value >= 0):
        raise lines.error(f"EFFN must be finite and non-negative, got {value}", where["EFFN"])
    return value


def _read_one(lines: _Lines, first: str) -> ProfileHMM:
    magic = first.split()[0] if first.split() else ""
    if not (magic.startswith("HMMER3/") and len(magic) == 8 and magic[7] in _FORMATS):
        if magic == HMMER2_MAGIC:
            return read_hmmer2_model(lines, first)
        raise lines.error(f"not a HMMER3 profile file (first line {first[:40]!r})")
    version = magic[7]
    header: dict[str, str] = {}
    where: dict[str, int] = {}  # the line number of each header field, for messages
    stats: dict[str, tuple[float, float]] = {}
    while True:
        line = lines.next_text("header or HMM line")
        tag, _, value = line.partition(" ")
        value = value.strip()
        if tag == "HMM":
            break
        if tag == "STATS":
            parts = value.split()
            if len(parts) == 4 and parts[0] == "LOCAL" and parts[1] in _STATS_ORDER:
                try:
                    mu, lam = float(parts[2]), float(parts[3])
                except ValueError:
                    raise lines.error(f"bad STATS line {line!r}") from None
                if not (math.isfinite(mu) and math.isfinite(lam) and lam > 0):
                    raise lines.error(
                        f"STATS LOCAL {parts[1]} needs a finite location and a positive finite "
                        f"lambda, got {parts[2]} {parts[3]}"
                    )
                stats[parts[1]] = (mu, lam)
            continue
        if tag == "//":
            raise lines.error("model ends before its HMM section")
        if tag not in header:
            header[tag], where[tag] = value, lines.number
    for required in ("NAME", "LENG", "ALPH"):
        if required not in header:
            raise lines.error(f"header lacks the mandatory {required} line")
    alphabet = _ALPHABETS.get(header["ALPH"].lower())
    if alphabet is None:
        raise lines.error(f"unsupported alphabet {header['ALPH']!r}")
    try:
        M = int(header["LENG"])
    except ValueError:
        raise lines.error(f"LENG {header['LENG']!r} is not an integer", where["LENG"]) from None
    if M < 1:
        raise lines.error(f"LENG must be positive, got {M}", where["LENG"])
    nseq, maxl, cksum = (
        _header_int(header, where, tag, lines) for tag in ("NSEQ", "MAXL", "CKSUM")
    )
    effn = _header_effn(header, where, lines)
    cutoffs = {tag: _parse_cutoff(tag, header[tag], lines, where[tag])
               for tag in ("GA", "TC", "NC") if tag in header}  # fmt: skip
    K = alphabet.size

    lines.next("transition header line")
    line = lines.next("COMPO or node 0 line")
    composition = None
    if line.split() and line.split()[0] == "COMPO":
        composition = _parse_probs(line.split()[1:], lines, K, "COMPO")
        line = lines.next("node 0 insert emissions")
    # Rows are collected node by node and stacked at the end, so a damaged LENG never
    # allocates more than the nodes the file holds.
    node0 = np.zeros(K)
    node0[0] = 1.0
    mat = [node0]
    ins = [_parse_probs(line.split(), lines, K, "node 0 insert emissions")]
    t = [_parse_probs(lines.next("node 0 transitions").split(), lines, 7, "transitions")]

    has = {key: header.get(key, "no").lower() == "yes" for key in ("RF", "MM", "CONS", "CS", "MAP")}
    amap = [] if has["MAP"] else None
    chars = {key: [] for key in ("CONS", "RF", "MM", "CS")}
    trailing = {"f": ("CONS", "RF", "MM", "CS"), "e": ("CONS", "RF", "CS")}.get(
        version, ("RF", "CS")
    )
    numbers: list[str] = []  # nodes 1..M: K match, K insert and 7 transition fields each
    spans: list[tuple[int, int, str]] = []  # (line number, fields, what): for messages
    for k in range(1, M + 1):
        fields = lines.next(f"node {k} of LENG {M}").split()
        if not fields or fields[0] != str(k):
            found = fields[0] if fields else "a blank line"
            raise lines.error(f"expected node {k} of LENG {M}, found {found[:40]!r}")
        _take(numbers, spans, fields[1 : 1 + K], lines, K, f"node {k} match emissions")
        extra = fields[1 + K :]
        if len(extra) < 1 + len(trailing):
            raise lines.error(f"node {k}: missing MAP/annotation columns")
        if amap is not None:
            try:
                column = int(extra[0])
            except ValueError:
                raise lines.error(f"node {k}: MAP value {extra[0]!r} is not an integer") from None
            if not 0 <= column <= MAX_C_INT:
                raise lines.error(f"node {k}: MAP value {column} is out of range (0..{MAX_C_INT})")
            amap.append(column)
        for key, value in zip(trailing, extra[1:], strict=False):
            chars[key].append(value)
        inserts = lines.next(f"node {k} insert emissions").split()
        _take(numbers, spans, inserts, lines, K, f"node {k} inserts")
        moves = lines.next(f"node {k} transitions").split()
        _take(numbers, spans, moves, lines, 7, "transitions")
    nodes = _probabilities(numbers, spans, lines).reshape(M, 2 * K + 7)
    mat.extend(nodes[:, :K])
    ins.extend(nodes[:, K : 2 * K])
    t.extend(nodes[:, 2 * K :])
    end = lines.next_text("'//' closing the model")
    if end.strip() != "//":
        raise lines.error(f"expected '//' after node {M}, found {end[:40]!r}")

    t, mat, ins = np.array(t), np.array(mat), np.array(ins)
    if amap is not None:
        amap = np.array(amap, dtype=np.int64)

    def annotation(key: str) -> str | None:
        return "".join(chars[key]) if has[key] and chars[key] else None

    model = ProfileHMM(
        alphabet=alphabet,
        transitions=t,
        match_emissions=mat,
        insert_emissions=ins,
        name=header["NAME"],
        accession=header.get("ACC"),
        description=header.get("DESC"),
        consensus=annotation("CONS"),
        reference=annotation("RF"),
        consensus_structure=annotation("CS"),
        model_mask=annotation("MM"),
        alignment_map=amap,
        composition=composition,
        stats=stats,
    )
    model.nseq, model.effn, model.checksum, model.max_length = nseq, effn, cksum, maxl
    for tag, attr in (("GA", "gathering"), ("TC", "trusted"), ("NC", "noise")):
        if tag in cutoffs:
            setattr(model, attr, cutoffs[tag])
    return finish_model(model, lines.label)


@contextmanager
def _open_text(source: str | os.PathLike | IO[str]):
    if hasattr(source, "read"):
        yield source, getattr(source, "name", "HMM input")
    else:
        path = os.fspath(source)
        with open_text(path) as handle:
            yield handle, path


def iter_hmmer(source: str | os.PathLike | IO[str]) -> Iterator[ProfileHMM]:
    """Iterate over the models of a HMMER3 file (path, plain or gzip-compressed, or open
    text handle); a path to a HMMER3 binary file (hmmconvert -b, a pressed .h3m) is read
    as such, and a HMMER2 model (``HMMER2.0``) as HMMER3 converts it (:mod:`.hmmer2`)."""
    if not hasattr(source, "read"):
        from .hmmer3_binary import is_binary_hmm, iter_hmmer_binary

        if is_binary_hmm(source):
            yield from iter_hmmer_binary(source)
            return
    with _open_text(source) as (handle, label):
        lines = _Lines(handle, str(label))
        n = blank = 0
        while True:
            try:
                line = handle.readline()
                if not line:
                    break
                lines.number += 1
                if not line.strip():
                    blank += 1
                    if blank >= MAX_BLANK_RUN:
                        raise lines.error(f"{MAX_BLANK_RUN} blank lines in a row; no HMMER3 "
                                          "model found")  # fmt: skip
                    continue
                blank = 0
                model = _read_one(lines, line.rstrip("\r\n"))
            except UnicodeDecodeError as err:
                raise ValueError(f"{label}: not a text file (not valid {err.encoding})") from None
            yield model
            n += 1
        if n == 0:
            raise ValueError(f"{label}: no HMMER3 model found (empty input)")


def iter_model_texts(source: str | os.PathLike) -> Iterator[tuple[str, str, str | None]]:
    """The text of each model of a HMMER3 file as written there, with its NAME and ACC
    (None when absent), without reading its numbers (what hmmfetch copies)."""
    with open_text(source) as handle:
        lines: list[str] = []
        name = accession = None
        for line in handle:
            if not lines and not line.strip():
                continue
            lines.append(line)
            tag = line.split(None, 1)
            if tag and tag[0] == "NAME" and name is None:
                name = tag[1].strip() if len(tag) > 1 else ""
            elif tag and tag[0] == "ACC" and accession is None:
                accession = tag[1].strip() if len(tag) > 1 else None
            elif line.rstrip("\r\n") == "//":
                if name is None:
                    raise ValueError(f"{os.fspath(source)}: a model without a NAME line")
                yield "".join(lines), name, accession
                lines, name, accession = [], None, None
        if any(line.strip() for line in lines):
            raise ValueError(f"{os.fspath(source)}: the last model does not end with '//'")


def read_hmmer_all(source: str | os.PathLike | IO[str]) -> list[ProfileHMM]:
    """Every model of a HMMER3 file, in order."""
    return list(iter_hmmer(source))


def read_hmmer(source: str | os.PathLike | IO[str]) -> ProfileHMM:
    """The first model of a HMMER3 file (HMMER3/a..f, e.g. a Pfam model; HMMER2 and binary
    files as :func:`iter_hmmer` reads them).

    ValueError, with the line number, on truncated or foreign files.
    """
    models = iter_hmmer(source)
    try:
        return next(models)
    finally:
        models.close()
