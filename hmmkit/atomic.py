"""Writing files so that a failure never leaves a half-written one."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from typing import IO


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """A handle whose content replaces ``path`` only when the block completes.

    The content goes to a temporary file beside the target, is flushed to disk and
    renamed over it, so a failure never leaves a half-written file (the temporary
    file is removed) and the previous file, if any, stays intact. An existing file
    keeps its permissions; a target that exists and is not a regular file
    (``/dev/null``, a pipe) is written directly. ``mode`` is ``"w"`` or ``"wb"``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, mode) as handle:
            yield handle
        return
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
    try:
        handle = open(tmp, mode.replace("w", "x"))  # noqa: SIM115 - closed before the rename
    except OSError as err:
        raise OSError(err.errno, f"cannot write {path}: {err.strerror}") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if os.path.isfile(target):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_to(out: str | os.PathLike | IO[str], write: Callable[[IO[str]], None]) -> None:
    """Call ``write`` with ``out`` if it is a text handle, or with a handle on the file at
    the path ``out``, which then is written whole or not at all (:func:`atomic_output`)."""
    if isinstance(out, (str, os.PathLike)):
        with atomic_output(out) as handle:
            write(handle)
    else:
        write(out)
