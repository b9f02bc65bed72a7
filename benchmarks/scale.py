"""Scale test: W1 enlarged to 2x10^6 frames on disk, streamed, and on a Dask LocalCluster.

    python benchmarks/scale.py                    # writes its section of BENCHMARKS.md
    python benchmarks/scale.py --frames 500000 --no-write

The W1 corpus of ``hmm_speed.py`` (GaussianHMM, 8 states, diag, 13-dim) is repeated,
each copy with fresh jitter (N(0, 0.05^2) per value, so no two sequences are equal),
until it holds ``--frames`` frames; every sequence is written as one float64 ``.npy``
file under a temporary folder (removed afterwards), and all of them to one HDF5 store.
From W1's common start, EM runs ``--iterations`` iterations in each setting, each in a
fresh process:

- ``memory``: the whole corpus loaded into memory first, 1 thread (the usual way);
- ``stream``: :class:`~hmmkit.disk_sources.NpyFolderSource`, read shard by shard on
  every iteration, 1 thread and 2 threads;
- ``hdf5``: the same frames in one HDF5 store (:class:`~hmmkit.disk_sources.HDF5Source`,
  when h5py is installed), 1 thread;
- ``dask``: the same source on a ``LocalCluster`` of 2 worker processes x 1 thread,
  loaded once on the workers and kept there.

Reported: median seconds per iteration (after the first), the speed-up over one
process with one thread, and peak resident memory of the training process (and of
each Dask worker) against the corpus size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hmm_speed import (  # noqa: E402
    SINGLE_THREAD_ENV,
    _rss_mb,
    make_workload,
    write_section,
)

SETTINGS = ("memory", "stream1", "stream2", "hdf5", "dask")
HDF5_NAME = "corpus.h5"
JITTER = 0.05


def write_corpus(folder: Path, n_frames: int) -> dict:
    """Copies of W1's sequences with jitter until ``n_frames``: one ``.npy`` file each,
    and (when h5py is installed) the same frames in one HDF5 store beside them."""
    X, lengths, _ = make_workload("W1")
    seqs = np.split(X, np.cumsum(lengths)[:-1])
    rng = np.random.default_rng(0)
    try:
        import h5py

        store = h5py.File(folder / HDF5_NAME, "w")
        frames = store.create_dataset(
            "X", (0, X.shape[1]), "f8", maxshape=(None, X.shape[1]), chunks=(8192, X.shape[1])
        )
        all_lengths: list[int] = []
    except ImportError:
        store = None
    written, total = 0, 0
    while total < n_frames:
        copy = []
        for seq in seqs:
            noisy = seq + rng.normal(scale=JITTER, size=seq.shape)
            np.save(folder / f"utt{written:06d}.npy", noisy)
            copy.append(noisy)
            written += 1
            total += len(seq)
            if total >= n_frames:
                break
        if store is not None:
            frames.resize(total, axis=0)
            frames[total - sum(map(len, copy)) :] = np.concatenate(copy)
            all_lengths += [len(c) for c in copy]
    if store is not None:
        store.create_dataset("lengths", data=np.asarray(all_lengths))
        store.close()
    return {"sequences": written, "frames": total, "mb": total * X.shape[1] * 8 / 2**20}


def _model(n_iter: int, n_jobs: int):
    from hmmkit import GaussianHMM

    _, _, start = make_workload("W1")
    model = GaussianHMM(8, "diag", n_iter=n_iter, tol=-np.inf, init_params="", n_jobs=n_jobs)
    for name, value in start.items():
        setattr(model, name, value)
    return model


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _record_iterations(cpu_elsewhere=None) -> list[tuple[float, float]]:
    """Patch the monitor to record (wall seconds, CPU seconds) at every iteration.

    CPU is this process's (all its threads) plus ``cpu_elsewhere()`` (other processes).
    """
    from hmmkit.training import monitor as module

    records: list[tuple[float, float]] = []
    original = module.ConvergenceMonitor.report

    def report(self, *args, **kwargs):
        extra = cpu_elsewhere() if cpu_elsewhere else 0.0
        records.append((time.perf_counter(), time.process_time() + extra))
        return original(self, *args, **kwargs)

    module.ConvergenceMonitor.report = report
    return records


def worker(setting: str, folder: Path, n_iter: int) -> dict:
    """One training run in this process; returns seconds per iteration and memory."""
    from hmmkit.disk_sources import HDF5Source, NpyFolderSource

    # a tiny fit first: loading the compiled kernels costs memory of its own
    _model(1, 1).fit([np.random.default_rng(0).normal(size=(100, 13))])
    out: dict = {"base_mb": _rss_mb()}
    if setting == "dask":
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2,
                processes=True,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            records = _record_iterations(lambda: sum(client.run(time.process_time).values()))
            _model(n_iter, 1).fit(NpyFolderSource(folder), backend="dask", client=client)
            out["worker_peak_mb"] = sorted(client.run(_peak_mb).values())
    else:
        records = _record_iterations()
        if setting == "memory":
            seqs = [np.load(f) for f in sorted(folder.glob("*.npy"))]
            _model(n_iter, 1).fit(seqs)
        elif setting == "hdf5":
            _model(n_iter, 1).fit(HDF5Source(folder / HDF5_NAME))
        else:
            _model(n_iter, int(setting[-1])).fit(NpyFolderSource(folder))
    wall, cpu = np.diff(np.asarray(records), axis=0).T  # iterations after the first
    out["seconds"] = statistics.median(wall)
    out["cpu_seconds"] = statistics.median(cpu)
    out["peak_mb"] = _peak_mb()
    return out


def measure(folder: Path, settings: list[str], n_iter: int, repeats: int) -> dict:
    """Median seconds per iteration over ``repeats`` rounds (settings in rotated order)."""
    runs: dict[str, list[dict]] = {s: [] for s in settings}
    for r in range(repeats):
        for setting in settings[r % len(settings) :] + settings[: r % len(settings)]:
            runs[setting].append(_run_worker(setting, folder, n_iter))
            print(f"{setting}: {runs[setting][-1]}", file=sys.stderr)
    results = {}
    for setting, values in runs.items():
        best = dict(values[-1])
        best["seconds"] = statistics.median(v["seconds"] for v in values)
        best["cpu_seconds"] = statistics.median(v["cpu_seconds"] for v in values)
        best["all_seconds"] = [v["seconds"] for v in values]
        best["peak_mb"] = max(v["peak_mb"] for v in values)
        if "worker_peak_mb" in best:
            best["worker_peak_mb"] = max((v["worker_peak_mb"] for v in values), key=max)
        results[setting] = best
    return results


def _run_worker(setting: str, folder: Path, n_iter: int) -> dict:
    env = {**os.environ, **SINGLE_THREAD_ENV}
    args = [sys.executable, __file__, "--worker", setting, str(folder), str(n_iter)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{setting} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(corpus: dict, results: dict, n_iter: int, repeats: int) -> str:
    """The Markdown section for BENCHMARKS.md."""
    import distributed

    import hmmkit

    reference = "memory" if "memory" in results else "stream1"
    one = results[reference]["seconds"]
    labels = {
        "memory": "whole corpus loaded into memory, 1 thread",
        "stream1": "streamed from disk (NpyFolderSource), 1 thread",
        "stream2": "streamed from disk, 2 threads",
        "hdf5": "streamed from one HDF5 store (HDF5Source), 1 thread",
        "dask": "Dask LocalCluster, 2 worker processes x 1 thread, shards persisted",
    }
    low, high = results["load"]
    lines = [
        "## Scale: W1 enlarged to a corpus on disk, streamed and on Dask",
        "",
        f"Command: `python benchmarks/scale.py --frames {corpus['frames']}`. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; hmmkit "
        f"{hmmkit.__version__}, distributed {distributed.__version__}. The cores were shared "
        f"with other jobs: 1-minute load average {low:.1f} at the start, {high:.1f} at the end.",
        f"Corpus: W1's sequences repeated with N(0, {JITTER}²) jitter, {corpus['sequences']} "
        f"sequences, {corpus['frames']:,} frames x 13 features = **{corpus['mb']:.0f} MB** "
        "as float64, one `.npy` file per sequence in a temporary folder. "
        f"GaussianHMM 8 states diag from W1's common start, {n_iter} EM iterations per run; "
        f"s / iteration is the median (after the first iteration) over {repeats} runs in "
        "fresh processes; CPU s / iteration is the CPU time all the training processes "
        "spent per iteration (for Dask: the client, which also runs the scheduler, and both "
        "workers; reading the workers' clocks adds one `client.run` per iteration to the "
        "Dask timings), which other jobs on the machine do not inflate. Memory: 'ready' is the "
        "resident size after imports and a tiny "
        "warm-up fit (compiled kernels loaded); 'peak' the process's peak resident size; "
        "'peak - ready' what training the corpus added.",
        "",
        f"| setting | s / iteration (runs) | speed-up vs {labels[reference].split(',')[0]} "
        "| CPU s / iteration "
        "| ready MB | peak MB | peak - ready MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        if setting not in results:
            continue
        r = results[setting]
        runs = ", ".join(f"{x:.2f}" for x in r["all_seconds"])
        lines.append(
            f"| {labels[setting]} | {r['seconds']:.3f} ({runs}) | {one / r['seconds']:.2f}x | "
            f"{r['cpu_seconds']:.2f} | {r['base_mb']:.0f} | {r['peak_mb']:.0f} | "
            f"{r['peak_mb'] - r['base_mb']:.0f} |"
        )
    if "dask" in results:
        workers = " and ".join(f"{mb:.0f}" for mb in results["dask"]["worker_peak_mb"])
        d, m = results["dask"], results[reference]
        lines += [
            "",
            f"Dask against one process: {one / d['seconds']:.2f}x in wall time, using "
            f"{d['cpu_seconds']:.2f} CPU s per iteration against {m['cpu_seconds']:.2f}: the "
            "E-step work is split between the two workers, but the client, the scheduler, "
            "the workers' own upkeep and the messages of each iteration cost CPU too, and "
            "here they all share the same 2 cores with each other and with other jobs. This "
            "machine cannot show a cluster's speed-up; what it shows is that the fit is "
            "correct (tests), the corpus is read once, on the workers, and the overhead per "
            "iteration.",
            f"Dask: the client process (which also runs the scheduler) peaked at "
            f"{results['dask']['peak_mb']:.0f} MB, the two worker processes at {workers} MB: "
            "each keeps its share of the shards in memory between iterations, by design "
            "(read once from disk on the worker, never sent by the client).",
        ]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2_000_000)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--workdir", help="folder for the corpus (default: a temporary one)")
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    parser.add_argument("--worker", nargs=3, metavar=("SETTING", "FOLDER", "N_ITER"))
    args = parser.parse_args(argv)
    if args.worker:
        setting, folder, n_iter = args.worker
        print(json.dumps(worker(setting, Path(folder), int(n_iter))))
        return 0
    settings = [s for s in args.settings.split(",") if s]
    if set(settings) - set(SETTINGS):
        parser.error(f"settings must be among {SETTINGS}")
    root = Path(tempfile.mkdtemp(prefix="hmmkit-scale-", dir=args.workdir))
    try:
        corpus = write_corpus(root, args.frames)
        print(f"corpus: {corpus}", file=sys.stderr)
        _run_worker("stream1", root, 2)  # warm the compilation cache
        load = [os.getloadavg()[0]]
        if not (root / HDF5_NAME).exists() and "hdf5" in settings:
            settings.remove("hdf5")
        results = measure(root, settings, args.iterations, args.repeats)
        load.append(os.getloadavg()[0])
        results["load"] = load
    finally:
        shutil.rmtree(root, ignore_errors=True)
    text = table(corpus, results, args.iterations, args.repeats)
    print(text)
    if not args.no_write:
        write_section(text, "hmm-scale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
