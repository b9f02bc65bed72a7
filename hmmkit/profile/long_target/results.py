"""nhmmer's hits: one per alignment on a strand of a target, duplicates from overlapping
blocks removed, E-values over the residues searched, and the ``--tblout`` table
(p7_tophits_RemoveDuplicates, p7_tophits_ComputeNhmmerEvalues, p7_tophits_TabularTargets
for long targets)."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from ...atomic import write_text_to
from ..search.hits import Domain


@dataclass
class LongTargetHit:
    """One nhmmer hit. Coordinates are 1-based on the forward strand of the target; on
    the minus strand ``ali_from > ali_to`` and ``env_from > env_to``, as nhmmer reports
    them. `score` and `bias` are bits; `evalue` counts the residues searched."""

    name: str
    description: str
    seqidx: int
    strand: str
    hmm_from: int
    hmm_to: int
    ali_from: int
    ali_to: int
    env_from: int
    env_to: int
    length: int
    score: float
    bias: float
    lnP: float
    accession: str | None = None
    evalue: float = math.inf
    reported: bool = False
    included: bool = False
    duplicate: bool = False
    domain: Domain | None = field(default=None, repr=False)

    @property
    def pvalue(self) -> float:
        """P-value of the hit's score (before the search-space correction)."""
        return math.exp(self.lnP)


def _seq_order(a: LongTargetHit, b: LongTargetHit) -> int:
    """hit_sorter_by_seqidx_aliposition: sequence, plus strand first, then position."""
    if a.seqidx != b.seqidx:
        return 1 if a.seqidx > b.seqidx else -1
    da, db = (1 if a.ali_from < a.ali_to else -1), (1 if b.ali_from < b.ali_to else -1)
    if da != db:
        return db
    if a.ali_from == b.ali_from:
        return 1 if a.ali_to < b.ali_to else -1
    return 1 if a.ali_from > b.ali_from else -1


def _rank_order(a: LongTargetHit, b: LongTargetHit) -> int:
    """hit_sorter_by_sortkey: best P-value first, then name, plus strand, position."""
    if a.lnP != b.lnP:
        return -1 if a.lnP < b.lnP else 1
    if a.name != b.name:
        return -1 if a.name < b.name else 1
    da, db = (1 if a.ali_from < a.ali_to else -1), (1 if b.ali_from < b.ali_to else -1)
    if da != db:
        return db
    return 1 if a.ali_from > b.ali_from else -1


def _span(h: LongTargetHit) -> tuple[int, int, int]:
    lo, hi = sorted((h.ali_from, h.ali_to))
    return lo, hi, (1 if h.ali_from < h.ali_to else -1)


def mark_duplicates(hits: list[LongTargetHit]) -> list[LongTargetHit]:
    """Sort by sequence and position and flag one of each pair of hits that overlapping
    blocks found twice (same sequence and strand, overlapping model range, one end within
    3 residues or 95% of either covered), keeping the better P-value."""
    hits = sorted(hits, key=functools.cmp_to_key(_seq_order))
    j = 0
    for i in range(1, len(hits)):
        hi, hj = hits[i], hits[j]
        s_i, e_i, dir_i = _span(hi)
        s_j, e_j, dir_j = _span(hj)
        overlap = min(e_i, e_j) - max(s_i, s_j) + 1
        hmm_overlap = min(hi.hmm_to, hj.hmm_to) - max(hi.hmm_from, hj.hmm_from) + 1
        same = hi.seqidx == hits[i - 1].seqidx and dir_i == dir_j and hmm_overlap > 0
        close = (abs(s_i - s_j) <= 3 or abs(e_i - e_j) <= 3 or overlap >= (e_i - s_i + 1) * 0.95
                 or overlap >= (e_j - s_j + 1) * 0.95)  # fmt: skip
        if same and close:
            remove = j if hi.lnP < hj.lnP else i
            hits[remove].duplicate = True
            j = i if remove == j else j
        else:
            j = i
    return hits


@dataclass
class LongTargetResults:
    """Hits of one DNA query against long targets, best first (nhmmer's top hits).

    Iterating yields the reported hits. `nres` is the number of residues searched (both
    strands counted), the search space of the E-values together with `max_length`.
    """

    query_name: str
    query_accession: str | None
    query_length: int
    max_length: int
    hits: list[LongTargetHit]
    nres: int
    nseqs: int
    stages: object = None

    def reported(self) -> list[LongTargetHit]:
        """Hits over the reporting threshold, best first."""
        return [h for h in self.hits if h.reported]

    def __iter__(self) -> Iterator[LongTargetHit]:
        return iter(self.reported())

    def __len__(self) -> int:
        return len(self.reported())

    def tblout(self) -> str:
        """nhmmer's ``--tblout`` table as a string."""
        buf = io.StringIO()
        write_tblout(self, buf)
        return buf.getvalue()

    def write_tblout(self, out: str | Path | IO[str], *, header: bool = True) -> None:
        """Write nhmmer's ``--tblout`` table to a path (atomically) or an open stream."""
        write_text_to(out, lambda fh: write_tblout(self, fh, header=header))


def finish(hits: list[LongTargetHit], nres: float, max_length: int, *, E: float, T,
           incE: float, incT) -> list[LongTargetHit]:  # fmt: skip
    """E-values over `nres` residues in windows of `max_length`, duplicates flagged,
    hits ranked and the reporting/inclusion flags set (nhmmer's end of search)."""
    shift = math.log(float(np.float32(nres) / np.float32(max_length)))
    for h in hits:
        h.lnP += shift
    hits = mark_duplicates(hits)
    hits.sort(key=functools.cmp_to_key(_rank_order))
    for h in hits:
        h.evalue = math.exp(h.lnP)
        if h.duplicate:
            continue
        h.reported = bool(h.score >= T) if T is not None else h.evalue <= E
        h.included = h.reported and (bool(h.score >= incT) if incT is not None
                                     else h.evalue <= incE)  # fmt: skip
    return hits


