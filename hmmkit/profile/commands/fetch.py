"""``hmmkit fetch``: HMMER's hmmfetch."""

from __future__ import annotations

import argparse

from .options import (
    check_outputs,
    model_file_command,
    output,
)


def register(subparsers) -> None:
    p = model_file_command(
        subparsers, "fetch", "copy named models out of an HMMER3 file (like hmmfetch)",
        "Copy the models named (by NAME, or by ACC with or without its version) out of an "
        "HMMER3 file, as they are written there (from a binary or HMMER2 file, as HMMER3 "
        "text).", output=True,
    )  # fmt: skip
    p.add_argument("keys", metavar="KEY", nargs="+", help="model name or accession")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.hmmer2 import is_hmmer2_file
    from ..io.hmmer3 import format_hmmer, iter_hmmer, iter_model_texts
    from ..io.hmmer3_binary import is_binary_hmm, iter_hmmer_binary

    if args.output:
        check_outputs({"-o": args.output}, {"HMMFILE": args.hmmfile})
    wanted = set(args.keys)
    found = {}
    if is_binary_hmm(args.hmmfile):  # hmmfetch writes what it reads from a binary file as text
        records = ((format_hmmer(m), m.name, m.accession) for m in iter_hmmer_binary(args.hmmfile))
    elif is_hmmer2_file(args.hmmfile):  # and HMMER2 models converted, as HMMER3 text
        records = ((format_hmmer(m), m.name, m.accession) for m in iter_hmmer(args.hmmfile))
    else:
        records = iter_model_texts(args.hmmfile)
    for text, name, accession in records:
        keys = {name, accession, (accession or "").split(".")[0]} & wanted
        for key in keys:
            found.setdefault(key, text)
        if len(found) == len(wanted):
            break
    missing = [key for key in args.keys if key not in found]
    if missing:
        raise ValueError(f"{args.hmmfile} holds no model named {', '.join(missing)}")
    with output(args.output) as out:
        for key in dict.fromkeys(args.keys):
            out.write(found[key])
    return 0
