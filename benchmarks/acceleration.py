"""Accelerated EM against Baum-Welch: passes and time to the same log-likelihood.

    python benchmarks/acceleration.py                       # everything; writes BENCHMARKS.md
    python benchmarks/acceleration.py --workloads C5 --starts 3 --no-write
    python benchmarks/acceleration.py --resume              # finish an interrupted benchmark
    python benchmarks/acceleration.py --from-json           # redo tables and plot from saved runs

Workloads: W1, W2 and W3 of ``hmm_speed.py`` (their data; see there), and C5, a
5-state, 6-symbol CategoricalHMM on 50 sequences of length 200 sampled from a
fixed random model. Every start is the model's own default initialisation (k-means
for the Gaussian and GMM HMMs, random tables for the categorical ones) with
``random_state`` = start number, so every method starts from the same parameters;
``W1-random`` and ``W3-random`` train W1 and W3 from ``init="random"`` parameters
instead (the harness's own near-truth start converges in a handful of passes on W1
and W3 and leaves nothing to accelerate).

Methods: Baum-Welch, ``algorithm="alpha"`` with alpha in {-1, -0.5, 0, 0.5, 0.9}
and ``algorithm="squarem"``, each run to convergence (a gain below ``TOL``) or to
the pass budget ``MAX_PASSES`` (Baum-Welch: ``BASELINE_PASSES`` where longer), one
thread, each in a fresh process. Runs of a few seconds are timed in ``TIMING_ROUNDS``
rounds (all methods of a start in turn, each round in another order), and their seconds
are the median per report over rounds: the machine's cores have fast and slow spells
that would otherwise decide a short run's time. Passes and log-likelihoods must repeat
exactly from round to round. For each start
the target is the best final log-likelihood any method reached, less 1e-6 of its
magnitude; a method's cost is the forward-backward passes (and wall and CPU
seconds since the first E-step) until its log-likelihood first reaches the target. Speed-ups are
Baum-Welch's cost over the method's, median over starts; a method that ends in a
lower optimum never reaches the target (speed-up 0), and one that reaches a
target Baum-Welch never reaches has an infinite speed-up.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from hmm_speed import SINGLE_THREAD_ENV, make_workload, run_worker, write_section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(tempfile.gettempdir()) / "hmmkit_acceleration_runs.json"
PLOT = ROOT / "docs" / "acceleration.png"
WORKLOADS = {
    "W1": "GaussianHMM 8 states diag, 13-dim, k-means starts",
    "W1-random": "GaussianHMM 8 states diag, 13-dim, random starts",
    "W2": "CategoricalHMM 20 states, 20 symbols, random starts",
    "W3": "GMMHMM 5 states x 3 mix diag, 13-dim, k-means starts",
    "W3-random": "GMMHMM 5 states x 3 mix diag, 13-dim, random starts",
    "C5": "CategoricalHMM 5 states, 6 symbols, 50 x 200, random starts",
}


def data_of(name: str) -> str:
    """The data set of a workload: ``W1-random`` trains on W1's."""
    return name.split("-")[0]


def init_of(name: str) -> str | None:
    """The ``init`` of a workload's starts (None: the model's default)."""
    return "random" if name.endswith("-random") else None


METHODS = {
    "baum-welch": ("baum-welch", 0.5),
    "alpha=-1": ("alpha", -1.0),
    "alpha=-0.5": ("alpha", -0.5),
    "alpha=0": ("alpha", 0.0),
    "alpha=0.5": ("alpha", 0.5),
    "alpha=0.9": ("alpha", 0.9),
    "squarem": ("squarem", 0.5),
}
#: pass budget per run
MAX_PASSES = {
    "W1": 5000,
    "W1-random": 5000,
    "W2": 12000,
    "W3": 5000,
    "W3-random": 2000,
    "C5": 20000,
}
#: a longer budget for Baum-Welch, the baseline, where it is still far from any target at
#: the end of the common one (W2: 7 to 16 nats below the best optimum after 12 000 passes),
#: so that its cost is measured rather than bounded by the budget
BASELINE_PASSES = {"W2": 40000}


