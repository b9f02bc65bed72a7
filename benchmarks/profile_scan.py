"""Time ``hmmkit scan`` on a pressed database of 5,000 models against hmmscan (pyhmmer).

The model set: six real protein families (PF02826 and Thioesterase as Pfam ships them;
globins4, fn3, Pkinase and LuxC built by HMMER from their alignments), and for each of
the remaining models a variant of one of them: ten sequences emitted from the real model
(hmmkit's emit, seeded by the model's number), aligned to it by HMMER's hmmalign and
built and calibrated by HMMER's hmmbuild, named ``<family>-v<number>``. So the set has
the sizes (M from 85 to 400) and the calibration of real models, and every model is
HMMER's own. It is built once and kept in the cache folder (``$HMMKIT_CACHE``).

Both tools press it (``hmmkit press`` beside ``hmmpress``) and scan the proteome's first
`--queries` proteins against it with default thresholds, one core each, CPU time of the
process, median of `--repeats` interleaved runs after a warm-up; then on every core of the
machine (hmmkit's ``n_jobs``, pyhmmer's ``cpus``), wall time. The hits (query, model,
score, E-value) of the two are compared.

    python benchmarks/profile_scan.py [--models 5000] [--queries 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from hmmkit import datasets

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
PFAM = ("protein/pyhmmer/PF02826.hmm", "protein/pyhmmer/Thioesterase.hmm")
ALIGNMENTS = ("protein/tutorial/globins4.sto", "protein/tutorial/fn3.sto",
              "protein/tutorial/Pkinase.sto", "protein/pyhmmer/LuxC.sto")  # fmt: skip


def default_data_dir() -> Path:
    """$HMMKIT_DATA, else the repository's data/."""
    return datasets.data_root(Path(__file__).resolve().parents[1] / "data")


def model_set(data: Path, n_models: int) -> Path:
    """The benchmark's model file (built on first use, then taken from the cache)."""
    path = datasets.cache_root() / "benchmarks" / f"scan_models_{n_models}.hmm"
    if path.exists():
        return path
    import io

    from pyhmmer import easel, hmmer, plan7

    from hmmkit.profile import emit, read_hmmer

    abc = easel.Alphabet.amino()
    background = plan7.Background(abc)
    real = []
    for name in PFAM:
        with plan7.HMMFile(data / name) as handle:
            real.append(handle.read())
    for name in ALIGNMENTS:
        with easel.MSAFile(str(data / name), digital=True, alphabet=abc) as handle:
            msa = handle.read()
        msa.name = Path(name).stem.encode()
        real.append(plan7.Builder(abc).build_msa(msa, background)[0])
    ours = []
    for hmm in real:
        text = io.BytesIO()
        hmm.write(text)
        ours.append(read_hmmer(io.StringIO(text.getvalue().decode())))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        for hmm in real:
            hmm.write(out)
        for i in range(len(real), n_models):
            family = i % len(real)
            samples = emit(ours[family], 10, random_state=i)
            seqs = [easel.TextSequence(name=s.name.encode(), sequence=s.residues).digitize(abc)
                    for s in samples]  # fmt: skip
            msa = hmmer.hmmalign(real[family], seqs, trim=True, digitize=True)
            msa.name = f"{ours[family].name}-v{i}".encode()
            builder = plan7.Builder(abc, seed=i)
            builder.build_msa(msa, background)[0].write(out)
    tmp.replace(path)
    return path


def timed_wall(fn) -> float:
    """Wall seconds of `fn()`."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_cpu(fn) -> tuple[float, object]:
    start = time.process_time()
    value = fn()
    return time.process_time() - start, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import pyhmmer
    from pyhmmer import easel, plan7

    from hmmkit.profile import scan
    from hmmkit.profile.io.fasta import read_fasta
    from hmmkit.profile.press import press

    source = model_set(args.data_dir, args.models)
    records = read_fasta(args.data_dir / PROTEOME)[: args.queries]
    abc = easel.Alphabet.amino()
    with easel.SequenceFile(str(args.data_dir / PROTEOME), digital=True, alphabet=abc) as f:
        queries = list(f.read_block())[: args.queries]

    with tempfile.TemporaryDirectory() as folder:
        ours_path = Path(folder) / "models.hmm"
        ours_path.write_bytes(source.read_bytes())
        hmmer_path = Path(folder) / "hmmer.hmm"
        with plan7.HMMFile(source) as handle:
            hmms = list(handle)
        press_ours, _ = timed_cpu(lambda: press(ours_path))
        press_hmmer, _ = timed_cpu(lambda: pyhmmer.hmmer.hmmpress(hmms, hmmer_path))
        n_nodes = sum(hmm.M for hmm in hmms)

        def ours(cores=1):
            return scan(ours_path, records, n_jobs=cores)

        def theirs(cores=1):
            with plan7.HMMPressedFile(hmmer_path) as db:
                return list(pyhmmer.hmmer.hmmscan(queries, db, cpus=cores))

        ours(), theirs()  # warm-up
        a, b = [], []
        for _ in range(args.repeats):
            seconds, ours_hits = timed_cpu(ours)
            a.append(seconds)
            seconds, hmmer_hits = timed_cpu(theirs)
            b.append(seconds)
        ours_cpu, hmmer_cpu = statistics.median(a), statistics.median(b)
        cores = os.cpu_count() or 1
        a, b = [], []
        for _ in range(args.repeats):
            a.append(timed_wall(lambda: ours(cores)))
            b.append(timed_wall(lambda: theirs(cores)))
        ours_wall, hmmer_wall = statistics.median(a), statistics.median(b)

    def key(q, name, score):
        text = [v.decode() if isinstance(v, bytes) else v for v in (q, name)]
        return (*text, round(score, 1))

    ours_set = {key(r.query_name, h.name, h.score) for r in ours_hits for h in r.reported()}
    hmmer_set = {key(hits.query.name, h.name, h.score)
                 for hits in hmmer_hits for h in hits.reported}  # fmt: skip
    same = "yes" if ours_set == hmmer_set else f"no ({len(ours_set ^ hmmer_set)} differ)"
    print(
        f"{args.models} models ({n_nodes} match states; see the script's docstring), "
        f"{args.queries} query proteins, one core, CPU seconds, median of {args.repeats}\n"
    )
    print("| run | hmmkit (s) | HMMER (s) | hmmkit/HMMER | same hits |")
    print("|---|---:|---:|---:|---|")
    print(f"| press | {press_ours:.2f} | {press_hmmer:.2f} | {press_ours / press_hmmer:.2f} | |")
    print(f"| scan, pressed database | {ours_cpu:.2f} | {hmmer_cpu:.2f} | "
          f"{ours_cpu / hmmer_cpu:.2f} | {same} ({len(ours_set)} hits) |")  # fmt: skip
    print(f"| scan, pressed database, {cores} cores (wall) | {ours_wall:.2f} | {hmmer_wall:.2f} "
          f"| {ours_wall / hmmer_wall:.2f} | |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
