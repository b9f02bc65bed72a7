"""``hmmkit convert``: HMMER's hmmconvert (HMMER3 text and binary model files; HMMER2 files
read)."""

from __future__ import annotations

import argparse
import contextlib
import sys

from ...atomic import atomic_output
from .options import check_outputs, model_file_command


def register(subparsers) -> None:
    p = model_file_command(
        subparsers, "convert", "convert a profile HMM file between formats (like hmmconvert)",
        "Write the models of an HMMER3 (text or binary) or HMMER2 file as HMMER3/f text (-a, the "
        "default) or HMMER3/f binary (-b), to standard output or -o FILE.", output=True,
    )  # fmt: skip
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("-a", dest="binary", action="store_false", help="HMMER3/f text (default)")
    kind.add_argument("-b", dest="binary", action="store_true", help="HMMER3/f binary")
    p.set_defaults(func=run, binary=False)


@contextlib.contextmanager
def _destination(path: str | None, binary: bool):
    if path:
        with atomic_output(path, "wb" if binary else "w") as handle:
            yield handle
    else:
        yield sys.stdout.buffer if binary else sys.stdout


def run(args: argparse.Namespace) -> int:
    from ..io.hmmer3 import format_hmmer, iter_hmmer
    from ..io.hmmer3_binary import format_hmmer_binary

    if args.output:
        check_outputs({"-o": args.output}, {"HMMFILE": args.hmmfile})
    models = list(iter_hmmer(args.hmmfile))  # every model read before anything is written
    alphabets = {model.alphabet.name for model in models}
    if len(alphabets) > 1:
        raise ValueError(f"{args.hmmfile} mixes alphabets ({', '.join(sorted(alphabets))})")
    with _destination(args.output, args.binary) as out:
        for model in models:
            out.write(format_hmmer_binary(model) if args.binary else format_hmmer(model))
        out.flush()
    return 0
