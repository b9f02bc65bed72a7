"""``hmmkit scan``: HMMER's hmmscan."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings

from ..search.report import write_query_report
from .options import (
    HitTables,
    add_pipeline_options,
    check_outputs,
    output,
    output_files,
    pipeline_options,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scan",
        help="search sequences against a database of profile HMMs (like hmmscan)",
        description="Compare every sequence of a FASTA file with each model of an HMMER3 "
        "file (a Pfam database, say); each sequence's hits are the models, listed on standard "
        "output and, with --tblout/--domtblout, written in hmmscan's table layouts. A "
        "database pressed with hmmkit press is read from its pressed files.",
    )
    p.add_argument("hmmdb", metavar="HMMDB", help="profile HMM database (HMMER3 file)")
    p.add_argument("seqfile", metavar="SEQFILE", help="query sequences (FASTA)")
    add_pipeline_options(p, "models")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.fasta import read_fasta
    from ..search.scan import scan

    check_outputs(
        output_files(args),
        {"model database HMMDB": args.hmmdb, "query SEQFILE": args.seqfile},
    )
    records = read_fasta(args.seqfile)
    if not records:
        raise ValueError(f"{args.seqfile}: the sequence file is empty (no FASTA records)")
    with warnings.catch_warnings(record=True) as caught:  # a stale pressed database
        warnings.simplefilter("always")
        results = scan(args.hmmdb, records, options=pipeline_options(args), n_jobs=args.cpu)
    for warning in caught:
        print(f"hmmkit scan: warning: {warning.message}", file=sys.stderr)
    with contextlib.ExitStack() as outputs:
        out = outputs.enter_context(output(args.output))
        tables = HitTables(outputs, args, "hmmkit scan", args.seqfile, args.hmmdb)
        for result in results:
            write_query_report(
                out, result, scanned=True, alignments=not args.noali, accessions=args.acc,
                textw=args.textw, statistics=args.stats,
            )
            tables.add(result)
        tables.close()
    return 0
