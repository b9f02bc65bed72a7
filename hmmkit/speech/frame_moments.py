"""Mean and variance of the frames of many utterances without joining them.

HCompV's flat start needs the global mean and variance of every training frame (and of
the louder frames). :func:`frame_moments` gives NumPy's ``mean(axis=0)`` and
``var(axis=0)`` of the utterances' frames stacked, bit for bit (the rows are added in
the same order), without building the stacked array and NumPy's temporaries of its
size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..compiling import njit


@njit(cache=True, nogil=True)
def _add_rows(X, floor, selected, centre, sums):
    """Add to ``sums`` the rows of ``X`` (those whose first column is above ``floor``
    when ``selected``), less ``centre`` and squared when ``centre`` has a length;
    returns how many rows were added."""
    n_rows, n_features = X.shape
    squared = len(centre) > 0
    count = 0
    for i in range(n_rows):
        if selected and not X[i, 0] > floor:
            continue
        count += 1
        for d in range(n_features):
            if squared:
                z = X[i, d] - centre[d]
                sums[d] += z * z
            else:
                sums[d] += X[i, d]
    return count


def frame_moments(
    features: Sequence[np.ndarray], floors: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance) over the rows of every array of ``features`` (each
    (n_frames, n_features)), as NumPy gives them of the arrays joined; with ``floors``,
    over the rows of utterance ``i`` whose first feature is above ``floors[i]``."""
    if not features:
        raise ValueError("no frames to take moments of")
    arrays = [np.ascontiguousarray(x, dtype=np.float64) for x in features]
    if len({x.shape[1] if x.ndim == 2 else -1 for x in arrays}) != 1 or arrays[0].ndim != 2:
        raise ValueError("the frames must be (n_frames, n_features) arrays alike")
    if floors is not None and len(floors) != len(arrays):
        raise ValueError(f"need one floor per utterance, got {len(floors)} for {len(arrays)}")
    bounds = [0.0] * len(arrays) if floors is None else [float(f) for f in floors]
    selected = floors is not None
    n_features = arrays[0].shape[1]
    none = np.zeros(0)
    sums = np.zeros(n_features)
    count = sum(_add_rows(x, b, selected, none, sums) for x, b in zip(arrays, bounds, strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / count
    squares = np.zeros(n_features)
    for x, b in zip(arrays, bounds, strict=True):
        _add_rows(x, b, selected, mean, squares)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean, squares / count
