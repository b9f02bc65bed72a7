"""The E-step of embedded training: statistics of utterances over their composite graphs.

Emission log-likelihoods are computed on demand, as HERest does: the forward (or
Viterbi) pass runs row by row with the steps of :mod:`hmmkit.composite.steps`, and a
(frame, tied state) pair is scored only when an emitting node of that state is alive
in the beam at that frame; every pair is scored once, however many nodes share the
state. The backward pass reads the same pairs. Statistics are accumulated only where
a node has posterior mass, from the component posteriors kept when the pair was
scored. With an infinite beam every reachable pair is scored and the statistics equal
those of a full ``log_b`` (see the tests); a beam saves the emissions of the pruned
states, which in a left-to-right utterance graph are most of them.

A shard's statistics are a plain value (:class:`EmbeddedStats`) that adds, so shards
run on threads (:func:`~hmmkit.training.parallel.map_shards`) or on a Dask cluster
alike (:mod:`.embedded_backends`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..compiling import njit
from ..composite import CompositeGraph
from ..composite.dp import best_path, lattice_backward, lattice_total
from ..composite.steps import (
    NEG,
    add_emissions,
    alive_states,
    instant_max,
    instant_sum,
    prune,
    timed_max,
    timed_sum,
)
from ..numeric import exp_nonpositive, log_positive
from ..workspace import Workspace
from .acoustic_model import SILENCE, AcousticModel

_LOG_2PI = math.log(2.0 * math.pi)
#: Reassociation lets the loops over features vectorise (no "nnan": NaN marks an
#: unscored pair).
_FAST = {"reassoc", "contract"}
#: Posteriors below this are not accumulated: a frame's statistics lose less than this
#: share of its weight (most alive nodes of a beam carry far less).
MIN_OCCUPANCY = 1e-12
#: Frames scored at a time for a state found alive and not yet scored.
SCORE_BLOCK = 4


@dataclass
class EmbeddedStats:
    """Sufficient statistics of a set of utterances: component moments, expected counts of
    the tied transitions, log-likelihood and frames (values that add)."""

    moments: dict[str, np.ndarray]
    transitions: np.ndarray
    log_likelihood: float = 0.0
    n_frames: int = 0
    skipped: list[str] = field(default_factory=list)

    def __add__(self, other: EmbeddedStats) -> EmbeddedStats:
        return EmbeddedStats(
            {k: v + other.moments[k] for k, v in self.moments.items()},
            self.transitions + other.transitions,
            self.log_likelihood + other.log_likelihood,
            self.n_frames + other.n_frames,
            self.skipped + other.skipped,
        )


def sum_embedded_stats(parts: Sequence[EmbeddedStats]) -> EmbeddedStats:
    """The sum of shards' statistics in the order given."""
    if not parts:
        raise ValueError("no statistics to sum")
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


# ------------------------------------------------------------------ compiled kernels


@njit(cache=True, nogil=True, fastmath=_FAST)
def _score_states(X, t0, states, n_states, tables, penalty, penalised, log_b, post, scratch):
    """log_b[t, g] (a mixture of diagonal Gaussians) and its components' posteriors for
    the states ``states[:n_states]`` and the :data:`SCORE_BLOCK` frames from ``t0``
    (``X`` is padded by a block), the exponentials of them all at once; a penalised
    state pays ``penalty[t]``."""
    means, inv_sd, log_norm = tables
    _, values, peak, totals, log_totals = scratch
    n_mix, n_features = means.shape[1], means.shape[2]
    size = min(SCORE_BLOCK, log_b.shape[0] - t0)
    for q in range(n_states):
        g = states[q]
        for i in range(SCORE_BLOCK):
            best = NEG
            for j in range(n_mix):
                total = 0.0
                for d in range(n_features):
                    z = (X[t0 + i, d] - means[g, j, d]) * inv_sd[g, j, d]
                    total += z * z
                v = log_norm[g, j] - 0.5 * total
                values[q, i, j] = v
                best = max(best, v)
            peak[q, i] = best
            shift = best if best > NEG else 0.0
            for j in range(n_mix):
                values[q, i, j] -= shift
    if n_mix == 1:  # one component: its log-density is the state's, its posterior one
        _store_single(t0, states, n_states, size, peak, penalty, penalised, log_b, post)
        return
    used = values[:n_states].reshape(-1)
    exp_nonpositive(used)
    for q in range(n_states):
        for i in range(SCORE_BLOCK):
            total = 0.0
            for j in range(n_mix):
                total += values[q, i, j]
            totals[q, i] = total
            log_totals[q * SCORE_BLOCK + i] = total
    # a total of 0 (every component impossible) gives -inf
    log_positive(log_totals[: n_states * SCORE_BLOCK])
    for q in range(n_states):
        g = states[q]
        for i in range(size):
            t = t0 + i
            inverse = 1.0 / totals[q, i] if totals[q, i] > 0.0 else 0.0
            for j in range(n_mix):
                post[t, g, j] = values[q, i, j] * inverse
            log_b[t, g] = peak[q, i] + log_totals[q * SCORE_BLOCK + i]
            if penalised[g]:
                log_b[t, g] -= penalty[t]


