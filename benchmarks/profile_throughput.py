"""hmmkit's profile search against HMMER 3.4 (pyhmmer) on a database of the size users search.

The database (200,000 proteins) and the ten query models are built once by
``profile_database.py`` (see its docstring: the real proteome, sequences emitted from the
models, shuffles of the proteome; two real Pfam models, four built from the tutorial and
pyhmmer alignments, four built from alignments emitted by real models). Rows, each run by
both tools in the same process, one after the other, both reading and digitizing the
sequences and reading the models once beforehand (pyhmmer's digital sequence block,
hmmkit's ``DigitalSequences``):

* hmmsearch, default pipeline: every model against the whole database;
* hmmsearch --max (every filter off): the first ``--max-models`` models against the first
  ``--max-sequences`` sequences (a full search at HMMER's --max costs a minute per model
  on the whole database);
* phmmer: the proteome's first ``--queries`` proteins, each searched against the database;
* jackhmmer: one proteome protein, up to ``--rounds`` rounds, jackhmmer's thresholds.

Each row runs on one core (hmmkit ``n_jobs=1``, pyhmmer ``cpus=1``) and then on every
core of the machine. Throughput ratio = HMMER's time / hmmkit's time (CPU time on one
core, wall time on all cores; > 1 means hmmkit is faster). "same hits" compares the
reported targets and their scores (to 0.01 bit) of every search. A small warm-up run
compiles hmmkit's kernels first.

    python benchmarks/profile_throughput.py [--size 200000] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from profile_database import PROTEOME, ensure_database, model_paths

from hmmkit import datasets


def default_data_dir() -> Path:
    """$HMMKIT_DATA, else the repository's data/."""
    return datasets.data_root(Path(__file__).resolve().parents[1] / "data")


