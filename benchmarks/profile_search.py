"""Time hmmkit's profile search against HMMER 3.4's hmmsearch (pyhmmer), one core.

The query is the globins4 model (built by each tool from ``globins4.sto``), the database the
2,100-protein proteome. Rows:

* Forward scan: every sequence scored with Forward, no filters (hmmkit's compiled scan),
  against hmmsearch with every filter off (``bias_filter=False, F1=F2=F3=1.0``), which
  scores every sequence with Forward and then also runs Backward and domain definition on
  every one of them;
* Forward scan vs HMMER's Forward alone: the same scan against hmmsearch with the MSV and
  Viterbi gates open and a Forward threshold no sequence passes (``F3=1e-300``), so HMMER
  runs its byte MSV filter and its SIMD Forward on every sequence and nothing else;
* full search, filters off: the same hmmsearch run against hmmkit's ``search`` with the same
  options (domain definition on every sequence too);
* full search, default: both tools with hmmsearch's default filters;
* phmmer, one query: phmmer's model of the proteome's first protein (built and calibrated by
  each tool) searched against the proteome, default filters;
* scan, 10 proteins vs 2 Pfam models: hmmscan of the proteome's first ten proteins against
  PF02826 and Thioesterase (models already read; hmmkit compares models one at a time);
* jackhmmer, one query, 5 rounds: the iterative search from protein HG003687_60 (which
  grows for five rounds, 5 -> 56 included), against pyhmmer's ``iterate_seq`` with
  jackhmmer's inclusion thresholds and model construction (``--hand``).

Both sides read the sequences once beforehand; times are medians of interleaved runs
(wall clock and process CPU time), after a warm-up run that also compiles hmmkit's kernels.

    python benchmarks/profile_search.py [--data-dir DATA] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from hmmkit import datasets

MSA = "protein/tutorial/globins4.sto"
PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
PFAM = ("PF02826", "Thioesterase")
JACKHMMER_QUERY = "938293.PRJEB85.HG003687_60"
NO_FILTERS = {"bias_filter": False, "F1": 1.0, "F2": 1.0, "F3": 1.0}
FORWARD_ONLY = {"bias_filter": False, "F1": 1.0, "F2": 1.0, "F3": 1e-300}


def default_data_dir() -> Path:
    """$HMMKIT_DATA, else the repository's data/."""
    return datasets.data_root(Path(__file__).resolve().parents[1] / "data")


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import pyhmmer
    from pyhmmer import easel, plan7

    from hmmkit.profile import (
        build,
        calibrate,
        dp,
        from_sequence,
        iterative_search,
        read_hmmer,
        scan,
        search,
    )
    from hmmkit.profile.config import configure
    from hmmkit.profile.digital import digitize
    from hmmkit.profile.io.fasta import read_fasta

    data = args.data_dir
    abc = easel.Alphabet.amino()
    with easel.MSAFile(str(data / MSA), digital=True, alphabet=abc) as handle:
        msa = handle.read()
    msa.name = b"globins4"
    hmm, _, _ = plan7.Builder(abc).build_msa(msa, plan7.Background(abc))
    with easel.SequenceFile(str(data / PROTEOME), digital=True, alphabet=abc) as handle:
        hmmer_seqs = handle.read_block()

    model = calibrate(build(data / MSA))
    records = read_fasta(data / PROTEOME)
    codes = [digitize(r.residues, model.alphabet) for r in records]
    lengths = np.array([len(c) for c in codes], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    packed = np.concatenate(codes)
    profile = configure(model)
    cells = int(lengths.sum()) * model.M

    def hmmer(options):
        return lambda: list(pyhmmer.hmmsearch([hmm], hmmer_seqs, cpus=1, **options))

    query = records[0].residues.rstrip("*")  # both sides without the stop codon
    query_seq = easel.TextSequence(name=b"q", sequence=query).digitize(abc)
    pfam = [read_hmmer(data / f"protein/pyhmmer/{name}.hmm") for name in PFAM]
    pfam_hmmer = []
    for name in PFAM:
        with plan7.HMMFile(str(data / f"protein/pyhmmer/{name}.hmm")) as handle:
            pfam_hmmer.append(handle.read())
    ten = hmmer_seqs[:10]
    seed = next(r for r in records if r.name == JACKHMMER_QUERY)
    seed_seq = easel.TextSequence(name=seed.name.encode(), sequence=seed.residues.rstrip("*"))
    seed_seq = seed_seq.digitize(abc)

    def hmmer_rounds():
        pipeline = plan7.Pipeline(abc, incE=1e-3, incdomE=1e-3)
        builder = plan7.Builder(abc, architecture="hand")
        for result in pipeline.iterate_seq(seed_seq, hmmer_seqs, builder=builder):
            if result.converged or result.iteration == 5:
                return result

    rows = [
        ("Forward scan, no filters", lambda: dp.forward_scores(profile, packed, offsets, lengths),
         hmmer(NO_FILTERS)),
        ("Forward scan vs HMMER's Forward alone",
         lambda: dp.forward_scores(profile, packed, offsets, lengths), hmmer(FORWARD_ONLY)),
        ("full search, filters off", lambda: search(model, records, **NO_FILTERS),
         hmmer(NO_FILTERS)),
        ("full search, default filters", lambda: search(model, records), hmmer({})),
        ("phmmer, one query", lambda: search(from_sequence("q", query), records),
         lambda: list(pyhmmer.phmmer([query_seq], hmmer_seqs, cpus=1))),
        ("scan, 10 proteins vs 2 Pfam models", lambda: scan(pfam, records[:10]),
         lambda: list(pyhmmer.hmmscan(ten, pfam_hmmer, cpus=1))),
        ("jackhmmer, one query, 5 rounds", lambda: list(iterative_search(seed, records)),
         hmmer_rounds),
    ]  # fmt: skip
    results = []
    for label, ours, theirs in rows:
        ours()  # warm-up (compiles kernels on first use)
        theirs()
        a, b = [], []
        for _ in range(args.repeats):
            a.append(timed(ours))
            b.append(timed(theirs))
        results.append((label, [statistics.median(x) for x in zip(*a, strict=True)],
                        [statistics.median(x) for x in zip(*b, strict=True)]))  # fmt: skip

    print(f"globins4 (M={model.M}) vs {len(records)} proteins ({lengths.sum()} residues), "
          f"one core, median of {args.repeats} (the last three rows: see the script's "
          "docstring)\n")  # fmt: skip
    print("| run | hmmkit wall (s) | HMMER wall (s) | hmmkit CPU (s) | HMMER CPU (s) | "
          "HMMER/hmmkit (CPU) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    for label, (ow, oc), (tw, tc) in results:
        print(f"| {label} | {ow:.3f} | {tw:.3f} | {oc:.3f} | {tc:.3f} | {tc / oc:.2f} |")
    scan_cpu = results[0][1][1]
    print(f"\nhmmkit Forward scan: {cells / scan_cpu / 1e6:.0f} million DP cells per CPU second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
