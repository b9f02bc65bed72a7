"""What every computation of hmmkit on a Dask cluster shares: the client, how work is cut
into tasks, and the task that hands a value to the workers."""

from __future__ import annotations

import math

try:
    from distributed import Client, Future, default_client
except ImportError as exc:  # the optional extra is not installed
    raise ImportError(
        "hmmkit.training.distributed needs the dask extra: pip install 'hmmkit[dask]'"
    ) from exc

#: Partitions of work per worker thread: enough to balance load (and to rebalance
#: after a worker is lost) while keeping the scheduler's per-task overhead small.
TASKS_PER_THREAD = 4

__all__ = ["TASKS_PER_THREAD", "Client", "Future", "identity", "partition", "resolve_client"]


def identity(value):
    """A task returning its argument: a value sent once and kept on the workers."""
    return value


def resolve_client(client) -> Client:
    """`client`, or the default client of this process; a clear error for neither."""
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