def timed(fn):
    """(result, wall s, CPU s) of `fn()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def ours_hits(results) -> dict[str, float]:
    """(query number/reported target) -> bit score of hmmkit results."""
    return {f"{q}/{h.name}": h.score for q, r in enumerate(results) for h in r.hits if h.reported}


def theirs_hits(results) -> dict[str, float]:
    """(query number/reported target) -> bit score of pyhmmer TopHits."""
    out = {}
    for q, hits in enumerate(results):
        for h in hits:
            if h.reported:
                name = h.name.decode() if isinstance(h.name, bytes) else str(h.name)
                out[f"{q}/{name}"] = h.score
    return out


def agreement(ours: dict[str, float], theirs: dict[str, float]) -> str:
    """``yes (N)`` when both report the same N targets with the same scores (to 0.01 bit);
    otherwise what differs: targets reported by one tool only, scores further apart."""
    only = len(set(ours) ^ set(theirs))
    apart = [abs(ours[k] - theirs[k]) for k in set(ours) & set(theirs)]
    far = [d for d in apart if d > 0.01]
    if not only and not far:
        return f"yes ({len(theirs)})"
    said = [f"{only} of {len(theirs)} targets reported by one tool only"] if only else [
        f"same {len(theirs)} targets"]  # fmt: skip
    if far:
        said.append(f"{len(far)} scores apart by up to {max(far):.2f} bits")
    return "; ".join(said)


class Workloads:
    """The four searches, for hmmkit and pyhmmer, on a given number of cores."""

    def __init__(self, folder: Path, data: Path, args):
        import pyhmmer
        from pyhmmer import easel, plan7

        from hmmkit.profile import AMINO, DigitalSequences, read_hmmer
        from hmmkit.profile.io.fasta import read_fasta

        self.pyhmmer, self.easel, self.plan7 = pyhmmer, easel, plan7
        self.abc = easel.Alphabet.amino()
        paths = model_paths(folder)
        self.models = [read_hmmer(p) for p in paths]
        self.hmms = []
        for p in paths:
            with plan7.HMMFile(str(p)) as handle:
                self.hmms.append(handle.read())
        self.records = read_fasta(folder / "db.faa")
        with easel.SequenceFile(str(folder / "db.faa"), digital=True, alphabet=self.abc) as h:
            self.block = h.read_block()
        self.n_max_models = args.max_models
        self.max_records = DigitalSequences(self.records[: args.max_sequences], AMINO)
        self.records = DigitalSequences(self.records, AMINO)
        self.max_block = self.block[: args.max_sequences]
        proteome = read_fasta(data / PROTEOME)
        self.queries = [(r.name, r.residues.rstrip("*")) for r in proteome[: args.queries]]
        seed = next(r for r in proteome if r.name == args.jackhmmer_query)
        # both tools get the protein without its final '*' (pyhmmer's text sequences
        # cannot hold it; hmmkit, as HMMER's readers, would keep it as a node)
        self.seed = (seed.name, seed.residues.rstrip("*"))
        self.rounds = args.rounds

    def hmmsearch(self, cores: int):
        from hmmkit.profile import search

        def theirs():
            return list(self.pyhmmer.hmmsearch(self.hmms, self.block, cpus=cores))

        return lambda: [search(m, self.records, n_jobs=cores) for m in self.models], theirs

    def hmmsearch_max(self, cores: int):
        from hmmkit.profile import search

        off = {"bias_filter": False, "F1": 1.0, "F2": 1.0, "F3": 1.0}
        models, hmms = self.models[: self.n_max_models], self.hmms[: self.n_max_models]

        def theirs():
            return list(self.pyhmmer.hmmsearch(hmms, self.max_block, cpus=cores, **off))

        return lambda: [search(m, self.max_records, n_jobs=cores, **off) for m in models], theirs

    def phmmer(self, cores: int):
        from hmmkit.profile import from_sequence, search

        def ours():
            return [search(from_sequence(n, s), self.records, n_jobs=cores)
                    for n, s in self.queries]  # fmt: skip

        seqs = [self.easel.TextSequence(name=n.encode(), sequence=s).digitize(self.abc)
                for n, s in self.queries]  # fmt: skip
        return ours, lambda: list(self.pyhmmer.phmmer(seqs, self.block, cpus=cores))

    def jackhmmer(self, cores: int):
        from hmmkit.profile import iterative_search

        def ours():
            rounds = list(iterative_search(self.seed, self.records, max_rounds=self.rounds,
                                           n_jobs=cores))  # fmt: skip
            return [rounds[-1].hits]

        seed = self.easel.TextSequence(name=self.seed[0].encode(), sequence=self.seed[1])
        seed = seed.digitize(self.abc)

        def theirs():
            pipeline = self.plan7.Pipeline(self.abc, incE=1e-3, incdomE=1e-3)
            builder = self.plan7.Builder(self.abc, architecture="hand")
            last = None
            for last in pipeline.iterate_seq(seed, self.block, builder=builder):
                if last.converged or last.iteration == self.rounds:
                    break
            return [last.hits]

        return ours, theirs


def warm_up(work: Workloads) -> None:
    """Compile hmmkit's kernels on a small slice (one model, phmmer, both core counts)."""
    from hmmkit.profile import from_sequence, search

    for cores in (1, os.cpu_count() or 1):
        search(work.models[0], work.records[:3000], n_jobs=cores)
        search(work.models[0], work.records[:300], n_jobs=cores, bias_filter=False, F1=1.0,
               F2=1.0, F3=1.0)  # fmt: skip
        search(from_sequence(*work.queries[0]), work.records[:3000], n_jobs=cores)


ROWS = (("hmmsearch, default pipeline", "hmmsearch"), ("hmmsearch --max", "hmmsearch_max"),
        ("phmmer", "phmmer"), ("jackhmmer", "jackhmmer"))  # fmt: skip


