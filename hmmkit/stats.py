"""Sufficient statistics as values: named arrays that add, subtract and scale."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np


class Stats(Mapping[str, np.ndarray]):
    """Expected counts from an E-step over some sequences.

    Holds named float arrays (``start``, ``trans`` and the emission's own) with the
    total log-likelihood, the number of sequences and frames they came from. Two
    Stats over disjoint data add to the Stats of their union; the M-step consumes
    the sum. Arithmetic combines arrays only; ``log_likelihood`` and counts add
    under ``+`` and are kept from the left operand under scaling.
    """

    __slots__ = ("_arrays", "log_likelihood", "n_sequences", "n_frames")

    def __init__(
        self,
        arrays: Mapping[str, np.ndarray],
        log_likelihood: float = 0.0,
        n_sequences: int = 0,
        n_frames: int = 0,
    ) -> None:
        self._arrays = dict(arrays)
        self.log_likelihood = float(log_likelihood)
        self.n_sequences = int(n_sequences)
        self.n_frames = int(n_frames)

    def __getitem__(self, key: str) -> np.ndarray:
        return self._arrays[key]

    def __iter__(self):
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __add__(self, other: Stats) -> Stats:
        self._check_keys(other)
        return Stats(
            {k: v + other[k] for k, v in self._arrays.items()},
            self.log_likelihood + other.log_likelihood,
            self.n_sequences + other.n_sequences,
            self.n_frames + other.n_frames,
        )

    def scaled(self, factor: float) -> Stats:
        """Every array multiplied by ``factor``."""
        return Stats(
            {k: v * factor for k, v in self._arrays.items()},
            self.log_likelihood,
            self.n_sequences,
            self.n_frames,
        )

    def __sub__(self, other: Stats) -> Stats:
        self._check_keys(other)
        return Stats(
            {k: v - other[k] for k, v in self._arrays.items()},
            self.log_likelihood,
            self.n_sequences,
            self.n_frames,
        )

    def _check_keys(self, other: Stats) -> None:
        if set(self._arrays) != set(other._arrays):
            raise ValueError("cannot combine statistics of different models")

    def __reduce__(self):
        return (Stats, (self._arrays, self.log_likelihood, self.n_sequences, self.n_frames))

    def __repr__(self) -> str:
        names = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self._arrays.items())
        return f"Stats({names}; log_likelihood={self.log_likelihood:.6g})"


def sum_stats(parts: Iterable[Stats]) -> Stats:
    """Sum of statistics, in the order given (added into one set of new arrays)."""
    parts = iter(parts)
    first = next(parts, None)
    if first is None:
        raise ValueError("no statistics to sum")
    arrays = {k: np.array(v, dtype=np.result_type(v, np.float64)) for k, v in first.items()}
    log_likelihood, n_sequences, n_frames = first.log_likelihood, first.n_sequences, first.n_frames
    for part in parts:
        first._check_keys(part)
        for k, total in arrays.items():
            np.add(total, part[k], out=total)
        log_likelihood += part.log_likelihood
        n_sequences += part.n_sequences
        n_frames += part.n_frames
    return Stats(arrays, log_likelihood, n_sequences, n_frames)
