"""Checks of estimator settings, each naming the setting and what it must be.

Called by ``fit`` before any data is touched, so that a bad setting is refused in
one line rather than failing later inside numpy or a compiled kernel.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: What ``random_state`` takes: None (fresh entropy), a non-negative seed, or numpy's
#: Generator, SeedSequence or BitGenerator.
RandomState = None | int | np.random.Generator | np.random.SeedSequence | np.random.BitGenerator


def check_count(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int: TypeError unless it is a number, ValueError unless it is a
    whole number (an int, not a float) of at least ``minimum``."""
    wanted = f"{name} must be an integer >= {minimum}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(wanted)
    if not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(wanted)
    return int(value)


def check_tolerance(value, name: str = "tol") -> float:
    """A real number, ``-inf`` allowed (run every iteration); NaN refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got NaN")
    return float(value)


def check_floor_settings(min_covar, var_floor) -> None:
    """Covariance floor settings: ``min_covar`` a positive finite number, ``var_floor``
    None or a non-negative finite number."""
    if not _is_real(min_covar) or not 0 < min_covar < math.inf:
        raise ValueError(f"min_covar must be a positive finite number, got {min_covar!r}")
    if var_floor is not None and (not _is_real(var_floor) or not 0 <= var_floor < math.inf):
        raise ValueError(f"var_floor must be a non-negative finite number, got {var_floor!r}")


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_concentration(value, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A Dirichlet concentration: finite, non-negative, a scalar or broadcastable to
    ``shape`` (1 everywhere means no prior)."""
    return check_prior(value, name, shape, "1 = no prior")


def check_prior(
    value, name: str, shape: tuple[int, ...], neutral: str, non_negative: bool = True
) -> np.ndarray:
    """A prior's parameter as floats: finite, a scalar or broadcastable to ``shape``,
    and non-negative if ``non_negative``; ``neutral`` says which value means no prior."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if non_negative and np.any(array < 0):
        raise ValueError(f"{name} must be non-negative ({neutral}), got {value!r}")
    try:
        np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(
            f"{name} must be a number or broadcast to shape {shape}, got shape {array.shape}"
        ) from None
    return array


def check_fraction(value, name: str, upper: float) -> float:
    """A number in ``[0, upper)``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not 0 <= value < upper:
        raise ValueError(f"{name} must be in [0, {upper:g}), got {value!r}")
    return float(value)


def check_random_state(value: RandomState, name: str = "random_state") -> np.random.Generator:
    """A generator from ``value``: None, a non-negative integer, or a numpy Generator,
    SeedSequence or BitGenerator."""
    if isinstance(value, bool) or isinstance(value, (float, str, bytes)):
        raise TypeError(
            f"{name} must be None, a non-negative integer or a numpy Generator, got {value!r}"
        )
    try:
        return np.random.default_rng(value)
    except (TypeError, ValueError):
        raise (TypeError if not isinstance(value, numbers.Integral) else ValueError)(
            f"{name} must be None, a non-negative integer or a numpy Generator, got {value!r}"
        ) from None
