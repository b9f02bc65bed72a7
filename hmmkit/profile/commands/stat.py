"""``hmmkit stat``: HMMER's hmmstat."""

from __future__ import annotations

import argparse
import sys

from .options import (
    model_file_command,
)


def register(subparsers) -> None:
    p = model_file_command(
        subparsers, "stat", "summary statistics of the models of an HMMER3 file (like hmmstat)",
        "One line per model: name, accession, sequences, effective sequences, length and "
        "hmmstat's entropies (bits): mean match relative entropy, information, position "
        "relative entropy with gap costs, and the composition's KL divergence.", output=False,
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.hmmer3 import iter_hmmer
    from ..summary import summarize, write_summary_table

    write_summary_table(sys.stdout, [summarize(model) for model in iter_hmmer(args.hmmfile)])
    return 0
