"""Time hmmkit's nhmmer against HMMER 3.4's nhmmer (pyhmmer), one core, and check that
both report the same hits.

The query is MADE1 (built by HMMER from ``MADE1.sto``, written as an HMMER3 file that
both tools read); the targets are synthetic genomes written to FASTA files: chromosomes
of uniform random DNA, each with MADE1 copies emitted from the model inserted on both
strands, and a decoy chromosome (the first one shuffled). Two cases: the 4 Mb genome of
the tests (3 x 1 Mb, 8 copies each) and a larger one (4 x 5 Mb, 50 copies each: more
blocks, windows and hits). Both tools read the FASTA file and the model file in each
run, search both strands with nhmmer's defaults, and their ``--tblout`` tables are
compared line by line. Times are medians of interleaved runs (process CPU time and wall
clock), after a warm-up run that also compiles hmmkit's kernels; the section of
BENCHMARKS.md is rewritten.

    python benchmarks/nhmmer.py [--data-dir DATA] [--repeats 7] [--chromosomes 3]
        [--length 1000000] [--large-chromosomes 4] [--large-length 5000000]
        [--large-copies 50] [--no-large] [--no-write]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
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


@dataclass
class Case:
    """One target genome and what the two tools did on it."""

    label: str
    chromosomes: int
    length: int
    copies: int
    total: int = 0
    times: dict | None = None  # tool -> (median wall, median CPU)
    hits: dict | None = None  # tool -> reported hits
    same: bool = False
    first_cpu: float = 0.0

    @property
    def ratio(self) -> float:
        """hmmkit's throughput over HMMER's (CPU)."""
        return self.times["HMMER"][1] / self.times["hmmkit"][1]


def write_genome(model, case: Case, path: Path) -> None:
    """The case's synthetic genome as FASTA (60 residues a line)."""
    from hmmkit.profile.long_target import synthetic_genome

    sequences, _ = synthetic_genome(model, n_chromosomes=case.chromosomes,
                                    chromosome_length=case.length,
                                    copies_per_chromosome=case.copies)  # fmt: skip
    with open(path, "w") as fh:
        for s in sequences:
            fh.write(f">{s.name} {s.description}".rstrip() + "\n")
            for i in range(0, len(s.residues), 60):
                fh.write(s.residues[i : i + 60] + "\n")
    case.total = sum(len(s.residues) for s in sequences)


def run_case(case: Case, hmm_path: Path, genome: Path, repeats: int) -> None:
    """Time both tools on `genome` (interleaved) and compare their tables."""
    import pyhmmer
    from pyhmmer import easel, plan7

    from hmmkit.profile.long_target import nhmmer

    abc = easel.Alphabet.dna()

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

    _, case.first_cpu, ours = timed(run_hmmkit)  # warm-up (compiles on a cold cache)
    theirs = run_hmmer()
    times = {"hmmkit": [], "HMMER": []}
    for _ in range(repeats):
        for name, fn in (("HMMER", run_hmmer), ("hmmkit", run_hmmkit)):
            wall, cpu, _ = timed(fn)
            times[name].append((wall, cpu))
    case.times = {name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
                  for name, t in times.items()}  # fmt: skip
    case.hits = {name: sum(1 for line in table.splitlines() if not line.startswith("#"))
                 for name, table in (("hmmkit", ours), ("HMMER", theirs))}  # fmt: skip
    case.same = ours == theirs


def report(cases: list[Case], model, repeats: int) -> str:
    """The BENCHMARKS.md section."""
    rows = []
    for c in cases:
        for name in ("hmmkit", "HMMER"):
            wall, cpu = c.times[name]
            rows.append(f"| {c.label} | {name} | {cpu:.3f} | {wall:.3f} | "
                        f"{c.total / 1e6 / cpu:.1f} | {c.hits[name]} |")  # fmt: skip
    verdicts = [f"{c.label}: **{c.ratio:.2f}x**, same table: **{'yes' if c.same else 'NO'}**"
                for c in cases]  # fmt: skip
    return "\n".join([
        "## nhmmer vs HMMER's nhmmer (pyhmmer), one core",
        "",
        "Command: `python benchmarks/nhmmer.py`",
        "",
        f"Query MADE1 (M={model.M}, MAXL={model.max_length}). Targets: synthetic genomes, "
        "chromosomes of uniform random DNA with copies emitted from MADE1 inserted on both "
        "strands, and a decoy (the first chromosome shuffled); "
        + "; ".join(f"{c.label}: {c.chromosomes} x {c.length / 1e6:g} Mb with {c.copies} "
                    f"copies each, {c.total / 1e6:.1f} Mb in all" for c in cases)
        + ". Both strands, nhmmer's defaults; model and FASTA read from files in every run. "
        f"Medians of {repeats} interleaved runs.",
        "",
        "| genome | tool | CPU s | wall s | Mb/s per core (CPU) | hits reported |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Throughput, hmmkit / HMMER (CPU; target >= 0.5x) and the same --tblout table (hits, "
        "coordinates, strands, E-values, scores, biases): " + "; ".join(verdicts) + ". "
        f"First run in a fresh process (numba cache as found): {cases[0].first_cpu:.1f} s CPU.",
        "",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--chromosomes", type=int, default=3)
    parser.add_argument("--length", type=int, default=1_000_000)
    parser.add_argument("--large-chromosomes", type=int, default=4)
    parser.add_argument("--large-length", type=int, default=5_000_000)
    parser.add_argument("--large-copies", type=int, default=50)
    parser.add_argument("--no-large", action="store_true", help="time the 4 Mb genome only")
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args(argv)

    from pyhmmer import easel, plan7

    from hmmkit.profile import read_hmmer

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
    model = read_hmmer(hmm_path)
    cases = [Case("small", args.chromosomes, args.length, 8)]
    if not args.no_large:
        cases.append(Case("large", args.large_chromosomes, args.large_length, args.large_copies))
    for case in cases:
        genome = folder / f"{case.label}.fa"
        write_genome(model, case, genome)
        run_case(case, hmm_path, genome, args.repeats)
    text = report(cases, model, args.repeats)
    print(text)
    if not args.no_write:
        write_section(text, "nhmmer")
    return 0 if all(c.same for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
