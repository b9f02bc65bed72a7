"""Extrapolated Gaussian moments kept valid: the α-EM repair of the Gaussian families.

α-EM extrapolates the weighted moments ``n``, ``s1``, ``s2`` of Gaussian components
along their last change. A state whose extrapolated moments would give a component a
count that is not positive (or below half its current count) or a covariance that is
not positive definite gets its current moments back (ω = 0 for that state); a tied
covariance mixes its group's states, so they revert together.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .base import EMPTY_COUNT
from .kinds import MIN_COUNT_FRACTION, MOMENT, revert_states

#: The statistics of a bank of Gaussian components, all extrapolated as moments.
MOMENT_STATISTICS = {"n": MOMENT, "s1": MOMENT, "s2": MOMENT}


def _scatter(n, s1, s2, diagonal: bool) -> np.ndarray:
    """Covariance numerators about each component's own mean, (C, D) or (C, D, D)."""
    safe = np.where(n > 0, n, 1.0)
    mean = s1 / safe[:, None]
    if diagonal:
        return s2 - s1 * mean
    lower = np.tril(s2)
    full = lower + np.swapaxes(np.tril(s2, -1), -1, -2)
    return full - np.einsum("ci,cj->cij", s1, mean)


def _positive_definite(matrices: np.ndarray) -> np.ndarray:
    """Per-matrix positive definiteness of a (G, D, D) stack."""
    ok = np.empty(len(matrices), dtype=bool)
    for i, matrix in enumerate(matrices):
        try:
            np.linalg.cholesky(matrix)
            ok[i] = np.all(np.isfinite(matrix))
        except np.linalg.LinAlgError:
            ok[i] = False
    return ok


def valid_moment_states(
    current: Mapping[str, np.ndarray],
    combined: Mapping[str, np.ndarray],
    covariance_type: str,
    groups: np.ndarray,
    n_states: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per state: do the extrapolated moments give positive counts and covariances?
    Returns the per-state mask and the state of every component."""
    n, s1, s2 = combined["n"], combined["s1"], combined["s2"]
    n_components = len(n)
    state = np.arange(n_components) // max(n_components // n_states, 1)
    bad = (n <= EMPTY_COUNT) | (n < MIN_COUNT_FRACTION * current["n"])
    diagonal = s2.ndim == 2
    scatter = _scatter(n, s1, s2, diagonal)
    if diagonal:
        bad |= ~np.all(scatter > 0, axis=1)
    elif covariance_type == "tied":
        n_groups = int(groups.max()) + 1
        group_scatter = np.zeros((n_groups,) + scatter.shape[1:])
        np.add.at(group_scatter, groups, scatter)
        bad_group = ~_positive_definite(group_scatter)
        bad |= bad_group[groups]
        # a tied covariance mixes its group's states: revert all of them together
        bad |= np.isin(groups, np.unique(groups[bad]))
    else:
        bad |= ~_positive_definite(scatter)
    bad_state = np.zeros(n_states, dtype=bool)
    bad_state[state[bad]] = True
    return ~bad_state, state


def repair_moments(current, combined, covariance_type: str, groups, n_states: int) -> dict:
    """``combined`` with the moments of every state that fails
    :func:`valid_moment_states` set back to ``current``."""
    valid, state = valid_moment_states(current, combined, covariance_type, groups, n_states)
    return revert_states(current, combined, valid[state], tuple(MOMENT_STATISTICS))
