"""``hmmkit emit``: HMMER's hmmemit."""

from __future__ import annotations

import argparse

from .options import (
    check_outputs,
    model_file_command,
    output,
    seed,
)


def register(subparsers) -> None:
    p = model_file_command(
        subparsers, "emit", "sample sequences from profile HMMs (like hmmemit)",
        "Write sequences sampled from the core model of each model of an HMMER3 file, or with "
        "-c its consensus, as FASTA.", output=True,
    )  # fmt: skip
    p.add_argument("-N", type=int, default=1, dest="n", help="number of sequences per model")
    p.add_argument("-c", action="store_true", dest="consensus",
                   help="write each model's plurality-rule consensus instead")  # fmt: skip
    p.add_argument("--seed", type=int, default=42, help="random seed (0: an arbitrary seed)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..emit import consensus_sequence, emit, write_fasta
    from ..io.fasta import Sequence
    from ..io.hmmer3 import iter_hmmer

    if args.output:
        check_outputs({"-o": args.output}, {"HMMFILE": args.hmmfile})
    rng = np.random.default_rng(seed(args.seed))  # one stream across the models, as hmmemit
    with output(args.output) as out:
        for model in iter_hmmer(args.hmmfile):
            if args.consensus:
                records = [Sequence(f"{model.name}-consensus", consensus_sequence(model))]
            else:
                records = emit(model, args.n, random_state=rng)
            write_fasta(out, records)
    return 0
