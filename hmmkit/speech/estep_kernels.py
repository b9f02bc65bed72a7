"""Compiled kernels of the embedded E-step: a whole shard of utterances per call.

For every utterance of a shard (:class:`~.estep.PackedUtterances`) one call runs the
forward (or Viterbi) pass with emissions scored on demand, then the backward pass with
the expected arc counts and the statistics accumulated in the same sweep (or the best
path's). No Python runs per utterance, per state or per frame.

Every row of the lattice has a *window*, the lowest and highest index of its alive
nodes, and the frame-consuming arcs have one too: those whose source lies in the
previous row's window (bounds read from running minima/maxima of the arcs' source
nodes). In a left-to-right utterance graph the beam keeps a band of some twenty of its
nodes alive, so the loops over nodes and arcs cover the band, not the graph. The arcs
that consume no frame keep their topological order and are visited from the first that
can leave the window to the first after which none can (graphs rank these left to
right, so that is a few arcs, not all of them). Inside a window the arcs are visited in
the graph's order, so the forward lattice is the one of :mod:`hmmkit.composite.dp` over
the same emissions.

Emission scoring keeps only ``log_b``; the components' posteriors are computed again
where a (frame, state) pair is accumulated (about one pair per frame, against some ten
scored), which keeps the scoring's memory small.
"""

from __future__ import annotations

import math

import numpy as np

from ..compiling import njit
from ..composite.steps import NEG
from ..numeric import exp_nonpositive, log_add, log_positive

#: Reassociation lets the loops over features vectorise (no "nnan": NaN marks an
#: unscored pair).
_FAST = {"reassoc", "contract"}
# Helpers called once per row or pair are inlined (``inline="always"``): a call that
# passes arrays costs a reference-count update per array, which in the row loop was a
# sixth of a pass. An inlined helper takes its caller's fastmath flags, so the lattice
# and accumulation kernels have the scoring's (_FAST keeps infinities and NaN exact).
#: Frames scored at a time for a state found alive and not yet scored.
SCORE_BLOCK = 4
#: The backward pass drops an arc whose posterior is below this (a share of a frame's
#: unit mass that a double-precision sum of it cannot hold): it carries nothing back
#: to the nodes before it, whose posteriors it could change by no more than that.
NEGLIGIBLE_ARC = 1e-16
_ARC_FLOOR = math.log(NEGLIGIBLE_ARC)


# ------------------------------------------------------------------ scoring


@njit(cache=True, nogil=True, fastmath=_FAST, inline="always")
def _component_values(X, t, g, tables, out, at):
    """Each component's log weight plus log-density of frame ``t`` under state ``g``
    into ``out`` from index ``at``; returns their maximum."""
    means, inv_sd, log_norm = tables
    n_mix, n_features = means.shape[1], means.shape[2]
    best = NEG
    for j in range(n_mix):
        total = 0.0
        for d in range(n_features):
            z = (X[t, d] - means[g, j, d]) * inv_sd[g, j, d]
            total += z * z
        v = log_norm[g, j] - 0.5 * total
        out[at + j] = v
        best = max(best, v)
    return best


@njit(cache=True, nogil=True, fastmath=_FAST, inline="always")
def _block_values(X, t0, g, tables, values, peak, k0):
    """:func:`_component_values` of the :data:`SCORE_BLOCK` frames from ``t0`` under
    state ``g`` into ``values[(k0 + i) * n_mix + j]``, their maxima into ``peak[k0 +
    i]``, the four frames' sums side by side: four independent chains that share the
    loads of the means and deviations (the same sums, added in another order)."""
    means, inv_sd, log_norm = tables
    n_mix, n_features = means.shape[1], means.shape[2]
    for i in range(SCORE_BLOCK):
        peak[k0 + i] = NEG
    for j in range(n_mix):
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        for d in range(n_features):
            m = means[g, j, d]
            s = inv_sd[g, j, d]
            z0 = (X[t0, d] - m) * s
            z1 = (X[t0 + 1, d] - m) * s
            z2 = (X[t0 + 2, d] - m) * s
            z3 = (X[t0 + 3, d] - m) * s
            a0 += z0 * z0
            a1 += z1 * z1
            a2 += z2 * z2
            a3 += z3 * z3
        c = log_norm[g, j]
        v0, v1, v2, v3 = c - 0.5 * a0, c - 0.5 * a1, c - 0.5 * a2, c - 0.5 * a3
        values[k0 * n_mix + j] = v0
        values[(k0 + 1) * n_mix + j] = v1
        values[(k0 + 2) * n_mix + j] = v2
        values[(k0 + 3) * n_mix + j] = v3
        peak[k0] = max(peak[k0], v0)
        peak[k0 + 1] = max(peak[k0 + 1], v1)
        peak[k0 + 2] = max(peak[k0 + 2], v2)
        peak[k0 + 3] = max(peak[k0 + 3], v3)


