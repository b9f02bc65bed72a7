"""Composite HMM graphs: unit models chained through non-emitting states, with tied parameters.

A graph has nodes and weighted arcs. An *emitting* node carries the index of the tied
state whose emission it uses (many nodes may share one); a *non-emitting* node (HTK's
entry and exit states) carries -1 and consumes no frame. Arcs into emitting nodes
consume a frame (source at frame t-1, destination at frame t); arcs into non-emitting
nodes do not (both ends at frame t). The non-emitting nodes must therefore form no
cycle among themselves. Every arc may name a tied *transition parameter*: the arcs of
all occurrences of a unit share their unit's transition entries, and expected counts
of the arcs add into that entry.

Unit models are written as HTK writes them: a transition matrix over ``N`` states where
state 0 is the entry and state ``N-1`` the exit (both non-emitting), and the states in
between emit. A tee model (HTK's ``sp``) has a nonzero entry-to-exit probability.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

NON_EMITTING = -1


@dataclass(frozen=True)
class UnitModel:
    """One unit (word, phone, silence): its tied states and HTK-layout transitions.

    ``states`` (N-2,) are the tied-state indices of the emitting states; ``transp`` (N, N)
    holds the transition probabilities with state 0 the entry and N-1 the exit;
    ``transition_offset`` is where this unit's N*N entries start in the flat vector of
    tied transition parameters (``None``: the arcs are fixed, not re-estimated).
    """

    name: str
    states: np.ndarray
    transp: np.ndarray
    transition_offset: int | None = None

    def __post_init__(self) -> None:
        n = len(self.states) + 2
        if self.transp.shape != (n, n):
            raise ValueError(
                f"unit {self.name!r}: transp must be {(n, n)} for {n - 2} emitting states, "
                f"got {self.transp.shape}"
            )
        transp = self.transp  # ndarray methods: this runs for every unit of every graph
        if not np.isfinite(transp).all() or (transp < 0).any():
            raise ValueError(f"unit {self.name!r}: transition probabilities must be >= 0")
        if (transp[:, 0] > 0).any() or (transp[-1] > 0).any():
            raise ValueError(f"unit {self.name!r}: no arc may enter state 0 or leave the exit")

    @cached_property
    def arcs(self) -> tuple[list[int], list[int], list[float], list[int]]:
        """The nonzero transitions in row order: (from, to, log-probability, tied
        parameter index or -1), as lists."""
        rows, cols = np.nonzero(self.transp > 0)
        logp = np.log(self.transp[rows, cols])
        n = len(self.states) + 2
        if self.transition_offset is None:
            tie = np.full(len(rows), -1)
        else:
            tie = self.transition_offset + rows * n + cols
        return rows.tolist(), cols.tolist(), logp.tolist(), tie.tolist()

    @property
    def is_tee(self) -> bool:
        """Whether the unit can be passed without consuming a frame."""
        return bool(self.transp[0, -1] > 0)


@dataclass(frozen=True)
class CompositeGraph:
    """A finished graph: node tied-state indices, arcs sorted for the DP, entry and exit.

    ``arc_src``, ``arc_dst``, ``arc_logw``, ``arc_tie`` describe the arcs; the first
    ``n_timed`` arcs end in emitting nodes (they consume a frame), the rest end in
    non-emitting nodes and are sorted by the topological rank of their destination.
    ``labels`` maps some nodes to the caller's markers (word or unit boundaries).
    """

    node_state: np.ndarray
    arc_src: np.ndarray
    arc_dst: np.ndarray
    arc_logw: np.ndarray
    arc_tie: np.ndarray
    n_timed: int
    entry: int
    exit: int
    labels: dict[int, Hashable] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        """Number of nodes, emitting and not."""
        return len(self.node_state)

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return len(self.arc_src)

    def emitting(self) -> np.ndarray:
        """Indices of the emitting nodes."""
        return np.flatnonzero(self.node_state >= 0)


class GraphBuilder:
    """Builds a :class:`CompositeGraph` node by node and unit by unit."""

    def __init__(self) -> None:
        self._state: list[int] = []
        self._arcs: list[tuple[int, int, float, int]] = []
        self.labels: dict[int, Hashable] = {}

    def node(self, state: int = NON_EMITTING, label: Hashable | None = None) -> int:
        """A new node (emitting when ``state`` >= 0); returns its index."""
        self._state.append(int(state))
        index = len(self._state) - 1
        if label is not None:
            self.labels[index] = label
        return index

    def arc(self, src: int, dst: int, prob: float = 1.0, tie: int = -1) -> None:
        """An arc of probability ``prob`` (tied to transition parameter ``tie`` if >= 0)."""
        if prob > 0:
            self._arcs.append((src, dst, float(np.log(prob)), int(tie)))

    def log_arc(self, src: int, dst: int, log_prob: float, tie: int = -1) -> None:
        """An arc given by its log-probability (or any log-weight, e.g. an LM score)."""
        if log_prob > -np.inf:
            self._arcs.append((src, dst, float(log_prob), int(tie)))

    def unit(
        self, model: UnitModel, label: Hashable | None = None, state_labels: bool = False
    ) -> tuple[int, int]:
        """One occurrence of a unit; returns its (entry, exit) nodes. The entry node gets
        ``label``, and the emitting nodes ``(label, i)`` when ``state_labels``."""
        first = self.node(label=label)
        self._state.extend(model.states.tolist())
        if state_labels:
            self.labels.update({first + 1 + i: (label, i) for i in range(len(model.states))})
        last = self.node()
        rows, cols, logp, tie = model.arcs
        self._arcs.extend(
            zip([first + i for i in rows], [first + j for j in cols], logp, tie, strict=True)
        )
        return first, last

    def chain(self, parts: Sequence[tuple[int, int]]) -> tuple[int, int]:
        """Join (entry, exit) pairs in order by certain arcs; returns the outer pair."""
        for (_, a_exit), (b_entry, _) in zip(parts[:-1], parts[1:], strict=True):
            self.arc(a_exit, b_entry)
        return parts[0][0], parts[-1][1]

    def alternatives(
        self,
        parts: Sequence[tuple[int, int]],
        probs: Sequence[float] | None = None,
        label: Hashable | None = None,
    ) -> tuple[int, int]:
        """Branches in parallel between a new entry and exit (equal weights by default)."""
        entry, exit_ = self.node(label=label), self.node()
        probs = probs if probs is not None else [1.0 / len(parts)] * len(parts)
        for (a, b), p in zip(parts, probs, strict=True):
            self.arc(entry, a, p)
            self.arc(b, exit_)
        return entry, exit_

    def optional(self, part: tuple[int, int], skip_prob: float = 0.5) -> tuple[int, int]:
        """``part`` or nothing."""
        entry, exit_ = self.node(), self.node()
        self.arc(entry, part[0], 1.0 - skip_prob)
        self.arc(part[1], exit_)
        self.arc(entry, exit_, skip_prob)
        return entry, exit_

    def build(self, entry: int, exit: int) -> CompositeGraph:
        """The finished graph; raises ValueError for a cycle of non-emitting nodes or an
        entry/exit that emits."""
        state = np.asarray(self._state, dtype=np.int64)
        if state[entry] >= 0 or state[exit] >= 0:
            raise ValueError("the entry and exit of a composite graph must be non-emitting")
        if not self._arcs:
            raise ValueError("a composite graph needs arcs")
        src, dst, logw, tie = (np.asarray(c) for c in zip(*self._arcs, strict=True))
        src, dst, tie = src.astype(np.int64), dst.astype(np.int64), tie.astype(np.int64)
        rank = _non_emitting_rank(state, src, dst)
        timed = state[dst] >= 0
        instant = np.flatnonzero(~timed)
        instant = instant[np.argsort(rank[dst[instant]], kind="stable")]
        order = np.concatenate([np.flatnonzero(timed), instant])
        return CompositeGraph(
            state,
            src[order],
            dst[order],
            logw[order].astype(np.float64),
            tie[order],
            int(timed.sum()),
            entry,
            exit,
            dict(self.labels),
        )


def _non_emitting_rank(state: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Topological rank of every non-emitting node over the arcs between them (Kahn's,
    the lowest ready node first: in a graph built left to right the ranks follow the
    node indices, so the arcs sorted by them go left to right too)."""
    n = len(state)
    among = (state[src] < 0) & (state[dst] < 0)
    indegree = np.bincount(dst[among], minlength=n)
    successors: dict[int, list[int]] = {}
    for a, b in zip(src[among], dst[among], strict=True):
        successors.setdefault(int(a), []).append(int(b))
    ready = [i for i in range(n) if state[i] < 0 and indegree[i] == 0]
    rank = np.full(n, -1, dtype=np.int64)
    count = 0
    while ready:
        node = heapq.heappop(ready)
        rank[node] = count
        count += 1
        for nxt in successors.get(node, ()):
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, nxt)
    if count != int(np.sum(state < 0)):
        raise ValueError(
            "the non-emitting nodes of the graph form a cycle (a loop that consumes no "
            "frame, e.g. a tee model inside a loop)"
        )
    return rank
