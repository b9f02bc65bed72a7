"""Sequences against a database of profile HMMs, as HMMER's hmmscan.

Each (sequence, model) comparison runs the same pipeline as :func:`~.search.search`
(HMMER's hmmscan and hmmsearch share it); only the bookkeeping is turned around: one
result per query sequence, whose hits are the models, E-values counted over the number of
models searched (Z) and domain E-values over the models reported for that sequence (domZ).
With `cutoffs`, each model's own Pfam GA, TC or NC bit score thresholds decide reporting
and inclusion, model by model.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ...training.parallel import map_shards, resolve_n_jobs
from ..alidisplay import AlignmentDisplay
from ..background import Background
from ..digital import digitize_batch
from ..io.fasta import Sequence, as_sequences
from ..plan7 import ProfileHMM
from .hits import SearchResults
from .options import CUTOFF_FIELDS, PipelineOptions
from .pipeline import PAST_FORWARD, PAST_MSV, PAST_VITERBI, Pipeline
from .scoring import check_query_model, msv_gate, null_scores, residue_count, score_targets

#: Models scored side by side (on ``n_jobs`` threads) before their hits are gathered.
_MODELS_PER_WINDOW = 64
#: Models of a pressed database that one thread takes through their MSV filter and the
#: pipeline at a time.
_PRESSED_MODELS_PER_TASK = 8
#: Models of a pressed database scored before their hits are gathered (bounds the memory
#: of their stage arrays).
_PRESSED_MODELS_PER_WINDOW = 512


def scan(
    models: str | Path | ProfileHMM | Iterable[ProfileHMM],
    sequences: str | Path | Iterable[Sequence | tuple[str, str] | str],
    *,
    options: PipelineOptions | None = None,
    background: Background | None = None,
    n_jobs: int | None = 1,
    **changes: Any,
) -> list[SearchResults]:
    """Search every sequence against each model of `models` (an HMMER3 file, one model
    or an iterable of models, read one at a time), as hmmscan does.

    Returns one :class:`~.hits.SearchResults` per sequence, in input order: its
    ``query_name`` is the sequence, ``M`` its length, and its hits are the models (hit
    ``name``, ``accession``, ``description`` and ``length`` are the model's), ranked.
    ``Z`` defaults to the number of models. The options are :func:`~hmmkit.profile.search`'s;
    with ``cutoffs`` ``"ga"``, ``"tc"`` or ``"nc"`` each model's own Pfam bit score cutoffs
    decide reporting and inclusion of its hits (hmmscan's ``--cut_ga``/``--cut_tc``/``--cut_nc``).
    `n_jobs` > 1 scores that many models at a time on threads (None: all cores), with the
    results of one core.
    """
    options = PipelineOptions.of(options, **changes)
    records = as_sequences(sequences)
    if not records and isinstance(sequences, (str, Path)):
        raise ValueError(f"{sequences}: the sequence file is empty (no FASTA records)")
    per_query: list[list] = [[] for _ in records]
    per_query_limits: list[list] = [[] for _ in records]
    # comparisons of each query that reached each stage, summed over the models
    past = np.zeros((len(records), PAST_FORWARD - PAST_MSV + 1), dtype=np.int64)
    n_models = n_nodes = 0
    pressed = _pressed(models, background, options.cutoffs)
    targets = None
    if pressed is not None:  # every model scores the same records: digitize them once
        n_models, n_nodes = pressed.n_models, pressed.n_nodes
        batch = digitize_batch(records, pressed.alphabet)
        targets = (batch, null_scores(Background.default(pressed.alphabet), batch.lengths))
    batch, null = targets or (None, None)
    jobs = resolve_n_jobs(n_jobs)

    def score(model, msv_passed):  # one model against every record (on one thread)
        scored, stages, deferred = score_targets(model, records, options, background=background,
                                                 n_jobs=1, batch=batch, null=null,
                                                 msv_passed=msv_passed)  # fmt: skip
        stages[deferred.passing()] = PAST_VITERBI  # each query's counters are made here
        return scored, stages

    for model, scored, stages in _scored_models(models, pressed, targets, options.F1, score,
                                                jobs):  # fmt: skip
        if pressed is None:  # checked as read (_models_and_targets)
            n_models += 1
            n_nodes += model.M
        limits = options.bit_thresholds(model)
        past += stages[:, None] >= np.arange(PAST_MSV, PAST_FORWARD + 1)
        if not scored:
            continue
        # a pressed model's search profile is configured already (default background)
        display = (AlignmentDisplay(model) if pressed is None else
                   AlignmentDisplay(model.model, model.profile.msc))  # fmt: skip
        for idx, hit in scored:
            for d in hit.domains:  # the model is at hand only now
                d.display = display.domain(d)
            per_query[idx].append(
                replace(hit, name=model.name, accession=model.accession,
                        description=model.description or "", length=model.M)
            )  # fmt: skip
            per_query_limits[idx].append(limits)
    if n_models == 0:
        raise ValueError("models: the model database holds no model")
    out = []
    for rec, hits, limits, counts in zip(records, per_query, per_query_limits, past, strict=True):
        length = residue_count([rec])
        pipeline = Pipeline(options, "scan", n_models=n_models, n_nodes=n_nodes, n_sequences=1,
                            n_residues=length, n_past_msv=int(counts[0]),
                            n_past_bias=int(counts[1]), n_past_vit=int(counts[2]),
                            n_past_fwd=int(counts[3]))  # fmt: skip
        query = (rec.name, None, length, rec.description or None)
        out.append(SearchResults.ranked(query, hits, pipeline, limits))
    return out


def _pressed(models, background: Background | None, cutoffs: str | None):
    """The pressed database of a model file path (None without one, or when the scan
    needs what it does not keep: a background other than HMMER's default)."""
    if not isinstance(models, (str, Path)) or background is not None:
        return None
    from ..press import open_pressed

    pressed = open_pressed(models)
    if pressed is not None and cutoffs is not None:
        lacking = [n for n, has in zip(pressed.names, pressed.has_cutoffs(cutoffs),
                                       strict=True) if not has]  # fmt: skip
        if lacking:
            raise ValueError(f"model {lacking[0]} has no {CUTOFF_FIELDS[cutoffs]} "
                             f"({cutoffs.upper()}) bit score thresholds")  # fmt: skip
    return pressed


def _scored_models(models, pressed, targets, F1: float, score, jobs: int):
    """(model, *score(model, msv_passed)) of each model to score, in order, scored on `jobs`
    threads: ``msv_passed``, the records past the model's MSV filter's first gate and their
    MSV scores, or None. Models read from a file or given are scored side by side
    :data:`_MODELS_PER_WINDOW` at a time. With a pressed database (and `targets`, the
    records digitized and their null scores) each thread takes the next
    :data:`_PRESSED_MODELS_PER_TASK` models through their MSV filter and the pipeline
    (:meth:`~hmmkit.profile.press.PressedDatabase.candidates`, then its
    :meth:`~hmmkit.profile.press.PressedDatabase.stages`), so that reading the models'
    profiles, the MSV filter and the Python around the stages are done on every thread;
    only models with a record past that gate are scored (the pipeline's own result on
    the others is none)."""
    if pressed is None:
        first = None
        read = iter(_iter_models(models))
        for window in iter(lambda: list(itertools.islice(read, _MODELS_PER_WINDOW)), []):
            for model in window:
                check_query_model(model, first, "the model database")
                first = first or model
            for model, result in zip(window, map_shards(lambda m: score(m, None), window, jobs),
                                     strict=True):  # fmt: skip
                yield model, *result
        return

    def task(chosen: range) -> list[tuple]:
        if F1 >= 1.0:  # no MSV gate: every model scores every record
            return [(stages, *score(stages, None)) for stages in map(pressed.stages, chosen)]
        batch, nullsc = targets
        found = pressed.candidates(batch.X, batch.starts, batch.lengths, nullsc, gate, chosen)
        return [(stages, *score(stages, (passed, msv_scores)))
                for stages, passed, msv_scores in
                ((pressed.stages(i), passed, usc) for i, passed, usc in found)]  # fmt: skip

    def gate(candidates, usc, null, msv_stats):
        return msv_gate(candidates, usc, null, msv_stats, F1)

    size = _PRESSED_MODELS_PER_TASK if jobs > 1 else _PRESSED_MODELS_PER_WINDOW
    tasks = [range(a, min(a + size, pressed.n_models)) for a in range(0, pressed.n_models, size)]
    per_window = max(1, _PRESSED_MODELS_PER_WINDOW // size)
    for w in range(0, len(tasks), per_window):
        for found in map_shards(task, tasks[w : w + per_window], jobs):
            yield from found


def _iter_models(models) -> Iterable[ProfileHMM]:
    if isinstance(models, ProfileHMM):
        return [models]
    if isinstance(models, (str, Path)):
        from ..io.hmmer3 import iter_hmmer

        return iter_hmmer(models)
    return models
