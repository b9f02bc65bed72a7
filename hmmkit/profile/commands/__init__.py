"""The profile HMM subcommands of ``hmmkit``, one module each: HMMER's hmmbuild, hmmsearch,
phmmer, jackhmmer, hmmscan, hmmpress, hmmalign, hmmemit, hmmfetch, hmmstat and hmmconvert."""

from __future__ import annotations

import argparse

from . import align, build, convert, emit, fetch, jackhmmer, phmmer, press, scan, search, stat


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the profile HMM subcommands to the ``hmmkit`` parser."""
    commands = (build, search, phmmer, jackhmmer, scan, press, align, emit, fetch, stat, convert)
    for command in commands:
        command.register(subparsers)