@njit(cache=True, nogil=True)
def _store_single(t0, states, n_states, size, peak, penalty, penalised, log_b, post):
    """:func:`_score_states`' results for one-component mixtures (no exponentials)."""
    for q in range(n_states):
        g = states[q]
        for i in range(size):
            t = t0 + i
            post[t, g, 0] = 1.0 if peak[q, i] > NEG else 0.0
            log_b[t, g] = peak[q, i]
            if penalised[g]:
                log_b[t, g] -= penalty[t]


@njit(cache=True, nogil=True)
def _score_alive(score, r, node_state, X, tables, penalty, penalised, log_b, post, scratch):
    """Score the states of the emitting nodes alive in row ``r`` where frame ``r - 1`` is
    not scored yet (a block of frames at a time: a state stays alive for several)."""
    states = scratch[0]
    t = r - 1
    n_alive = alive_states(score, r, node_state, states)
    n_new = 0
    for i in range(n_alive):
        g = states[i]
        if math.isnan(log_b[t, g]):
            log_b[t, g] = 0.0  # listed once, however many nodes share the state
            states[n_new] = g
            n_new += 1
    if n_new > 0:
        _score_states(X, t, states, n_new, tables, penalty, penalised, log_b, post, scratch)


@njit(cache=True, nogil=True)
def _scratch(n_nodes, tables):
    """Buffers of :func:`_score_alive`: alive states, and per state and frame of a block
    the components' values, their maximum, their sum and its log."""
    n_mix = tables[0].shape[1]
    return (
        np.empty(n_nodes, dtype=np.int64),
        np.empty((n_nodes, SCORE_BLOCK, n_mix)),
        np.empty((n_nodes, SCORE_BLOCK)),
        np.empty((n_nodes, SCORE_BLOCK)),
        np.empty(n_nodes * SCORE_BLOCK),
    )


@njit(cache=True, nogil=True)
def _scored_forward(graph_arrays, entry, beam, X, tables, penalty, penalised, log_b, post, alpha):
    node_state, src, dst, logw, n_timed = graph_arrays
    scratch = _scratch(alpha.shape[1], tables)
    alpha[:] = NEG
    alpha[0, entry] = 0.0
    for r in range(alpha.shape[0]):
        if r > 0:
            timed_sum(alpha, r, src, dst, logw, n_timed)
            _score_alive(alpha, r, node_state, X, tables, penalty, penalised, log_b, post, scratch)
            add_emissions(alpha, r, node_state, log_b[r - 1])
            prune(alpha, r, node_state, beam)
        instant_sum(alpha, r, src, dst, logw, n_timed)


@njit(cache=True, nogil=True)
def _scored_viterbi(
    graph_arrays, entry, beam, X, tables, penalty, penalised, log_b, post, delta, back
):
    node_state, src, dst, logw, n_timed = graph_arrays
    scratch = _scratch(delta.shape[1], tables)
    delta[:] = NEG
    back[:] = -1
    delta[0, entry] = 0.0
    for r in range(delta.shape[0]):
        if r > 0:
            timed_max(delta, back, r, src, dst, logw, n_timed)
            _score_alive(delta, r, node_state, X, tables, penalty, penalised, log_b, post, scratch)
            add_emissions(delta, r, node_state, log_b[r - 1])
            prune(delta, r, node_state, beam)
        instant_max(delta, back, r, src, dst, logw, n_timed)


