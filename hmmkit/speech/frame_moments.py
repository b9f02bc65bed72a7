"""Mean and variance of a stack of frames, as NumPy gives them, with no temporaries.

HCompV's flat start needs the global mean and variance of every training frame (and of
the louder frames). NumPy's ``var(axis=0)`` makes two temporaries of the frames' size
(the deviations and their squares). Of a C-contiguous array NumPy adds the rows one
after another, so a compiled loop that does the same gives the same numbers, bit for
bit, in one sweep per moment and without the temporaries; other layouts (NumPy sums
those pairwise) go to NumPy.
"""

from __future__ import annotations

import numpy as np

from ..compiling import njit


@njit(cache=True, nogil=True)
def _row_sums(X, centre, sums):
    """Add the rows of ``X`` to ``sums`` in order, less ``centre`` and squared when
    ``centre`` has a length."""
    n_rows, n_features = X.shape
    squared = len(centre) > 0
    for i in range(n_rows):
        for d in range(n_features):
            if squared:
                z = X[i, d] - centre[d]
                sums[d] += z * z
            else:
                sums[d] += X[i, d]


def frame_moments(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(frames.mean(axis=0), frames.var(axis=0))`` of an (n_frames, n_features) array,
    the same numbers NumPy gives."""
    frames = np.asarray(frames)
    if frames.ndim != 2:
        raise ValueError(f"the frames must be (n_frames, n_features), got {frames.shape}")
    if not (frames.dtype == np.float64 and frames.flags.c_contiguous and len(frames)):
        return frames.mean(axis=0), frames.var(axis=0)
    n_rows, n_features = frames.shape
    sums = np.zeros(n_features)
    _row_sums(frames, np.zeros(0), sums)
    mean = sums / n_rows
    squares = np.zeros(n_features)
    _row_sums(frames, mean, squares)
    return mean, squares / n_rows
