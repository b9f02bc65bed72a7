"""The profile HMM subcommands of ``hmmkit``, one module each: HMMER's hmmbuild, hmmsearch,
phmmer, jackhmmer, nhmmer, hmmscan, hmmpress, hmmalign, hmmemit, hmmfetch, hmmstat and
hmmconvert."""

from __future__ import annotations

import argparse
import importlib

#: The subcommands, in the order ``hmmkit --help`` lists them; each is the module of its name.
COMMANDS = ("build", "search", "phmmer", "jackhmmer", "nhmmer", "scan", "press", "align", "emit",
            "fetch", "stat", "convert")  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the profile HMM subcommands to the ``hmmkit`` parser."""
    for command in COMMANDS:
        importlib.import_module(f"{__name__}.{command}").register(subparsers)
