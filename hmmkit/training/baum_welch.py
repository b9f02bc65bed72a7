"""Plain Baum-Welch (EM) iterations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..stats import Stats
from .monitor import ConvergenceMonitor

P = TypeVar("P")


def baum_welch(
    e_step: Callable[[P], Stats],
    m_step: Callable[[Stats, P], P],
    params: P,
    monitor: ConvergenceMonitor,
) -> P:
    """Iterate E- and M-steps until ``monitor`` says done; returns the last parameters.

    Each iteration records the log-likelihood of the parameters it started from
    and then applies the M-step (as hmmlearn does).
    """
    while not monitor.done:
        stats = e_step(params)
        params = m_step(stats, params)
        monitor.report(stats.log_likelihood)
    return params
