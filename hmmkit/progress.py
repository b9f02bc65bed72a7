"""Progress of EM training on the command line: one line per iteration with ``--verbose``,
a progress bar on a terminal, and nothing otherwise (a bar in a log file would be one
endless line of carriage returns)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TextIO

from .training.monitor import IterationReport, observe_iterations


def _line(prefix: str, report: IterationReport) -> str:
    gain = "" if report.iteration == 1 else f"  gain {report.gain:+.6g}"
    return (f"{prefix}: iteration {report.iteration}/{report.n_iter}  log-likelihood "
            f"{report.log_likelihood:.6f}{gain}  {report.seconds:.2f} s")  # fmt: skip


@contextlib.contextmanager
def em_progress(prefix: str, verbose: bool, stream: TextIO | None = None) -> Iterator[None]:
    """Report every EM iteration of the training done inside the block on `stream`
    (standard error): ``PREFIX: iteration i/n  log-likelihood L  gain G  T s`` lines when
    `verbose`, else a tqdm bar when the stream is a terminal, else nothing."""
    stream = stream or sys.stderr
    if verbose:
        starts = 0

        def write(report: IterationReport) -> None:
            nonlocal starts
            starts += report.iteration == 1
            if report.iteration == 1 and starts > 1:  # another initialisation (--restarts)
                print(f"{prefix}: initialisation {starts}", file=stream)
            print(_line(prefix, report), file=stream, flush=True)

        with observe_iterations(write):
            yield
        return
    if not stream.isatty():
        yield
        return
    from tqdm import tqdm

    bars: list[tqdm] = []  # made at the first iteration, when its budget is known

    def advance(report: IterationReport) -> None:
        if not bars:
            bars.append(tqdm(desc=prefix, total=report.n_iter, unit="iter", file=stream,
                             leave=False))  # fmt: skip
        elif report.iteration == 1:  # another initialisation (--restarts)
            bars[0].reset(total=report.n_iter)
        bars[0].set_postfix_str(f"log-likelihood {report.log_likelihood:.6g}", refresh=False)
        bars[0].update()

    try:
        with observe_iterations(advance):
            yield
    finally:
        for bar in bars:
            bar.close()
