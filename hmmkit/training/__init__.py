"""The EM loop, its accelerators, the convergence monitor and the parallel E-step."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..lazy import export_lazily

if TYPE_CHECKING:
    from ..stats import Stats
    from .alpha import alpha_em
    from .baum_welch import baum_welch
    from .monitor import ConvergenceMonitor
    from .parallel import map_shards, resolve_n_jobs
    from .squarem import squarem

#: Training algorithms; ``"incremental"`` needs the shards themselves (see ``online``).
ALGORITHMS = ("baum-welch", "alpha", "squarem", "incremental")
P = TypeVar("P")


def run_em(
    algorithm: str,
    e_step: "Callable[[P], Stats]",
    m_step: "Callable[[Stats, P], P]",
    params: P,
    monitor: "ConvergenceMonitor",
    **options: Any,
) -> P:
    """Train with the named algorithm; returns the final parameters.

    Options: ``alpha`` (used by ``"alpha"``, in [-1, 1)); others are ignored.
    """
    if algorithm == "baum-welch":
        from .baum_welch import baum_welch

        return baum_welch(e_step, m_step, params, monitor)
    if algorithm == "alpha":
        from .alpha import alpha_em

        return alpha_em(e_step, m_step, params, monitor, alpha=options.get("alpha", 0.5))
    if algorithm == "squarem":
        from .squarem import squarem

        return squarem(e_step, m_step, params, monitor)
    if algorithm == "incremental":
        raise ValueError("algorithm='incremental' updates after each shard: use incremental_em")
    raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")


export_lazily(__name__, {
    "alpha_em": ".alpha",
    "baum_welch": ".baum_welch",
    "ConvergenceMonitor": ".monitor",
    "map_shards": ".parallel",
    "resolve_n_jobs": ".parallel",
    "squarem": ".squarem",
})  # fmt: skip

__all__ = [
    "ALGORITHMS",
    "ConvergenceMonitor",
    "alpha_em",
    "baum_welch",
    "map_shards",
    "resolve_n_jobs",
    "run_em",
    "squarem",
]
