"""The E-step of embedded training: statistics of utterances over their composite graphs.

Emission log-likelihoods are computed on demand, as HERest does: the forward (or
Viterbi) pass runs row by row, and a (frame, tied state) pair is scored only when an
emitting node of that state is alive in the beam at that frame; every pair is scored
once, however many nodes share the state, and states of one emission (every word
state at a flat start) share their scores. The backward pass reads the same pairs, and
statistics are accumulated in the same sweep, only where a node has posterior mass.
With an infinite beam every reachable pair is scored and the statistics equal those of
a full ``log_b`` (see the tests); a beam saves the emissions of the pruned states,
which in a left-to-right utterance graph are most of them. The compiled kernels
(:mod:`.estep_kernels`) take a whole shard of utterances packed into flat arrays
(:class:`PackedUtterances`), packed once per training stage.

A shard's statistics are a plain value (:class:`EmbeddedStats`) that adds, so shards
run on threads (:func:`~hmmkit.training.parallel.map_shards`) or on a Dask cluster
alike (:mod:`.estep_backends`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..composite import CompositeGraph
from .acoustic_model import SHORT_PAUSE, SILENCE, AcousticModel
from .estep_kernels import SCORE_BLOCK, shard_estep

_LOG_2PI = math.log(2.0 * math.pi)
#: Posteriors below this are not accumulated: a frame's statistics lose less than this
#: share of its weight (most alive nodes of a beam carry far less).
MIN_OCCUPANCY = 1e-12


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


@dataclass(frozen=True)
class ScoringTables:
    """What the on-demand scoring needs of diagonal mixtures (G, M, D): the means, the
    inverse standard deviations and each component's log weight plus log normaliser;
    per state its penalty class (see :func:`state_classes`) and the first state whose
    scores are its own (the same tables, and with ``penalised`` the same class)."""

    means: np.ndarray
    inv_sd: np.ndarray
    log_norm: np.ndarray
    state_class: np.ndarray
    shared: np.ndarray

    @classmethod
    def of(cls, model: AcousticModel, penalised: bool = True) -> ScoringTables:
        """The tables of a model's mixtures (diagonal covariances); ``penalised``: the
        frames may put penalties on the states (else states of different classes may
        share their scores)."""
        mix = model.mixtures
        if mix.covariance_type != "diag":
            raise ValueError(
                f"embedded training needs diagonal covariances, not {mix.covariance_type}"
            )
        d = mix.means.shape[2]
        with np.errstate(divide="ignore"):
            log_norm = np.log(mix.weights) - 0.5 * (d * _LOG_2PI + np.log(mix.covars).sum(axis=2))
        means = np.ascontiguousarray(mix.means, dtype=np.float64)
        inv_sd = np.ascontiguousarray(1.0 / np.sqrt(mix.covars))
        log_norm = np.ascontiguousarray(log_norm)
        state_class = state_classes(model)[0]
        keys = [means.reshape(len(means), -1), inv_sd.reshape(len(means), -1), log_norm]
        rows = np.concatenate([k.view(np.uint64) for k in keys], axis=1)  # bit for bit
        if penalised:
            rows = np.concatenate([rows, state_class[:, None].view(np.uint64)], axis=1)
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        shared = first[inverse.ravel()].astype(np.int64)
        return cls(means, inv_sd, log_norm, state_class, shared)

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


def background_frames(
    X: np.ndarray,
    edge: int,
    quantile: float,
    margin: float | None = None,
    n_static: int | None = None,
) -> np.ndarray:
    """Frames no louder (c0) than the ``quantile`` of the utterance's first and last
    ``edge`` frames (its known background). With ``margin``, only those of them whose
    spectrum is the background's too: whose static cepstra c1 .. c(``n_static`` - 1),
    under a diagonal Gaussian fitted to the end frames', score at least the lowest end
    frame's score less ``margin`` nats (so that a quiet fricative or release is not
    taken for background)."""
    ends = np.concatenate([X[:edge], X[-edge:]])
    quiet = X[:, 0] <= np.quantile(ends[:, 0], quantile)
    if margin is not None:
        if n_static is None or not 1 < n_static <= X.shape[1]:
            raise ValueError(f"n_static must be in 2..{X.shape[1]}, got {n_static!r}")
        quiet &= background_spectrum_scores(X, ends, n_static) >= (
            background_spectrum_scores(ends, ends, n_static).min() - margin
        )
    return np.flatnonzero(quiet)


#: Variance added to each cepstrum's variance over the end frames (CMVN'd features have
#: unit variance overall), so that a near-constant cepstrum does not decide alone.
SPECTRUM_VARIANCE_FLOOR = 1e-2


def background_spectrum_scores(X: np.ndarray, ends: np.ndarray, n_static: int) -> np.ndarray:
    """Each frame's log-density (less its constant) of the static cepstra c1 ..
    c(``n_static`` - 1) under a diagonal Gaussian of the ``ends`` frames' ones."""
    cols = slice(1, n_static)
    mean = ends[:, cols].mean(axis=0)
    var = ends[:, cols].var(axis=0) + SPECTRUM_VARIANCE_FLOOR
    return -0.5 * (((X[:, cols] - mean) ** 2) / var).sum(axis=1)


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


