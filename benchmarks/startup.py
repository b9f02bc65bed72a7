"""Start-up and first-use compile time of the ``hmmkit`` command, in CPU seconds.

Each command runs in a fresh process; its CPU time (user + system, from the operating
system's accounting of the finished child) is the median of several runs, after one run
that fills the caches a warm machine has: Python's bytecode (``__pycache__``, as an
installed package has it) and numba's compiled kernels.

``--cold`` also measures first use: each job once with an empty numba cache (a new
``NUMBA_CACHE_DIR``) and once more with the cache that run filled; the difference is the
compile time. Writes the ``startup`` section of BENCHMARKS.md.

    python benchmarks/startup.py [--repeats 5] [--cold] [--data-dir DATA]
    python benchmarks/startup.py --before-python OLD/bin/python [--before-path OLD_TREE]

``--before-python`` (with ``--before-path``, a folder holding an earlier ``hmmkit/``, put
on its PYTHONPATH) adds a "before" column, measured in turn with the current one so that
both see the same load on the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from hmm_speed import write_section

ROOT = Path(__file__).resolve().parents[1]
GLOBINS = "protein/tutorial/globins4.sto"
PFAM = "protein/pyhmmer/PF02826.hmm"
PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"

#: The first GaussianHMM.fit: 8 states, diagonal covariances, 13 features.
FIRST_FIT = """
import numpy as np
from hmmkit import GaussianHMM
rng = np.random.default_rng(0)
seqs = [rng.normal(size=(200, 13)) + np.repeat(rng.normal(size=(4, 13)), 50, axis=0)
        for _ in range(20)]
GaussianHMM(8, "diag", n_iter=5, random_state=0).fit(seqs)
"""

#: The spoken-digit recipe's first word: features of digit 0's training recordings and its
#: word model, with the recipe's default settings.
FIRST_WORD = """
import importlib.util, sys
from pathlib import Path
path = Path(sys.argv[1]) / "recipes" / "spoken_digits.py"
spec = importlib.util.spec_from_file_location("recipe", path)
recipe = importlib.util.module_from_spec(spec); spec.loader.exec_module(recipe)
from hmmkit.speech import corpus
from hmmkit.speech.features import extract
from hmmkit.speech.recognizer import WordRecognizer
utts = [u for u in corpus.split(corpus.list_recordings(Path(sys.argv[2])), "official")[0]
        if u.label == "0"]
