"""The profile HMM subcommands of ``hmmkit``, one module each: HMMER's hmmbuild, hmmsearch,
phmmer, jackhmmer, hmmscan, hmmalign, hmmemit, hmmfetch, hmmstat and hmmconvert."""

from __future__ import annotations

import argparse

from . import align, build, convert, emit, fetch, jackhmmer, phmmer, scan, search, stat


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the profile HMM subcommands to the ``hmmkit`` parser."""
    for command in (build, search, phmmer, jackhmmer, scan, align, emit, fetch, stat, convert):
        command.register(subparsers)
