"""Online and incremental EM against batch EM on W1 enlarged ten times, read from disk.

    python benchmarks/online_em.py               # writes its section of BENCHMARKS.md
    python benchmarks/online_em.py --no-write

The corpus is ``scale.py``'s: W1's sequences (GaussianHMM, 8 states, diag, 13-dim)
repeated with fresh N(0, 0.05^2) jitter until it holds ten times W1's frames, one
``.npy`` file per sequence in a temporary folder, read shard by shard
(:class:`~hmmkit.disk_sources.NpyFolderSource`) by every method. From one start
far from the optimum (uniform probabilities, the means 8 random frames of W1, the
global variances):

- batch EM (Baum-Welch) runs until its gain per iteration falls below ``--tol``
  (at most ``--max-iter`` iterations); its last log-likelihood is the reference;
- incremental EM (``algorithm="incremental"``) runs 1, 2 and 3 passes;
- stepwise EM (``partial_fit``, default step sizes) runs 3 passes.

After each pass the log-likelihood of the parameters reached is computed by one more
scoring pass (not counted). Reported: the relative gap to batch EM's final
log-likelihood after each pass, and the passes batch EM needs to come as close.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hmm_speed import make_workload, write_section  # noqa: E402
from scale import write_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "online_em.png"
PASSES = 3
#: Where the measured log-likelihoods are kept, so that the report can be redrawn.
RESULTS = Path(tempfile.gettempdir()) / "hmmkit_online_em_runs.json"


#: The starts compared: what each means.
STARTS = {
    "frames": "the means 8 frames of W1 drawn at random",
    "near-flat": "the means the global mean plus 1 % of 8 random frames' deviation from it",
}


def common_start(kind: str, seed: int = 0) -> dict:
    """A start far from the optimum: uniform start and transition probabilities, every
    variance the global one, and the means as :data:`STARTS` says. The near-flat start
    (almost HTK's flat start) leaves EM to break the states' symmetry slowly."""
    X, _, _ = make_workload("W1")
    rng = np.random.default_rng(seed)
    frames = X[rng.choice(len(X), 8, replace=False)]
    centre = X.mean(axis=0)
    means = frames.copy() if kind == "frames" else centre + 0.01 * (frames - centre)
    return {
        "startprob_": np.full(8, 1 / 8),
        "transmat_": np.full((8, 8), 1 / 8),
        "means_": means,
        "covars_": np.tile(X.var(axis=0), (8, 1)),
    }


def _start_model(start: dict, **settings):
    from hmmkit import GaussianHMM

    model = GaussianHMM(8, "diag", init_params="", n_jobs=1, **settings)
    for name, value in start.items():
        setattr(model, name, np.copy(value))
    return model


def run(folder: Path, start: dict, tol: float, max_iter: int) -> dict:
    """Log-likelihood after each pass of every method, and CPU seconds spent."""
    from hmmkit.disk_sources import NpyFolderSource

    source = NpyFolderSource(folder)
    _model = partial(_start_model, start)
    out: dict = {"shards": len(source.shard_keys())}
    cpu = time.process_time()
    batch = _model(n_iter=max_iter, tol=tol).fit(source)
    out["batch"] = list(batch.monitor_.history)
    out["batch_converged"] = batch.monitor_.converged
    out["batch_cpu"] = time.process_time() - cpu
    incremental = [_model().score(source)]
    cpu, spent = time.process_time(), 0.0
    for passes in range(1, PASSES + 1):
        cpu = time.process_time()
        model = _model(n_iter=passes, tol=-np.inf, algorithm="incremental").fit(source)
        spent = time.process_time() - cpu
        incremental.append(model.score(source))
    out["incremental"], out["incremental_cpu"] = incremental, spent
    model = _model()
    stepwise = [model.score(source)]
    spent = 0.0
    for _ in range(PASSES):
        cpu = time.process_time()
        model.partial_fit(source)
        spent += time.process_time() - cpu
        stepwise.append(model.score(source))
    out["stepwise"], out["stepwise_cpu"] = stepwise, spent
    return out


def gap(values, reference: float) -> np.ndarray:
    """Relative shortfall of each log-likelihood below ``reference``."""
    return (reference - np.asarray(values)) / abs(reference)


def batch_passes_to(gap_value: float, batch_gaps: np.ndarray) -> str:
    """Passes batch EM needs before its gap is at most ``gap_value``."""
    reached = np.flatnonzero(batch_gaps <= gap_value)
    return str(int(reached[0])) if len(reached) else f"> {len(batch_gaps) - 1}"


def plot(all_results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(all_results), figsize=(6.0 * len(all_results), 4.0))
    floor = 1e-12
    for ax, (start, results) in zip(np.atleast_1d(axes), all_results.items(), strict=True):
        reference = float(results["batch"][-1])
        for name, style in (("batch", "k.-"), ("incremental", "bo-"), ("stepwise", "rs-")):
            values = np.maximum(gap(results[name], reference), floor)
            ax.semilogy(np.arange(len(values)), values, style, label=f"{name} EM", markersize=4)
        ax.axhline(1e-3, color="grey", linestyle="--", linewidth=0.8, label="0.1 % gap")
        ax.set_xscale("symlog", linthresh=10, linscale=2)
        ax.set_xlim(0, max(10, len(results["batch"])))
        ax.set_xlabel("passes over the data")
        ax.set_ylabel("(L_batch final - L) / |L_batch final|")
        ax.set_title(f"W1 x 10 from disk, {start} start")
        ax.legend()
    fig.tight_layout()
    fig.savefig(PLOT, dpi=100)


def start_table(start: str, results: dict, tol: float) -> list[str]:
    """The rows of one start."""
    batch = np.asarray(results["batch"])
    reference = float(batch[-1])
    batch_gaps = gap(batch, reference)
    lines = [
        f"**Start '{start}'** ({STARTS[start]}): batch EM ran {len(batch)} iterations "
        f"({'converged, tol' if results['batch_converged'] else 'not converged at tol'} "
        f"{tol:g}); the log-likelihood of its last parameters scored, {reference:.6f} "
        f"after {len(batch) - 1} passes, is the reference. It first came within 0.1 % "
        f"of it after {batch_passes_to(1e-3, batch_gaps)} passes.",
        "",
        "| method | passes | log-likelihood | gap to batch final | batch EM passes to "
        "the same gap | CPU s (those passes) |",
        "|---|---|---|---|---|---|",
    ]
    for name, label in (("incremental", "incremental EM"), ("stepwise", "stepwise EM")):
        values = results[name]
        for passes in range(1, PASSES + 1):
            g = float(gap([values[passes]], reference)[0])
            cpu = f"{results[name + '_cpu']:.1f}" if passes == PASSES else ""
            lines.append(
                f"| {label} | {passes} | {values[passes]:.6f} | {g:.1e} | "
                f"{batch_passes_to(g, batch_gaps)} | {cpu} |"
            )
    for passes in (1, 2, 3, 10, 30, 100, 300):
        if passes < len(batch) - 1:
            lines.append(
                f"| batch EM | {passes} | {batch[passes]:.6f} | {batch_gaps[passes]:.1e} | "
                f"{passes} | |"
            )
    lines += [
        f"| batch EM (final) | {len(batch) - 1} | {reference:.6f} | 0 | | "
        f"{results['batch_cpu']:.1f} |",
        "",
    ]
    return lines


def table(corpus: dict, all_results: dict, tol: float) -> str:
    """The Markdown section for BENCHMARKS.md."""
    import hmmkit

    shards = next(iter(all_results.values()))["shards"]
    lines = [
        "## Online and incremental EM against batch EM (W1 x 10, from disk)",
        "",
        f"Command: `python benchmarks/online_em.py`. Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, {platform.platform()}; hmmkit {hmmkit.__version__}. "
        f"Corpus: W1's sequences repeated ten times with N(0, 0.05²) jitter (scale.py's), "
        f"{corpus['sequences']} sequences, {corpus['frames']:,} frames x 13 features, one "
        f"`.npy` file each, read shard by shard ({shards} shards) by every method; "
        "GaussianHMM 8 states diag, 1 thread, uniform start and transition probabilities "
        "and the global variances, the means as each start says. Incremental EM: "
        '`algorithm="incremental"`; stepwise EM: `partial_fit` once per pass with the '
        "default step sizes (kappa 0.7, t0 2). Gap = (reference - L) / |reference| of the "
        "parameters reached after each pass (scored by one extra pass, not counted).",
        "",
    ]
    for start, results in all_results.items():
        lines += start_table(start, results, tol)
    lines += ["![gap to batch EM per pass](docs/online_em.png)", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="copies of W1's frames")
    parser.add_argument("--tol", type=float, default=1e-2)
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument("--starts", default=",".join(STARTS))
    parser.add_argument("--workdir", help="folder for the corpus (default: a temporary one)")
    parser.add_argument("--no-write", action="store_true", help="print, do not write")
    parser.add_argument("--runs", type=Path, default=RESULTS, help="measurements (JSON)")
    parser.add_argument("--from-json", action="store_true", help="report the saved runs")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.runs.read_text())
        corpus, all_results = saved["corpus"], saved["results"]
    else:
        X, _, _ = make_workload("W1")
        root = Path(tempfile.mkdtemp(prefix="hmmkit-online-", dir=args.workdir))
        try:
            corpus = write_corpus(root, args.scale * len(X))
            all_results = {
                start: run(root, common_start(start), args.tol, args.max_iter)
                for start in args.starts.split(",")
            }
        finally:
            shutil.rmtree(root, ignore_errors=True)
        args.runs.write_text(json.dumps({"corpus": corpus, "results": all_results}))
    text = table(corpus, all_results, args.tol)
    print(text)
    if not args.no_write:
        plot(all_results)
        write_section(text, "online-em")
    return 0


if __name__ == "__main__":
    sys.exit(main())
