"""``hmmkit press``: HMMER's hmmpress."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "press", help="prepare a profile HMM database for fast scans (like hmmpress)",
        description="Write HMMFILE.h3m (the models in HMMER3 binary), HMMFILE.hkf (their MSV "
        "filter profiles), HMMFILE.hkp (their later filters' profiles) and HMMFILE.hki (the "
        "index) beside an HMMER3 file; hmmkit scan then reads those instead of the text, "
        "and says when they are stale.",
    )  # fmt: skip
    p.add_argument("hmmfile", metavar="HMMFILE", help="profile HMM file (HMMER3 text)")
    p.add_argument("-f", dest="force", action="store_true", help="overwrite pressed files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..press import press, pressed_paths

    database = press(args.hmmfile, force=args.force)
    paths = pressed_paths(args.hmmfile)
    print(f"Pressed and indexed {database.n_models} HMMs ({database.n_nodes} match states).")
    print(f"Models pressed into binary file:   {paths['models']}")
    print(f"MSV filter profiles pressed into:  {paths['filters']}")
    print(f"Later filters' profiles into:      {paths['profiles']}")
    print(f"Index written to:                  {paths['index']}")
    return 0