@njit(cache=True, nogil=True, fastmath=_FAST, inline="always")
def _score_states(X, t0, states, n_states, tables, penalty, classes, log_b, scratch, frame_order):
    """``log_b[t, g]`` (a mixture of diagonal Gaussians) of the states
    ``states[:n_states]`` at the :data:`SCORE_BLOCK` frames from ``t0`` (``X`` is padded
    by a block), the exponentials of them all at once; state g pays
    ``penalty[t, state_class[g]]`` (``classes`` is (``state_class``, ``shared``)).
    With ``frame_order`` each frame's sums are added as :func:`_component_values`
    adds them, else four frames' side by side (:func:`_block_values`, faster; the sums
    may differ in their last bits). Viterbi passes keep the frame order: from a flat
    start many paths tie exactly, and the last bits of the scores break those ties."""
    state_class = classes[0]
    n_mix = tables[0].shape[1]
    values, peak, totals = scratch[1], scratch[2], scratch[3]
    size = min(SCORE_BLOCK, log_b.shape[0] - t0)
    for q in range(n_states):
        g = states[q]
        if frame_order:
            for i in range(SCORE_BLOCK):
                k = q * SCORE_BLOCK + i
                peak[k] = _component_values(X, t0 + i, g, tables, values, k * n_mix)
        else:
            _block_values(X, t0, g, tables, values, peak, q * SCORE_BLOCK)
    n_pairs = n_states * SCORE_BLOCK
    if n_mix > 1:
        for k in range(n_pairs):
            shift = peak[k] if peak[k] > NEG else 0.0
            for j in range(n_mix):
                values[k * n_mix + j] -= shift
        exp_nonpositive(values[: n_pairs * n_mix])
        for k in range(n_pairs):
            total = 0.0
            for j in range(n_mix):
                total += values[k * n_mix + j]
            totals[k] = total
        log_positive(totals[:n_pairs])  # a total of 0 (every component impossible): -inf
    for q in range(n_states):
        g = states[q]
        for i in range(size):
            k = q * SCORE_BLOCK + i
            t = t0 + i
            v = peak[k] + totals[k] if n_mix > 1 else peak[k]
            v -= penalty[t, state_class[g]]
            log_b[t, g] = v


@njit(cache=True, nogil=True, inline="always")
def _score_alive(
    score, r, lo, hi, node_state, X, tables, penalty, classes, log_b, scratch, frame_order
):
    """Score the states of the emitting nodes alive in row ``r`` (between ``lo`` and
    ``hi``) where frame ``r - 1`` is not scored yet, a block of frames at a time. A
    state whose emission and class equal an earlier state's (``classes[1]``, e.g.
    all word states at a flat start) takes that state's score: the same number.
    ``frame_order``: see :func:`_score_states`."""
    states, copies = scratch[0], scratch[4]
    shared = classes[1]
    t = r - 1
    n_new, n_copies = 0, 0
    for n in range(lo, hi + 1):
        g = node_state[n]
        if g >= 0 and score[r, n] > NEG and math.isnan(log_b[t, g]):
            log_b[t, g] = 0.0  # listed once, however many nodes share the state
            first = shared[g]
            if first != g:
                copies[n_copies] = g
                n_copies += 1
                if not math.isnan(log_b[t, first]):
                    continue
                log_b[t, first] = 0.0
            states[n_new] = first
            n_new += 1
    if n_new > 0:
        _score_states(X, t, states, n_new, tables, penalty, classes, log_b, scratch, frame_order)
    for q in range(n_copies):
        log_b[t, copies[q]] = log_b[t, shared[copies[q]]]


# ------------------------------------------------------------------ accumulation


