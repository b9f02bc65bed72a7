"""The `hmmkit` command: subcommands are registered by the parts of the library that own them."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules that each define `register(subparsers)`; a subcommand sets `func(args) -> int`.
_COMMAND_MODULES = ("hmmkit.commands", "hmmkit.profile.commands", "hmmkit.speech.commands")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="hmmkit", description="Hidden Markov models over sequences."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush at exit
        return 1
    except (ValueError, OSError, KeyError) as exc:
        print(f"hmmkit {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
