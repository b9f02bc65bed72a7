"""``hmmkit jackhmmer``: HMMER's jackhmmer."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os

from ...atomic import atomic_output
from ..search.options import ITERATION_INCLUSION
from ..search.report import write_hit_sections, write_pipeline_statistics
from .options import (
    HitTables,
    add_database_options,
    add_model_options,
    add_pipeline_options,
    check_outputs,
    model_options,
    output,
    output_files,
    pipeline_options,
    read_targets,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "jackhmmer",
        help="search a protein database iteratively from each query (like jackhmmer)",
        description="Search SEQDB with phmmer's model of each protein of QUERYFILE, then "
        "with models built from the alignment of the query and the included domains, round "
        "after round, until a round includes nothing new or -N rounds are done. Each round's "
        "hits are printed; the tables and -A hold the last round's.",
    )
    p.add_argument("queryfile", metavar="QUERYFILE", help="query protein sequences (FASTA)")
    add_database_options(p)
    p.add_argument("-N", type=int, default=5, dest="rounds", help="at most N rounds")
    p.add_argument("--popen", type=float, default=0.02, help="gap open probability (round 1)")
    p.add_argument("--pextend", type=float, default=0.4, help="gap extend probability (round 1)")
    p.add_argument("--chkhmm", metavar="PREFIX", help="save each round's model to PREFIX-<n>.hmm")
    p.add_argument(
        "--chkali", metavar="PREFIX", help="save each round's alignment to PREFIX-<n>.sto"
    )
    add_model_options(p)
    add_pipeline_options(p, "sequences")
    p.set_defaults(func=run, **ITERATION_INCLUSION)


def run(args: argparse.Namespace) -> int:
    from ..alidisplay import AlignmentDisplay
    from ..alphabet import AMINO
    from ..io.fasta import read_fasta
    from ..io.hmmer3 import format_hmmer
    from ..iterate import iterative_search
    from ..search.targets import DigitalSequences

    if args.rounds < 1:
        raise ValueError(f"-N must be at least 1, got {args.rounds}")
    if args.cutoffs:
        raise ValueError(
            f"--cut_{args.cutoffs}: the models jackhmmer builds have no Pfam score "
            "cutoffs; set thresholds with -E/-T/--incE/--incT"
        )
    check_outputs(
        output_files(args),
        {"query file": args.queryfile, "target database SEQDB": args.seqdb},
    )
    queries = read_fasta(args.queryfile)
    if not queries:
        raise ValueError(f"{args.queryfile}: the query file is empty (no FASTA records)")
    records = DigitalSequences(read_targets(args), AMINO)  # once, for every query and round
    for prefix in (args.chkhmm, args.chkali):
        if prefix and not os.path.isdir(os.path.dirname(prefix) or "."):
            raise ValueError(f"checkpoint prefix {prefix}: folder does not exist")
    checkpoints: dict[str, list[str]] = {}  # file -> one text per query, as HMMER appends
    with contextlib.ExitStack() as outputs:
        out = outputs.enter_context(output(args.output))
        tables = HitTables(outputs, args, "hmmkit jackhmmer", args.queryfile, args.seqdb)
        ali = outputs.enter_context(atomic_output(args.alignment)) if args.alignment else None
        for query in queries:
            rounds = iterative_search(
                query, records, max_rounds=args.rounds, popen=args.popen,
                pextend=args.pextend, build_options=model_options(args),
                options=pipeline_options(args), n_jobs=args.cpu,
            )  # fmt: skip
            last = None
            for r in rounds:
                if last is None:  # the query is checked: a refused one prints nothing
                    out.write(f"Query:       {query.name}  [L={r.model.M}]\n")
                    if query.description:
                        out.write(f"Description: {query.description}\n")
                    out.write("\n")
                else:
                    print_round_header(out, r, last)
                if args.chkhmm:
                    checkpoints.setdefault(f"{args.chkhmm}-{r.number}.hmm", []).append(
                        format_hmmer(r.model)
                    )
                if args.chkali:
                    checkpoints.setdefault(f"{args.chkali}-{r.number}.sto", []).append(
                        r.alignment.to_stockholm()
                    )
                display = AlignmentDisplay(r.model)
                write_hit_sections(out, r.hits, False, display, not args.noali, args.acc,
                               args.textw)
                if args.stats:
                    out.write("\n")
                    write_pipeline_statistics(out, r.hits)
                print_round_footer(out, r, last, args.rounds)
                last = r
            # the tables name the query sequence, not the last round's model
            tables.add(dataclasses.replace(last.hits, query_name=query.name))
            if ali is not None:
                last.alignment.write(ali, "stockholm")
                out.write(f"# Alignment of {len(last.alignment)} hits satisfying inclusion "
                          f"thresholds saved to: {args.alignment}\n")  # fmt: skip
            out.write("//\n")
        tables.close()
    for path, texts in checkpoints.items():
        with atomic_output(path) as handle:
            handle.write("".join(texts))
    return 0


def print_round_header(out, r, last) -> None:
    """jackhmmer's block opening a round after the first: the alignment behind its model."""
    targets = len(last.hits.included())
    n = len(last.alignment)
    out.write(f"@@\n@@ Round:                  {r.number}\n")
    out.write(f"@@ Included in MSA:        {n} subsequences (query + {n - 1} subseqs from "
              f"{targets} targets)\n")  # fmt: skip
    out.write(f"@@ Model size:             {r.model.M} positions\n@@\n\n")


def print_round_footer(out, r, last, max_rounds: int) -> None:
    """jackhmmer's lines closing a round: what is new, and whether the search goes on."""
    before = 1 if last is None else len(last.alignment)
    out.write(f"\n@@ New targets included:   {r.n_new}\n")
    out.write(f"@@ New alignment includes: {len(r.alignment)} subseqs (was {before}), "
              "including original query\n")  # fmt: skip
    if r.converged:
        out.write(f"@@\n@@ CONVERGED (in {r.number} rounds). \n@@\n\n")
    elif r.number < max_rounds:
        out.write("@@ Continuing to next round.\n\n")
