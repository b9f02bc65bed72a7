"""Time hmmkit's nhmmer against HMMER 3.4's nhmmer (pyhmmer), one core, and check that
both report the same hits.

The query is MADE1 (built by HMMER from ``MADE1.sto``, written as an HMMER3 file that
both tools read); the target a synthetic genome written to a FASTA file: chromosomes of
uniform random DNA, each with MADE1 copies emitted from the model inserted on both
strands, and a decoy chromosome (the first one shuffled). Both tools read the FASTA file
and the model file in each run, search both strands with nhmmer's defaults, and their
``--tblout`` tables are compared line by line. Times are medians of interleaved runs
(process CPU time and wall clock), after a warm-up run that also compiles hmmkit's
kernels; the section of BENCHMARKS.md is rewritten.

    python benchmarks/nhmmer.py [--data-dir DATA] [--repeats 7] [--chromosomes 3]
        [--length 1000000] [--no-write]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hmm_speed import write_section

from hmmkit import datasets

MSA = "protein/tutorial/MADE1.sto"


def default_data_dir() -> Path:
    """$HMMKIT_DATA, else the repository's data/."""
    return datasets.data_root(Path(__file__).resolve().parents[1] / "data")


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--chromosomes", type=int, default=3)
    parser.add_argument("--length", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args(argv)

    import pyhmmer
    from pyhmmer import easel, plan7

    from hmmkit.profile import ProfileHMM
    from hmmkit.profile.long_target import nhmmer, synthetic_genome

    data = args.data_dir or default_data_dir()
    abc = easel.Alphabet.dna()
    with easel.MSAFile(str(data / MSA), digital=True, alphabet=abc) as fh:
        msa = fh.read()
    msa.name = b"MADE1"
    hmm, _, _ = plan7.Builder(abc).build_msa(msa, plan7.Background(abc))
    folder = Path(tempfile.mkdtemp(prefix="nhmmer-bench-"))
    hmm_path = folder / "MADE1.hmm"
    with open(hmm_path, "wb") as fh:
        hmm.write(fh)
    from hmmkit.profile import read_hmmer

    model: ProfileHMM = read_hmmer(hmm_path)
    sequences, insertions = synthetic_genome(
        model, n_chromosomes=args.chromosomes, chromosome_length=args.length
    )
    genome = folder / "genome.fa"
    with open(genome, "w") as fh:
        for s in sequences:
            fh.write(f">{s.name} {s.description}".rstrip() + "\n")
            for i in range(0, len(s.residues), 60):
                fh.write(s.residues[i : i + 60] + "\n")
    total = sum(len(s.residues) for s in sequences)

    def run_hmmer():
        with plan7.HMMFile(str(hmm_path)) as hf:
            query = hf.read()
        with easel.SequenceFile(str(genome), digital=True, alphabet=abc) as sf:
            hits = next(pyhmmer.nhmmer(query, sf, cpus=1))
        buf = io.BytesIO()
        hits.write(buf, format="targets")
        return buf.getvalue().decode()

    def run_hmmkit():
        return nhmmer(hmm_path, genome).tblout()

    first_wall, first_cpu, ours = timed(run_hmmkit)  # warm-up (compiles on a cold cache)
    theirs = run_hmmer()
    times = {"hmmkit": [], "HMMER": []}
    for _ in range(args.repeats):
        for name, fn in (("HMMER", run_hmmer), ("hmmkit", run_hmmkit)):
            wall, cpu, _ = timed(fn)
            times[name].append((wall, cpu))
    rows = {name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
            for name, t in times.items()}  # fmt: skip
    ours_lines = [line for line in ours.splitlines() if not line.startswith("#")]
    theirs_lines = [line for line in theirs.splitlines() if not line.startswith("#")]
    same = ours == theirs
    ratio = rows["HMMER"][1] / rows["hmmkit"][1]
    text = "\n".join([
        "## nhmmer vs HMMER's nhmmer (pyhmmer), one core",
        "",
        "Command: `python benchmarks/nhmmer.py`",
        "",
        f"Query MADE1 (M={model.M}, MAXL={model.max_length}), target {len(sequences)} "
        f"sequences, {total / 1e6:.1f} Mb ({args.chromosomes} x {args.length / 1e6:g} Mb random "
        f"DNA with {len(insertions)} emitted copies on both strands, and a shuffled decoy); both "
        "strands, nhmmer's defaults; model and FASTA read from files in every run. Medians of "
        f"{args.repeats} interleaved runs.",
        "",
        "| tool | CPU s | wall s | Mb/s per core (CPU) | hits reported |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {name} | {rows[name][1]:.3f} | {rows[name][0]:.3f} | "
          f"{total / 1e6 / rows[name][1]:.1f} | {n} |"
          for name, n in (("hmmkit", len(ours_lines)), ("HMMER", len(theirs_lines)))),
        "",
        f"Throughput, hmmkit / HMMER (CPU): **{ratio:.2f}x** (target >= 0.5x). "
        f"Same --tblout table (hits, coordinates, strands, E-values, scores, biases): "
        f"**{'yes' if same else 'NO'}**. First run in a fresh process (numba cache as found): "
        f"{first_cpu:.1f} s CPU.",
        "",
    ])  # fmt: skip
    print(text)
    if not args.no_write:
        write_section(text, "nhmmer")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