@njit(cache=True, nogil=True, fastmath=_FAST, inline="always")
def _add_frame(X, t, g, weight, tables, values, n, s1, s2):
    """Frame ``t`` with weight ``weight`` on state ``g``, shared by its components'
    posteriors; moments about the current means."""
    means = tables[0]
    n_mix, n_features = means.shape[1], means.shape[2]
    if n_mix == 1:
        values[0] = 1.0 if tables[2][g, 0] > NEG else 0.0
    else:
        best = _component_values(X, t, g, tables, values, 0)
        shift = best if best > NEG else 0.0
        total = 0.0
        for j in range(n_mix):
            values[j] = math.exp(values[j] - shift)
            total += values[j]
        inverse = 1.0 / total if total > 0.0 else 0.0
        for j in range(n_mix):
            values[j] *= inverse
    for j in range(n_mix):
        w = weight * values[j]
        c = g * n_mix + j
        n[c] += w
        for d in range(n_features):
            diff = X[t, d] - means[g, j, d]
            wd = w * diff
            s1[c, d] += wd
            s2[c, d] += wd * diff


# ------------------------------------------------------------------ one utterance


@njit(cache=True, nogil=True)
def _arc_windows(node_state, src, n_timed, arc_lo, arc_hi, instant):
    """``arc_lo[n]``: the first frame-consuming arc whose source is ``n`` or later;
    ``arc_hi[n]``: one past the last whose source is ``n`` or earlier. The arcs that
    consume no frame (in topological order, not by source) get ``instant``: the first
    of them after which a source ``n`` or later can come (``[0][n]``), the first from
    which every source is above ``n`` (``[1][n]``), and per arc the lowest source from
    it on (``[2][a]``)."""
    n_nodes, n_arcs = len(node_state), len(src)
    first_from, first_above, lowest = instant
    first_from[:n_nodes] = n_arcs
    first_above[:n_nodes] = n_arcs
    highest, done = -1, -1
    for a in range(n_timed, n_arcs):
        highest = max(highest, src[a])
        while done < highest:
            done += 1
            first_from[done] = a
    low = n_nodes
    for a in range(n_arcs - 1, n_timed - 1, -1):
        low = min(low, src[a])
        lowest[a] = low
    done = -1
    for a in range(n_timed, n_arcs):
        while done + 1 < lowest[a]:
            done += 1
            first_above[done] = a
    arc_lo[:n_nodes] = n_timed
    arc_hi[:n_nodes] = 0
    for a in range(n_timed):
        s = src[a]
        arc_lo[s] = min(arc_lo[s], a)
        arc_hi[s] = max(arc_hi[s], a + 1)
    for n in range(n_nodes - 2, -1, -1):
        arc_lo[n] = min(arc_lo[n], arc_lo[n + 1])
    for n in range(1, n_nodes):
        arc_hi[n] = max(arc_hi[n], arc_hi[n - 1])


@njit(cache=True, nogil=True, inline="always")
def _relax(score, back, row_from, row, first, stop, src, dst, logw, lo, hi, maximum):
    """Arcs ``first`` to ``stop - 1`` from row ``row_from`` into row ``row``: log-sums,
    or the best arc kept in ``back`` (``maximum``); returns the window (``lo``,
    ``hi``) widened to the targets of the arcs whose source is alive."""
    for a in range(first, stop):
        v = score[row_from, src[a]]
        if v > NEG:
            d = dst[a]
            v += logw[a]
            if maximum:
                if v > score[row, d]:
                    score[row, d] = v
                    back[row, d] = a
            else:
                score[row, d] = log_add(score[row, d], v)
            lo, hi = min(lo, d), max(hi, d)
    return lo, hi


@njit(cache=True, nogil=True, inline="always")
def _relax_instant(score, back, row, first, lowest, src, dst, logw, lo, hi, maximum):
    """:func:`_relax` over the arcs that consume no frame, from ``first`` on, in their
    (topological) order, up to the first from which every source lies above the window:
    no arc before ``first`` or after that has a source alive."""
    a = first
    while a < len(src) and lowest[a] <= hi:
        lo, hi = _relax(score, back, row, row, a, a + 1, src, dst, logw, lo, hi, maximum)
        a += 1
    return lo, hi


