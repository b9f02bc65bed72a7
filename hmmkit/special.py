"""Special functions needed where importing scipy.special would cost more than the work.

:func:`gammaln` evaluates the C library's ``lgamma`` (the one Python's :func:`math.lgamma`
uses) in a compiled loop: its callers (profile priors, log-factorial tables) run compiled
kernels anyway, and scipy.special's import time is saved on their start-up paths.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .compiling import njit


# compiled at its first call, not at import (an explicit signature would compile it
# eagerly, in every process that imports this module); gammaln passes one type only
@njit(cache=True, nogil=True)
def _lgamma(values, out):
    for i in range(values.shape[0]):
        out[i] = math.lgamma(values[i])  # inf at the poles 0, -1, -2, ...


def gammaln(x: ArrayLike) -> np.ndarray:
    """log |Gamma(x)| of every element of `x`, as a float64 array of its shape."""
    values = np.asarray(x, dtype=np.float64)
    out = np.empty(values.shape)
    _lgamma(np.ascontiguousarray(values.reshape(-1)), out.reshape(-1))
    return out
