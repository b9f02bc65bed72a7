"""Every field of every domain of a search against HMMER's (pyhmmer's), counted.

For each query model of the benchmark database (``profile_database.py``) against a prefix
of its sequences, and for the real and tutorial models against the proteome, both tools
search with default settings; for every hit either reports and every domain of it, the
fields of hmmsearch's domain table and alignment display are compared: envelope, alignment
and model coordinates, domain score, bias, c-Evalue, i-Evalue, envelope score (each as a
float32 value and as HMMER prints it), the model, target and posterior lines of the
alignment. The counts of mismatching fields are printed (and the first few mismatches).

Run from the repository: ``python benchmarks/profile_domain_agreement.py --sequences 20000``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_database import PROTEOME, ensure_database, model_paths  # noqa: E402

FLOAT_FIELDS = ("score", "bias", "c_evalue", "i_evalue", "env_score")
PRINTED = {"score": "{:.1f}", "bias": "{:.1f}", "c_evalue": "{:.2g}", "i_evalue": "{:.2g}",
           "env_score": "{:.1f}"}  # fmt: skip
INT_FIELDS = ("env_from", "env_to", "ali_from", "ali_to", "hmm_from", "hmm_to")
LINES = ("model_line", "target_line", "pp_line")


def _workloads(folder: Path, data: Path, n_sequences: int):
    """(label, model path, fasta records slice) of each search."""
    from hmmkit.profile.io.fasta import read_fasta

    db = read_fasta(folder / "db.faa")[:n_sequences]
    proteome = [r for r in read_fasta(data / PROTEOME)]
    for r in proteome:
        r.residues = r.residues.rstrip("*")
    out = [(f"{p.stem}/db", p, db) for p in model_paths(folder)]
    real = ("PF02826", "Thioesterase", "globins4", "fn3", "Pkinase", "LuxC")
    out += [(f"{p.stem}/proteome", p, proteome) for p in model_paths(folder) if p.stem in real]
    return out


def theirs(folder: Path, data: Path, n_sequences: int) -> dict:
    """pyhmmer's domains: {(search, target): [domain fields]}."""
    from pyhmmer import easel, hmmsearch, plan7

    abc = easel.Alphabet.amino()
    out = {}
    for label, path, records in _workloads(folder, data, n_sequences):
        with plan7.HMMFile(str(path)) as handle:
            hmm = handle.read()
        seqs = easel.TextSequenceBlock(
            easel.TextSequence(name=r.name, sequence=r.residues) for r in records
        ).digitize(abc)
        for hits in hmmsearch(hmm, seqs):
            for hit in hits:
                if not hit.reported:
                    continue
                name = hit.name.decode() if isinstance(hit.name, bytes) else hit.name
                doms = []
                for d in hit.domains:
                    a = d.alignment
                    doms.append({
                        "env_from": d.env_from, "env_to": d.env_to,
                        "ali_from": a.target_from, "ali_to": a.target_to,
                        "hmm_from": a.hmm_from, "hmm_to": a.hmm_to,
                        "score": float(d.score), "bias": float(d.bias),
                        "c_evalue": float(d.c_evalue), "i_evalue": float(d.i_evalue),
                        "env_score": float(d.envelope_score),
                        "model_line": a.hmm_sequence, "target_line": a.target_sequence,
                        "pp_line": a.posterior_probabilities,
                    })  # fmt: skip
                out[(label, name)] = doms
    return out


def ours(folder: Path, data: Path, n_sequences: int) -> dict:
    """hmmkit's domains, as :func:`theirs`."""
    from hmmkit.profile import AMINO, DigitalSequences, read_hmmer, search
    from hmmkit.profile.alidisplay import AlignmentDisplay

    out = {}
    for label, path, records in _workloads(folder, data, n_sequences):
        model = read_hmmer(path)
        results = search(model, DigitalSequences(records, AMINO))
        show = AlignmentDisplay(model)
        for hit in results:
            doms = []
            for d in hit.domains:
                a = show.domain(d)
                doms.append({
                    "env_from": d.env_from, "env_to": d.env_to,
                    "ali_from": d.ali_from, "ali_to": d.ali_to,
                    "hmm_from": d.hmm_from, "hmm_to": d.hmm_to,
                    "score": float(d.score), "bias": float(d.bias),
                    "c_evalue": float(d.c_evalue), "i_evalue": float(d.evalue),
                    "env_score": float(d.env_score) / np.log(2.0),
                    "model_line": a.model, "target_line": a.target, "pp_line": a.posteriors,
                })  # fmt: skip
            out[(label, hit.name)] = doms
    return out


def compare(mine: dict, peer: dict, show: int = 10) -> Counter:
    """Counts of mismatching fields (and hits/domains one side lacks)."""
    counts: Counter = Counter()
    shown = 0
    for key in sorted(set(mine) | set(peer)):
        if key not in mine or key not in peer:
            counts["hit missing" if key not in mine else "hit extra"] += 1
            continue
        a, b = mine[key], peer[key]
        if len(a) != len(b):
            counts["domain count"] += 1
            continue
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            counts["domains"] += 1
            bad = [f for f in INT_FIELDS + LINES if x[f] != y[f]]
            bad += [f"{f} (float32)" for f in FLOAT_FIELDS if np.float32(x[f]) != np.float32(y[f])]
            bad += [f"{f} (printed)" for f in FLOAT_FIELDS
                    if PRINTED[f].format(x[f]) != PRINTED[f].format(y[f])]  # fmt: skip
            for f in bad:
                counts[f] += 1
            if bad and shown < show:
                shown += 1
                print(key, n, {f.split()[0]: (x[f.split()[0]], y[f.split()[0]]) for f in bad})
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(__file__).resolve().parents[1] / "data")  # fmt: skip
    parser.add_argument("--peer-cache", type=Path, default=None,
                        help="pickle of pyhmmer's domains (made once, then reused)")
    parser.add_argument("--save", type=Path, default=None, help="pickle hmmkit's domains here")
    parser.add_argument("--show", type=int, default=10)
    args = parser.parse_args(argv)
    folder = ensure_database(args.data_dir)
    if args.peer_cache is not None and args.peer_cache.exists():
        peer = pickle.loads(args.peer_cache.read_bytes())
    else:
        peer = theirs(folder, args.data_dir, args.sequences)
        if args.peer_cache is not None:
            args.peer_cache.write_bytes(pickle.dumps(peer))
    mine = ours(folder, args.data_dir, args.sequences)
    if args.save is not None:
        args.save.write_bytes(pickle.dumps(mine))
    counts = compare(mine, peer, args.show)
    print(json.dumps(dict(sorted(counts.items())), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