def measure(work: Workloads, rows, all_cores: int) -> list[tuple]:
    """One line per (row, cores): label, cores, hmmkit wall/CPU, HMMER wall/CPU, ratio, hits."""
    lines = []
    for cores in dict.fromkeys((1, all_cores)):
        for label, name in rows:
            ours, theirs = getattr(work, name)(cores)
            a, ow, oc = timed(ours)
            b, tw, tc = timed(theirs)
            ratio = tc / oc if cores == 1 else tw / ow
            same = agreement(ours_hits(a), theirs_hits(b))
            lines.append((label, cores, ow, oc, tw, tc, ratio, same))
            print(f"  {label}, {cores} core(s): hmmkit {ow:.1f} s wall / {oc:.1f} s CPU, "
                  f"HMMER {tw:.1f} / {tc:.1f}, ratio {ratio:.2f}, same hits {same}",
                  flush=True)  # fmt: skip
    return lines


def report(lines, work: Workloads, args, command: str) -> str:
    """The Markdown section for BENCHMARKS.md."""
    n_res = sum(len(r.residues) for r in work.records)
    sizes = ", ".join(f"{m.name} {m.M}" for m in work.models)
    out = [
        "## Profile search throughput vs HMMER on a 200,000-protein database (pyhmmer)", "",
        f"Command: `{command}`", "",
        f"Database: {len(work.records):,} proteins ({n_res:,} residues): the proteome, "
        "sequences emitted from the models, shuffled proteome proteins "
        "(`benchmarks/profile_database.py`). Models (name M): " + sizes + ". "
        f"--max rows: the first {work.n_max_models} models vs the first "
        f"{len(work.max_records):,} sequences; phmmer: {len(work.queries)} queries; "
        f"jackhmmer: {work.seed[0]}, up to {work.rounds} rounds. Ratio = HMMER time / "
        "hmmkit time (CPU on one core, wall on all cores; > 1: hmmkit faster).", "",
        "| run | cores | hmmkit wall (s) | hmmkit CPU (s) | HMMER wall (s) | HMMER CPU (s) "
        "| ratio | same hits as HMMER |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]  # fmt: skip
    for label, cores, ow, oc, tw, tc, ratio, same in lines:
        out.append(f"| {label} | {cores} | {ow:.2f} | {oc:.2f} | {tw:.2f} | {tc:.2f} | "
                   f"{ratio:.2f} | {same} |")  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out.append("")
    out.append(
        f"Load average of the machine ({os.cpu_count()} cores) when the table was "
        f"written: {load} (1, 5, 15 min); on a busy machine wall times say little."
    )
    one = {label: ow for label, cores, ow, *_ in lines if cores == 1}
    many = [(label, cores, ow) for label, cores, ow, *_ in lines if cores > 1]
    if many:
        out.append("")
        out.append("hmmkit on all cores vs its own one core (wall): " + ", ".join(
            f"{label} {one[label] / ow:.2f}x" for label, cores, ow in many))  # fmt: skip
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--size", type=int, default=200_000, help="database sequences")
    parser.add_argument("--max-models", type=int, default=2)
    parser.add_argument("--max-sequences", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2, help="phmmer queries")
    parser.add_argument("--jackhmmer-query", default="938293.PRJEB85.HG003687_60")
    parser.add_argument("--rounds", type=int, default=3, help="jackhmmer rounds at most")
    parser.add_argument("--rows", nargs="*", choices=[name for _, name in ROWS],
                        help="run only these rows")  # fmt: skip
    parser.add_argument("--one-core", action="store_true", help="skip the all-cores rows")
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args(argv)

    folder = ensure_database(args.data_dir, args.size)
    work = Workloads(folder, args.data_dir, args)
    warm_up(work)
    rows = [row for row in ROWS if not args.rows or row[1] in args.rows]
    lines = measure(work, rows, 1 if args.one_core else os.cpu_count() or 1)
    text = report(lines, work, args, "python benchmarks/profile_throughput.py")
    print(text)
    if not args.no_write and not args.rows and not args.one_core and args.size == 200_000:
        from hmm_speed import write_section

        write_section(text, "profile-throughput")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
