"""The convergence monitor: log-likelihood history, passes over the data, convergence."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IterationReport:
    """What a monitor records of one EM iteration: its number (from 1, per start), the
    log-likelihood, the gain over the previous iteration (nan for the first), the seconds
    since the previous report (or since training started) and the iteration budget."""

    iteration: int
    log_likelihood: float
    gain: float
    seconds: float
    n_iter: int


_observer: ContextVar[Callable[[IterationReport], None] | None] = ContextVar(
    "hmmkit_em_observer", default=None
)


@contextlib.contextmanager
def observe_iterations(callback: Callable[[IterationReport], None]) -> Iterator[None]:
    """Call `callback` with an :class:`IterationReport` after every EM iteration of every
    model trained (in this thread or task) inside the ``with`` block."""
    token = _observer.set(callback)
    try:
        yield
    finally:
        _observer.reset(token)


@dataclass
class ConvergenceMonitor:
    """Records the log-likelihood of every EM iteration and decides convergence.

    ``history[i]`` is the log-likelihood of the parameters at the start of
    iteration ``i`` (computed by its E-step), plus their log prior density when the
    model has priors (the objective EM climbs). Training has converged when the last
    gain is below ``tol``; ``tol=-inf`` runs all ``n_iter`` iterations.
    ``n_passes`` counts forward-backward passes over the whole data, so that
    accelerated methods can be compared on work done; ``n_fallbacks`` counts
    accelerated steps that were replaced by a plain EM step.
    """

    tol: float = 1e-2
    n_iter: int = 10
    verbose: bool = False
    history: list[float] = field(default_factory=list)
    n_passes: int = 0
    n_fallbacks: int = 0
    _clock: float = field(default_factory=time.perf_counter, init=False, repr=False,
                          compare=False)  # fmt: skip

    def report(self, log_likelihood: float, passes: int = 1) -> None:
        """Record one iteration's log-likelihood and the passes it cost."""
        self.n_passes += passes
        delta = log_likelihood - self.history[-1] if self.history else float("nan")
        now = time.perf_counter()
        seconds, self._clock = now - self._clock, now
        if self.verbose:
            print(
                f"iter {len(self.history) + 1:4d}  log-likelihood {log_likelihood:.8g}  "
                f"delta {delta:+.4g}  passes {self.n_passes}  {seconds:.2f} s",
                file=sys.stderr,
            )
        self.history.append(float(log_likelihood))
        observer = _observer.get()
        if observer is not None:
            observer(IterationReport(self.iter, float(log_likelihood), delta, seconds,
                                     self.n_iter))  # fmt: skip

    @property
    def iter(self) -> int:
        """Number of iterations recorded."""
        return len(self.history)

    @property
    def converged(self) -> bool:
        """True when the last log-likelihood gain is below ``tol``."""
        return len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol

    @property
    def done(self) -> bool:
        """True when training should stop: converged or out of iterations."""
        return self.converged or self.iter >= self.n_iter
