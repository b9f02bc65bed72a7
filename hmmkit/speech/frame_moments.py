"""Mean and variance of the frames of many utterances, as NumPy gives them of the frames
stacked, without stacking them.

HCompV's flat start needs the global mean and variance of every training frame (and of
the louder frames). Stacking them copies every frame (tens of MB, fresh memory), and
NumPy's ``var(axis=0)`` makes two temporaries of that size. Of a C-contiguous stack
(float64, two or more features) NumPy adds the rows one after another, so a compiled
loop that adds each utterance's rows in turn gives the same numbers, bit for bit, with
no copy. A stack of C-contiguous arrays is C-contiguous, and so is a stack of rows
picked by a mask; any other stack (e.g. of F-ordered arrays, which NumPy sums
pairwise) is made and handed to NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..compiling import njit


@njit(cache=True, nogil=True)
def _add_rows(X, floor, selected, centre, sums):
    """Add to ``sums`` the rows of ``X`` in order (when ``selected``, those whose first
    column is above ``floor``), less ``centre`` and squared when ``centre`` has a
    length; returns how many rows were added."""
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
    """``(stack.mean(axis=0), stack.var(axis=0))`` of the utterances' frames (each
    (n_frames, n_features)) stacked, or with ``floors`` of the rows of utterance ``i``
    whose first feature is above ``floors[i]`` stacked: the numbers NumPy gives."""
    if len(features) == 0:
        raise ValueError("no frames to take moments of")
    if floors is not None and len(floors) != len(features):
        raise ValueError(f"need one floor per utterance, got {len(floors)} for {len(features)}")
    selected = floors is not None
    bounds = [float(f) for f in floors] if selected else [0.0] * len(features)
    shapes = {np.shape(x)[1:] if np.ndim(x) == 2 else None for x in features}
    direct = (
        len(shapes) == 1
        and None not in shapes
        and next(iter(shapes))[0] > 1
        and all(
            isinstance(x, np.ndarray)
            and x.dtype == np.float64
            and (selected or x.flags.c_contiguous)
            for x in features
        )
    )
    if not direct:
        parts = [
            np.asarray(x)[np.asarray(x)[:, 0] > b] if selected else x
            for x, b in zip(features, bounds, strict=True)
        ]
        stack = np.concatenate(parts)
        return stack.mean(axis=0), stack.var(axis=0)
    n_features = features[0].shape[1]
    none = np.zeros(0)
    sums = np.zeros(n_features)
    count = 0
    for x, b in zip(features, bounds, strict=True):
        count += _add_rows(x, b, selected, none, sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / count
    squares = np.zeros(n_features)
    for x, b in zip(features, bounds, strict=True):
        _add_rows(x, b, selected, mean, squares)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean, squares / count
