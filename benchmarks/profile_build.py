"""Time hmmkit's profile construction against HMMER 3.4's (pyhmmer) on the test families.

Both sides start from an alignment already read into memory and run the default
hmmbuild pipeline; the median of several runs is reported as a Markdown table, with the
largest difference between the two models' probabilities. Note that pyhmmer's
``Builder.build_msa`` always includes E-value calibration (a few short simulations),
which ``hmmkit.profile.build`` leaves to a separate step.

    python benchmarks/profile_build.py [--data-dir DATA] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from hmmkit import datasets

FAMILIES = [
    "protein/tutorial/globins4.sto",
    "protein/tutorial/fn3.sto",
    "protein/tutorial/Pkinase.sto",
    "protein/tutorial/MADE1.sto",
    "protein/pyhmmer/LuxC.sto",
    "protein/pyhmmer/LuxC.faa",
]


def default_data_dir() -> Path:
    """$HMMKIT_DATA, else the repository's data/."""
    return datasets.data_root(Path(__file__).resolve().parents[1] / "data")


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def max_difference(ours, theirs) -> float:
    pairs = [
        (ours.transitions, theirs.transition_probabilities),
        (ours.match_emissions[1:], np.asarray(theirs.match_emissions)[1:]),
        (ours.insert_emissions, theirs.insert_emissions),
    ]
    return max(float(np.abs(a - np.asarray(b)).max()) for a, b in pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    import pyhmmer

    from hmmkit.profile import build, read_alignment

    print(f"hmmkit build vs pyhmmer {pyhmmer.__version__} (HMMER 3.4) build_msa, "
          f"median of {args.repeats} runs\n")  # fmt: skip
    print(
        "| family | M | pyhmmer (ms) | hmmkit (ms) | ratio | EFFN hmmkit / HMMER | max abs diff |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for rel in FAMILIES:
        path = args.data_dir / rel
        with pyhmmer.easel.MSAFile(str(path), digital=True) as handle:
            msa = handle.read()
            abc = handle.alphabet
        if msa.name is None:
            msa.name = path.stem.encode()
        builder = pyhmmer.plan7.Builder(abc)
        background = pyhmmer.plan7.Background(abc)
        ours_msa = read_alignment(path)
        ours = build(ours_msa)  # warm-up: loads compiled kernels
        theirs, _, _ = builder.build_msa(msa, background)
        t_hmmer = median_time(lambda: builder.build_msa(msa, background), args.repeats)  # noqa: B023
        t_ours = median_time(lambda: build(ours_msa), args.repeats)  # noqa: B023
        print(
            f"| {path.name} | {ours.M} | {t_hmmer * 1e3:.1f} | {t_ours * 1e3:.1f} | "
            f"{t_ours / t_hmmer:.2f} | {ours.effn:.4f} / {theirs.nseq_effective:.4f} | "
            f"{max_difference(ours, theirs):.1e} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