def pass_budget(name: str, method: str) -> int:
    """The pass budget of ``method`` on workload ``name``."""
    if method == "baum-welch":
        return BASELINE_PASSES.get(name, MAX_PASSES[name])
    return MAX_PASSES[name]


#: timing rounds per workload: short runs are repeated so that no one slow or fast spell
#: of a core sets their time (W2's runs last minutes each)
TIMING_ROUNDS = {"W1": 3, "W2": 1, "W3": 3, "C5": 3}


#: convergence: stop when the gain of an iteration falls below this (about 1e-11 relative)
TOL = {"W1": 1e-5, "W2": 1e-6, "W3": 1e-5, "C5": 1e-7}
#: random starts per workload (W2 costs about an hour for three)
STARTS = {"W1": 5, "W2": 3, "W3": 5, "C5": 5}
RELATIVE_TARGET = 1e-6


def c5_workload():
    """``(X, lengths)``: 50 sequences of 200 symbols from a fixed 5-state, 6-symbol HMM."""
    from hmmkit import CategoricalHMM

    rng = np.random.default_rng(7)

    def stochastic(*shape, boost=0.0):
        x = rng.random(shape) + 0.05
        if boost:
            x = x + boost * np.eye(shape[-1])
        return x / x.sum(axis=-1, keepdims=True)

    truth = CategoricalHMM(5)
    truth.startprob_ = stochastic(5)
    truth.transmat_ = stochastic(5, 5, boost=2.0)
    emission = stochastic(5, 6) ** 2
    truth.emissionprob_ = emission / emission.sum(axis=1, keepdims=True)
    lengths = np.full(50, 200)
    X = np.concatenate([truth.sample(200, random_state=i)[0] for i in range(50)])
    return X, lengths


def build(name: str, method: str, start: int, max_passes: int):
    """The model of a workload, trained by ``method``, starting from random start ``start``."""
    import hmmkit

    algorithm, alpha = METHODS[method]
    common = dict(
        init=init_of(name),
        random_state=start,
        n_iter=max_passes,
        tol=TOL[data_of(name)],
        algorithm=algorithm,
        alpha=alpha,
        n_jobs=1,
    )
    data = data_of(name)
    if data == "W1":
        return hmmkit.GaussianHMM(8, "diag", **common)
    if data == "W2":
        return hmmkit.CategoricalHMM(20, n_symbols=20, **common)
    if data == "W3":
        return hmmkit.GMMHMM(5, 3, "diag", **common)
    return hmmkit.CategoricalHMM(5, n_symbols=6, **common)


def worker(name: str, method: str, start: int, max_passes: int) -> dict:
    """One training run; returns the log-likelihood, passes and seconds of every report."""
    import warnings

    from hmmkit import DegenerateStateWarning
    from hmmkit.training.monitor import ConvergenceMonitor

    data = data_of(name)
    X, lengths = c5_workload() if data == "C5" else make_workload(data)[:2]
    model = build(name, method, start, max_passes)
    trace: list[tuple[int, float, float, float]] = []
    original = ConvergenceMonitor.report

    def report(self, log_likelihood, passes=1):
        original(self, log_likelihood, passes)
        trace.append(
            (self.n_passes, float(log_likelihood), time.perf_counter(), time.process_time())
        )

    ConvergenceMonitor.report = report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        model.fit(X, lengths)
    ConvergenceMonitor.report = original
    monitor = model.monitor_
    # clocks start at the first report: initialisation, loading the compiled kernels and
    # the first E-step are the same for every method
    t0, c0 = trace[0][2], trace[0][3]
    return {
        "passes": [p for p, _, _, _ in trace],
        "loglik": [ll for _, ll, _, _ in trace],
        "seconds": [t - t0 for _, _, t, _ in trace],
        "cpu_seconds": [c - c0 for _, _, _, c in trace],
        "fallbacks": monitor.n_fallbacks,
        "converged": bool(monitor.converged),
    }


# ---------------------------------------------------------------- the harness (parent)


def _run_worker(args: list[str]) -> dict:
    return run_worker(__file__, args, SINGLE_THREAD_ENV)


