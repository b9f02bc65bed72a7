"""SQUAREM (Varadhan & Roland 2008): squared extrapolation of the EM map, scheme SqS3.

With the EM map ``F`` (one E-step and one M-step) and parameters ``x0`` as a vector
(:class:`~hmmkit.training.parameter_vector.ParameterVector`, raw coordinates by
default), one cycle computes ``x1 = F(x0)``, ``x2 = F(x1)``, ``r = x1 - x0``,
``v = x2 - 2 x1 + x0``, the step ``a = sqrt(r.r / v.v)`` (SqS3) kept within
``[1, step_max]``, and the extrapolated point ``x' = x0 + 2 a r + a^2 v`` (``a = 1``
gives ``x2``). Where ``x'`` is not a valid parameter value the step is halved
towards 1 until it is. The extrapolated point is then stabilised by one more EM
step, as the paper recommends, and the next cycle starts there: three passes per
cycle.

Monotonicity safeguard: the E-step at ``x'`` gives its log-likelihood for free; if
it is below that of ``x1``, ``x'`` is rejected and the cycle continues from ``x2``
(counted in ``monitor.n_fallbacks``). ``step_max`` starts at 1 and is multiplied by
4 each time the step reaches it, and divided by 4 after a rejection at it (the
adaptive step bound of the authors' reference implementation). Every accepted
log-likelihood is reported, so the history never decreases.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from ..stats import Stats
from .alpha import try_e_step
from .monitor import ConvergenceMonitor
from .parameter_vector import ParameterVector

P = TypeVar("P")

#: Growth (and shrink) factor of the upper bound on the step length.
STEP_FACTOR = 4.0


def sqs3_step(r: np.ndarray, v: np.ndarray) -> float:
    """The SqS3 step length ``sqrt(r.r / v.v)`` (1 when the iterates did not move)."""
    rr, vv = float(r @ r), float(v @ v)
    if not (vv > 0.0 and math.isfinite(rr) and math.isfinite(vv)):
        return 1.0
    return math.sqrt(rr / vv)


def squarem(
    e_step: Callable[[P], Stats],
    m_step: Callable[[Stats, P], P],
    params: P,
    monitor: ConvergenceMonitor,
    step_max: float = 1.0,
    stabilize: bool = True,
    coordinates: str = "raw",
) -> P:
    """Train by SQUAREM (SqS3 with the monotonicity safeguard); returns the parameters.

    ``step_max`` is the initial bound on the step length; ``stabilize=False`` starts
    each cycle at the extrapolated point itself instead of one EM step further (two
    passes per cycle instead of three); ``coordinates`` names the vector coordinates
    (``"raw"`` or ``"unconstrained"``, see
    :mod:`~hmmkit.training.parameter_vector`).
    """
    initial_step_max = step_max
    stats: Stats | None = None
    passes = 0
    while True:
        if stats is None:
            stats, passes = e_step(params), passes + 1
        # x1 = F(x0)
        x1 = m_step(stats, params)
        monitor.report(stats.log_likelihood, passes)
        if monitor.done:
            return x1
        stats1 = e_step(x1)
        x2 = m_step(stats1, x1)
        monitor.report(stats1.log_likelihood, 1)
        if monitor.done:
            return x2
        passes = 0
        mapping = ParameterVector([params, x1, x2], coordinates)
        if not mapping.same_support:
            params, stats = x2, None
            continue
        v0, v1, v2 = (mapping.to_vector(p) for p in (params, x1, x2))
        r, v = v1 - v0, v2 - 2.0 * v1 + v0
        step = min(max(sqs3_step(r, v), 1.0), step_max)
        if step == 1.0:  # x' = x2: a plain step
            if step == step_max:
                step_max *= STEP_FACTOR
            params, stats = x2, None
            continue
        candidate = _try_from_vector(mapping, v0 + 2.0 * step * r + step * step * v)
        while candidate is None and step > 1.0:  # back off towards x2 until feasible
            step = max(1.0, 0.5 * (step + 1.0))
            candidate = _try_from_vector(mapping, v0 + 2.0 * step * r + step * step * v)
        stats_c = None if candidate is None else try_e_step(e_step, candidate)
        if candidate is not None:
            passes += 1
        if stats_c is None or stats_c.log_likelihood < stats1.log_likelihood:
            monitor.n_fallbacks += 1
            if step == step_max:
                step_max = max(initial_step_max, step_max / STEP_FACTOR)
            params, stats = x2, None
            continue
        if step == step_max:
            step_max *= STEP_FACTOR
        if stabilize:
            # report x' and move one EM step further
            monitor.report(stats_c.log_likelihood, passes)
            passes = 0
            params, stats = m_step(stats_c, candidate), None
            if monitor.done:
                return params
        else:
            params, stats = candidate, stats_c


def _try_from_vector(mapping: ParameterVector, vector: np.ndarray):
    """Parameters from ``vector``, or None when they are not valid (e.g. overflow)."""
    if not np.all(np.isfinite(vector)):
        return None
    try:
        return mapping.from_vector(vector)
    except (ValueError, np.linalg.LinAlgError):
        return None
