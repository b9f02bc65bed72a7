"""What limits hmmkit's profile search and pressed scan on two cores, measured in CPU time.

Wall-clock speed-ups say little on a busy machine; the share of the work that two threads
cannot do side by side does not depend on the load. Two shares are measured, each in the
CPU time of the thread concerned:

* ``python``: one core (``n_jobs=1``), the time outside the compiled kernels (they
  release the interpreter lock; the Python between them holds it, so two threads run it
  one at a time). Every compiled kernel the hmmkit modules hold is wrapped, after a first
  run has compiled and loaded them all, by a function that adds up the thread's CPU time
  inside it;
* ``serial``: two cores (``n_jobs=2``), the process's CPU time spent outside the thread
  pools' work (while the calling thread works alone).

Printed beside them, the Python share of the two-core run itself (the process's CPU time
outside the kernels, every thread's): the Python work that two threads contend for, which
the one-core share misses where the threads' tasks add their own (per block, per part).

With s = python + serial (an upper bound: the lock is contended only when both threads
want it), Amdahl's law bounds the two-core speed-up at 1 / (s + (1 - s) / 2); 1.8x needs
s <= 0.11. The wall times of both core counts are printed too (meaningful on a quiet
machine only). Workloads: the default-pipeline search of the throughput benchmark's ten
models against the first `--sequences` sequences of its database
(``profile_database.py``), and the scan of the proteome's first `--queries` proteins
against the pressed model set of ``profile_scan.py`` (``--models``).

    python benchmarks/profile_two_cores.py [--sequences 200000] [--queries 20] [--models 5000]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import threading
import time
from pathlib import Path

from profile_database import ensure_database, model_paths
from profile_scan import PROTEOME, default_data_dir, model_set


def python_share(work, clock=time.thread_time) -> float:
    """The share of `work()`'s CPU time spent outside compiled kernels: of the calling
    thread's (one thread), or with ``clock=time.process_time`` of every thread's (the
    kernels' time summed over the threads that ran them)."""
    from numba.core.registry import CPUDispatcher

    inside = [0.0]
    busy = threading.local()
    lock = threading.Lock()

    def timed(kernel):
        def run(*args, **kwargs):
            if getattr(busy, "on", False):
                return kernel(*args, **kwargs)
            busy.on, start = True, time.thread_time()
            try:
                return kernel(*args, **kwargs)
            finally:
                spent = time.thread_time() - start
                with lock:
                    inside[0] += spent
                busy.on = False

        return run

    originals, wrapped = [], {}
    for module in [m for n, m in list(sys.modules.items()) if n.startswith("hmmkit") and m]:
        for name, value in list(vars(module).items()):
            if isinstance(value, CPUDispatcher):
                originals.append((module, name, value))
                setattr(module, name, wrapped.setdefault(id(value), timed(value)))
    try:
        start = clock()
        work()
        total = clock() - start
    finally:
        for module, name, value in originals:
            setattr(module, name, value)
    return (total - inside[0]) / total


def serial_share(work) -> float:
    """The share of `work()`'s process CPU time spent while no thread pool works."""
    parallel = importlib.import_module("hmmkit.training.parallel")
    original = parallel.map_shards
    inside, depth = [0.0], [0]

    def counted(function, shards, n_jobs):
        if depth[0] or threading.current_thread() is not threading.main_thread():
            return original(function, shards, n_jobs)
        depth[0], start = 1, time.process_time()
        try:
            return original(function, shards, n_jobs)
        finally:
            inside[0] += time.process_time() - start
            depth[0] = 0

    holders = [m for n, m in list(sys.modules.items()) if n.startswith("hmmkit") and m
               and getattr(m, "map_shards", None) is original]  # fmt: skip
    for module in holders:
        module.map_shards = counted
    try:
        start = time.process_time()
        work()
        total = time.process_time() - start
    finally:
        for module in holders:
            module.map_shards = original
    return (total - inside[0]) / total


def wall(work) -> float:
    """Wall-clock seconds of `work()`."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def measure(label: str, run) -> None:
    """Warm up, then the shares and the wall times of `run(n_jobs)`."""
    run(1), run(2)  # every kernel compiled and loaded
    python = python_share(lambda: run(1))
    serial = serial_share(lambda: run(2))
    python_two = python_share(lambda: run(2), clock=time.process_time)
    s = python + serial
    one, two = wall(lambda: run(1)), wall(lambda: run(2))
    print(f"{label}: python {python:.3f}, serial {serial:.3f}, s = {s:.3f}: two cores at "
          f"best {1 / (s + (1 - s) / 2):.2f}x (python on two cores: {python_two:.3f} of their "
          f"CPU); wall one core {one:.2f} s, two {two:.2f} s ({one / two:.2f}x)",
          flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--sequences", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--models", type=int, default=5000)
    args = parser.parse_args(argv)

    from hmmkit.profile import AMINO, DigitalSequences, read_hmmer, scan, search
    from hmmkit.profile.io.fasta import read_fasta
    from hmmkit.profile.press import press

    folder = ensure_database(args.data_dir)
    models = [read_hmmer(p) for p in model_paths(folder)]
    records = DigitalSequences(read_fasta(folder / "db.faa")[: args.sequences], AMINO)
    measure(f"search, {len(models)} models x {args.sequences} sequences",
            lambda jobs: [search(m, records, n_jobs=jobs) for m in models])  # fmt: skip

    queries = read_fasta(args.data_dir / PROTEOME)[: args.queries]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "models.hmm"
        path.write_bytes(model_set(args.data_dir, args.models).read_bytes())
        press(path)
        measure(f"pressed scan, {args.queries} proteins x {args.models} models",
                lambda jobs: scan(path, queries, n_jobs=jobs))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
