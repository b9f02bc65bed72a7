"""The profile HMM subcommands of ``hmmkit``, one module each: HMMER's hmmbuild, hmmsearch,
phmmer, jackhmmer, nhmmer, hmmscan, hmmpress, hmmalign, hmmemit, hmmfetch, hmmstat and
hmmconvert."""

from __future__ import annotations

import argparse

from . import (
    align,
    build,
    convert,
    emit,
    fetch,
    jackhmmer,
    nhmmer,
    phmmer,
    press,
    scan,
    search,
    stat,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the profile HMM subcommands to the ``hmmkit`` parser."""
    commands = (build, search, phmmer, jackhmmer, nhmmer, scan, press, align, emit, fetch, stat,
                convert)  # fmt: skip
    for command in commands:
        command.register(subparsers)