feats = extract([u.path for u in utts], recipe.DEFAULT_FEATURES, speakers=[u.speaker for u in utts])
WordRecognizer(recipe.DEFAULT_TRAINING).fit(feats, [u.label for u in utts])
"""


def default_data_dir() -> Path:
    """$HMMKIT_DATA, else the repository's data/."""
    env = os.environ.get("HMMKIT_DATA")
    return Path(env) if env else ROOT / "data"


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU time of running `argv` to completion (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def commands(python: str, data: Path, out: Path) -> list[tuple[str, list[str], float | None]]:
    """(label, argv, target CPU seconds) of the start-up table."""
    hmmkit = [python, "-m", "hmmkit"]
    return [
        ("`python -c pass` (interpreter alone)", [python, "-c", "pass"], None),
        ("`python -c \"import numpy\"`", [python, "-c", "import numpy"], None),
        ("`python -c \"import numba\"`", [python, "-c", "import numba"], None),
        ("`python -c \"import hmmkit\"`", [python, "-c", "import hmmkit"], 0.35),
        ("`hmmkit --help`", [*hmmkit, "--help"], 0.4),
        ("`hmmkit build OUT.hmm globins4.sto`", [*hmmkit, "build", str(out), str(data / GLOBINS)],
         0.8),
        ("`hmmkit search PF02826.hmm proteome.faa` (2,100 proteins)",
         [*hmmkit, "search", str(data / PFAM), str(data / PROTEOME)], 1.0),
    ]  # fmt: skip


def cold_jobs(python: str, data: Path, out: Path) -> list[tuple[str, list[str]]]:
    """(label, argv) of the first-use compile table."""
    jobs = [
        ("`hmmkit build` on globins4", [python, "-m", "hmmkit", "build", str(out),
                                        str(data / GLOBINS)]),
        ("`hmmkit search` PF02826 vs the proteome", [python, "-m", "hmmkit", "search",
                                                     str(data / PFAM), str(data / PROTEOME)]),
        ("first `GaussianHMM.fit` (8 states, diag)", [python, "-c", FIRST_FIT]),
    ]  # fmt: skip
    fsdd = data / "fsdd" / "recordings"
    if fsdd.is_dir():
        jobs.append(("spoken-digit recipe's first word (digit 0, 225 recordings)",
                     [python, "-c", FIRST_WORD, str(ROOT), str(fsdd)]))  # fmt: skip
        jobs.append((MAIN_JOB, main_job(python, data, out.parent)))
    return jobs


#: The README's main job: the whole spoken-digit recipe; its first-ever run also computes
#: the MFCC features it caches (its feature cache starts empty too). Target: first run
#: <= 2x the cached one.
MAIN_JOB = "README's main job: the spoken-digit recipe, features computed and cached"
MAIN_JOB_TARGET = 2.0


def main_job(python: str, data: Path, scratch: Path) -> list[str]:
    """The spoken-digit recipe on ``data``'s recordings, writing into (and caching its
    features under) ``scratch``."""
    recipe = str(ROOT / "recipes" / "spoken_digits.py")
    return [python, recipe, "--quiet", "--data-dir", str(data / "fsdd"),
            "--out", str(scratch / "spoken_digits"),
            "--cache-dir", str(scratch / "features")]  # fmt: skip


def warm_environment() -> dict[str, str]:
    """This environment, with bytecode caches written (as an installed package has them)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NUMBA_CACHE_DIR", None)
    return env


def measure_warm(pythons: list[tuple[str, dict[str, str]]], data: Path,
                 repeats: int) -> list[dict[str, float]]:  # fmt: skip
    """Median CPU seconds of each start-up command under each (interpreter, environment),
    caches warm; the interpreters take turns."""
    results: list[dict[str, float]] = [{} for _ in pythons]
    with tempfile.TemporaryDirectory() as tmp:
        runs = [commands(python, data, Path(tmp) / "out.hmm") for python, _ in pythons]
        for row in range(len(runs[0])):
            label = runs[0][row][0]
            times: list[list[float]] = [[] for _ in pythons]
            for n, (_, env) in enumerate(pythons):
                cpu_seconds(runs[n][row][1], env)  # fills the caches
            for _ in range(repeats):
                for n, (_, env) in enumerate(pythons):
                    times[n].append(cpu_seconds(runs[n][row][1], env))
            for n in range(len(pythons)):
                results[n][label] = statistics.median(times[n])
            print(f"{label}: {[round(r[label], 2) for r in results]} s", file=sys.stderr)
    return results


def measure_cold(python: str, data: Path) -> list[tuple[str, float, float]]:
    """(label, CPU seconds with an empty numba cache, CPU seconds with that cache filled)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (label, argv) in enumerate(cold_jobs(python, data, Path(tmp) / "out.hmm")):
            env = warm_environment() | {"NUMBA_CACHE_DIR": str(Path(tmp) / f"numba{n}")}
            cold = cpu_seconds(argv, env)
            warm = cpu_seconds(argv, env)
            rows.append((label, cold, warm))
            print(f"{label}: cold {cold:.1f} s, warm {warm:.1f} s", file=sys.stderr)
    return rows


def table(warm: dict[str, float], before: dict[str, float] | None, repeats: int,
          cold: list[tuple[str, float, float]] | None, command: str,
          before_label: str = "", load: tuple[float, float] | None = None) -> str:  # fmt: skip
    """The Markdown section (`load`: the machine's 15-minute load average at the start and
    the end of the run, written under the command)."""
    lines = [
        "## Start-up: CPU time of the `hmmkit` command, warm caches",
        "",
        f"Command: `{command}`. CPU time (user + system) of each command in a fresh process, "
        f"median of {repeats} runs after one that fills Python's bytecode cache and numba's "
        "kernel cache. The first three rows are the floor: the interpreter, numpy, numba "
        "(any command that runs a compiled kernel also pays numba's first-call set-up, "
        "about 0.15 s: its typing and lowering registries; hmmkit answers numba's BLAS probe "
        "without importing scipy.linalg, which would add 0.17 s).",
        "",
    ]
    if load:
        lines[-1:-1] = [
            "",
            f"Load average of the machine ({os.cpu_count()} cores) at the start "
            f"and end of the run: {load[0]:.1f}, {load[1]:.1f}. CPU time grows with "
            "the load of a shared machine (caches, memory bandwidth), compiling most.",
        ]
    if before:
        lines[-1:-1] = ["", f"Before: {before_label}, measured in turn with the current tree."]
    head = "| command | target (s) |" + (" before (s) |" if before else "") + " CPU (s) |"
    lines += [head, "|---|---:|" + ("---:|" if before else "") + "---:|"]
    targets = {label: target for label, _, target in commands("python", Path(), Path())}
    for label, seconds in warm.items():
        target = targets.get(label)
        row = f"| {label} | {'' if target is None else f'≤ {target:.2f}'} |"
        if before:
            row += f" {before[label]:.2f} |" if label in before else " |"
        lines.append(row + f" {seconds:.2f} |")
    if cold:
        lines += [
            "",
            "### First use: compiling the kernels (empty numba cache)",
            "",
            "Each job once with an empty `NUMBA_CACHE_DIR`, then once more with the cache "
            "that run filled (the difference is the compile time); `hmmkit warmup` compiles "
            "every kernel ahead.",
            "",
            "The last row is the README's main job, whose first run also computes and "
            f"caches its features; target: first run ≤ {MAIN_JOB_TARGET:.0f}× the cached one.",
            "",
            "| job | first run (s) | cached (s) | difference (s) | first / cached |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [f"| {label} | {c:.1f} | {w:.1f} | {c - w:.1f} | {c / w:.2f}× |"
                  for label, c, w in cold]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter to time")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="also measure first-use compile")
    parser.add_argument("--before-python", help="interpreter of an earlier version")
    parser.add_argument("--before-path", help="PYTHONPATH of --before-python")
    parser.add_argument("--before-label", default="an earlier version",
                        help="what --before-python runs (written under the table)")  # fmt: skip
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[2]
    pythons = [(args.python, warm_environment())]
    if args.before_python:
        path = {"PYTHONPATH": args.before_path} if args.before_path else {}
        pythons.append((args.before_python, warm_environment() | path))
    warm, *rest = measure_warm(pythons, args.data_dir, args.repeats)
    before = rest[0] if rest else None
    cold = measure_cold(args.python, args.data_dir) if args.cold else None
    options = ["--cold"] * args.cold + ["--repeats", str(args.repeats)] * (args.repeats != 5)
    options += ["--before-python", "OLD/bin/python", "--before-path", "OLD"] * bool(before)
    command = " ".join(["python benchmarks/startup.py", *options])
    load = (load_start, os.getloadavg()[2])
    text = table(warm, before, args.repeats, cold, command, args.before_label, load)
    print(text)
    if not args.no_write:
        write_section(text, "startup")
    return 0


if __name__ == "__main__":
    sys.exit(main())
