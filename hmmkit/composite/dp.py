"""Compiled DP over composite graphs in sparse (arc-list) form: O(T x arcs) per pass.

Works in log space on a lattice of ``T + 1`` rows: row 0 is before the first frame
(only non-emitting nodes live there, starting from the entry), row ``r`` holds frame
``r - 1``. Arcs into emitting nodes go from row ``r - 1`` to row ``r`` and add that
frame's emission log-likelihood; arcs into non-emitting nodes stay within a row and are
visited in topological order. Like the dense kernels, nothing here knows what the
emissions are: every function takes ``log_b`` (T, n_tied_states).

A beam (HERest's ``-t``, HVite's ``-t``) removes, at every frame, the emitting nodes
whose forward score is more than ``beam`` below the frame's best; the backward pass
runs over the same pruned lattice, so posteriors stay consistent (each frame's
posteriors sum to one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..numeric import log_add
from .graph import CompositeGraph
from .steps import (
    NEG,
    add_emissions,
    instant_max,
    instant_sum,
    prune,
    timed_max,
    timed_sum,
)

_NEG = NEG


@njit(cache=True, nogil=True)
def _forward(node_state, src, dst, logw, n_timed, entry, log_b, beam, alpha):
    alpha[:] = _NEG
    alpha[0, entry] = 0.0
    for r in range(alpha.shape[0]):
        if r > 0:
            timed_sum(alpha, r, src, dst, logw, n_timed)
            add_emissions(alpha, r, node_state, log_b[r - 1])
            prune(alpha, r, node_state, beam)
        instant_sum(alpha, r, src, dst, logw, n_timed)


@njit(cache=True, nogil=True)
def _backward(node_state, src, dst, logw, n_timed, exit_, log_b, alpha, beta):
    n_rows, n_nodes = beta.shape
    beta[:] = _NEG
    last = n_rows - 1
    beta[last, exit_] = 0.0
    for r in range(last, -1, -1):
        if r < last:
            for a in range(n_timed):
                s, d = src[a], dst[a]
                if alpha[r, s] > _NEG and alpha[r + 1, d] > _NEG and beta[r + 1, d] > _NEG:
                    v = logw[a] + log_b[r, node_state[d]] + beta[r + 1, d]
                    beta[r, s] = log_add(beta[r, s], v)
        for a in range(len(src) - 1, n_timed - 1, -1):
            s, d = src[a], dst[a]
            if alpha[r, s] > _NEG and beta[r, d] > _NEG:
                beta[r, s] = log_add(beta[r, s], logw[a] + beta[r, d])


@njit(cache=True, nogil=True)
def _arc_counts(node_state, src, dst, logw, n_timed, log_b, alpha, beta, total, counts):
    n_rows = alpha.shape[0]
    for a in range(len(src)):
        s, d, w = src[a], dst[a], logw[a]
        acc = 0.0
        if a < n_timed:
            for r in range(1, n_rows):
                v = alpha[r - 1, s] + w + beta[r, d]
                if v > _NEG and alpha[r, d] > _NEG:
                    acc += math.exp(v + log_b[r - 1, node_state[d]] - total)
        else:
            for r in range(n_rows):
                v = alpha[r, s] + w + beta[r, d]
                if v > _NEG:
                    acc += math.exp(v - total)
        counts[a] = acc


@njit(cache=True, nogil=True)
def _state_occupancy(node_state, alpha, beta, total, occupancy):
    n_rows, n_nodes = alpha.shape
    for r in range(1, n_rows):
        for n in range(n_nodes):
            g = node_state[n]
            if g >= 0:
                v = alpha[r, n] + beta[r, n]
                if v > _NEG:
                    occupancy[r - 1, g] += math.exp(v - total)


@njit(cache=True, nogil=True)
def _viterbi(node_state, src, dst, logw, n_timed, entry, log_b, beam, delta, back):
    delta[:] = _NEG
    back[:] = -1
    delta[0, entry] = 0.0
    for r in range(delta.shape[0]):
        if r > 0:
            timed_max(delta, back, r, src, dst, logw, n_timed)
            add_emissions(delta, r, node_state, log_b[r - 1])
            prune(delta, r, node_state, beam)
        instant_max(delta, back, r, src, dst, logw, n_timed)


@njit(cache=True, nogil=True)
def _backtrace(back, src, n_timed, exit_):
    """The best path's (row, node) pairs and arcs in time order, read from ``back``."""
    n_rows, n_nodes = back.shape
    capacity = n_rows * (n_nodes + 1) + 1  # a path visits a (row, node) pair at most once
    rows = np.empty(capacity, dtype=np.int64)
    nodes = np.empty(capacity, dtype=np.int64)
    arcs = np.empty(capacity, dtype=np.int64)
    k = 0
    r, n = n_rows - 1, exit_
    while True:
        rows[k] = r
        nodes[k] = n
        a = back[r, n]
        if a < 0:
            break
        arcs[k] = a
        k += 1
        if a < n_timed:
            r -= 1
        n = src[a]
    return rows[: k + 1][::-1].copy(), nodes[: k + 1][::-1].copy(), arcs[:k][::-1].copy()


@dataclass(frozen=True)
class GraphPosteriors:
    """What one forward-backward pass over a graph gives: the log-likelihood, the
    occupancy of every tied state per frame (T, n_tied_states) — summed over all nodes
    that share it — and the expected count of every arc (n_arcs,)."""

    log_likelihood: float
    state_occupancy: np.ndarray
    arc_counts: np.ndarray
    node_posteriors: np.ndarray | None = None


