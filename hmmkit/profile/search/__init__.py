"""Search a sequence database with a profile HMM, as HMMER's hmmsearch does.

The package holds HMMER's search machinery, one job a module: the options
(:mod:`.options`), the stage counters (:mod:`.pipeline`), the filters and per-sequence
scoring (:mod:`.scoring`, :mod:`.bias_filter`, :mod:`.evalues`), domain definition
(:mod:`.domains`), top hits (:mod:`.hits`), the tables (:mod:`.tables`) and text report
(:mod:`.report`), hmmscan (:mod:`.scan`) and the search on a Dask cluster
(:mod:`.distributed`).

The function :func:`search` is defined here, not in a submodule: ``hmmkit.profile``
binds the name ``search`` to the function (its lazy attributes are never replaced by the
submodule the import system would bind), so ``from hmmkit.profile.search import search``
and ``hmmkit.profile.search(...)`` both reach it. No submodule is named after a function
the package exports, and importing the package loads only :mod:`.options`; the pipeline
loads with the first search.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .options import PipelineOptions

if TYPE_CHECKING:
    from ..background import Background
    from ..io.fasta import Sequence
    from ..plan7 import ProfileHMM
    from .hits import SearchResults
    from .targets import DigitalSequences

__all__ = ["PipelineOptions", "search"]


def search(
    model: ProfileHMM,
    sequences: str | Path | Iterable[Sequence | tuple[str, str] | str] | DigitalSequences,
    *,
    options: PipelineOptions | None = None,
    background: Background | None = None,
    n_jobs: int | None = 1,
    **changes: Any,
) -> SearchResults:
    """Search `sequences` (a FASTA path, an iterable of sequences, or
    :class:`~.targets.DigitalSequences` digitized once for many searches) with `model`.

    Mirrors hmmsearch: a sequence goes on to domain definition and null2-corrected
    scoring when it passes HMMER's filters: MSV P-value <= ``F1``, Viterbi P-value <=
    ``F2`` and Forward P-value <= ``F3`` (all against the bias-filter null when
    ``bias_filter``), each filter scored exactly as HMMER's. E-values use ``Z`` (default:
    the number of sequences searched) and the model's ``FORWARD`` statistics (calibrated
    on the fly if the model has none). The thresholds, filters, null2 and seed are
    `options` (a :class:`PipelineOptions`, default HMMER's), with any of its fields given
    as keyword arguments (``search(model, db, E=1e-3, incdomE=1e-5)``); ``cutoffs="ga"``
    takes the model's Pfam gathering thresholds, as ``hmmsearch --cut_ga``.
    `n_jobs` > 1 scores sequences and defines their domains on several cores (None: all
    cores), with the results of one core. ``results.pipeline`` holds the stage counters.
    """
    from .hits import SearchResults
    from .scoring import check_query_model, search_pipeline
    from .targets import targets_of

    check_query_model(model)
    options = PipelineOptions.of(options, **changes)
    limits = options.bit_thresholds(model)
    records, batch = targets_of(sequences, model.alphabet)
    hits, pipeline, deferred = search_pipeline(model, records, options, background=background,
                                               n_jobs=n_jobs, batch=batch)  # fmt: skip
    query = (model.name, model.accession, model.M, model.description)
    return SearchResults.ranked(query, hits, pipeline, [limits] * len(hits), deferred.count)
