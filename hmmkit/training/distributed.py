"""The E-step on a Dask cluster: shards kept on the workers, parameters sent once per iteration.

:class:`DaskBackend` is what ``fit(..., backend="dask", client=client)`` runs on. When
it is built, the shards of the source are loaded *on the workers* from their keys
(a disk source is read where it runs; an in-memory corpus is sent once) and kept
there as futures for the whole fit. Every iteration then

1. submits the parameters once, as one small task whose result each worker fetches
   once (not once per shard),
2. maps the per-shard function over the persisted partitions of shards, each task
   summing its shards' statistics in shard order,
3. gathers one statistics value per partition and sums them on the client in order.

The result is deterministic: the same shards are summed in the same order whatever
worker ran them, and equals the threaded E-step up to floating-point rounding of the
regrouped sum (about 1e-15 relative).

Nothing the iteration needs is held only by one worker: the shards and the parameters
are computed futures, so when a worker dies mid-iteration Dask reloads its shards
from their keys and reruns its tasks elsewhere, and the statistics (and the model)
equal those of an undisturbed run.

:func:`search_distributed` spreads a profile-HMM search of a FASTA database over the
workers the same way.
"""

from __future__ import annotations

import inspect
import math
import uuid
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any

try:
    from distributed import Client, Future, default_client
except ImportError as exc:  # the optional extra is not installed
    raise ImportError(
        "hmmkit.training.distributed needs the dask extra: pip install 'hmmkit[dask]'"
    ) from exc

from ..sources import MemorySource, SequenceSource
from ..stats import Stats, sum_stats
from ..workspace import WorkspacePool

#: Partitions of shards per worker thread: enough to balance load (and to rebalance
#: after a worker is lost) while keeping the scheduler's per-task overhead small.
TASKS_PER_THREAD = 4

# Scratch buffers of this process; on a worker, shared by every task it runs.
_WORKSPACES = WorkspacePool()


# ---------------------------------------------------------------- worker-side tasks


def _identity(value):
    return value


def _load_partition(source: SequenceSource, keys: Sequence[Hashable]) -> list:
    """Load shards on a worker; a missing file says where to look."""
    try:
        return [source.load(key) for key in keys]
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"a worker could not read a shard of {type(source).__name__} ({exc}); the data "
            "must be visible to every worker at the same path"
        ) from exc


def _map_partition(function: Callable, params, shards: list) -> list:
    return [function(params, shard, _WORKSPACES) for shard in shards]


def _reduce_partition(function: Callable, params, shards: list) -> Stats:
    return sum_stats(function(params, shard, _WORKSPACES) for shard in shards)


def _resolve_client(client) -> Client:
    if client is None:
        try:
            return default_client()
        except ValueError:
            raise ValueError(
                "backend='dask' needs a client: fit(..., backend='dask', "
                "client=distributed.Client(scheduler_address))"
            ) from None
    if not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
    return client


