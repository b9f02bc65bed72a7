"""``hmmkit nhmmer``: HMMER's nhmmer (DNA/RNA queries against long nucleotide targets)."""

from __future__ import annotations

import argparse
import sys

from ...atomic import atomic_output
from .options import check_outputs, seed


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "nhmmer",
        help="search long DNA/RNA sequences with a nucleotide profile (like nhmmer)",
        description="Search both strands of every sequence of TARGET (FASTA) with QUERY, an "
        "HMMER3 DNA/RNA model or an alignment (built as nhmmer builds it). Hits are listed "
        "on standard output and, with --tblout, written in nhmmer's table layout; "
        "coordinates are on the forward strand (alifrom > ali to on the minus strand).",
    )
    p.add_argument("queryfile", metavar="QUERY", help="HMMER3 nucleotide model or alignment")
    p.add_argument("targetfile", metavar="TARGET", help="target DNA/RNA sequences (FASTA)")
    p.add_argument("--tblout", metavar="FILE", help="write nhmmer's hit table to FILE")
    p.add_argument("-E", type=float, default=10.0, help="report hits with E-value <= E")
    p.add_argument("-T", type=float, default=None, help="report hits with bits >= T")
    p.add_argument("--incE", type=float, default=0.01, help="include hits with E <= incE")
    p.add_argument("--incT", type=float, default=None, help="include hits with bits >= incT")
    p.add_argument("-Z", type=float, default=None, help="search space size in Mb (per strand)")
    strands = p.add_mutually_exclusive_group()
    strands.add_argument("--watson", action="store_true", help="search the top strand only")
    strands.add_argument("--crick", action="store_true", help="search the bottom strand only")
    p.add_argument("--max", action="store_true", help="switch off the filters (F1 0.3)")
    p.add_argument("--F1", type=float, default=0.02, help="SSV/MSV filter P-value threshold")
    p.add_argument("--F2", type=float, default=3e-3, help="Viterbi filter P-value threshold")
    p.add_argument("--F3", type=float, default=3e-5, help="Forward filter P-value threshold")
    p.add_argument("--nobias", action="store_true", help="switch off the composition filter")
    for flag, default, stage in (("--B1", 100, "MSV"), ("--B2", 240, "Viterbi"),
                                 ("--B3", 1000, "Forward")):  # fmt: skip
        p.add_argument(flag, type=int, default=default, help=f"bias window of the {stage} filter")
    p.add_argument("--w_length", type=int, default=None, help="model's window length (MAXL)")
    p.add_argument("--block_length", type=int, default=None, help="target block length")
    p.add_argument("--seed", type=int, default=42, help="random seed of domain definition")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..long_target import BLOCK_LENGTH, nhmmer

    check_outputs({"--tblout": args.tblout},
                  {"query file": args.queryfile, "target file": args.targetfile})  # fmt: skip
    results = nhmmer(
        args.queryfile, args.targetfile, E=args.E, T=args.T, incE=args.incE, incT=args.incT,
        Z=args.Z, strand="watson" if args.watson else "crick" if args.crick else "both",
        F1=args.F1, F2=args.F2, F3=args.F3, max=args.max, bias_filter=not args.nobias,
        B1=args.B1, B2=args.B2, B3=args.B3, window_length=args.w_length,
        block_length=args.block_length or BLOCK_LENGTH, seed=seed(args.seed),
    )  # fmt: skip
    write_report(sys.stdout, results, args)
    if args.tblout:
        with atomic_output(args.tblout) as fh:
            results.write_tblout(fh)
            fh.write(
                f"#\n# Program:         hmmkit nhmmer\n# Query file:      {args.queryfile}\n"
                f"# Target file:     {args.targetfile}\n# [ok]\n"
            )
    return 0


def write_report(fh, results, args) -> None:
    """nhmmer's report of one query: its name, the hit list and the pipeline summary."""
    from ..long_target.results import write_hit_list, write_statistics

    fh.write(f"Query:       {results.query_name}  [M={results.query_length}]\n")
    if results.query_accession:
        fh.write(f"Accession:   {results.query_accession}\n")
    write_hit_list(results, fh)
    fh.write("\n\n")
    F = (0.3, 1.0, 1.0) if args.max else (args.F1, args.F2, args.F3)
    write_statistics(results, fh, F)
    fh.write("//\n[ok]\n")
