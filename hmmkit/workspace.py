"""Reusable scratch arrays, one set per thread.

Large fresh arrays cost page faults every time they are touched; an E-step that
allocates its frame-by-state matrices anew for every shard and iteration spends
much of its time there. A :class:`Workspace` hands out views of buffers that
grow to the largest request and are then reused. Arrays from a workspace are
only valid until the next request under the same key, so they must not escape
the function that asked for them.
"""

from __future__ import annotations

import math
import threading

import numpy as np

#: Buffers above this many elements are handed out but not kept for reuse.
MAX_KEPT_ELEMENTS = 4 * 2**20


class Workspace:
    """Named scratch buffers for one thread (those above :data:`MAX_KEPT_ELEMENTS`
    elements are not kept)."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, key: str, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
        """An uninitialised array of ``shape`` backed by the buffer named ``key``."""
        size = math.prod(shape)
        buffer = self._buffers.get(key)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = np.empty(size, dtype=dtype)
            if size <= MAX_KEPT_ELEMENTS:
                self._buffers[key] = buffer
        return buffer[:size].reshape(shape)


class WorkspacePool:
    """One :class:`Workspace` per thread, for the lifetime of one computation."""

    def __init__(self) -> None:
        self._by_thread: dict[int, Workspace] = {}
        self._lock = threading.Lock()

    def get(self) -> Workspace:
        """The calling thread's workspace."""
        ident = threading.get_ident()
        workspace = self._by_thread.get(ident)
        if workspace is None:
            with self._lock:
                workspace = self._by_thread.setdefault(ident, Workspace())
        return workspace