def partition(n_items: int, n_parts: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges cutting ``n_items`` into at most ``n_parts`` near-equal runs."""
    n_parts = max(1, min(n_parts, n_items))
    size = math.ceil(n_items / n_parts)
    return [(start, min(start + size, n_items)) for start in range(0, n_items, size)]


class DaskBackend:
    """The E-step on the workers of a Dask ``client``, over shards persisted there.

    ``source`` is any :class:`~hmmkit.sources.SequenceSource`; a disk source must be
    readable by every worker at the same path. Consecutive shards are grouped into
    ``partitions`` tasks (default: :data:`TASKS_PER_THREAD` per worker thread).
    """

    def __init__(
        self,
        source: SequenceSource,
        client: Client | None = None,
        *,
        partitions: int | None = None,
    ) -> None:
        self.client = _resolve_client(client)
        self.source = source
        keys = source.shard_keys()
        if not keys:
            raise ValueError("the source has no shards")
        if partitions is None:
            threads = sum(self.client.nthreads().values()) or 1
            partitions = TASKS_PER_THREAD * threads
        if int(partitions) != partitions or partitions < 1:
            raise ValueError(f"partitions must be a positive integer, got {partitions!r}")
        self._token = uuid.uuid4().hex[:12]
        self._iteration = 0
        self._source_future: Future | None = None
        self._partitions: list[Future] = []
        ranges = partition(len(keys), int(partitions))
        if isinstance(source, MemorySource):
            # The data is already on the client: send each partition once, as the
            # argument of a task, so a lost copy can be rebuilt from the task (the
            # scheduler keeps it). Dask's advice against large graphs is about data
            # sent again and again, which this is not.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Sending large graph")
                for i, (a, b) in enumerate(ranges):
                    shards = [source.load(k) for k in keys[a:b]]
                    self._partitions.append(
                        self.client.submit(
                            _identity, shards, key=self._key("shards", i), pure=False
                        )
                    )
        else:
            self._source_future = self.client.submit(
                _identity, source, key=self._key("source"), pure=False
            )
            for i, (a, b) in enumerate(ranges):
                self._partitions.append(
                    self.client.submit(
                        _load_partition,
                        self._source_future,
                        list(keys[a:b]),
                        key=self._key("shards", i),
                        pure=False,
                    )
                )

    def _key(self, *parts) -> str:
        return "-".join(["hmmkit", *map(str, parts), self._token])

    @property
    def n_partitions(self) -> int:
        """Number of persisted partitions (tasks per iteration)."""
        return len(self._partitions)

    def _run(self, task: Callable, function: Callable, params: Any) -> list:
        if not self._partitions:
            raise RuntimeError("the backend is closed")
        self._iteration += 1
        name = getattr(function, "__name__", "function")
        params_future = self.client.submit(
            _identity, params, key=self._key("params", self._iteration), pure=False
        )
        futures = [
            self.client.submit(
                task,
                function,
                params_future,
                shards,
                key=self._key(name, self._iteration, i),
                pure=False,
            )
            for i, shards in enumerate(self._partitions)
        ]
        try:
            return self.client.gather(futures)
        finally:
            self.client.cancel(futures + [params_future])

    def map(self, function: Callable, params: Any) -> list:
        """``[function(params, shard, workspaces) for every shard]``, in shard order."""
        return [result for part in self._run(_map_partition, function, params) for result in part]

    def map_reduce(self, function: Callable[..., Stats], params: Any) -> Stats:
        """The sum of ``function`` over all shards: in shard order within each
        partition on the workers, then over the partitions in order on the client."""
        return sum_stats(self._run(_reduce_partition, function, params))

    def close(self) -> None:
        """Release the persisted shards on the workers."""
        futures = list(self._partitions)
        if self._source_future is not None:
            futures.append(self._source_future)
        self._partitions, self._source_future = [], None
        if futures and self.client.status == "running":
            self.client.cancel(futures)

    def __enter__(self) -> DaskBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------- profile search


def _search_partition(model, source, keys, options: dict):
    from ..profile.io.fasta import Sequence as Record
    from ..profile.search import search

    records = [
        Record(r.name, r.residues, r.description) for key in keys for r in source.records(key)
    ]
    return search(model, records, **options)


#: search() options that only set reporting and inclusion thresholds.
_THRESHOLDS = ("E", "T", "domE", "domT", "incE", "incT", "incdomE", "incdomT", "domZ")


def search_distributed(model, sequences, client: Client | None = None, **options):
    """Search a FASTA database with a profile HMM on the workers of a Dask ``client``.

    ``sequences`` is a :class:`~hmmkit.disk_sources.FastaSource` or a FASTA path
    (visible to every worker at the same path). Options are those of
    :func:`hmmkit.profile.search.search`. Each task scores a run of shards with the
    same per-sequence pipeline; the hits are merged on the client, sorted and
    thresholded with ``Z`` = the whole database (unless given), so the results equal
    those of ``search(model, path)`` on one machine.
    """
    from ..disk_sources import FastaSource
    from ..profile import calibrate
    from ..profile.plan7 import ProfileHMM
    from ..profile.search import search
    from ..profile.search.hits import SearchResults
    from ..profile.search.scoring import apply_thresholds, hit_rank

    client = _resolve_client(client)
    if not isinstance(model, ProfileHMM):
        raise TypeError(f"model must be a ProfileHMM, got {type(model).__name__}")
    source = sequences if isinstance(sequences, FastaSource) else None
    if source is None:
        source = FastaSource(sequences, model.alphabet)
    bound = inspect.signature(search).bind_partial(model, [], **options)
    bound.apply_defaults()
    settings = {k: v for k, v in bound.arguments.items() if k not in ("model", "sequences")}
    if "FORWARD" not in model.stats:  # calibrate once here, not on every worker
        model = calibrate(model, background=settings["background"])
    if settings["Z"] is None:
        settings["Z"] = source.n_sequences
    settings["n_jobs"] = 1
    keys = source.shard_keys()
    threads = sum(client.nthreads().values()) or 1
    token = uuid.uuid4().hex[:12]
    shared = [
        client.submit(_identity, value, key=f"hmmkit-search-{name}-{token}", pure=False)
        for name, value in (("model", model), ("source", source))
    ]
    futures = [
        client.submit(
            _search_partition,
            *shared,
            keys[a:b],
            settings,
            key=f"hmmkit-search-{i}-{token}",
            pure=False,
        )
        for i, (a, b) in enumerate(partition(len(keys), TASKS_PER_THREAD * threads))
    ]
    try:
        parts = client.gather(futures)
    finally:
        client.cancel(futures + shared)
    hits = [hit for part in parts for hit in part.hits]
    for hit in hits:
        hit.reported = hit.included = False
    hits.sort(key=hit_rank)
    results = SearchResults(
        model.name,
        model.accession,
        model.M,
        hits,
        float(settings["Z"]),
        0.0,
        sum(p.nseqs for p in parts),
        sum(p.nresidues for p in parts),
        sum(p.n_past_forward for p in parts),
        model.description,
    )
    apply_thresholds(results, **{k: settings[k] for k in _THRESHOLDS})
    return results