def write_tblout(res: LongTargetResults, fh: IO[str], *, header: bool = True) -> None:
    """nhmmer's ``--tblout`` layout (p7_tophits_TabularTargets with long targets)."""
    shown = res.reported()
    tnamew = max([20] + [len(h.name) for h in shown])
    qnamew = max(20, len(res.query_name))
    qacc = res.query_accession or "-"
    qaccw = max(10, len(qacc))
    taccw = max([10] + [len(h.accession or "-") for h in shown])
    posw = max([7] + [len(str(v)) for h in res.hits if h.ali_from > 0
                      for v in (h.ali_from, h.ali_to)])  # fmt: skip
    if header:
        fh.write(
            f"#{' target name':<{tnamew - 1}} {'accession':<{taccw}} {'query name':<{qnamew}}"
            f" {'accession':<{qaccw}} hmmfrom hmm to {'alifrom':>{posw}}"
            f" {'ali to':>{posw}} {'envfrom':>{posw}} {'env to':>{posw}} {'sq len':>{posw}}"
            f" {'strand':>6} {'  E-value':>9} {' score':>6} {' bias':>5}  description of target\n"
        )
        dashes = [(tnamew - 1, 19), (taccw, 10), (qnamew, 20), (qaccw, 10), (7, 7), (7, 7),
                  (posw, 7), (posw, 7), (posw, 7), (posw, 7), (posw, 7), (6, 6), (9, 9),
                  (6, 6), (5, 5)]  # fmt: skip
        fields = " ".join(f"{'-' * n:>{w}}" for w, n in dashes)
        fh.write(f"#{fields} {'-' * 21}\n")
    for h in shown:
        fh.write(
            f"{h.name:<{tnamew}} {h.accession or '-':<{taccw}} {res.query_name:<{qnamew}}"
            f" {qacc:<{qaccw}} {h.hmm_from:>7} {h.hmm_to:>7} {h.ali_from:>{posw}}"
            f" {h.ali_to:>{posw}} {h.env_from:>{posw}} {h.env_to:>{posw}} {h.length:>{posw}}"
            f" {'   +  ' if h.ali_from < h.ali_to else '   -  ':>6} {_g(h.evalue):>9}"
            f" {h.score:6.1f} {h.bias:5.1f}  {h.description or '-'}\n"
        )


def write_hit_list(res: LongTargetResults, fh: IO[str], *, textw: int = 120) -> None:
    """nhmmer's "Scores for complete hits" list (p7_tophits_Targets for long targets):
    E-value, score, bias, target, alignment start and end, description; the reported
    hits below the inclusion threshold after its marker line."""
    namew = max([8] + [len(h.name) for h in res.hits])
    posw = max([6] + [len(str(v)) for h in res.hits if h.ali_from > 0
                      for v in (h.ali_from, h.ali_to)])  # fmt: skip
    descw = max(32, textw - namew - 2 * posw - 32) if textw > 0 else None
    fh.write("Scores for complete hits:\n")
    fh.write(f"  {'E-value':>9} {' score':>6} {' bias':>5}  {'Sequence':<{namew}} "
             f"{'start':>{posw}} {'end':>{posw}}  Description\n")  # fmt: skip
    fh.write(f"  {'-------':>9} {'------':>6} {'-----':>5}  {'--------':<{namew}} "
             f"{'-----':>{posw}} {'-----':>{posw}}  -----------\n")  # fmt: skip
    marked = False
    for h in res.reported():
        if not h.included and not marked:
            fh.write("  ------ inclusion threshold ------\n")
            marked = True
        desc = (h.description or "")[:descw] if descw is not None else (h.description or "")
        fh.write(f"  {_g(h.evalue):>9} {h.score:6.1f} {h.bias:5.1f}  {h.name:<{namew}} "
                 f"{h.ali_from:>{posw}} {h.ali_to:>{posw}}  {desc}\n")  # fmt: skip
    if not res.reported():
        fh.write("\n   [No hits detected that satisfy reporting thresholds]\n")


def write_statistics(res: LongTargetResults, fh: IO[str], F: tuple[float, float, float]
                     ) -> None:  # fmt: skip
    """nhmmer's "Internal pipeline statistics summary" (p7_pli_Statistics, long targets):
    residues passing each filter, as a share of the residues searched."""
    st, n = res.stages, res.nres or 1
    shown = res.reported()
    covered = sum(abs(h.ali_to - h.ali_from) + 1 for h in shown)
    fh.write("Internal pipeline statistics summary:\n-------------------------------------\n")
    fh.write(f"Query model(s):                {1:15d}  ({res.query_length} nodes)\n")
    fh.write(f"Target sequences:              {res.nseqs:15d}  ({res.nres} residues searched)\n")
    for label, count, f in (("SSV", st.ssv, F[0]), ("bias", st.bias, F[0]),
                            ("Vit", st.viterbi, F[1]), ("Fwd", st.forward, F[2])):  # fmt: skip
        head = f"Residues passing {label} filter:"
        fh.write(f"{head:<31}{count:15d}  ({count / n:.3g}); expected ({f:.3g})\n")
    fh.write(f"Total number of hits:          {len(shown):15d}  ({covered / n:.3g})\n")


def _g(x: float) -> str:
    """C's %.2g."""
    return f"{x:.2g}"