def measure(
    names: list[str],
    n_starts: int | None,
    methods: list[str],
    runs: dict,
    budget: int | None,
    path: Path = RESULTS,
) -> dict:
    """Run every (workload, start, method, timing round) not already in ``runs``; saves
    after each."""
    _run_worker(["--worker", "C5", "baum-welch", "0", "5"])  # warm the compilation cache
    for name in names:
        for start in range(n_starts or STARTS[data_of(name)]):
            for timing_round in range(TIMING_ROUNDS[data_of(name)]):
                shift = (start + timing_round) % len(methods)
                for method in methods[shift:] + methods[:shift]:
                    key = f"{name}/{start}/{method}"
                    if key in runs and rounds_done(runs[key]) > timing_round:
                        continue
                    passes = str(budget or pass_budget(name, method))
                    new = _run_worker(["--worker", name, method, str(start), passes])
                    runs[key] = add_timing_round(runs.get(key), new, key)
                    print(
                        f"{key} (round {timing_round + 1}): {new['passes'][-1]} passes, "
                        f"{new['seconds'][-1]:.1f} s, log-likelihood {new['loglik'][-1]:.6f}, "
                        f"fallbacks {new['fallbacks']}",
                        file=sys.stderr,
                    )
                    path.write_text(json.dumps(runs))
    return runs


def rounds_done(run: dict) -> int:
    """Timing rounds a saved run holds (runs saved before rounds existed: one)."""
    return len(run.get("rounds", [None]))


def add_timing_round(run: dict | None, new: dict, key: str) -> dict:
    """``run`` with the timings of ``new``, a repeat of it: seconds become the median per
    report over the rounds. The repeat must reproduce the passes and log-likelihoods."""
    timing = [new["seconds"], new["cpu_seconds"]]
    if run is None:
        return dict(new, rounds=[timing])
    if new["passes"] != run["passes"] or new["loglik"] != run["loglik"]:
        raise RuntimeError(f"{key}: a repeated run did not reproduce the first one")
    rounds = run.get("rounds", [[run["seconds"], run["cpu_seconds"]]]) + [timing]
    return dict(
        run,
        rounds=rounds,
        seconds=np.median([r[0] for r in rounds], axis=0).tolist(),
        cpu_seconds=np.median([r[1] for r in rounds], axis=0).tolist(),
    )


def first_reaching(run: dict, target: float) -> tuple[int, float, float] | None:
    """``(passes, seconds, CPU seconds)`` at the first report at or above ``target``, or None."""
    for i, ll in enumerate(run["loglik"]):
        if ll >= target:
            return run["passes"][i], run["seconds"][i], run["cpu_seconds"][i]
    return None


class LowerBound(float):
    """A speed-up known only from below: Baum-Welch ran out of budget first."""


def _ratio(base, ours, base_budget=None):
    """Baum-Welch's cost over ours; ``base_budget``: its cost when it ran out of budget."""
    if ours is None:
        return None if base is None else 0.0
    if base is None:
        return float("inf") if base_budget is None else LowerBound(base_budget / ours)
    return base / ours


