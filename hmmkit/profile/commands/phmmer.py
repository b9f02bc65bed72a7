"""``hmmkit phmmer``: HMMER's phmmer."""

from __future__ import annotations

import argparse

from .options import (
    add_database_options,
    add_pipeline_options,
)
from .search import search_each


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "phmmer",
        help="search a sequence database with protein sequences (like phmmer)",
        description="Build phmmer's model of each protein of QUERYFILE (BLOSUM62 conditional "
        "probabilities, gap open and extend probabilities) and search SEQDB with it; output "
        "as hmmkit search's.",
    )
    p.add_argument("queryfile", metavar="QUERYFILE", help="query protein sequences (FASTA)")
    add_database_options(p)
    p.add_argument("--popen", type=float, default=0.02, help="gap open probability")
    p.add_argument("--pextend", type=float, default=0.4, help="gap extend probability")
    add_pipeline_options(p, "sequences")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.fasta import read_fasta
    from ..seqmodel import from_sequence

    queries = read_fasta(args.queryfile)
    if not queries:
        raise ValueError(f"{args.queryfile}: the query file is empty (no FASTA records)")
    models = (
        from_sequence(q.name, q.residues, popen=args.popen, pextend=args.pextend) for q in queries
    )
    return search_each(args, models, "hmmkit phmmer", args.queryfile)
