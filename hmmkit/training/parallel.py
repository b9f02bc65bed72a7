"""Running a function over shards of sequences on several cores, in order."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_executors: dict[int, ThreadPoolExecutor] = {}
_THREAD_PREFIX = "hmmkit-shards"


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Number of worker threads for ``n_jobs`` (None or -1: all cores)."""
    if n_jobs is None or n_jobs == -1:
        return available_cores()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, float)):
        raise TypeError(f"n_jobs must be a positive integer, -1 or None, got {n_jobs!r}")
    if int(n_jobs) != n_jobs or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer, -1 or None, got {n_jobs!r}")
    return int(n_jobs)


def map_shards(function: Callable[[T], R], shards: Sequence[T], n_jobs: int | None) -> list[R]:
    """``[function(s) for s in shards]``, computed on ``n_jobs`` threads.

    The kernels release the GIL, so threads run truly in parallel. The calling
    thread works too, and every thread takes the next unclaimed shard until none
    is left: no thread waits on a result per shard, which on a busy machine costs
    a context switch each. Results come back in shard order, so sums over them do
    not depend on ``n_jobs``. The first exception raised stops the others taking
    new shards and is re-raised. Called from one of these threads (a nested call), it
    runs serially, so that it never waits for a thread that is waiting for it.
    """
    workers = min(resolve_n_jobs(n_jobs), len(shards))
    if workers <= 1 or threading.current_thread().name.startswith(_THREAD_PREFIX):
        return [function(s) for s in shards]
    results: list = [None] * len(shards)
    next_index = itertools.count()
    failed = threading.Event()

    def drain() -> None:
        try:
            while not failed.is_set():
                i = next(next_index)  # atomic under the GIL
                if i >= len(shards):
                    return
                results[i] = function(shards[i])
        except BaseException:
            failed.set()
            raise

    helpers = workers - 1
    executor = _executors.get(helpers)
    if executor is None:
        executor = _executors[helpers] = ThreadPoolExecutor(
            helpers, thread_name_prefix=_THREAD_PREFIX
        )
    futures = [executor.submit(drain) for _ in range(helpers)]
    try:
        drain()
    finally:
        for future in futures:
            future.exception()  # wait for every helper before anything is returned or raised
    for future in futures:
        future.result()
    return results