def analyse(runs: dict) -> dict:
    """Per workload and method: per-start costs, median speed-ups, finals, safety."""
    out: dict = {}
    for key in runs:
        name, start, _ = key.split("/")
        out.setdefault(name, {}).setdefault(int(start), None)
    table: dict = {}
    for name, starts in out.items():
        rows: dict = {
            m: {"passes": [], "speed": [], "time": [], "cpu": [], "final": []} for m in METHODS
        }
        worst_drop = {m: 0.0 for m in METHODS}
        fallbacks = {m: 0 for m in METHODS}
        same_as_bw = {m: [] for m in METHODS}
        common = {m: [] for m in METHODS}
        converged = {m: 0 for m in METHODS}
        for start in sorted(starts):
            here = {m: runs.get(f"{name}/{start}/{m}") for m in METHODS}
            here = {m: r for m, r in here.items() if r is not None}
            if "baum-welch" not in here:
                continue
            best = max(r["loglik"][-1] for r in here.values())
            target = best - RELATIVE_TARGET * abs(best)
            costs = {m: first_reaching(r, target) for m, r in here.items()}
            base = costs["baum-welch"]
            bw = here["baum-welch"]
            # Baum-Welch stopped by the budget (not converged): its cost is at least that
            spent = (
                None
                if bw["converged"]
                else (bw["passes"][-1], bw["seconds"][-1], bw["cpu_seconds"][-1])
            )
            bw_final = here["baum-welch"]["loglik"][-1]
            for m, r in here.items():
                cost = costs[m]
                row = rows[m]
                row["passes"].append(None if cost is None else cost[0])
                for column, index in (("speed", 0), ("time", 1), ("cpu", 2)):
                    row[column].append(
                        _ratio(
                            None if base is None else base[index],
                            None if cost is None else cost[index],
                            None if spent is None else spent[index],
                        )
                    )
                row["final"].append((best - r["loglik"][-1]) / abs(best))
                ll = np.asarray(r["loglik"])
                if len(ll) > 1:
                    drops = np.diff(ll) / np.abs(ll[1:])
                    worst_drop[m] = min(worst_drop[m], float(drops.min()))
                fallbacks[m] += r["fallbacks"]
                same_as_bw[m].append((r["loglik"][-1] - bw_final) / abs(bw_final))
                converged[m] += r["converged"]
                common[m].append(_same_optimum_speed_up(here["baum-welch"], r))
        for m in METHODS:
            rows[m]["worst_drop"] = worst_drop[m]
            rows[m]["fallbacks"] = fallbacks[m]
            rows[m]["vs_bw"] = same_as_bw[m]
            rows[m]["converged"] = converged[m]
            rows[m]["common"] = common[m]
        table[name] = rows
    return table


def _same_optimum_speed_up(base: dict, run: dict):
    """Passes and time speed-ups to the optimum both runs end in, or None if they differ."""
    a, b = base["loglik"][-1], run["loglik"][-1]
    if not (base["converged"] and run["converged"]) or abs(a - b) > RELATIVE_TARGET * abs(a):
        return None
    target = max(a, b) - RELATIVE_TARGET * abs(max(a, b))
    ours, theirs = first_reaching(run, target), first_reaching(base, target)
    if ours is None or theirs is None:
        return None
    return theirs[0] / ours[0], theirs[1] / ours[1], theirs[2] / ours[2]