@njit(cache=True, nogil=True, fastmath=_FAST)
def _add_frame(X, t, g, weight, post, ref, n, s1, s2):
    """Frame t with weight ``weight`` on state g, shared by its components' posteriors."""
    n_mix, n_features = ref.shape[1], ref.shape[2]
    for j in range(n_mix):
        w = weight * post[t, g, j]
        c = g * n_mix + j
        n[c] += w
        for d in range(n_features):
            diff = X[t, d] - ref[g, j, d]
            wd = w * diff
            s1[c, d] += wd
            s2[c, d] += wd * diff


@njit(cache=True, nogil=True)
def _accumulate_lattice(X, node_state, alpha, beta, total, post, ref, n, s1, s2):
    """Moments of every (frame, emitting node) whose posterior is at least
    :data:`MIN_OCCUPANCY`."""
    floor = total + math.log(MIN_OCCUPANCY)
    for r in range(1, alpha.shape[0]):
        for node in range(alpha.shape[1]):
            g = node_state[node]
            if g >= 0:
                v = alpha[r, node] + beta[r, node]
                if v >= floor:
                    _add_frame(X, r - 1, g, math.exp(v - total), post, ref, n, s1, s2)


@njit(cache=True, nogil=True)
def _accumulate_path(X, states, post, ref, n, s1, s2):
    """Moments of a path: frame t wholly on state ``states[t]``."""
    for t in range(len(states)):
        _add_frame(X, t, states[t], 1.0, post, ref, n, s1, s2)


# ------------------------------------------------------------------ per utterance


