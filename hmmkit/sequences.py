"""Variable-length sequence batches: one frame array plus offsets.

Every public entry point accepts either a list of per-sequence arrays or one
concatenated array with ``lengths`` (hmmlearn's convention); both become a
:class:`SequenceBatch` after validation.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .numeric import MAX_MAGNITUDE, all_within

#: What the estimators take as data: one array of frames (cut by ``lengths``) or a list
#: of per-sequence arrays.
Sequences = ArrayLike | Sequence[ArrayLike]

#: Sequences are grouped into shards of about this many frames for the E-step.
SHARD_FRAMES = 4096


@dataclass(frozen=True)
class SequenceBatch:
    """Frames of many sequences stored back to back.

    ``X`` is ``(n_frames, n_features)`` float64 for continuous data or ``(n_frames,)``
    int64 for symbols; sequence ``i`` is ``X[offsets[i]:offsets[i + 1]]``.
    Optional annotations travel with the frames into every shard: ``weights``, one
    non-negative weight per sequence, and ``log_prior``, an ``(n_frames, n_states)``
    log weight of every state at every frame (``-inf``: the state is not allowed);
    see :mod:`hmmkit.training.annotations`.
    """

    X: np.ndarray
    offsets: np.ndarray
    weights: np.ndarray | None = None
    log_prior: np.ndarray | None = None

    @property
    def n_sequences(self) -> int:
        """Number of sequences."""
        return len(self.offsets) - 1

    @property
    def n_frames(self) -> int:
        """Total number of frames."""
        return int(self.offsets[-1])

    @property
    def lengths(self) -> np.ndarray:
        """Length of each sequence."""
        return np.diff(self.offsets)

    @property
    def starts(self) -> np.ndarray:
        """First frame of each sequence (``offsets`` without its final end)."""
        return self.offsets[:-1]

    @classmethod
    def pack(cls, sequences: Sequence[np.ndarray], dtype=None) -> SequenceBatch:
        """Per-sequence arrays back to back in one batch (converted to `dtype` if given)."""
        offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in sequences], out=offsets[1:])
        if len(sequences):
            X = np.concatenate(sequences)
        else:
            X = np.zeros(0, dtype=dtype or np.float64)
        return cls(X if dtype is None else np.ascontiguousarray(X, dtype=dtype), offsets)

    def sequence(self, i: int) -> np.ndarray:
        """The frames of sequence ``i``."""
        return self.X[self.offsets[i] : self.offsets[i + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(self.n_sequences):
            yield self.sequence(i)

    def subset(self, start: int, stop: int) -> SequenceBatch:
        """Sequences ``start..stop-1`` as a batch sharing this batch's memory."""
        lo, hi = self.offsets[start], self.offsets[stop]
        return SequenceBatch(
            self.X[lo:hi],
            self.offsets[start : stop + 1] - lo,
            None if self.weights is None else self.weights[start:stop],
            None if self.log_prior is None else self.log_prior[lo:hi],
        )

    def shards(self, max_frames: int = SHARD_FRAMES) -> list[SequenceBatch]:
        """Contiguous groups of whole sequences of at most ``max_frames`` frames each.

        A sequence longer than ``max_frames`` forms a shard of its own. The grouping
        depends only on the lengths, so serial and parallel runs sum the same shards
        in the same order.
        """
        bounds = [0]
        start_frame = 0
        for i in range(1, self.n_sequences):
            if self.offsets[i + 1] - start_frame > max_frames:
                bounds.append(i)
                start_frame = self.offsets[i]
        bounds.append(self.n_sequences)
        return [self.subset(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _offsets_from_lengths(lengths: Sequence[int] | np.ndarray, n_frames: int) -> np.ndarray:
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise ValueError("lengths must be a non-empty 1-D sequence of integers")
    if not np.issubdtype(lengths.dtype, np.integer):
        if not np.all(np.mod(lengths, 1) == 0):
            raise ValueError("lengths must hold integers")
    lengths = lengths.astype(np.int64)
    if np.any(lengths <= 0):
        bad = int(np.flatnonzero(lengths <= 0)[0])
        raise ValueError(
            f"lengths[{bad}] = {lengths[bad]}: every sequence needs at least one frame"
        )
    if lengths.sum() != n_frames:
        raise ValueError(
            f"lengths sum to {lengths.sum()} but X has {n_frames} frames (to cross-validate, "
            "pass a list of sequences: scikit-learn's splitters then divide whole sequences)"
        )
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def _split_input(
    X, lengths, frame_width: int | None = None
) -> tuple[list[np.ndarray] | np.ndarray, np.ndarray | None]:
    """Return either a list of arrays (list input) or one array plus offsets."""
    if isinstance(X, SequenceBatch):
        return X.X, X.offsets
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        X = list(X)  # an object array of sequences, as scikit-learn's splitters index it
    if isinstance(X, (list, tuple)):
        if lengths is not None:
            raise ValueError("pass either a list of sequences or X with lengths, not both")
        if len(X) == 0:
            raise ValueError("X is an empty list: at least one sequence is needed")
        _refuse_nested_rows(X, frame_width)
        return [np.asarray(x) for x in X], None
    arr = np.asarray(X)
    if arr.ndim == 0 or arr.dtype == object:
        raise TypeError(
            f"X must be an array of frames or a list of sequences (arrays), got {type(X).__name__}"
        )
    if arr.size == 0:
        raise ValueError("X is empty: at least one sequence with one frame is needed")
    if lengths is None:
        return arr, np.array([0, len(arr)], dtype=np.int64)
    return arr, _offsets_from_lengths(lengths, len(arr))


def _is_number(value) -> bool:
    return isinstance(value, (numbers.Number, np.number)) and not isinstance(value, bool)


def _refuse_nested_rows(X: list | tuple, frame_width: int | None = None) -> None:
    """Refuse plain lists that look like one ``(n_frames, n_features)`` array.

    hmmkit reads a list as one sequence per item; hmmlearn reads a nested list of
    numbers as a single array of frames. A flat list of numbers, or a list of equally
    long rows of numbers, would silently mean one-frame (or equally short) sequences
    here, so it is refused with the two unambiguous spellings. ``frame_width`` is the
    number of values a frame has when the family fixes it (1 for symbols): rows of any
    other length cannot be frames, and are read as sequences.
    """
    hint = "pass np.asarray(X) for one sequence, or a list of arrays for several sequences"
    if all(_is_number(x) for x in X):
        raise ValueError(f"X is a flat list of {len(X)} numbers, not a list of sequences: {hint}")
    if len(X) > 1 and all(isinstance(x, (list, tuple)) for x in X):
        widths = {len(x) for x in X}
        if len(widths) != 1 or not all(_is_number(v) for x in X for v in x):
            return
        width = widths.pop()
        if frame_width is not None and width != frame_width:
            return  # rows of this length cannot be frames: they are sequences
        raise ValueError(
            f"X is a nested list of {len(X)} equally long rows of numbers, which hmmkit "
            f"would read as {len(X)} sequences of {width} frames (hmmlearn as one array "
            f"of frames): {hint}"
        )


def as_continuous_batch(
    X, lengths=None, *, n_features: int | None = None, name: str = "X"
) -> SequenceBatch:
    """Validate real-valued sequences and return them as a batch of float64 frames.

    A 1-D sequence is read as one feature per frame. Raises ValueError for an empty
    input, a zero-length sequence, NaN/inf or values beyond ``MAX_MAGNITUDE`` (1e150),
    mismatched dimensionality or lengths.
    """
    data, offsets = _split_input(X, lengths)
    if offsets is None:
        seqs = []
        for i, x in enumerate(data):
            x = _as_2d_float(x, f"{name}[{i}]")
            if len(x) == 0:
                raise ValueError(f"{name}[{i}] has zero frames: every sequence needs one frame")
            seqs.append(x)
        dims = {x.shape[1] for x in seqs}
        if len(dims) > 1:
            raise ValueError(f"{name}: sequences have different numbers of features {sorted(dims)}")
        frames = np.ascontiguousarray(np.concatenate(seqs), dtype=np.float64)
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in seqs])]).astype(np.int64)
    else:
        frames = np.ascontiguousarray(_as_2d_float(data, name), dtype=np.float64)
    if not all_within(frames.reshape(-1), MAX_MAGNITUDE):
        _refuse_unrepresentable(frames, offsets, name)
    if n_features is not None and frames.shape[1] != n_features:
        raise ValueError(
            f"{name} has {frames.shape[1]} features per frame but the model expects {n_features}"
        )
    return SequenceBatch(frames, offsets)


