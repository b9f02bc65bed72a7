"""MLLR adaptation of Gaussian means (Leggetter and Woodland), as HTK's HERest/HVite do it.

Every mean of a regression class moves by one affine transform, ``mu' = A mu + b = W xi``
with ``xi = [1, mu]``. With diagonal covariances the transform that maximises the
adaptation data's expected log-likelihood has a closed form row by row: for feature
``i``, ``W_i = G_i^-1 k_i`` with ``G_i = sum_m n_m / var_mi xi_m xi_m^T`` and
``k_i = sum_m o_mi / var_mi xi_m``, where ``n_m`` is component m's occupancy and
``o_m`` the sum of the frames it took. A class's few hundred frames fix its D x (D + 1)
parameters where MAP would move only the components the data visited, so an unseen
speaker's model moves as a whole, towards the speaker, from one pass's hypotheses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: A regression class with fewer frames than this many per transform row shares the
#: global transform (HTK's regression-tree occupation threshold, per parameter).
MIN_FRAMES_PER_PARAMETER = 3.0


def mllr_transform(
    counts: np.ndarray, sums: np.ndarray, means: np.ndarray, variances: np.ndarray
) -> np.ndarray:
    """The (D, D + 1) transform ``W`` (bias first) of one regression class from its
    components' occupancies ``counts`` (K,), frame sums ``sums`` (K, D), current
    ``means`` (K, D) and diagonal ``variances`` (K, D). ValueError when the class's
    statistics cannot fix the transform (too few components or no frames)."""
    k, d = means.shape
    if counts.shape != (k,) or sums.shape != (k, d) or variances.shape != (k, d):
        raise ValueError("counts (K,), sums, means and variances (K, D) must agree")
    if np.any(counts < 0) or np.any(variances <= 0):
        raise ValueError("occupancies must be >= 0 and variances > 0")
    xi = np.column_stack([np.ones(k), means])  # (K, D + 1)
    transform = np.empty((d, d + 1))
    for i in range(d):
        weight = counts / variances[:, i]
        gram = (xi * weight[:, None]).T @ xi
        target = xi.T @ (sums[:, i] / variances[:, i])
        try:
            transform[i] = np.linalg.solve(gram, target)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"the adaptation data cannot fix an MLLR transform over {k} components "
                f"({counts.sum():.1f} frames): too few distinct visited components"
            ) from None
    return transform


def apply_transform(transform: np.ndarray, means: np.ndarray) -> np.ndarray:
    """``W [1, mu]`` for every row of ``means`` (K, D)."""
    return means @ transform[:, 1:].T + transform[:, 0]


def mllr_means(
    counts: np.ndarray,
    sums: np.ndarray,
    means: np.ndarray,
    variances: np.ndarray,
    classes: Sequence[np.ndarray],
) -> np.ndarray:
    """Means (K, D) moved by one transform per regression class (``classes``: arrays of
    component indices); a class with too few frames for its own transform takes the
    global one (of every component), and the means stay as they are when even that has
    too few."""
    k, d = means.shape
    minimum = MIN_FRAMES_PER_PARAMETER * (d + 1)
    out = means.copy()
    global_transform = None
    if counts.sum() >= minimum:
        try:
            global_transform = mllr_transform(counts, sums, means, variances)
        except ValueError:
            global_transform = None
    for members in classes:
        members = np.asarray(members, dtype=np.int64)
        transform = global_transform
        if counts[members].sum() >= minimum:
            try:
                transform = mllr_transform(
                    counts[members], sums[members], means[members], variances[members]
                )
            except ValueError:
                transform = global_transform
        if transform is not None:
            out[members] = apply_transform(transform, means[members])
    return out
