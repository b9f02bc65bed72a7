"""One lattice row of the sparse DP at a time: the steps the forward and Viterbi passes
are made of.

A pass over a composite graph repeats, for every row ``r`` of the lattice: arcs into
emitting nodes from row ``r - 1`` (:func:`timed_sum` / :func:`timed_max`), the frame's
emission log-likelihoods (:func:`add_emissions`), the beam (:func:`prune`), then arcs
into non-emitting nodes within the row (:func:`instant_sum` / :func:`instant_max`).
:mod:`.dp` runs these with a full ``log_b``; a caller that computes emission
log-likelihoods on demand runs the same steps and scores only the nodes alive after
:func:`timed_sum` (those :func:`alive_states` lists), so a pruned pass costs
emissions for the beam's states, not for every state of the graph.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..numeric import log_add

NEG = -np.inf


@njit(cache=True, nogil=True)
def timed_sum(score, r, src, dst, logw, n_timed):
    """Row ``r`` of the emitting nodes: log-sums over the frame-consuming arcs."""
    for a in range(n_timed):
        v = score[r - 1, src[a]]
        if v > NEG:
            d = dst[a]
            score[r, d] = log_add(score[r, d], v + logw[a])


@njit(cache=True, nogil=True)
def timed_max(score, back, r, src, dst, logw, n_timed):
    """Row ``r`` of the emitting nodes: best frame-consuming arc, kept in ``back``."""
    for a in range(n_timed):
        v = score[r - 1, src[a]] + logw[a]
        d = dst[a]
        if v > score[r, d]:
            score[r, d] = v
            back[r, d] = a


@njit(cache=True, nogil=True)
def instant_sum(score, r, src, dst, logw, n_timed):
    """Row ``r`` of the non-emitting nodes, in topological order (log-sums)."""
    for a in range(n_timed, len(src)):
        v = score[r, src[a]]
        if v > NEG:
            d = dst[a]
            score[r, d] = log_add(score[r, d], v + logw[a])


@njit(cache=True, nogil=True)
def instant_max(score, back, r, src, dst, logw, n_timed):
    """Row ``r`` of the non-emitting nodes, in topological order (best arcs)."""
    for a in range(n_timed, len(src)):
        v = score[r, src[a]] + logw[a]
        d = dst[a]
        if v > score[r, d]:
            score[r, d] = v
            back[r, d] = a


@njit(cache=True, nogil=True)
def alive_states(score, r, node_state, out):
    """Tied states of the emitting nodes alive in row ``r`` into ``out``; returns how
    many (a state shared by several nodes may be listed more than once)."""
    k = 0
    for n in range(score.shape[1]):
        if node_state[n] >= 0 and score[r, n] > NEG:
            out[k] = node_state[n]
            k += 1
    return k


@njit(cache=True, nogil=True)
def add_emissions(score, r, node_state, log_b_row):
    """Add the frame's emission log-likelihoods to the alive emitting nodes of row ``r``."""
    for n in range(score.shape[1]):
        if node_state[n] >= 0 and score[r, n] > NEG:
            score[r, n] += log_b_row[node_state[n]]


@njit(cache=True, nogil=True)
def prune(score, row, node_state, beam):
    """Remove the emitting nodes of ``row`` more than ``beam`` below its best."""
    best = NEG
    for n in range(score.shape[1]):
        if node_state[n] >= 0 and score[row, n] > best:
            best = score[row, n]
    if beam < np.inf and best > NEG:
        floor = best - beam
        for n in range(score.shape[1]):
            if node_state[n] >= 0 and score[row, n] < floor:
                score[row, n] = NEG
