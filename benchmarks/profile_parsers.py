"""Time the profile file readers on hostile but cheap inputs, CPU seconds.

* Stockholm files of 10,000 to 80,000 one-residue sequences (``read_alignment``): the
  time must grow linearly with the number of sequences;
* a gzip file of 300 million newlines, 0.3 MB compressed (``read_hmmer``): refused after
  a bounded number of blank lines, whatever the file's size;
* aligning long tandem-domain sequences (``align``): six sequences of ten kinase domains
  (2,600-2,700 residues) to a five-domain model, where decoding falls back to log space.

    python benchmarks/profile_parsers.py [--data-dir DATA]
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

from hmmkit import datasets


def default_data_dir() -> Path:
    """$HMMKIT_DATA, else the repository's data/."""
    return datasets.data_root(Path(__file__).resolve().parents[1] / "data")


def cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def refused(fn) -> None:
    try:
        fn()
    except ValueError:
        return
    raise AssertionError("the input was accepted")


def tandem_case(data: Path):
    """A five-kinase model (pyhmmer's build) and six ten-kinase sequences."""
    import numpy as np
    import pyhmmer
    from pyhmmer import easel

    from hmmkit.profile.io.hmmer3 import read_hmmer

    abc = easel.Alphabet.amino()
    with easel.MSAFile(str(data / "protein/tutorial/Pkinase.sto")) as handle:
        rows = list(handle.read().alignment)
    rng = np.random.default_rng(1)
    orders = [rng.permutation(len(rows)) for _ in range(5)]
    joined = ["".join(rows[o[i]] for o in orders) for i in range(len(rows))]
    named = [easel.TextSequence(name=f"s{i}".encode(), sequence=r) for i, r in enumerate(joined)]
    msa = easel.TextMSA(name=b"kinase5", sequences=named).digitize(abc)
    hmm, _, _ = pyhmmer.plan7.Builder(abc).build_msa(msa, pyhmmer.plan7.Background(abc))
    with tempfile.NamedTemporaryFile(suffix=".hmm") as handle:
        hmm.write(handle)
        handle.flush()
        model = read_hmmer(handle.name)
    domains = [r.replace("-", "").replace(".", "").upper() for r in rows]
    records = [
        (f"t{c}", "".join(domains[i] for i in rng.choice(len(domains), 10, replace=False)))
        for c in range(6)
    ]
    return model, records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    args = parser.parse_args(argv)

    from hmmkit.profile.align import align
    from hmmkit.profile.io.alignments import read_alignment
    from hmmkit.profile.io.hmmer3 import read_hmmer

    print("| input | hmmkit CPU (s) |")
    print("|---|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for n in (10_000, 20_000, 40_000, 80_000):
            path = Path(folder) / f"many{n}.sto"
            rows = "".join(f"s{i} {'ACDEFGHIKL'[i % 10]}\n" for i in range(n))
            path.write_text("# STOCKHOLM 1.0\n" + rows + "//\n")
            print(f"| Stockholm, {n:,} one-residue sequences | "
                  f"{cpu(lambda p=path: read_alignment(p, 'amino')):.3f} |")  # fmt: skip
        path = Path(folder) / "blank.hmm.gz"
        with gzip.open(path, "wt", compresslevel=9) as handle:
            for _ in range(300):
                handle.write("\n" * 1_000_000)
        size = path.stat().st_size / 1e3
        print(f"| gzip of 300 million newlines ({size:.0f} KB), refused | "
              f"{cpu(lambda: refused(lambda: read_hmmer(path))):.3f} |")  # fmt: skip
    model, records = tandem_case(args.data_dir)
    align(model, records[:1])  # compile
    print(f"| align: 6 ten-kinase sequences ({min(len(s) for _, s in records):,}-"
          f"{max(len(s) for _, s in records):,} residues), M={model.M} | "
          f"{cpu(lambda: align(model, records)):.2f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
