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

:func:`search_distributed` (from :mod:`hmmkit.profile.search.distributed`) spreads a
profile-HMM search of a FASTA database over the workers the same way.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..profile.search.distributed import search_distributed
from ..sources import MemorySource, SequenceSource
from ..stats import Stats, sum_stats
from ..workspace import WorkspacePool
from .cluster import TASKS_PER_THREAD, Client, Future, partition
from .cluster import identity as _identity
from .cluster import resolve_client as _resolve_client

__all__ = ["DaskBackend", "TASKS_PER_THREAD", "partition", "search_distributed"]

# Scratch buffers of this process; on a worker, shared by every task it runs.
_WORKSPACES = WorkspacePool()


# ---------------------------------------------------------------- worker-side tasks


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
