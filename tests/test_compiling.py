"""The compile notice: said on stderr when a process compiles kernels, not when it loads
them from numba's cache; silenced or forced by HMMKIT_COMPILE_NOTICE."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from hmmkit.compiling import KERNEL_SETS, kernel_set

#: One small kernel of the generic HMM set, called once.
SMALL = (
    "import numpy as np; from hmmkit.kernels import markov_chain; "
    "markov_chain(np.ones((1, 1)), 0, np.zeros(2), np.zeros(2, dtype=np.int64))"
)
NOTICE = "hmmkit: compiling the HMM kernels, once per machine: ~4 s\n"


def run(code: str, cache, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "HMMKIT_COMPILE_NOTICE"}
    environment |= {"NUMBA_CACHE_DIR": str(cache), **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=environment)  # fmt: skip


def test_the_notice_comes_with_a_compile_and_not_with_a_cached_kernel(tmp_path):
    first = run(SMALL, tmp_path, HMMKIT_COMPILE_NOTICE="1")
    assert first.stderr == NOTICE
    assert list(tmp_path.rglob("*.nbi")), "numba cached nothing"
    again = run(SMALL, tmp_path, HMMKIT_COMPILE_NOTICE="1")
    assert again.stderr == ""


@pytest.mark.parametrize(("setting", "shown"), [("0", False), (None, False)])
def test_the_notice_is_off_when_silenced_or_off_a_terminal(tmp_path, setting, shown):
    """Standard error is a pipe here: without the variable, no notice (a log file or a
    test's captured output is not a person waiting)."""
    env = {} if setting is None else {"HMMKIT_COMPILE_NOTICE": setting}
    assert run(SMALL, tmp_path, **env).stderr == ""


@pytest.mark.parametrize(("module", "expected"), [
    ("hmmkit.kernels", ("HMM", 4)),
    ("hmmkit.emissions.gaussian", ("HMM", 4)),
    ("hmmkit.profile.dp", ("profile HMM", 30)),
    ("hmmkit.profile.build", ("profile HMM building", 11)),
    ("hmmkit.numeric", ("numeric helper", 0)),
    ("hmmkitx.kernels", None),
    ("numba.np.arrayobj", None),
])  # fmt: skip
def test_kernel_sets_by_module(module, expected):
    assert kernel_set(module) == expected


def test_every_kernel_set_prefix_is_a_module_of_hmmkit():
    """A prefix left behind by a moved module would match nothing and mislabel nothing:
    every listed one must still exist."""
    missing = [prefix for prefix, _, _ in KERNEL_SETS if importlib.util.find_spec(prefix) is None]
    assert missing == []


def test_a_cached_kernel_runs_without_importing_scipy_linalg(tmp_path):
    """numba's BLAS probe would import scipy.linalg (a fifth of a profile command's
    start-up) at the first kernel load; hmmkit's kernels call no BLAS."""
    probe = SMALL + "; import sys; print('scipy.linalg' in sys.modules)"
    run(SMALL, tmp_path)  # compiles and caches
    assert run(probe, tmp_path).stdout.split() == ["False"]


def test_numba_blas_calls_still_work_after_a_kernel_load(tmp_path):
    """A user's own kernel calling np.dot, compiled after hmmkit's loaded: numba finds BLAS
    (its full check runs then) and the product is numpy's."""
    code = (
        SMALL
        + """
import numba, numpy as np, sys
from numba.np import arraymath
@numba.njit
def product(a, b):
    return np.dot(a, b), np.dot(a[0], b[:, 0])
a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
matrix, inner = product(a, b)
print(arraymath._HAVE_BLAS, 'scipy.linalg' in sys.modules,
      np.array_equal(matrix, a @ b), inner == a[0] @ b[:, 0])
"""
    )
    run(SMALL, tmp_path)
    assert run(code, tmp_path).stdout.split() == ["True"] * 4