def _median(values):
    """Median of the known values; a lower bound when any value is one."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    middle = statistics.median(values)
    highest = statistics.median([math.inf if isinstance(v, LowerBound) else v for v in values])
    return middle if highest == middle else LowerBound(middle)


def _fmt_speed(x) -> str:
    if x is None:
        return "-"
    if x == float("inf"):
        return "inf"
    return f">={x:.2f}x" if isinstance(x, LowerBound) else f"{x:.2f}x"


def _fmt_costs(passes) -> str:
    return " / ".join("-" if p is None else str(p) for p in passes)


def report(table: dict, runs: dict) -> str:
    """The Markdown section for BENCHMARKS.md."""
    import numba

    import hmmkit

    n_starts = {}
    for key in runs:
        name, start, _ = key.split("/")
        n_starts[name] = max(n_starts.get(name, 0), int(start) + 1)
    n_starts = {name: n_starts[name] for name in WORKLOADS if name in n_starts}
    counts = ", ".join(f"{n} {c}" for n, c in n_starts.items())
    rounds = ", ".join(f"{n} {TIMING_ROUNDS[data_of(n)]}" for n in n_starts)
    lines = [
        "## Accelerated EM: alpha-HMM and SQUAREM against Baum-Welch",
        "",
        f"Command: `python benchmarks/acceleration.py`. Machine: {platform.machine()}, "
        f"{os.cpu_count()} cores (shared), {platform.platform()}; Python "
        f"{platform.python_version()}, hmmkit {hmmkit.__version__}, numba {numba.__version__}, "
        f"numpy {np.__version__}. One thread per run, each in a fresh process. Timing "
        f"rounds per workload: {rounds}; a run's seconds are its median over rounds (all "
        "methods of a start in turn, each round in another order), its passes and "
        "log-likelihoods the same in every round.",
        "",
        "Starts: the model's default initialisation (k-means for W1 and W3, random "
        'tables for W2 and C5) or, for W1-random and W3-random, `init="random"`; '
        f"`random_state` 0, 1, ... per workload: {counts}; "
        "every method from the same start. Target: the best final log-likelihood "
        f"any method reached from that start, less {RELATIVE_TARGET:g} of its magnitude. "
        "*Passes*: forward-backward passes over the corpus until a method first reached the "
        "target, per start (`-`: never, i.e. it converged to a lower optimum or ran out of "
        "budget). *Speed-up*: Baum-Welch's passes (or wall or CPU seconds since the first "
        "E-step, which every method shares with the initialisation) "
        "over the method's, median over starts (0: the method never reached the target; inf: "
        "Baum-Welch converged without reaching it; >=: Baum-Welch ran out of budget first, so "
        "its cost is counted as the whole budget). The machine is shared, so wall times carry "
        "other jobs' load; the process CPU time is the steadier measure of the same work. "
        "*Same optimum*: the starts from which the method and Baum-Welch converged to the "
        "same log-likelihood (within 1e-6 relative), and the median speed-up to come within "
        "1e-6 of it (both runs must have converged). *Final vs Baum-Welch*: "
        "(final - Baum-Welch's final) / |Baum-Welch's final| per start "
        "(positive: a higher optimum). *Converged*: runs that stopped on `tol` rather than on "
        "the pass budget. *Worst drop*: the most negative "
        "relative change of the log-likelihood between reports in any run. *Fallbacks*: "
        "accelerated steps replaced by a plain step, all starts. Design and update rules: "
        "[docs/alpha_hmm.md](docs/alpha_hmm.md).",
        "",
    ]
    for name, label in WORKLOADS.items():
        if name not in table:
            continue
        data = data_of(name)
        budget = f"{MAX_PASSES[name]}" + (
            f", Baum-Welch {BASELINE_PASSES[name]}" if name in BASELINE_PASSES else ""
        )
        lines += [
            f"### {name}: {label} (budget {budget} passes, tol {TOL[data]:g})",
            "",
            "| method | passes to target (per start) | speed-up, passes | speed-up, wall time "
            "| speed-up, CPU time | same optimum as Baum-Welch: starts; speed-up passes, CPU "
            "| final vs Baum-Welch (per start) | converged | worst drop | fallbacks |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for m, row in table[name].items():
            if not row["passes"]:
                continue
            finals = " / ".join(f"{x:+.0e}" if x else "0" for x in row["vs_bw"])
            same = [x for x in row["common"] if x is not None]
            same_text = f"{len(same)} of {len(row['common'])}" + (
                f"; {_fmt_speed(_median([x[0] for x in same]))}, "
                f"{_fmt_speed(_median([x[2] for x in same]))}"
                if same
                else ""
            )
            lines.append(
                f"| {m} | {_fmt_costs(row['passes'])} | {_fmt_speed(_median(row['speed']))} | "
                f"{_fmt_speed(_median(row['time']))} | {_fmt_speed(_median(row['cpu']))} | "
                f"{same_text} | {finals} | {row['converged']} of {len(row['passes'])} | "
                f"{row['worst_drop']:.1e} | {row['fallbacks']} |"
            )
        lines.append("")
    lines += targets(table)
    lines += [
        "",
        f"![log-likelihood against passes]({PLOT.relative_to(ROOT)})",
        "",
        "Every run is saved (in the system's temporary folder) as it finishes; `--resume` "
        "continues an interrupted benchmark, and `--from-json` rebuilds this section and the "
        "plot from the saved runs.",
        "",
    ]
    return "\n".join(lines)


def targets(table: dict) -> list[str]:
    """The issue's targets for alpha=0.5, met or not, on both measures."""
    lines = [
        "### Targets for alpha=0.5: >= 2.5x fewer passes and >= 2x less wall time (median)",
        "",
        "Two measures. *Common target* is the one above (the best optimum any method reached "
        "from the start): when methods end in different optima it rewards the luckier basin "
        "(inf) or punishes the less lucky one (0). *Same optimum* compares only the starts "
        "from which alpha=0.5 and Baum-Welch both converged, to the same log-likelihood (within "
        "1e-6 relative), on the passes and time each needed to come within 1e-6 of it. "
        "The targets are set on W1, W2, W3 and C5 from each model's default start; "
        "W1-random and W3-random are shown for comparison.",
        "",
        "| workload | common target: passes, wall, CPU | met | same optimum: starts "
        "| same optimum: passes, wall, CPU | met |",
        "|---|---|---|---|---|---|",
    ]

    def met(p, t):
        return "yes" if p is not None and t is not None and p >= 2.5 and t >= 2.0 else "no"

    for name in WORKLOADS:
        if name not in table or not table[name]["alpha=0.5"]["passes"]:
            continue
        row = table[name]["alpha=0.5"]
        p, t, c = _median(row["speed"]), _median(row["time"]), _median(row["cpu"])
        same = [x for x in row["common"] if x is not None]
        sp, st, sc = (_median([x[i] for x in same]) for i in range(3))
        lines.append(
            f"| {name} | {_fmt_speed(p)}, {_fmt_speed(t)}, {_fmt_speed(c)} | {met(p, t)} | "
            f"{len(same)} of {len(row['common'])} | "
            f"{_fmt_speed(sp)}, {_fmt_speed(st)}, {_fmt_speed(sc)} | "
            f"{met(sp, st) if same else '-'} |"
        )
    return lines


