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
    p.add_argument(
        "--mapali", metavar="MSAFILE",
        help="include the alignment the model was built from, its sequences aligned as in it",
    )  # fmt: skip
    p.add_argument("--trim", action="store_true", help="leave out residues outside the model")
    p.add_argument("--viterbi", action="store_true", help="Viterbi instead of optimal accuracy")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..align import align
    from ..io.hmmer3 import read_hmmer

    inputs = {"HMMFILE": args.hmmfile, "SEQFILE": args.seqfile}
    if args.mapali:
        inputs["--mapali MSAFILE"] = args.mapali
    check_outputs({"-o": args.output}, inputs)
    model = read_hmmer(args.hmmfile)
    mapali = None
    if args.mapali:
        from ..io.alignments import read_alignment
        from ..mapali import check_mapali

        mapali = read_alignment(args.mapali, model.alphabet)
        check_mapali(model, mapali, f"--mapali alignment {args.mapali}")
    aln = align(
        model, args.seqfile, method="viterbi" if args.viterbi else "oa", trim=args.trim,
        mapali=mapali,
    )  # fmt: skip
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