@dataclass(frozen=True)
class ScoringTables:
    """What the on-demand scoring needs of diagonal mixtures (G, M, D): the means, the
    inverse standard deviations and each component's log weight plus log normaliser."""

    means: np.ndarray
    inv_sd: np.ndarray
    log_norm: np.ndarray

    @classmethod
    def of(cls, model: AcousticModel) -> ScoringTables:
        """The tables of a model's mixtures (diagonal covariances)."""
        mix = model.mixtures
        if mix.covariance_type != "diag":
            raise ValueError(
                f"embedded training needs diagonal covariances, not {mix.covariance_type}"
            )
        d = mix.means.shape[2]
        with np.errstate(divide="ignore"):
            log_norm = np.log(mix.weights) - 0.5 * (d * _LOG_2PI + np.log(mix.covars).sum(axis=2))
        return cls(
            np.ascontiguousarray(mix.means, dtype=np.float64),
            np.ascontiguousarray(1.0 / np.sqrt(mix.covars)),
            np.ascontiguousarray(log_norm),
        )

    def as_tuple(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(means, inv_sd, log_norm) for the kernels."""
        return self.means, self.inv_sd, self.log_norm


def log_transitions(model: AcousticModel) -> np.ndarray:
    """The log of the flat vector of all units' tied transition entries."""
    flat = np.concatenate([t.ravel() for _, t in model.units.values()])
    with np.errstate(divide="ignore"):
        return np.log(flat)


def with_log_transitions(graph: CompositeGraph, flat_log: np.ndarray) -> CompositeGraph:
    """The graph with its tied arcs weighted by ``flat_log`` (see :func:`log_transitions`)."""
    tied = graph.arc_tie >= 0
    logw = graph.arc_logw.copy()
    logw[tied] = flat_log[graph.arc_tie[tied]]
    return replace(graph, arc_logw=logw)


def background_frames(X: np.ndarray, edge: int, quantile: float) -> np.ndarray:
    """Frames no louder (c0) than the ``quantile`` of the utterance's first and last
    ``edge`` frames (its known background)."""
    ends = np.concatenate([X[:edge, 0], X[-edge:, 0]])
    return np.flatnonzero(X[:, 0] <= np.quantile(ends, quantile))


def beam_schedule(beam: float, step: float = 0.0, limit: float | None = None) -> list[float]:
    """The beams tried in turn on an utterance no path fits (HERest's ``-t f i l``):
    ``beam``, then wider by ``step`` while not above ``limit``."""
    if not beam > 0:
        raise ValueError(f"beam must be positive (np.inf: no pruning), got {beam!r}")
    if step < 0 or (limit is not None and step == 0 and limit > beam):
        raise ValueError(f"the beam step must be positive to widen the beam, got {step!r}")
    beams = [float(beam)]
    while limit is not None and step > 0 and beams[-1] + step <= limit:
        beams.append(beams[-1] + step)
    return beams


def utterance_stats(
    model: AcousticModel,
    items: Sequence[tuple[str, np.ndarray, CompositeGraph]],
    beam: float,
    hard: bool = False,
    background: tuple[float, float, int] | None = None,
    workspace: Workspace | None = None,
    beam_step: float = 0.0,
    beam_limit: float | None = None,
) -> EmbeddedStats:
    """One E-step over utterances (id, frames, graph): state posteriors by forward-backward,
    or the best path's (``hard``). An utterance no path fits within ``beam`` is tried
    again with the beam ``beam_step`` wider up to ``beam_limit`` (HERest's ``-t``), then
    skipped. ``background`` (penalty, quantile, edge frames) makes the word states pay
    ``penalty`` on the frames :func:`background_frames` finds."""
    beams = beam_schedule(beam, beam_step, beam_limit)
    workspace = workspace if workspace is not None else Workspace()
    stats = EmbeddedStats(model.mixtures.new_stats(), np.zeros(model.n_transition_parameters))
    scorer = _UtteranceScorer(model, background, workspace)
    moments = (stats.moments["n"], stats.moments["s1"], stats.moments["s2"])
    for utt, X, graph in items:
        X = np.ascontiguousarray(X, dtype=np.float64)
        scorer.start(X, graph)
        for width in beams:
            try:
                log_likelihood, counts = scorer.pass_(width, hard, moments)
                break
            except ValueError:
                continue
        else:
            stats.skipped.append(utt)
            continue
        tied = graph.arc_tie >= 0
        stats.transitions += np.bincount(
            graph.arc_tie[tied], weights=counts[tied], minlength=len(stats.transitions)
        )
        stats.log_likelihood += log_likelihood
        stats.n_frames += len(X)
    return stats


class _UtteranceScorer:
    """One model's E-step on one utterance at a time: the kernels' inputs and buffers."""

    def __init__(self, model: AcousticModel, background, workspace: Workspace) -> None:
        self.tables = ScoringTables.of(model)
        self.flat_log = log_transitions(model)
        self.background = background
        self.workspace = workspace
        self.shape = model.mixtures.n_groups, model.mixtures.n_mix
        self.penalised = np.zeros(self.shape[0], dtype=np.bool_)
        if background is not None:
            self.penalised[:] = True
            self.penalised[model.units[SILENCE][0]] = False

    def start(self, X: np.ndarray, graph: CompositeGraph) -> None:
        """Take the next utterance: nothing of it is scored yet."""
        g, m = self.shape
        n_frames = len(X)
        self.X, self.graph = X, graph
        padded = np.zeros((n_frames + SCORE_BLOCK, X.shape[1]))
        padded[:n_frames] = X
        penalty = np.zeros(n_frames)
        if self.background is not None:
            amount, quantile, edge = self.background
            penalty[background_frames(X, edge, quantile)] = amount
        self.weighted = with_log_transitions(graph, self.flat_log)
        log_b = self.workspace.array("log_b", (n_frames, g))
        log_b[:] = np.nan
        post = self.workspace.array("post", (n_frames, g, m))
        self.alpha = self.workspace.array("alpha", (n_frames + 1, graph.n_nodes))
        self.scoring = (padded, self.tables.as_tuple(), penalty, self.penalised, log_b, post)

    def pass_(self, beam: float, hard: bool, moments) -> tuple[float, np.ndarray]:
        """Accumulate the utterance into ``moments``; returns its log-likelihood (or best
        path's score) and arc counts. ValueError: no path fits within ``beam``."""
        w, X, alpha = self.weighted, self.X, self.alpha
        arrays = (w.node_state, w.arc_src, w.arc_dst, w.arc_logw, w.n_timed)
        post, means = self.scoring[-1], self.tables.means
        if hard:
            back = self.workspace.array("back", alpha.shape, np.int64)
            _scored_viterbi(arrays, w.entry, float(beam), *self.scoring, alpha, back)
            path = best_path(w, alpha, back)
            _accumulate_path(X, w.node_state[path.frame_nodes], post, means, *moments)
            return path.log_prob, np.bincount(path.arcs, minlength=w.n_arcs).astype(np.float64)
        _scored_forward(arrays, w.entry, float(beam), *self.scoring, alpha)
        total = lattice_total(w, alpha, beam)
        beta, counts = lattice_backward(w, self.scoring[-2], alpha, total)
        _accumulate_lattice(X, w.node_state, alpha, beta, total, post, means, *moments)
        return total, counts
