"""Running shards on several threads: order, errors, and the caller's share of the work."""

import threading

import pytest

from hmmkit.training.parallel import map_shards, resolve_n_jobs


@pytest.mark.parametrize("n_jobs", [1, 2, 3, 8])
def test_results_come_back_in_shard_order(n_jobs):
    shards = list(range(50))
    assert map_shards(lambda s: s * s, shards, n_jobs) == [s * s for s in shards]


def test_the_calling_thread_works_too():
    seen = set()
    barrier = threading.Barrier(2, timeout=10)

    def work(shard):
        seen.add(threading.get_ident())
        if shard < 2:
            barrier.wait()  # two shards can only finish together, on two threads
        return shard

    assert map_shards(work, [0, 1], 2) == [0, 1]
    assert threading.get_ident() in seen and len(seen) == 2


def test_an_error_in_a_shard_is_raised_and_stops_the_rest():
    done = []

    def work(shard):
        if shard == 3:
            raise ValueError("shard 3 is bad")
        done.append(shard)
        return shard

    with pytest.raises(ValueError, match="shard 3 is bad"):
        map_shards(work, list(range(1000)), 2)
    assert len(done) < 999


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", "all", True])
def test_bad_n_jobs_is_refused(bad):
    with pytest.raises((ValueError, TypeError), match="n_jobs"):
        resolve_n_jobs(bad)


def test_a_nested_call_runs_without_waiting_for_itself():
    def outer(shard):
        return sum(map_shards(lambda s: s + shard, list(range(10)), 2))

    result = []
    worker = threading.Thread(target=lambda: result.append(map_shards(outer, list(range(6)), 2)))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "nested map_shards deadlocked"
    assert result == [[45 + 10 * s for s in range(6)]]
