"""``hmmkit build``: HMMER's hmmbuild."""

from __future__ import annotations

import argparse

from ...atomic import atomic_output
from .options import (
    add_model_options,
    check_outputs,
    exclusive_flags,
    model_options,
    seed,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "build",
        help="build a profile HMM from a multiple alignment (like hmmbuild)",
        description="Build a profile HMM from each alignment of a Stockholm, aligned FASTA or "
        "A2M file as HMMER's hmmbuild does, calibrate its E-values and write the models in "
        "HMMER3/f format.",
    )
    p.add_argument("hmmfile", metavar="OUT.hmm", help="output HMM file")
    p.add_argument("msafile", metavar="MSAFILE", help="input alignment")
    p.add_argument("-n", "--name", help="name the model NAME (default: the alignment's)")
    exclusive_flags(p, "alphabet", [
        ("amino", "amino", "the alignment is protein"),
        ("dna", "dna", "the alignment is DNA"),
        ("rna", "rna", "the alignment is RNA"),
    ])  # fmt: skip
    p.add_argument(
        "--informat", choices=("stockholm", "afa", "a2m"), default=None,
        help="the alignment's format (default: from the file name and contents)",
    )  # fmt: skip
    p.add_argument(
        "-O", dest="postmsa", metavar="FILE",
        help="also write the annotated alignment the model was built from (Stockholm)",
    )  # fmt: skip
    p.add_argument("--hand", action="store_true", help="match columns from the #=GC RF line")
    p.add_argument("--symfrac", type=float, default=0.5, help="residue fraction for a match column")
    add_model_options(p)
    p.add_argument(
        "--seed", type=int, default=42,
        help="random seed of the calibration (0: an arbitrary seed, as hmmbuild)",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...textfiles import file_stem, is_stdin
    from ..build import Builder
    from ..io.alignments import read_alignments
    from ..io.hmmer3 import write_hmmer
    from ..msa import AlphabetGuessError

    check_outputs(
        {"OUT.hmm": args.hmmfile, "-O": args.postmsa}, {"input alignment MSAFILE": args.msafile}
    )
    try:
        alignments = read_alignments(
            args.msafile, args.alphabet, format=args.informat, name_from_file=False
        )
    except AlphabetGuessError:
        raise ValueError(f"{args.msafile}: cannot guess the alphabet of the alignment; give it "
                         "with --amino, --dna or --rna") from None  # fmt: skip
    if len(alignments) > 1:  # as hmmbuild: every model is named by its own alignment
        if args.name:
            raise ValueError(
                f"-n/--name names one model, but {args.msafile} holds {len(alignments)} "
                "alignments (each model takes its alignment's name)"
            )
        unnamed = [i + 1 for i, msa in enumerate(alignments) if not msa.name]
        if unnamed:
            raise ValueError(
                f"{args.msafile} holds {len(alignments)} alignments, and alignment "
                f"#{unnamed[0]} has no name (#=GF ID): each needs one to name its model"
            )
    models, annotated = [], []
    for msa in alignments:
        if not (args.name or msa.name) and is_stdin(args.msafile):
            raise ValueError("the alignment read from standard input has no name: pass -n NAME")
        name = args.name or msa.name or file_stem(args.msafile)
        if not (args.name or msa.name) and any(c.isspace() for c in name):
            raise ValueError(
                f"the alignment has no name, and the file name {name!r} that would name the "
                "model has a space: pass -n NAME"
            )
        builder = Builder(
            symfrac=args.symfrac, architecture="hand" if args.hand else "fast",
            seed=seed(args.seed), **model_options(args),
        )  # fmt: skip
        steps = builder.run(msa, name=name, stop_after="calibration")
        models.append(steps.model)
        if args.postmsa:
            annotated.append(builder.annotated_alignment(steps))
    with atomic_output(args.hmmfile) as handle:  # all models, or no file at all
        write_hmmer(models, handle)
    if args.postmsa:
        with atomic_output(args.postmsa) as handle:
            for aln in annotated:
                aln.write(handle)
    for model in models:
        print(f"# {model.name}: {model.M} match states, written to {args.hmmfile}")
    return 0
