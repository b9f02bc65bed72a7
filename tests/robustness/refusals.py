"""Checks shared by the file and command-line robustness tests.

A bad file must be refused with a ``ValueError`` (``OSError`` when it cannot be opened)
whose message says what is wrong -- never a bare ``UnicodeDecodeError``, a library's own
exception type or a crash. Every outcome is written to the catalogue, also when the check
fails: rows of open defects (tests marked ``xfail``) then show what hmmkit answers today.
"""

from __future__ import annotations

import hashlib
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from catalogue import record, shown
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]

#: Fuzzing settings: modest, reproducible (the same examples on every run), no deadline, no
#: shrinking (the open defects have hand-made minimal reproducers).
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


UTF8_DECODE = "UnicodeDecodeError on non-UTF-8 bytes; message does not name the file"
PRINTABLE = string.printable.encode()


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, paths cut to file names."""
    text = str(exc)
    return shown(text.splitlines()[0]) if text else ""


def is_clear_error(exc: BaseException, allowed=(ValueError, OSError)) -> bool:
    """An exception of an allowed type that is not a bare text-decoding error."""
    return isinstance(exc, allowed) and not isinstance(exc, UnicodeDecodeError)


def refused(area: str, case: str, call, exception=(ValueError,), match: str = "", defect=""):
    """Assert ``call()`` raises ``exception`` (not UnicodeDecodeError) matching ``match``.

    The observed answer goes to the catalogue first; ``defect`` (the one-line description of
    an open defect, for cases marked xfail) is shown next to it.
    """
    try:
        result = call()
    except Exception as exc:  # noqa: BLE001 - every outcome is recorded, then judged
        answer = type(exc).__name__ + (" (open defect)" if defect else "")
        record(area, case, answer, defect or first_line(exc))
        assert is_clear_error(exc, exception), f"{case}: {type(exc).__name__}: {exc}"
        assert re.search(match, str(exc)), f"{case}: message {str(exc)!r} lacks {match!r}"
        return exc
    record(area, case, "accepted (open defect)" if defect else "accepted", defect)
    pytest.fail(f"{case}: accepted, returned {type(result).__name__}")


def mutate(data: st.DataObject, original: bytes) -> bytes:
    """A damaged copy of a text file: truncated, bytes replaced by printable characters,
    or a line deleted, duplicated or swapped with its neighbour."""
    kind = data.draw(st.sampled_from(["truncate", "bytes", "delete", "duplicate", "swap"]))
    if kind == "truncate":
        return original[: data.draw(st.integers(0, len(original) - 1))]
    if kind == "bytes":
        out = bytearray(original)
        changes = st.tuples(st.integers(0, len(out) - 1), st.sampled_from(PRINTABLE))
        for position, value in data.draw(st.lists(changes, min_size=1, max_size=4)):
            out[position] = value
        return bytes(out)
    lines = original.split(b"\n")
    i = data.draw(st.integers(0, len(lines) - 2))
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    else:
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return b"\n".join(lines)


def read_or_refuse(call):
    """The result of ``call()``, or None after checking that it refused clearly."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - judged below
        assert is_clear_error(exc), f"{type(exc).__name__}: {exc}"
        return None


def write(folder: Path, name: str, data: bytes | str) -> Path:
    """Write ``data`` to ``folder/name`` and return the path."""
    path = folder / name
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return path


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, keyed by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_python(
    args: list[str], cwd: Path, timeout: float = 300, **env_vars: str
) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in ``cwd`` with the installed hmmkit; output captured as text."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", **env_vars)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Originals(dict):
    """Named file contents (bytes) with a short repr, so failing examples stay readable."""

    def __repr__(self) -> str:
        return f"Originals({', '.join(sorted(self))})"