def _check(graph: CompositeGraph, log_b: np.ndarray) -> np.ndarray:
    log_b = np.ascontiguousarray(log_b, dtype=np.float64)
    if log_b.ndim != 2:
        raise ValueError(f"log_b must be (n_frames, n_tied_states), got shape {log_b.shape}")
    needed = int(graph.node_state.max()) + 1
    if log_b.shape[1] < needed:
        raise ValueError(
            f"the graph uses tied state {needed - 1} but log_b has {log_b.shape[1]} columns"
        )
    if np.isnan(log_b).any():
        raise ValueError("log_b holds NaN")
    return log_b


def _check_beam(beam: float) -> float:
    if not beam > 0:
        raise ValueError(f"beam must be positive (np.inf: no pruning), got {beam!r}")
    return float(beam)


def forward_log_likelihood(graph: CompositeGraph, log_b: np.ndarray, beam: float = np.inf) -> float:
    """log P(frames | graph): the forward pass from the entry to the exit."""
    log_b = _check(graph, log_b)
    alpha = np.empty((len(log_b) + 1, graph.n_nodes))
    g = graph
    _forward(
        g.node_state,
        g.arc_src,
        g.arc_dst,
        g.arc_logw,
        g.n_timed,
        g.entry,
        log_b,
        _check_beam(beam),
        alpha,
    )
    return float(alpha[-1, g.exit])


def forward_backward(
    graph: CompositeGraph, log_b: np.ndarray, beam: float = np.inf, node_posteriors: bool = False
) -> GraphPosteriors:
    """Posteriors of the tied states and expected arc counts of one utterance.

    Raises ValueError when no path through the graph fits the frames (e.g. fewer frames
    than the transcript's units need, or everything pruned by the beam).
    """
    log_b = _check(graph, log_b)
    beam = _check_beam(beam)
    g = graph
    alpha = np.empty((len(log_b) + 1, g.n_nodes))
    _forward(g.node_state, g.arc_src, g.arc_dst, g.arc_logw, g.n_timed, g.entry, log_b, beam, alpha)
    total = lattice_total(graph, alpha, beam)
    beta, counts = lattice_backward(graph, log_b, alpha, total)
    occupancy = np.zeros((len(log_b), log_b.shape[1]))
    _state_occupancy(g.node_state, alpha, beta, total, occupancy)
    nodes = None
    if node_posteriors:
        with np.errstate(invalid="ignore"):
            nodes = np.exp(alpha[1:] + beta[1:] - total)
        nodes[:, g.node_state < 0] = 0.0
    return GraphPosteriors(total, occupancy, counts, nodes)


def lattice_total(graph: CompositeGraph, alpha: np.ndarray, beam: float = np.inf) -> float:
    """The exit's score in the last row of a forward (or Viterbi) lattice; ValueError
    when no path reached it."""
    total = float(alpha[-1, graph.exit])
    if total == _NEG:
        raise ValueError(
            f"no path through the graph fits {len(alpha) - 1} frames"
            + ("" if beam == np.inf else f" within the beam {beam}")
        )
    return total


def lattice_backward(
    graph: CompositeGraph, log_b: np.ndarray, alpha: np.ndarray, total: float
) -> tuple[np.ndarray, np.ndarray]:
    """The backward lattice over the nodes a forward lattice ``alpha`` kept, and the
    expected count of every arc. ``log_b`` is read only at the (frame, state) pairs of
    alive emitting nodes, so entries elsewhere may hold anything (e.g. never computed)."""
    g = graph
    beta = np.empty_like(alpha)
    args = (g.node_state, g.arc_src, g.arc_dst, g.arc_logw, g.n_timed)
    _backward(*args, g.exit, log_b, alpha, beta)
    counts = np.empty(g.n_arcs)
    _arc_counts(*args, log_b, alpha, beta, total, counts)
    return beta, counts


@dataclass(frozen=True)
class GraphPath:
    """The best path: its log-score, the emitting node of every frame, every node passed
    with its lattice row (row r: after frame r-1), in time order, and the arcs taken."""

    log_prob: float
    frame_nodes: np.ndarray
    rows: np.ndarray
    nodes: np.ndarray
    arcs: np.ndarray


def viterbi(graph: CompositeGraph, log_b: np.ndarray, beam: float = np.inf) -> GraphPath:
    """The most likely path from the entry to the exit (ValueError if there is none)."""
    log_b = _check(graph, log_b)
    g = graph
    n_rows = len(log_b) + 1
    delta = np.empty((n_rows, g.n_nodes))
    back = np.empty((n_rows, g.n_nodes), dtype=np.int64)
    _viterbi(
        g.node_state,
        g.arc_src,
        g.arc_dst,
        g.arc_logw,
        g.n_timed,
        g.entry,
        log_b,
        _check_beam(beam),
        delta,
        back,
    )
    return best_path(g, delta, back)


def best_path(graph: CompositeGraph, delta: np.ndarray, back: np.ndarray) -> GraphPath:
    """The path read back from a Viterbi lattice (scores ``delta``, arcs ``back``)."""
    score = lattice_total(graph, delta)
    rows_arr, nodes_arr, arcs_arr = _backtrace(back, graph.arc_src, graph.n_timed, graph.exit)
    emitting = graph.node_state[nodes_arr] >= 0
    return GraphPath(score, nodes_arr[emitting], rows_arr, nodes_arr, arcs_arr)