#: What a state outside a marked word's units pays per frame of its span: enough that
#: a beam of a few hundred nats prunes such paths, finite so that contradictory marks
#: leave a path.
MARK_PENALTY = 1000.0


@dataclass(frozen=True)
class TimeMarks:
    """Known spans of transcript words: utterance id -> (first frame, end frame, units
    that may emit them) triples; on those frames every other state pays ``penalty``
    nats (so ``sil``, ``sp`` and the other words keep off a word's known speech). With
    ``silent_gaps`` the frames of a marked utterance outside all its spans are
    silence's: every state but ``sil``'s (and ``sp``'s) pays ``penalty`` there."""

    spans: dict[str, tuple[tuple[int, int, tuple[str, ...]], ...]]
    penalty: float = MARK_PENALTY
    silent_gaps: bool = False

    def __post_init__(self) -> None:
        if not self.penalty > 0:
            raise ValueError(f"the time marks' penalty must be positive, got {self.penalty!r}")
        for utt, spans in self.spans.items():
            for start, end, units in spans:
                if not 0 <= start <= end or not units:
                    raise ValueError(
                        f"utterance {utt}: a time mark needs 0 <= start <= end and units, "
                        f"got {start}, {end}, {units}"
                    )


def state_classes(model: AcousticModel) -> tuple[np.ndarray, dict[str, int]]:
    """Each tied state's class for the frame penalties (``sil``'s states, shared by
    ``sp``, are class 0; every other unit a class of its own) and unit -> class."""
    classes = {SILENCE: 0}
    for name in model.units:
        if name not in classes and name != SHORT_PAUSE:
            classes[name] = len(classes)
    state_class = np.zeros(model.mixtures.n_groups, dtype=np.int64)
    for name, index in classes.items():
        state_class[model.units[name][0]] = index
    return state_class, classes


