"""The EM loop, its accelerators, the convergence monitor and the parallel E-step."""

from .baum_welch import baum_welch
from .monitor import ConvergenceMonitor
from .parallel import map_shards, resolve_n_jobs

ALGORITHMS = ("baum-welch",)


def run_em(algorithm: str, e_step, m_step, params, monitor: ConvergenceMonitor, **options):
    """Train with the named algorithm; returns the final parameters."""
    if algorithm == "baum-welch":
        return baum_welch(e_step, m_step, params, monitor)
    raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")


__all__ = [
    "ALGORITHMS",
    "ConvergenceMonitor",
    "baum_welch",
    "map_shards",
    "resolve_n_jobs",
    "run_em",
]
