"""Allowed transitions: ergodic, left-right (Bakis) or a user mask.

A topology is a pair of boolean masks: which states may start a sequence and
which transitions may occur. Entries outside the masks are structural zeros and
stay exactly zero through training.
"""

from __future__ import annotations

import numpy as np

TOPOLOGIES = ("ergodic", "left-right")


def topology_masks(
    n_states: int, topology: str | np.ndarray = "ergodic", max_jump: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """``(start_mask (K,), transition_mask (K, K))`` for a named topology or a user mask.

    ``"left-right"`` is Bakis: start in state 0, move from i to any j with
    ``i <= j <= i + max_jump``. A user mask is a (K, K) boolean transition mask
    (every state may start) or a pair ``(start_mask, transition_mask)``.
    """
    if isinstance(topology, str):
        if topology == "ergodic":
            return np.ones(n_states, bool), np.ones((n_states, n_states), bool)
        if topology == "left-right":
            if int(max_jump) != max_jump or max_jump < 1:
                raise ValueError(f"max_jump must be an integer >= 1, got {max_jump!r}")
            i, j = np.indices((n_states, n_states))
            start = np.zeros(n_states, bool)
            start[0] = True
            return start, (j >= i) & (j - i <= max_jump)
        raise ValueError(
            f"topology must be one of {TOPOLOGIES} or a boolean mask, got {topology!r}"
        )
    if isinstance(topology, tuple) and len(topology) == 2:
        start, trans = (np.asarray(m, dtype=bool) for m in topology)
    else:
        trans = np.asarray(topology, dtype=bool)
        start = np.ones(n_states, bool)
    if trans.shape != (n_states, n_states) or start.shape != (n_states,):
        raise ValueError(
            f"topology mask must be ({n_states}, {n_states}) (and start mask ({n_states},)), "
            f"got {trans.shape} and {start.shape}"
        )
    if not start.any():
        raise ValueError("topology start mask allows no state to start a sequence")
    if not trans.any(axis=1).all():
        bad = int(np.flatnonzero(~trans.any(axis=1))[0])
        raise ValueError(f"topology mask allows no transition out of state {bad}")
    return start, trans


def uniform_over(mask: np.ndarray) -> np.ndarray:
    """Probabilities uniform over the allowed entries of each row of ``mask``."""
    mask = mask.astype(float)
    return mask / mask.sum(axis=-1, keepdims=True)


def random_over(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Probabilities drawn from a flat Dirichlet over the allowed entries of each row."""
    draws = rng.gamma(1.0, size=mask.shape) * mask
    return draws / draws.sum(axis=-1, keepdims=True)
