"""``hmmkit align``: HMMER's hmmalign."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from .options import (
    check_outputs,
    output,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "align",
        help="align sequences to a profile HMM (like hmmalign)",
        description="Align the sequences of SEQFILE to the (first) model of HMMFILE and write "
        "the multiple alignment, as HMMER's hmmalign does.",
    )
    p.add_argument("hmmfile", metavar="HMMFILE", help="profile HMM file (HMMER3)")
    p.add_argument("seqfile", metavar="SEQFILE", help="sequences to align (FASTA)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the alignment here (stdout)")
    p.add_argument("--outformat", choices=("stockholm", "a2m"), default="stockholm")
    p.add_argument("--trim", action="store_true", help="leave out residues outside the model")
    p.add_argument("--viterbi", action="store_true", help="Viterbi instead of optimal accuracy")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..align import align
    from ..io.hmmer3 import read_hmmer

    check_outputs({"-o": args.output}, {"HMMFILE": args.hmmfile, "SEQFILE": args.seqfile})
    model = read_hmmer(args.hmmfile)
    aln = align(model, args.seqfile, method="viterbi" if args.viterbi else "oa", trim=args.trim)
    repeated = sorted(n for n, count in Counter(aln.names).items() if count > 1)
    if repeated and args.outformat == "stockholm":
        print(
            f"hmmkit align: warning: {len(repeated)} sequence name(s) occur more than once "
            f"(e.g. {repeated[0]!r}); Stockholm needs unique names, so every name is written "
            "as <index>|<name>",
            file=sys.stderr,
        )
    with output(args.output) as out:
        aln.write(out, args.outformat)
    return 0
