"""Iterative search of a protein database from one query sequence, as HMMER's jackhmmer.

Round 1 searches with phmmer's model of the query (:func:`~.seqmodel.from_sequence`).
Every later round builds a model from the alignment of the round before: the query,
aligned to every match state, followed by each included domain of the included hits,
with a column for every match state (p7_tophits_Alignment); the model is built from its
reference line (hmmbuild ``--hand``), so it keeps the query's length, and is named
``<query>-i<round before>``. The search stops when a round includes no new sequence and
its alignment is no larger than the last one (converged), or after `max_rounds`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import dp
from .align import Alignment, traces_to_alignment
from .alphabet import AMINO
from .background import Background
from .build.calibrate import calibrate
from .build.pipeline import build
from .io.fasta import Sequence, as_sequences
from .msa import DigitalMSA, from_text
from .plan7 import ProfileHMM
from .search import search
from .search.hits import SearchResults
from .search.options import ITERATION_INCLUSION, PipelineOptions
from .search.targets import DigitalSequences
from .seqmodel import from_sequence, query_residues


@dataclass
class Round:
    """One round of :func:`iterative_search`.

    `model` searched the database and gave `hits`; `alignment` (the query and every
    included domain) builds the next round's model. `n_new` counts the included hits
    that the round before did not include; `converged`: this round changed nothing.
    """

    number: int
    model: ProfileHMM
    hits: SearchResults
    alignment: Alignment
    n_new: int
    converged: bool


def query_path(length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, None]:
    """The query's own path through its model: every residue in the match state of the
    same number (jackhmmer's faux trace); no posteriors."""
    core = np.arange(1, length + 1)
    head, tail = [dp.ST_S, dp.ST_N, dp.ST_B], [dp.ST_E, dp.ST_C, dp.ST_T]
    states = np.array(head + [dp.ST_M] * length + tail)
    positions = np.concatenate([np.zeros(3), core, np.zeros(3)]).astype(np.int64)
    return states, positions, positions.copy(), None


def round_alignment(query: Sequence, hits: SearchResults, name: str) -> Alignment:
    """The query and every included domain of `hits`, aligned with a column for every
    match state, named `name` (the next model's alignment)."""
    rows = [(query, query_path(hits.M)), *hits.included_domains()]
    records = [record for record, _ in rows]
    aln = traces_to_alignment(records, [path for _, path in rows], hits.M, name=name)
    aln.annotation = {"ID": name}
    return aln


def alignment_to_msa(aln: Alignment) -> DigitalMSA:
    """An :class:`Alignment` as a digital alignment to build from (reference line kept)."""
    return from_text(list(aln.names), aln.rows, AMINO, name=aln.name, reference=aln.reference)


def _mark_changes(hits: SearchResults, before: set[str]) -> int:
    """Flag hits included now but not before (new) and before but not now (dropped);
    returns the number of new ones (p7_tophits_CompareRanking)."""
    n_new = 0
    for hit in hits.hits:
        hit.new = hit.included and hit.name not in before
        hit.dropped = not hit.included and hit.name in before
        n_new += hit.new
    return n_new


def iterative_search(
    query: Sequence | tuple[str, str],
    sequences: str | Path | list | DigitalSequences,
    *,
    max_rounds: int = 5,
    popen: float = 0.02,
    pextend: float = 0.4,
    build_options: Mapping[str, Any] | None = None,
    options: PipelineOptions | None = None,
    background: Background | None = None,
    n_jobs: int | None = 1,
    **changes: Any,
) -> Iterator[Round]:
    """Search `sequences` (a FASTA path, sequences, or
    :class:`~.search.targets.DigitalSequences`) iteratively from the protein `query`, as
    jackhmmer does; yields each :class:`Round` as it completes.

    `popen`/`pextend` set round 1's phmmer model; `build_options` go to
    :func:`~.build.build` for the later models (weighting, effn, prior, fragthresh...;
    the architecture is always the alignment's reference line); `options` (a
    :class:`~.search.options.PipelineOptions`) and any of its fields as keyword arguments
    set every round's search (thresholds, filters, seed), as :func:`~.search.search`'s;
    without `options`, jackhmmer's inclusion thresholds ``incE=incdomE=0.001`` replace
    hmmsearch's unless given.
    """
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
        raise ValueError(f"max_rounds must be a positive integer, got {max_rounds!r}")
    build_options = dict(build_options or {})
    for fixed in ("architecture", "name", "alphabet"):
        if fixed in build_options:
            raise ValueError(f"build_options cannot set {fixed!r}: the iteration sets it")
    if options is None:
        changes = ITERATION_INCLUSION | changes
    options = PipelineOptions.of(options, **changes)
    (query,) = as_sequences([query])
    model = from_sequence(query.name, query.residues, popen=popen, pextend=pextend)
    if not isinstance(sequences, DigitalSequences):  # digitized once for every round
        sequences = DigitalSequences(sequences, model.alphabet)
    if not len(sequences):
        raise ValueError("the sequence database is empty")
    query = Sequence(query.name, query_residues(query.residues), query.description)
    included_before: set[str] = set()
    rows_before = 1
    for number in range(1, max_rounds + 1):
        hits = search(model, sequences, options=options, background=background, n_jobs=n_jobs)
        n_new = _mark_changes(hits, included_before)
        included_before = {hit.name for hit in hits.included()}
        aln = round_alignment(query, hits, f"{query.name}-i{number}")
        converged = n_new == 0 and len(aln) <= rows_before
        yield Round(number, model, hits, aln, n_new, converged)
        if converged or number == max_rounds:
            return
        rows_before = len(aln)
        model = build(alignment_to_msa(aln), architecture="hand", **build_options)
        model = calibrate(model, background=background, seed=options.seed, in_place=True)
