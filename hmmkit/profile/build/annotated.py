"""The alignment a model was built from, as hmmbuild -O writes it (p7_tracealign_MSA).

Each sequence's doctored implied path (:mod:`.traces`) is laid out again as hmmalign lays
out its paths: one column per match state that some path uses (upper case, ``-`` for a
deletion), insert columns after each node (lower case, ``.`` padding; the N-terminal
insertion right-justified, the others split half left, half right), fragments' missing
flanks as ``~``, and an ``#=GC RF`` line marking the match columns. A residue the builder
moved (a D->I or I->D pair doctored into one match) shows in its match column. The
relative weights the model was built with are written as ``#=GS <name> WT`` lines, as
Easel writes them (two decimals), when the builder computed them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

import numpy as np

from ..align import column_map, rejustify_insertions
from .traces import implied_trace


@dataclass
class AnnotatedAlignment:
    """hmmbuild's annotated alignment: text ``rows`` (HMMER's match/insert conventions),
    the ``reference`` (RF) line, the relative ``weights`` (None: not written) and the
    alignment's name, accession and description."""

    names: list[str]
    rows: list[str]
    reference: str
    weights: np.ndarray | None
    name: str | None = None
    accession: str | None = None
    description: str | None = None

    def write(self, handle: IO[str], width: int = 200) -> None:
        """Write as Stockholm, ``width`` columns a block, in Easel's layout."""
        write_annotated(handle, self, width)

    def to_text(self, width: int = 200) -> str:
        """The Stockholm text :meth:`write` writes."""
        buf = io.StringIO()
        self.write(buf, width)
        return buf.getvalue()


def _row(trace, letters: list[str], M: int, matuse, matmap, alen: int) -> list[str]:
    """One text row from a doctored core path of (state, k, column) steps."""
    row = ["."] * alen
    for k in range(1, M + 1):
        if matuse[k]:
            row[matmap[k] - 1] = "-"
    apos = 0
    for z, (state, k, col) in enumerate(trace):
        if state == "M":
            row[matmap[k] - 1] = letters[col].upper()
            apos = int(matmap[k])
        elif state == "D":
            if matuse[k]:
                row[matmap[k] - 1] = "-"
            apos = int(matmap[k])
        elif state == "I":
            row[apos] = letters[col].lower()
            apos += 1
        elif state == "E":
            apos = int(matmap[M])
        elif state == "X" and trace[z - 1][0] == "B":  # missing leading flank of a fragment
            apos = int(matmap[trace[z + 1][1]])
            row[:apos] = ["~"] * apos
        elif state == "X":  # missing trailing flank
            row[apos:] = ["~"] * (alen - apos)
    return row


def annotated_alignment(steps, *, weighted: bool = True) -> AnnotatedAlignment:
    """hmmbuild -O's alignment of a :class:`~.pipeline.BuildSteps` run past ``columns``.

    ``weighted``: write the run's relative weights (hmmbuild does when it computed them).
    """
    if steps.match_columns is None:
        raise ValueError("the annotated alignment needs a run past the 'columns' step")
    marked = steps.marked
    M = steps.M
    traces = [implied_trace(marked, i, steps.match_columns) for i in range(marked.nseq)]
    inscount = np.zeros(M + 1, dtype=np.int64)
    matuse = np.zeros(M + 1, dtype=bool)
    for trace in traces:
        ins = np.zeros(M + 1, dtype=np.int64)
        for state, k, _ in trace:
            if state == "I":
                ins[k] += 1
            elif state == "M":
                matuse[k] = True
        np.maximum(inscount, ins, out=inscount)
    matmap, alen = column_map(inscount, matuse)
    table_letters = marked.table.letters
    rows = []
    for trace, codes in zip(traces, marked.codes, strict=True):
        letters = [table_letters[c] for c in codes]
        row = _row(trace, letters, M, matuse, matmap, alen)
        rejustify_insertions(row, ["."] * alen, inscount, matmap, matuse, M)
        rows.append("".join(row))
    reference = ["."] * alen
    for k in range(1, M + 1):
        if matuse[k]:
            reference[matmap[k] - 1] = "x"
    msa = steps.msa
    return AnnotatedAlignment(
        names=list(msa.names), rows=rows, reference="".join(reference),
        weights=np.asarray(steps.weights, dtype=float) if weighted else None,
        name=steps.name, accession=msa.accession, description=msa.description,
    )  # fmt: skip


def write_annotated(handle: IO[str], aln: AnnotatedAlignment, width: int = 200) -> None:
    """Write ``aln`` as Stockholm the way Easel lays out an alignment with RF and weights."""
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    names = list(aln.names)
    handle.write("# STOCKHOLM 1.0\n")
    if len(set(names)) != len(names):
        digits = len(str(len(names)))
        names = [f"{i:0{digits}d}|{name}" for i, name in enumerate(names)]
        handle.write('# WARNING: seq names have been made unique by adding a prefix of "<seq#>|"\n')
    for tag, text in (("ID", aln.name), ("AC", aln.accession), ("DE", aln.description)):
        if text:
            handle.write(f"#=GF {tag} {text}\n")
    handle.write("\n")
    maxname = max(len(n) for n in names)
    if aln.weights is not None:
        for name, weight in zip(names, aln.weights, strict=True):
            handle.write(f"#=GS {name:<{maxname}} WT {weight:.2f}\n")
        handle.write("\n")
    margin = max(maxname + 1, len("#=GC RF") + 1)
    alen = len(aln.reference)
    for start in range(0, alen, width):
        if start:
            handle.write("\n")
        for name, row in zip(names, aln.rows, strict=True):
            handle.write(f"{name:<{margin - 1}} {row[start : start + width]}\n")
        handle.write(f"#=GC {'RF':<{margin - 6}} {aln.reference[start : start + width]}\n")
    handle.write("//\n")


__all__ = ["AnnotatedAlignment", "annotated_alignment", "write_annotated"]
