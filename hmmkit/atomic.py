"""Writing files so that a failure never leaves a half-written one."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import socket
import stat
import time
from collections.abc import Callable, Iterator
from typing import IO

#: A temporary file of a save untouched this long (seconds) is stale whoever made it.
STALE_TEMPORARY_AGE = 24 * 3600
# Write failures of the storage itself, which are reported with the target's path.
_STORAGE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
# This host, in temporary names (so that a pid is only judged on the host that owns it).
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


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
    remove_stale_temporaries(target)
    tmp = os.path.join(folder, f".{name}.{_HOST}-{os.getpid()}.{secrets.token_hex(4)}.tmp")
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
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if err.errno in _STORAGE_ERRORS and err.filename is None:
            raise OSError(err.errno, f"cannot write {path}: {err.strerror}") from err
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_stale_temporaries(target: str | os.PathLike) -> list[str]:
    """Remove the temporary files that interrupted saves of ``target`` left beside it
    (a killed process cannot remove its own); returns their paths.

    Only provably stale ones go: those of a process of this host that no longer runs,
    and any (from another host, or an older naming) untouched for
    :data:`STALE_TEMPORARY_AGE` seconds. A save in progress is never disturbed.
    """
    folder, name = os.path.split(os.path.realpath(target))
    prefix, removed = f".{name}.", []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        middle = entry.name[len(prefix) :]
        if not middle.endswith(".tmp") or not entry.is_file(follow_symlinks=False):
            continue
        owner = _owner(middle[: -len(".tmp")])
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY_AGE
        except OSError:
            continue
        if old or (owner is not None and not _running(owner)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


def _owner(middle: str) -> int | None:
    """The pid in ``HOST-PID.TOKEN`` when HOST is this host, else None."""
    host, _, rest = middle.partition("-")
    pid, _, token = rest.partition(".")
    if host != _HOST or not pid.isdigit() or not token:
        return None
    return int(pid)


def _running(pid: int) -> bool:
    """True unless no process ``pid`` exists (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def write_text_to(out: str | os.PathLike | IO[str], write: Callable[[IO[str]], None]) -> None:
    """Call ``write`` with ``out`` if it is a text handle, or with a handle on the file at
    the path ``out``, which then is written whole or not at all (:func:`atomic_output`)."""
    if isinstance(out, (str, os.PathLike)):
        with atomic_output(out) as handle:
            write(handle)
    else:
        write(out)