def _refuse_unrepresentable(frames: np.ndarray, offsets: np.ndarray, name: str) -> None:
    """Raise ValueError naming the first frame that is NaN, infinite or too large."""
    finite = np.all(np.isfinite(frames), axis=1)
    if not np.all(finite):
        bad = int(np.flatnonzero(~finite)[0])
        problem = "contains NaN or infinite values"
    else:
        bad = int(np.flatnonzero(np.any(np.abs(frames) > MAX_MAGNITUDE, axis=1))[0])
        problem = (
            f"holds values beyond +-{MAX_MAGNITUDE:g} (largest {np.abs(frames).max():.3g}), "
            "whose squares leave the range of double precision: rescale the data"
        )
    seq = int(np.searchsorted(offsets, bad, side="right") - 1)
    raise ValueError(f"{name} {problem} (sequence {seq}, frame {bad - offsets[seq]})")


def as_count_batch(
    X, lengths=None, *, n_features: int | None = None, name: str = "X"
) -> SequenceBatch:
    """Validate sequences of non-negative integer counts ``(T, n_features)`` (integers, or
    floats with integral values) and return them as a batch of float64 frames."""
    batch = as_continuous_batch(X, lengths, n_features=n_features, name=name)
    flat = batch.X.reshape(-1)
    negative = np.flatnonzero(flat < 0)
    if len(negative):
        raise ValueError(f"{name} must hold counts, but contains {flat[negative[0]]:g} (< 0)")
    fractional = np.flatnonzero(flat != np.floor(flat))
    if len(fractional):
        raise ValueError(f"{name} must hold whole counts, but contains {flat[fractional[0]]:g}")
    return batch


