"""The `hmmkit` command: subcommands are registered by the parts of the library that own them.

Each command module's ``register(subparsers)`` only declares its options; the work (numba
kernels, scipy, the file readers) is imported when the chosen subcommand runs, so that
``hmmkit --help`` or a usage error answers at once. A command line that names a subcommand
imports and registers only the module that owns it (:data:`COMMAND_OWNERS`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .profile.commands import COMMANDS as PROFILE_COMMANDS
from .version import __version__

# Modules that each define `register(subparsers)`; a subcommand sets `func(args) -> int`.
_COMMAND_MODULES = (
    "hmmkit.commands",
    "hmmkit.profile.commands",
    "hmmkit.speech.commands",
    "hmmkit.warmup",
    "hmmkit.speech.asr_commands",
)
#: Subcommand -> the module whose ``register`` adds it (a test checks this against what
#: the modules of ``_COMMAND_MODULES`` register).
COMMAND_OWNERS: dict[str, str] = {
    **dict.fromkeys(("fit", "adapt", "decode"), "hmmkit.commands"),
    **{name: f"hmmkit.profile.commands.{name}" for name in PROFILE_COMMANDS},
    "recognize": "hmmkit.speech.commands",
    "warmup": "hmmkit.warmup",
    "asr": "hmmkit.speech.asr_commands",
}

#: The errors a command raises for bad input, reported as one line (hmmkit's own errors,
#: ModelFileError and NotFittedError, are ValueErrors). Anything else is an internal error.
USER_ERRORS = (ValueError, TypeError, OSError, KeyError, MemoryError)
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h
EXIT_INTERRUPTED = 130
DEBUG_VARIABLE = "HMMKIT_DEBUG"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every available subcommand, or with only `command`'s (and
    those its module registers with it) when it names one."""
    parser = argparse.ArgumentParser(
        prog="hmmkit", description="Hidden Markov models over sequences."
    )
    parser.add_argument("--version", action="version", version=f"hmmkit {__version__}")
    parser.add_argument(
        "--debug", action="store_true",
        help=f"show the traceback of an error (also: {DEBUG_VARIABLE}=1)",
    )  # fmt: skip
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    owner = COMMAND_OWNERS.get(command or "")
    for name in (owner,) if owner else _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def _named_command(argv: list[str]) -> str | None:
    """The subcommand `argv` runs: its first word, after options that take no value (None
    when it asks for the top-level help or version, or names no subcommand)."""
    for word in argv:
        if word in ("-h", "--help", "--version"):
            return None
        if not word.startswith("-"):
            return word
    return None


def _chosen_parser(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """The (sub)parser of the deepest subcommand `args` chose, e.g. `recognize train`'s."""
    while True:
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = getattr(args, actions[0].dest, None) if actions else None
        if chosen not in (actions[0].choices if actions else {}):
            return parser
        parser = actions[0].choices[chosen]


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse `argv`; an unknown option is named under the usage of the subcommand given."""
    args, extras = parser.parse_known_args(argv)
    if "--debug" in extras:  # also accepted after the subcommand
        extras = [e for e in extras if e != "--debug"]
        args.debug = True
    if extras:
        options = [e for e in extras if e.startswith("-") and e != "-"]
        named = options or extras
        kind = "option" if options else "argument"
        what = f"unrecognized {kind}{'s' * (len(named) > 1)}: {' '.join(named)}"
        _chosen_parser(parser, args).error(what)  # exits with EXIT_USAGE
    return args


def _report(command: str, exc: BaseException) -> int:
    """Print the one-line reason of a failed command; returns the exit code."""
    name = f"hmmkit {command}" if command else "hmmkit"
    if isinstance(exc, KeyboardInterrupt):
        print(f"{name}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    message = " ".join(str(exc).split())  # one line
    if isinstance(exc, MemoryError):
        print(f"{name}: error: out of memory{': ' + message if message else ''}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(exc, USER_ERRORS):
        print(f"{name}: error: {message or type(exc).__name__}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"{name}: internal error: {type(exc).__name__}: {message} (this is a bug in hmmkit: "
        f"please report it with the command line; --debug or {DEBUG_VARIABLE}=1 shows the "
        "traceback)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def _silence_stdout() -> None:
    """After the reader of standard output went away (`| head`): send what is left to
    /dev/null, so that the flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    Called without `argv` (as the ``hmmkit`` program), the process ends right after:
    the objects it made are then left to the operating system rather than to a last
    garbage collection (which costs a fifth of a second after numba has been loaded).
    """
    parser = build_parser(_named_command(sys.argv[1:] if argv is None else argv))
    args = _parse(parser, argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    debug = args.debug or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error
        _silence_stdout()
        code = 0
    except BaseException as exc:
        if debug or isinstance(exc, SystemExit):
            raise
        code = _report(args.command, exc)
    if argv is None:
        import gc

        gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
