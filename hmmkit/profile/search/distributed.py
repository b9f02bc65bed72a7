"""A profile search of a FASTA database on the workers of a Dask cluster.

The database's shards are cut into runs, one task a run; each task runs the search
pipeline (:func:`~.scoring.search_pipeline`) over its sequences with the model and the
:class:`~.options.PipelineOptions` sent once; the client adds the tasks' counters,
ranks the hits and sets their E-values and flags over the whole database, so the results
equal those of :func:`~hmmkit.profile.search` on one machine.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .options import PipelineOptions

if TYPE_CHECKING:
    from ...disk_sources import FastaSource
    from ..background import Background
    from ..plan7 import ProfileHMM
    from .hits import SearchResults


def _search_partition(model, source, keys, options: PipelineOptions, background):
    """A task: the hits and counters of one run of shards."""
    from dataclasses import replace

    from ..io.fasta import Sequence
    from .scoring import search_pipeline

    records = [
        Sequence(r.name, r.residues, r.description) for key in keys for r in source.records(key)
    ]
    hits, pipeline, deferred = search_pipeline(model, records, options, background=background,
                                               n_jobs=1)  # fmt: skip
    return hits, replace(pipeline, n_past_vit=pipeline.n_past_vit + deferred.count())


def search_distributed(
    model: ProfileHMM,
    sequences: FastaSource | str,
    client=None,
    *,
    options: PipelineOptions | None = None,
    background: Background | None = None,
    **changes: Any,
) -> SearchResults:
    """Search a FASTA database with a profile HMM on the workers of a Dask ``client``
    (default: this process's client).

    ``sequences`` is a :class:`~hmmkit.disk_sources.FastaSource` or a FASTA path
    (visible to every worker at the same path). The options are those of
    :func:`hmmkit.profile.search`. Each task scores a run of shards with the same
    per-sequence pipeline; the hits are merged on the client, ranked and thresholded with
    ``Z`` = the whole database (unless given), so the results equal those of
    ``search(model, path)`` on one machine.
    """
    from ...disk_sources import FastaSource
    from ...training.cluster import TASKS_PER_THREAD, identity, partition, resolve_client
    from ..build.calibrate import calibrate
    from .hits import SearchResults
    from .scoring import check_query_model

    client = resolve_client(client)
    check_query_model(model)
    options = PipelineOptions.of(options, **changes)
    limits = options.bit_thresholds(model)
    source = sequences if isinstance(sequences, FastaSource) else None
    if source is None:
        source = FastaSource(sequences, model.alphabet)
    if "FORWARD" not in model.stats:  # calibrate once here, not on every worker
        model = calibrate(model, background=background)
    keys = source.shard_keys()
    threads = sum(client.nthreads().values()) or 1
    token = uuid.uuid4().hex[:12]
    shared = [
        client.submit(identity, value, key=f"hmmkit-search-{name}-{token}", pure=False)
        for name, value in (("model", model), ("source", source))
    ]
    futures = [
        client.submit(_search_partition, *shared, keys[a:b], options, background,
                      key=f"hmmkit-search-{i}-{token}", pure=False)  # fmt: skip
        for i, (a, b) in enumerate(partition(len(keys), TASKS_PER_THREAD * threads))
    ]
    try:
        parts = client.gather(futures)
    finally:
        client.cancel(futures + shared)
    hits = [hit for part_hits, _ in parts for hit in part_hits]
    pipeline = sum((counters for _, counters in parts[1:]), parts[0][1])
    query = (model.name, model.accession, model.M, model.description)
    return SearchResults.ranked(query, hits, pipeline, [limits] * len(hits))