@njit(cache=True, nogil=True, fastmath=_FAST)
def _lattice(g, logw, X, beam, maximum, tables, penalty, classes, log_b, score, back, win, w):
    """The forward (log-sum) or Viterbi (``maximum``) lattice with emissions scored on
    demand and the beam applied per row; ``win`` gets every row's node window. Returns
    False when a row has no alive node."""
    node_state, src, dst, n_timed, entry = g
    arc_lo, arc_hi, scratch, instant = w
    first_from, lowest = instant[0], instant[2]
    n_rows = score.shape[0]
    score[:] = NEG
    score[0, entry] = 0.0
    back[0, entry] = -1
    lo, hi = entry, entry
    lo, hi = _relax_instant(score, back, 0, first_from[lo], lowest, src, dst, logw, lo, hi, maximum)
    win[0, 0], win[0, 1] = lo, hi
    for r in range(1, n_rows):
        first, stop = arc_lo[win[r - 1, 0]], arc_hi[win[r - 1, 1]]
        lo, hi = _relax(
            score, back, r - 1, r, first, stop, src, dst, logw, len(node_state), -1, maximum
        )
        if hi < 0:
            return False
        _score_alive(
            score, r, lo, hi, node_state, X, tables, penalty, classes, log_b, scratch, maximum
        )
        t = r - 1
        best = NEG
        for n in range(lo, hi + 1):
            if score[r, n] > NEG:  # only emitting nodes are alive yet
                score[r, n] += log_b[t, node_state[n]]
                best = max(best, score[r, n])
        if beam < np.inf and best > NEG:
            floor = best - beam
            for n in range(lo, hi + 1):
                if score[r, n] < floor:
                    score[r, n] = NEG
            while score[r, lo] == NEG:  # the best node is kept: the window stays whole
                lo += 1
            while score[r, hi] == NEG:
                hi -= 1
        first = first_from[lo]
        lo, hi = _relax_instant(score, back, r, first, lowest, src, dst, logw, lo, hi, maximum)
        win[r, 0], win[r, 1] = lo, hi
    return True


@njit(cache=True, nogil=True, fastmath=_FAST)
def _backward_accumulate(g, logw, X, tables, log_b, alpha, beta, win, total, w, counts, moments):
    """The backward lattice over the nodes ``alpha`` kept and the arcs of posterior at
    least :data:`NEGLIGIBLE_ARC`, with every arc's expected count and the moments of
    every (frame, emitting node) whose posterior is at least ``exp(floor)``
    (``moments[0]``, a log-share of ``total``), row by row from the end."""
    node_state, src, dst, n_timed, exit_ = g
    arc_lo, arc_hi, scratch, instant = w
    first_from, first_above = instant[0], instant[1]
    floor, n, s1, s2 = moments
    values = scratch[1]
    last = alpha.shape[0] - 1
    for r in range(last, -1, -1):
        lo, hi = win[r, 0], win[r, 1]
        beta[r, lo : hi + 1] = NEG
        if r == last:
            beta[r, exit_] = 0.0
        else:
            for a in range(arc_lo[lo], arc_hi[hi]):
                s, d = src[a], dst[a]
                if alpha[r, s] > NEG and alpha[r + 1, d] > NEG and beta[r + 1, d] > NEG:
                    v = logw[a] + log_b[r, node_state[d]] + beta[r + 1, d]
                    share = alpha[r, s] + v - total
                    if share >= _ARC_FLOOR:
                        beta[r, s] = log_add(beta[r, s], v)
                        counts[a] += math.exp(share)
        for a in range(first_above[hi] - 1, first_from[lo] - 1, -1):
            s, d = src[a], dst[a]
            if alpha[r, s] > NEG and alpha[r, d] > NEG and beta[r, d] > NEG:
                v = logw[a] + beta[r, d]
                share = alpha[r, s] + v - total
                if share >= _ARC_FLOOR:
                    beta[r, s] = log_add(beta[r, s], v)
                    counts[a] += math.exp(share)
        if r > 0:
            for node in range(lo, hi + 1):
                state = node_state[node]
                if state >= 0 and alpha[r, node] > NEG:
                    v = alpha[r, node] + beta[r, node] - total
                    if v >= floor:
                        _add_frame(X, r - 1, state, math.exp(v), tables, values, n, s1, s2)


@njit(cache=True, nogil=True, fastmath=_FAST)
def _path_accumulate(g, X, tables, back, w, counts, moments):
    """The best path read back from ``back``: its arcs counted, its frames wholly on
    their nodes' states."""
    node_state, src, dst, n_timed, exit_ = g
    _, n, s1, s2 = moments
    values = w[2][1]
    r, node = back.shape[0] - 1, exit_
    while True:
        a = back[r, node]
        if a < 0:
            break
        counts[a] += 1.0
        if a < n_timed:
            _add_frame(X, r - 1, node_state[node], 1.0, tables, values, n, s1, s2)
            r -= 1
        node = src[a]


# ------------------------------------------------------------------ a shard