def plot(runs: dict, name: str = "W3", start: int = 0) -> None:
    """Log-likelihood gap to the best against passes, every method, one workload and start."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    here = {m: runs[f"{name}/{start}/{m}"] for m in METHODS if f"{name}/{start}/{m}" in runs}
    best = max(r["loglik"][-1] for r in here.values())
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for m, r in here.items():
        if m == "alpha=-1":
            continue  # identical to Baum-Welch
        gap = np.maximum(best - np.asarray(r["loglik"]), 1e-3)
        ax.plot(r["passes"], gap, label=m, lw=1.4)
    ax.axhline(RELATIVE_TARGET * abs(best), color="grey", ls="--", lw=1, label="target")
    ax.set_yscale("log")
    ax.set_xlabel("forward-backward passes")
    ax.set_ylabel("best log-likelihood - log-likelihood (nats)")
    ax.set_title(f"{name} ({WORKLOADS[name]}), start {start}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    PLOT.parent.mkdir(exist_ok=True)
    fig.savefig(PLOT, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--starts", type=int, help="random starts per workload (default: STARTS)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--from-json", action="store_true", help="reuse the saved runs only")
    parser.add_argument("--runs", type=Path, default=RESULTS, help="where runs are saved")
    parser.add_argument(
        "--resume", action="store_true", help="keep the saved runs and do only the missing ones"
    )
    parser.add_argument("--no-write", action="store_true", help="print, do not write files")
    parser.add_argument("--max-passes", type=int, help="pass budget of every run (smoke tests)")
    parser.add_argument("--worker", nargs=4, metavar=("WORKLOAD", "METHOD", "START", "PASSES"))
    args = parser.parse_args(argv)
    if args.worker:
        name, method, start, passes = args.worker
        print(json.dumps(worker(name, method, int(start), int(passes))))
        return 0
    names = [w for w in args.workloads.split(",") if w]
    methods = [m for m in args.methods.split(",") if m]
    unknown = (set(names) - set(WORKLOADS)) | (set(methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown workloads or methods {sorted(unknown)}")
    path = args.runs
    keep = (args.resume or args.from_json) and path.exists()
    runs = json.loads(path.read_text()) if keep else {}
    if not args.from_json:
        runs = measure(names, args.starts, methods, runs, args.max_passes, path)
    table = analyse(runs)
    text = report(table, runs)
    print(text)
    if not args.no_write:
        plot(runs)
        write_section(text, "acceleration")
    return 0


if __name__ == "__main__":
    sys.exit(main())