def _as_2d_float(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n_frames, n_features), got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    return x


def as_symbol_batch(
    X, lengths=None, *, n_symbols: int | None = None, name: str = "X"
) -> SequenceBatch:
    """Validate integer symbol sequences (each ``(T,)`` or ``(T, 1)``) as an int64 batch.

    Raises ValueError for an empty input, zero-length sequences, non-integer,
    negative or out-of-range symbols.
    """
    data, offsets = _split_input(X, lengths, frame_width=1)
    if offsets is None:
        seqs = []
        for i, x in enumerate(data):
            x = _as_1d_symbols(x, f"{name}[{i}]")
            if len(x) == 0:
                raise ValueError(f"{name}[{i}] has zero frames: every sequence needs one frame")
            seqs.append(x)
        symbols = np.concatenate(seqs)
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in seqs])]).astype(np.int64)
    else:
        symbols = _as_1d_symbols(data, name)
    if symbols.min() < 0:
        raise ValueError(f"{name} contains negative symbols (minimum {symbols.min()})")
    if n_symbols is not None and symbols.max() >= n_symbols:
        raise ValueError(
            f"{name} contains symbol {symbols.max()} but the model has n_symbols={n_symbols}"
        )
    return SequenceBatch(np.ascontiguousarray(symbols, dtype=np.int64), offsets)


def _as_1d_symbols(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(
            f"{name} must hold one symbol per frame, shape (T,) or (T, 1); got {x.shape}"
        )
    if np.issubdtype(x.dtype, np.integer):
        return x.astype(np.int64, copy=False)
    if np.issubdtype(x.dtype, np.floating):
        if not np.all(np.isfinite(x)) or np.any(np.mod(x, 1) != 0):
            raise ValueError(f"{name} must hold integer symbols, found non-integer values")
        return x.astype(np.int64)
    raise TypeError(f"{name} must hold integer symbols, got dtype {x.dtype}")
