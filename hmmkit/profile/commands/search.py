"""``hmmkit search``: HMMER's hmmsearch."""

from __future__ import annotations

import argparse
import contextlib

from ...atomic import atomic_output
from ..search.report import write_query_report
from .options import (
    HitTables,
    add_database_options,
    add_pipeline_options,
    check_outputs,
    output,
    output_files,
    pipeline_options,
    read_targets,
    save_alignment,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "search",
        help="search a sequence database with profile HMMs (like hmmsearch)",
        description="Search every sequence of a FASTA database with each model of an HMMER3 "
        "file; hits are listed on standard output and, with --tblout/--domtblout, written in "
        "hmmsearch's per-target/per-domain table layouts.",
    )
    p.add_argument("hmmfile", metavar="HMMFILE", help="query profile HMM file (HMMER3)")
    add_database_options(p)
    add_pipeline_options(p, "sequences")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.hmmer3 import iter_hmmer

    return search_each(args, iter_hmmer(args.hmmfile), "hmmkit search", args.hmmfile)


def search_each(args: argparse.Namespace, models, program: str, query_file: str) -> int:
    """Search the database SEQDB with each query model in turn (read one at a time):
    hits and domains on standard output (or -o FILE), tables and -A alignments to their files."""
    from ..alidisplay import AlignmentDisplay
    from ..search import search
    from ..search.scoring import check_query_model
    from ..search.targets import DigitalSequences

    check_outputs(
        output_files(args),
        {"query file": query_file, "target database SEQDB": args.seqdb},
    )
    records = read_targets(args)
    options = pipeline_options(args)
    first = None
    with contextlib.ExitStack() as outputs:
        out = outputs.enter_context(output(args.output))
        tables = HitTables(outputs, args, program, query_file, args.seqdb)
        ali = outputs.enter_context(atomic_output(args.alignment)) if args.alignment else None
        for model in models:
            try:
                check_query_model(model, first, query_file)
            except ValueError as err:  # as hmmsearch: one alphabet
                raise ValueError(f"{err}; search the models of each alphabet separately (no "
                                 "table was written)") from None  # fmt: skip
            if first is None:  # the database is digitized once, for every query
                first, records = model, DigitalSequences(records, model.alphabet)
            results = search(model, records, options=options, n_jobs=args.cpu)
            write_query_report(
                out, results, display=AlignmentDisplay(model), alignments=not args.noali,
                accessions=args.acc, textw=args.textw, statistics=args.stats,
            )
            if ali is not None:
                save_alignment(ali, results, args.alignment, out)
            tables.add(results)
        tables.close()
    return 0
