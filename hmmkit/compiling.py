"""Compiled kernels: the project's compile options in one decorator, and a note on stderr
when a process compiles.

numba compiles a kernel the first time it runs with given argument types and caches the
machine code beside the source (``__pycache__``, or ``NUMBA_CACHE_DIR``), so the wait
happens once per machine. When it does, :func:`njit`'s listener says so on stderr --
``hmmkit: compiling the profile HMM kernels, once per machine: ~30 s`` -- at the first
compile of the process: on a terminal or in a notebook, or wherever
``HMMKIT_COMPILE_NOTICE=1``; ``HMMKIT_COMPILE_NOTICE=0`` silences it. A kernel loaded from
the cache triggers nothing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import defaultdict

NOTICE_VARIABLE = "HMMKIT_COMPILE_NOTICE"

#: Module prefix -> (kernel set, typical compile CPU seconds of a command's first run,
#: measured by benchmarks/startup.py --cold; the first prefix that matches counts). The
#: small helpers of every set (0 s) are recorded but not announced: the kernel after them
#: says which set is compiling.
KERNEL_SETS: tuple[tuple[str, str, float], ...] = (
    ("hmmkit.special", "numeric helper", 0),
    ("hmmkit.numeric", "numeric helper", 0),
    ("hmmkit.profile.build", "profile HMM building", 11),
    ("hmmkit.profile.msa", "profile HMM building", 11),
    ("hmmkit.profile", "profile HMM", 30),
    ("hmmkit", "HMM", 4),
)


def kernel_set(module: str) -> tuple[str, float] | None:
    """(name, typical compile seconds) of the kernel set of `module`; None outside hmmkit."""
    for prefix, name, seconds in KERNEL_SETS:
        if module == prefix or module.startswith(prefix + "."):
            return name, seconds
    return None


def _notice_wanted() -> bool:
    setting = os.environ.get(NOTICE_VARIABLE, "")
    if setting:
        return setting != "0"
    return sys.stderr is not None and (sys.stderr.isatty() or "ipykernel" in sys.modules)


class CompileRecord:
    """Compiles seen in this process: per kernel set, how many top-level kernel
    specialisations were compiled and the seconds they took."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, name: str, seconds: float) -> None:
        """Count one compiled specialisation of set `name`."""
        self.counts[name] += 1
        self.seconds[name] += seconds


#: What this process compiled (read by ``hmmkit warmup``).
RECORD = CompileRecord()
_installed = False
_lock = threading.Lock()


def _listener():
    """A numba event listener: announce the first compile, record every top-level one."""
    from numba.core import event

    class CompileNotice(event.Listener):
        def __init__(self) -> None:
            self.stack: list[tuple[str | None, float]] = []
            self.announced = False

        def on_start(self, ev) -> None:
            found = kernel_set(getattr(ev.data["dispatcher"].py_func, "__module__", "") or "")
            outermost = not self.stack
            self.stack.append((found[0] if found and outermost else None, time.process_time()))
            if found and found[1] and outermost and not self.announced and _notice_wanted():
                self.announced = True
                print(f"hmmkit: compiling the {found[0]} kernels, once per machine: "
                      f"~{found[1]:.0f} s", file=sys.stderr, flush=True)  # fmt: skip

        def on_end(self, ev) -> None:
            name, started = self.stack.pop()
            if name is not None:
                RECORD.add(name, time.process_time() - started)

    return CompileNotice()


def install_notice() -> None:
    """Listen to numba's compile events (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        from numba.core import event

        event.register("numba:compile", _listener())
        _installed = True


_numpy_support_loaded = False


def load_numpy_support() -> None:
    """Import numba's NumPy implementations without importing scipy.linalg (once).

    numba imports ``numba.np.arraymath`` at a process's first kernel load or compile, and
    that module asks at import whether BLAS is there (``_HAVE_BLAS``, which picks how
    ``np.dot`` of two vectors compiles) by importing ``scipy.linalg`` -- about 0.17 s of CPU,
    a fifth of a profile command's start-up, where no kernel calls BLAS. Here the question
    is answered by whether scipy is installed; numba's full check (the import and its
    integer-width test) still runs when a kernel compiles a BLAS or LAPACK call, and a
    compiled call imports scipy.linalg when it runs.
    """
    global _numpy_support_loaded
    if _numpy_support_loaded:
        return
    import importlib.util

    from numba.core.compiler_lock import global_compiler_lock

    with global_compiler_lock:  # numba types BLAS calls under this lock
        _numpy_support_loaded = True
        if "numba.np.arraymath" in sys.modules:
            return
        from numba.np import linalg

        def scipy_installed() -> None:
            if importlib.util.find_spec("scipy") is None:
                raise ImportError("scipy is not installed")

        check = getattr(linalg, "ensure_blas", None)
        if check is not None:  # else a numba without the probe: import as it does
            linalg.ensure_blas = scipy_installed
        try:
            import numba.np.arraymath  # noqa: F401
        finally:
            if check is not None:
                linalg.ensure_blas = check


def njit(*args, **options):
    """``numba.njit`` with the project's defaults (``cache=True``: compiled once per machine;
    ``nogil=True``: kernels run on several threads; ``no_cfunc_wrapper=True``: kernels are
    not passed to other kernels as function values), the compile notice installed and
    numba's NumPy support loaded without scipy (:func:`load_numpy_support`)."""
    import numba

    install_notice()
    load_numpy_support()
    options.setdefault("cache", True)
    options.setdefault("nogil", True)
    # no C-callable wrapper (only first-class function values need one): less to compile
    options.setdefault("no_cfunc_wrapper", True)
    return numba.njit(*args, **options)


def njit_inner(function=None, **options):
    """:func:`njit` for a helper that only other kernels call: numba compiles no CPython
    wrapper for it (less to compile: the wrapper would be built for the helper and again
    within every kernel that calls it), and calling it from Python raises TypeError
    instead of running code that has no such entry point."""
    options["no_cpython_wrapper"] = True

    def decorate(func):
        dispatcher = njit(**options)(func)
        if dispatcher is not func:  # func itself under NUMBA_DISABLE_JIT
            dispatcher.__class__ = _compiled_only_class(type(dispatcher))
        return dispatcher

    return decorate if function is None else decorate(function)


_COMPILED_ONLY: dict[type, type] = {}


def _compiled_only_class(base: type) -> type:
    """A subclass of numba's dispatcher class `base` that refuses calls from Python."""
    if base not in _COMPILED_ONLY:

        def __call__(self, *args, **kwargs):
            raise TypeError(
                f"{self.py_func.__module__}.{self.py_func.__qualname__} runs inside compiled "
                "kernels only; it cannot be called from Python"
            )

        _COMPILED_ONLY[base] = type(f"CompiledOnly{base.__name__}", (base,), {"__call__": __call__})
    return _COMPILED_ONLY[base]
