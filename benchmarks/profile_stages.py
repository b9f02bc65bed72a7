"""Where a default-pipeline search spends its time, stage by stage, against HMMER (pyhmmer).

One model of the throughput benchmark's database (``profile_database.py``) against the
whole database, one core, CPU seconds. hmmkit's stages are timed one by one through the
same kernels its search runs (the byte MSV filter, the bias filter, Forward on
what passes MSV), and "Viterbi filter, domain definition, the rest" is the whole search
less those. HMMER's stages are not callable one by one; they are told apart by closing
its gates one after another (``F1``, ``F2``, ``F3`` = 1e-300: nothing passes that gate,
so the run stops there), the least of three runs each.

    python benchmarks/profile_stages.py [--model PF02826] [--size 200000]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from profile_database import ensure_database, model_paths
from profile_throughput import default_data_dir

CLOSED = 1e-300


def cpu(fn):
    """(result, CPU seconds) of `fn()`."""
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def hmmkit_stages(model, records) -> tuple[list[tuple[str, float]], float, dict]:
    """hmmkit's (stage, CPU s) rows, its whole search's CPU s, and the sequence counts."""
    from hmmkit.profile import AMINO, DigitalSequences, dp, search
    from hmmkit.profile.background import Background
    from hmmkit.profile.config import configure
    from hmmkit.profile.digital import digitize_batch
    from hmmkit.profile.search.bias_filter import composition_odds, filter_null_scores
    from hmmkit.profile.search.evalues import gumbel_logsurv

    search(model, records[:3000])  # compile
    db = DigitalSequences(records, AMINO)  # digitized once, as HMMER's block
    _, total = cpu(lambda: search(model, db))
    bg = Background.default(model.alphabet)
    profile = configure(model, 400, background=bg)
    batch = digitize_batch(records, model.alphabet)
    X, off, L = batch.X, batch.starts, batch.lengths
    usc, t_msv = cpu(lambda: dp.msv_filter_scores(X, off, L, profile.msc, model.alphabet.size))
    null = np.array([bg.null_score(int(n)) for n in L])
    mu, lam = model.stats["MSV"]

    def passing(against):
        bits = (usc - against) / math.log(2.0)
        return np.array([gumbel_logsurv(b, mu, lam) <= math.log(0.02) for b in bits])

    first = np.flatnonzero(passing(null))
    odds = composition_odds(profile)
    fsc, t_bias = cpu(lambda: filter_null_scores(X, off[first], L[first], odds, model.M))
    against = null.copy()
    against[first] = fsc
    survivors = np.flatnonzero(passing(against))
    _, t_fwd = cpu(lambda: dp.forward_scores(profile, X, off[survivors], L[survivors]))
    rows = [("MSV filter", t_msv), ("bias filter", t_bias), ("Forward", t_fwd)]
    rows.append(("Viterbi filter, domain definition, the rest", total - sum(t for _, t in rows)))
    return rows, total, {"past MSV": len(survivors)}


def hmmer_stages(hmm, block) -> tuple[list[tuple[str, float]], float]:
    """HMMER's runs with its gates closed one after another, (run, CPU s) each, and its
    whole search's CPU s (cumulative times: the differences are within the noise)."""
    import pyhmmer

    def run(**gates):  # the least of three runs
        return min(cpu(lambda: list(pyhmmer.hmmsearch([hmm], block, cpus=1, **gates)))[1]
                   for _ in range(3))  # fmt: skip

    run()  # warm
    rows = [("up to MSV (F1 closed)", run(F1=CLOSED)),
            ("up to the bias and Viterbi filters (F2 closed)", run(F2=CLOSED)),
            ("up to Forward (F3 closed)", run(F3=CLOSED))]  # fmt: skip
    return rows, run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--model", default="PF02826")
    args = parser.parse_args(argv)
    from pyhmmer import easel, plan7

    from hmmkit.profile import read_hmmer
    from hmmkit.profile.io.fasta import read_fasta

    folder = ensure_database(args.data_dir, args.size)
    (path,) = [p for p in model_paths(folder) if p.stem == args.model]
    model = read_hmmer(path)
    records = read_fasta(folder / "db.faa")
    abc = easel.Alphabet.amino()
    with easel.SequenceFile(str(folder / "db.faa"), digital=True, alphabet=abc) as handle:
        block = handle.read_block()
    with plan7.HMMFile(str(path)) as handle:
        hmm = handle.read()
    ours, ours_total, counts = hmmkit_stages(model, records)
    theirs, theirs_total = hmmer_stages(hmm, block)
    print(f"{model.name} (M={model.M}) vs {len(records):,} proteins, one core, CPU seconds; "
          f"{counts['past MSV']:,} sequences pass the MSV gate\n")  # fmt: skip
    print("| hmmkit stage | CPU (s) | HMMER run | CPU (s) |\n|---|---:|---|---:|")
    for n in range(max(len(ours), len(theirs))):
        a = ours[n] if n < len(ours) else ("", math.nan)
        b = theirs[n] if n < len(theirs) else ("", math.nan)
        print(f"| {a[0]} | {a[1]:.3f} | {b[0]} | {b[1]:.3f} |".replace("nan", ""))
    print(f"| **whole search** | {ours_total:.3f} | **whole search** | {theirs_total:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
