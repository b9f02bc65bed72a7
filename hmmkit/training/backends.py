"""Where the E-step runs: threads of this process, or (see ``distributed``) a cluster.

A backend maps a per-shard function ``function(params, shard, workspaces)`` over
every shard of a :class:`~hmmkit.sources.SequenceSource` and returns the results
in shard order; :meth:`map_reduce` sums them (sufficient statistics). Parameters
are passed once per call, never per shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..sources import SequenceSource
from ..stats import Stats, sum_stats
from ..workspace import WorkspacePool
from .parallel import map_shards

BACKENDS = ("threads", "dask")


class LocalBackend:
    """Shards processed by ``n_jobs`` threads of this process (the compiled kernels
    release the GIL); a disk source is read shard by shard inside the threads."""

    def __init__(
        self,
        source: SequenceSource,
        n_jobs: int | None = None,
        workspaces: WorkspacePool | None = None,
    ) -> None:
        self.source = source
        self.n_jobs = n_jobs
        self._keys = source.shard_keys()
        self._workspaces = workspaces if workspaces is not None else WorkspacePool()

    def map(self, function: Callable, params: Any) -> list:
        """``[function(params, shard, workspaces) for every shard]`` in shard order."""

        def run(key):
            return function(params, self.source.load(key), self._workspaces)

        return map_shards(run, self._keys, self.n_jobs)

    def map_reduce(self, function: Callable[..., Stats], params: Any) -> Stats:
        """The sum of ``function`` over all shards, in shard order."""
        return sum_stats(self.map(function, params))

    def close(self) -> None:
        """Release scratch memory."""
        self._workspaces = WorkspacePool()


def make_backend(name: str, source: SequenceSource, n_jobs: int | None = None, client=None):
    """The named backend over ``source``: ``"threads"`` or ``"dask"`` (needs ``client``)."""
    if name == "threads":
        if client is not None:
            raise ValueError("client= is only used with backend='dask'")
        return LocalBackend(source, n_jobs)
    if name == "dask":
        try:
            from .distributed import DaskBackend
        except ImportError as exc:
            raise ImportError(
                "backend='dask' needs the dask extra: pip install 'hmmkit[dask]'"
            ) from exc
        return DaskBackend(source, client)
    raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
