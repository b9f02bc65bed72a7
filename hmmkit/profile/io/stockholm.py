"""Stockholm alignments: read (parsed line by line in one pass, time linear in the input)
and written.

Every refusal names its line. What Easel (HMMER's reader) refuses is refused here too:
text outside a ``# STOCKHOLM`` ... ``//`` record, a sequence line without aligned text,
a name given twice in one block, blocks that do not list the first block's sequences,
lines of one block holding different numbers of columns, a ``#=GR``/``#=GC`` feature given
twice in one block, ``#=GS``/``#=GR`` lines for sequences the alignment does not hold,
a second ``#=GS <name> AC`` or ``DE`` line. Rows in another order than the first block's
are joined by name (Easel refuses them; the alignment read is the same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import IO

from ..msa import DigitalMSA, from_text


@dataclass
class StockholmRecord:
    """One alignment of a Stockholm file, as text.

    ``rows`` maps each sequence name (in the first block's order) to its aligned text;
    ``gf`` holds the ``#=GF`` lines (tag: [(line number, text), ...]); ``gc`` the
    per-column ``#=GC`` annotation (tag: text).
    """

    rows: dict[str, list[str]] = field(default_factory=dict)
    gf: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    gc: dict[str, list[str]] = field(default_factory=dict)
    gr_names: dict[str, int] = field(default_factory=dict)  # name: first #=GR/#=GS line
    accessions: dict[str, str] = field(default_factory=dict)  # name: its #=GS AC
    descriptions: dict[str, str] = field(default_factory=dict)  # name: its #=GS DE

    def names(self) -> list[str]:
        """The sequence names, in the first block's order."""
        return list(self.rows)

    def aligned(self) -> list[str]:
        """The aligned text of each sequence, in the order of :meth:`names`."""
        return ["".join(chunks) for chunks in self.rows.values()]

    def column_annotation(self, tag: str) -> str | None:
        """The ``#=GC <tag>`` text, None when absent."""
        return "".join(self.gc[tag]) if tag in self.gc else None


class _Block:
    """The lines of one block: names, features seen and the common number of columns."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.features: set[tuple[str, str]] = set()
        self.width: int | None = None
        self.width_line = 0

    def check_width(self, text: str, what: str, number: int) -> None:
        if self.width is None:
            self.width, self.width_line = len(text), number
        elif len(text) != self.width:
            raise ValueError(
                f"Stockholm line {number}: {what} has {len(text)} aligned columns, line "
                f"{self.width_line} of the same block {self.width}"
            )

    def feature(self, key: tuple[str, str], number: int) -> None:
        if key in self.features:
            where = f"#=GR {key[0]} {key[1]}" if key[0] else f"#=GC {key[1]}"
            raise ValueError(f"Stockholm line {number}: a second {where} line in one block")
        self.features.add(key)


class _Parser:
    def __init__(self) -> None:
        self.records: list[StockholmRecord] = []
        self.record: StockholmRecord | None = None
        self.block = _Block()
        self.blocks = 0  # blocks with sequence rows so far in this record
        self.seen = False

    def end_block(self, number: int) -> None:
        names = self.block.names
        if names:
            if self.blocks > 0 and len(names) != len(self.record.rows):
                raise ValueError(
                    f"Stockholm line {number}: a block lists {len(names)} sequences, the "
                    f"first block {len(self.record.rows)}; every block must list the same "
                    "sequences"
                )
            self.blocks += 1
        self.block = _Block()

    def outside(self, line: str, number: int) -> None:
        if line.startswith("# STOCKHOLM"):
            self.record, self.blocks, self.seen = StockholmRecord(), 0, True
            self.block = _Block()
        elif line:
            where = "after the closing //" if self.seen else "before the header"
            raise ValueError(
                f"Stockholm line {number}: {line[:40]!r} {where}; each alignment must run "
                "from a '# STOCKHOLM 1.0' header to a // line"
            )

    def close(self, number: int) -> None:
        self.end_block(number)
        record = self.record
        if not record.rows:
            raise ValueError(f"Stockholm line {number}: an alignment without sequences")
        for name, line in record.gr_names.items():
            if name not in record.rows:
                raise ValueError(
                    f"Stockholm line {line}: annotation for sequence {name!r}, which the "
                    "alignment does not hold"
                )
        self.records.append(record)
        self.record = None

    def sequence(self, line: str, number: int) -> None:
        parts = line.split(None, 1)
        name = parts[0]
        if len(parts) < 2:
            raise ValueError(
                f"Stockholm line {number}: sequence line {name[:40]!r} has no aligned text"
            )
        text = parts[1].strip()
        block, rows = self.block, self.record.rows
        if name in block.names:
            raise ValueError(f"Stockholm line {number}: sequence {name!r} twice in one block")
        if self.blocks == 0:
            rows[name] = []
        elif name not in rows:
            raise ValueError(
                f"Stockholm line {number}: sequence {name!r} is not in the first block; "
                "every block must list the same sequences"
            )
        block.check_width(text, f"sequence {name!r}", number)
        block.names.add(name)
        rows[name].append(text)

    def markup(self, line: str, number: int) -> None:
        record, tag = self.record, line[:4]
        if tag == "#=GF":
            parts = line[4:].split(None, 1)
            if not parts:
                raise ValueError(f"Stockholm line {number}: #=GF line without a feature tag")
            text = parts[1].strip() if len(parts) > 1 else ""
            record.gf.setdefault(parts[0], []).append((number, text))
        elif tag == "#=GS":
            parts = line[4:].split(None, 2)
            if len(parts) < 2:
                raise ValueError(f"Stockholm line {number}: #=GS line needs <name> <tag> [text]")
            name, feature = parts[0], parts[1]
            record.gr_names.setdefault(name, number)
            kept = {"AC": (record.accessions, "accession"), "DE": (record.descriptions,
                                                                 "description")}  # fmt: skip
            if feature in kept:
                values, what = kept[feature]
                if name in values:
                    raise ValueError(
                        f"Stockholm line {number}: a second #=GS {name} {feature} line (one "
                        f"{what} per sequence)"
                    )
                values[name] = parts[2].strip() if len(parts) > 2 else ""
        elif tag == "#=GR":
            parts = line[4:].split(None, 2)
            if len(parts) < 3:
                raise ValueError(
                    f"Stockholm line {number}: #=GR line needs <name> <tag> <aligned text>"
                )
            name, feature, text = parts[0], parts[1], parts[2].strip()
            self.block.feature((name, feature), number)
            self.block.check_width(text, f"#=GR {name} {feature}", number)
            record.gr_names.setdefault(name, number)
        elif tag == "#=GC":
            parts = line[4:].split(None, 1)
            if len(parts) < 2:
                raise ValueError(f"Stockholm line {number}: #=GC line needs <tag> <aligned text>")
            feature, text = parts[0], parts[1].strip()
            self.block.feature(("", feature), number)
            self.block.check_width(text, f"#=GC {feature}", number)
            record.gc.setdefault(feature, []).append(text)

    def feed(self, raw: str, number: int) -> None:
        line = raw.strip()
        if self.record is None:
            self.outside(line, number)
        elif line == "//":
            self.close(number)
        elif line.startswith("# STOCKHOLM"):
            raise ValueError(f"Stockholm line {number}: new header before the // terminator")
        elif not line:
            self.end_block(number)  # a blank line ends a block
        elif line.startswith("#="):
            self.markup(line, number)
        elif not line.startswith("#"):
            self.sequence(line, number)


def parse_stockholm(text: str) -> list[StockholmRecord]:
    """Every alignment of Stockholm ``text``; ValueError naming the line of any defect."""
    parser = _Parser()
    number = 0
    for number, raw in enumerate(text.replace("\t", " ").split("\n"), start=1):
        parser.feed(raw, number)
    if parser.record is not None:
        raise ValueError("Stockholm: missing // terminator at the end of the alignment")
    return parser.records


# --------------------------------------------------------------------------- alignments


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


def read_stockholm(text: str, alphabet) -> list[DigitalMSA]:
    """Every alignment of Stockholm `text`, digitised (alphabet guessed when None)."""
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
                sequence_accessions=dict(record.accessions),
                sequence_descriptions=dict(record.descriptions),
            )
        )
    return result


# --------------------------------------------------------------------------- writing


def stockholm_names(names: list[str]) -> list[str]:
    """``names``, made unique for Stockholm (which keys rows by name) if they are not:
    then every name is prefixed with its 0-based index, ``"<i>|<name>"``."""
    if len(set(names)) == len(names):
        return list(names)
    return [f"{i}|{name}" for i, name in enumerate(names)]


def write_stockholm(handle: IO[str], aln, width: int) -> None:
    """Write an :class:`~hmmkit.profile.align.Alignment` as Stockholm, `width` columns a block."""
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    handle.write("# STOCKHOLM 1.0\n")
    names = stockholm_names(aln.names)
    if names != aln.names:
        handle.write('# WARNING: seq names have been made unique by adding a prefix of "<seq#>|"\n')
    for tag, text in aln.annotation.items():
        handle.write(f"#=GF {tag} {text}\n")
    handle.write("\n")
    maxname = max([len(n) for n in names] + [1])
    margin = max(5 + maxname + 1 + 2, len("#=GC PP_cons"), len("#=GC RF"))
    accessions = aln.accessions or [""] * len(names)
    accessed = [(n, a) for n, a in zip(names, accessions, strict=True) if a]
    for name, accession in accessed:
        handle.write(f"#=GS {name:<{maxname}} AC {accession}\n")
    if accessed:
        handle.write("\n")
    described = [(n, d) for n, d in zip(names, aln.descriptions, strict=True) if d]
    for name, desc in described:
        handle.write(f"#=GS {name:<{maxname}} DE {desc}\n")
    if described:
        handle.write("\n")
    total = max(aln.length, 1)
    for start in range(0, total, width):
        end = start + width
        for name, row, pp in zip(names, aln.rows, aln.posteriors, strict=True):
            handle.write(f"{name:<{margin}} {row[start:end]}\n")
            if pp:
                handle.write(f"{'#=GR ' + name.ljust(maxname) + ' PP':<{margin}} {pp[start:end]}\n")
        handle.write(f"{'#=GC PP_cons':<{margin}} {aln.consensus_posterior[start:end]}\n")
        handle.write(f"{'#=GC RF':<{margin}} {aln.reference[start:end]}\n")
        if end < total:
            handle.write("\n")
    handle.write("//\n")