@dataclass(frozen=True)
class PackedUtterances:
    """Utterances (id, frames, graph) in the flat arrays the shard kernel reads: the
    frames one after another, each utterance's padded by a scoring block of zeros, and
    the graphs' nodes and arcs one after another (node indices local to their graph),
    with the offsets where each starts."""

    utts: list[str]
    frames: np.ndarray
    frame_start: np.ndarray
    node_state: np.ndarray
    node_start: np.ndarray
    arc_src: np.ndarray
    arc_dst: np.ndarray
    arc_logw: np.ndarray
    arc_tie: np.ndarray
    arc_start: np.ndarray
    n_timed: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    _penalties: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, items: Sequence[tuple[str, np.ndarray, CompositeGraph]]) -> PackedUtterances:
        """The packed form of ``items``."""
        items = list(items)
        dims = {np.shape(X)[1] if np.ndim(X) == 2 else None for _, X, _ in items}
        if None in dims or len(dims) > 1:
            raise ValueError("every utterance's frames must be (n_frames, n_features) alike")
        n_features = dims.pop() if dims else 0

        def starts(sizes):
            return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)

        frame_start = starts([len(X) + SCORE_BLOCK for _, X, _ in items])
        frames = np.zeros((int(frame_start[-1]), n_features))
        for (_, X, _), f0 in zip(items, frame_start, strict=False):
            frames[f0 : f0 + len(X)] = X
        graphs = [g for _, _, g in items]

        def joined(name, dtype):
            parts = [np.asarray(getattr(g, name), dtype=dtype) for g in graphs]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        return cls(
            [u for u, _, _ in items],
            frames,
            frame_start,
            joined("node_state", np.int64),
            starts([g.n_nodes for g in graphs]),
            joined("arc_src", np.int64),
            joined("arc_dst", np.int64),
            joined("arc_logw", np.float64),
            joined("arc_tie", np.int64),
            starts([g.n_arcs for g in graphs]),
            np.array([g.n_timed for g in graphs], dtype=np.int64),
            np.array([g.entry for g in graphs], dtype=np.int64),
            np.array([g.exit for g in graphs], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.utts)

    def utterance_frames(self, u: int) -> np.ndarray:
        """The frames of utterance ``u`` (without the padding)."""
        return self.frames[self.frame_start[u] : self.frame_start[u + 1] - SCORE_BLOCK]

    def frame_penalties(
        self,
        classes: dict[str, int],
        background: tuple | None,
        marks: TimeMarks | None = None,
    ) -> np.ndarray:
        """Per packed frame and state class (``classes``: unit -> class, ``sil``'s 0;
        see :func:`state_classes`), the cost the frame puts on the states of that class:
        ``background`` (penalty, quantile, edge frames, and optionally the spectral
        margin and static cepstra of :func:`background_frames`) charges every class but
        ``sil``'s on the frames :func:`background_frames` finds, and ``marks`` every class but the
        marked word's units on the frames of a marked span; computed once per setting."""
        key = (background, id(marks), tuple(classes.items()))
        if key not in self._penalties:
            penalty = np.zeros((len(self.frames), max(classes.values()) + 1))
            for u in range(len(self)):
                f0 = self.frame_start[u]
                if background is not None:
                    amount, quantile, edge, *spectral = background
                    frames = background_frames(self.utterance_frames(u), edge, quantile, *spectral)
                    penalty[f0 + frames, 1:] = amount
                if marks is not None and self.utts[u] in marks.spans:
                    self._mark(penalty, u, marks, classes)
            self._penalties[key] = (marks, penalty)  # keeps ``marks`` (its id) alive
        return self._penalties[key][1]

    def _mark(self, penalty: np.ndarray, u: int, marks: TimeMarks, classes) -> None:
        """Add the costs of utterance ``u``'s time marks to its rows of ``penalty``."""
        f0, n_frames = self.frame_start[u], len(self.utterance_frames(u))
        gaps = np.full(n_frames, marks.silent_gaps)
        for start, end, units in marks.spans[self.utts[u]]:
            barred = np.ones(penalty.shape[1], dtype=bool)
            barred[[classes[name] for name in units]] = False
            start, end = min(start, n_frames), min(end, n_frames)
            penalty[f0 + start : f0 + end, barred] += marks.penalty
            gaps[start:end] = False
        penalty[f0 + np.flatnonzero(gaps), 1:] += marks.penalty

    def arrays(self) -> tuple:
        """The arrays in the order :func:`~.estep_kernels.shard_estep` reads them."""
        return (
            self.frames,
            self.frame_start,
            self.node_state,
            self.node_start,
            self.arc_src,
            self.arc_dst,
            self.arc_logw,
            self.arc_tie,
            self.arc_start,
            self.n_timed,
            self.entry,
            self.exit,
        )


@dataclass(frozen=True)
class PassInputs:
    """What the E-step of one pass reads of the model and the beam settings, made once
    per pass: the scoring tables, the log transitions, unit -> penalty class, the beams
    tried in turn."""

    tables: ScoringTables
    flat_log: np.ndarray
    classes: dict[str, int]
    beams: np.ndarray

    @classmethod
    def of(
        cls,
        model: AcousticModel,
        beam: float,
        beam_step: float = 0.0,
        beam_limit: float | None = None,
        penalised: bool = True,
    ) -> PassInputs:
        """The inputs of a pass of ``model`` (``penalised``: frames may put penalties on
        the states, see :meth:`ScoringTables.of`)."""
        beams = np.array(beam_schedule(beam, beam_step, beam_limit))
        tables = ScoringTables.of(model, penalised)
        return cls(tables, log_transitions(model), state_classes(model)[1], beams)


def utterance_stats(
    model: AcousticModel,
    items: Sequence[tuple[str, np.ndarray, CompositeGraph]] | PackedUtterances,
    beam: float,
    hard: bool = False,
    background: tuple | None = None,
    beam_step: float = 0.0,
    beam_limit: float | None = None,
    marks: TimeMarks | None = None,
    inputs: PassInputs | None = None,
) -> EmbeddedStats:
    """One E-step over utterances (id, frames, graph), or over their packed form: state
    posteriors by forward-backward, or the best path's (``hard``). An utterance no path
    fits within ``beam`` is tried again with the beam ``beam_step`` wider up to
    ``beam_limit`` (HERest's ``-t``), then skipped. ``background`` (penalty, quantile,
    edge frames) makes the word states pay ``penalty`` on the frames
    :func:`background_frames` finds; ``marks`` makes every state but those of a marked
    word's units pay ``marks.penalty`` on the frames of its span. ``inputs``: the
    :class:`PassInputs` of these settings when made already (once per pass, not per
    shard)."""
    if inputs is None:
        penalised = background is not None or marks is not None
        inputs = PassInputs.of(model, beam, beam_step, beam_limit, penalised)
    tables = inputs.tables
    packed = items if isinstance(items, PackedUtterances) else PackedUtterances.of(items)
    stats = EmbeddedStats(model.mixtures.new_stats(), np.zeros(model.n_transition_parameters))
    if packed.frames.shape[1] != tables.means.shape[2]:
        raise ValueError(
            f"the frames have {packed.frames.shape[1]} features, the model {tables.means.shape[2]}"
        )
    scores = np.empty(len(packed))
    moments = stats.moments
    shard_estep(
        packed.arrays(),
        inputs.flat_log,
        tables.as_tuple(),
        packed.frame_penalties(inputs.classes, background, marks),
        (tables.state_class, tables.shared),
        inputs.beams,
        bool(hard),
        math.log(MIN_OCCUPANCY),
        (moments["n"], moments["s1"], moments["s2"], stats.transitions),
        scores,
    )
    for u, score in enumerate(scores):
        if math.isnan(score):
            stats.skipped.append(packed.utts[u])
        else:
            stats.log_likelihood += float(score)
            stats.n_frames += int(packed.frame_start[u + 1] - packed.frame_start[u]) - SCORE_BLOCK
    return stats