@njit(cache=True, nogil=True)
def _scratch(n_nodes, n_mix):
    """Buffers of the scoring and accumulation: states to score; per state and frame of
    a block the components' values, their maximum and the log of their sum; states
    that take another's scores."""
    size = n_nodes * SCORE_BLOCK
    return (
        np.empty(n_nodes, dtype=np.int64),
        np.empty(max(size * n_mix, n_mix)),
        np.empty(size),
        np.empty(size),
        np.empty(n_nodes, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def shard_estep(packed, flat_log, tables, penalty, classes, beams, hard, floor, stats, out):
    """The E-step of every utterance of ``packed`` (see :class:`~.estep.PackedUtterances`'
    ``arrays``): moments into ``stats`` (n, s1, s2, transitions); ``out[u]`` gets the
    utterance's log-likelihood (or best path's score), NaN when no beam in ``beams``
    lets a path through. ``classes``: each state's penalty class, and the first state
    whose scores it shares (itself, or an earlier state of the same emission and the
    same penalties)."""
    X_all, frame_start, node_state_all, node_start, src_all, dst_all = packed[:6]
    logw_all, tie_all, arc_start, n_timed_all, entry_all, exit_all = packed[6:]
    n_acc, s1, s2, transitions = stats
    n_utts = len(entry_all)
    max_rows, max_nodes, max_arcs = 1, 1, 1
    for u in range(n_utts):
        max_rows = max(max_rows, frame_start[u + 1] - frame_start[u] - SCORE_BLOCK + 1)
        max_nodes = max(max_nodes, node_start[u + 1] - node_start[u])
        max_arcs = max(max_arcs, arc_start[u + 1] - arc_start[u])
    n_states = tables[0].shape[0]
    alpha_buf = np.empty(max_rows * max_nodes)
    other_buf = np.empty(max_rows * max_nodes)
    back_buf = np.empty(max_rows * max_nodes, dtype=np.int64)
    log_b_buf = np.empty((max_rows - 1) * n_states)
    win_buf = np.empty((max_rows, 2), dtype=np.int64)
    arc_lo = np.empty(max_nodes, dtype=np.int64)
    arc_hi = np.empty(max_nodes, dtype=np.int64)
    instant = (
        np.empty(max_nodes, dtype=np.int64),
        np.empty(max_nodes, dtype=np.int64),
        np.empty(max_arcs, dtype=np.int64),
    )
    logw = np.empty(max_arcs)
    counts = np.empty(max_arcs)
    work = (arc_lo, arc_hi, _scratch(max_nodes, tables[0].shape[1]), instant)
    for u in range(n_utts):
        f0, f1 = frame_start[u], frame_start[u + 1]
        n_frames = f1 - f0 - SCORE_BLOCK
        X = X_all[f0:f1]
        pen = penalty[f0:f1]
        n0, n1, a0, a1 = node_start[u], node_start[u + 1], arc_start[u], arc_start[u + 1]
        node_state = node_state_all[n0:n1]
        src, dst, tie = src_all[a0:a1], dst_all[a0:a1], tie_all[a0:a1]
        n_nodes, n_arcs, n_timed = n1 - n0, a1 - a0, n_timed_all[u]
        for a in range(n_arcs):
            logw[a] = flat_log[tie[a]] if tie[a] >= 0 else logw_all[a0 + a]
        arcs_w = logw[:n_arcs]
        _arc_windows(node_state, src, n_timed, arc_lo, arc_hi, instant)
        shape = (n_frames + 1, n_nodes)
        alpha = alpha_buf[: shape[0] * n_nodes].reshape(shape)
        back = back_buf[: shape[0] * n_nodes].reshape(shape)
        log_b = log_b_buf[: n_frames * n_states].reshape((n_frames, n_states))
        win = win_buf[: shape[0]]
        g = (node_state, src, dst, n_timed, entry_all[u])
        out[u] = np.nan
        log_b[:] = np.nan  # scores stay valid when a wider beam is tried
        for beam in beams:
            args = (X, beam, hard, tables, pen, classes, log_b, alpha, back, win, work)
            if _lattice(g, arcs_w, *args) and alpha[n_frames, exit_all[u]] > NEG:
                out[u] = alpha[n_frames, exit_all[u]]
                break
        if math.isnan(out[u]):
            continue
        counts[:n_arcs] = 0.0
        g = (node_state, src, dst, n_timed, exit_all[u])
        if hard:
            _path_accumulate(g, X, tables, back, work, counts, (floor, n_acc, s1, s2))
        else:
            beta = other_buf[: shape[0] * n_nodes].reshape(shape)
            lattices = (log_b, alpha, beta, win, out[u])
            moments = (floor, n_acc, s1, s2)
            _backward_accumulate(g, arcs_w, X, tables, *lattices, work, counts, moments)
        for a in range(n_arcs):
            if tie[a] >= 0:
                transitions[tie[a]] += counts[a]
