"""Embedded training from transcripts, as HTK's tutorial does it.

HCompV's flat start (every state takes the global mean and variance; the variance
floor is a fraction of it), HERest's embedded Baum-Welch over whole utterances (each
utterance's composite graph; statistics of every occurrence of a state add into that
state's accumulator), the silence fix-up (the tee model ``sp`` sharing ``sil``'s middle
state is added after the first passes), realignment (the pronunciation of every word is
chosen by forced alignment) and mixture splitting with re-estimation. Utterances are
processed in shards on several cores; a shard's statistics are plain values that add.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..composite import CompositeGraph, viterbi
from ..emissions.mixture import MixtureBank, mix_up
from ..training.parallel import resolve_n_jobs
from .acoustic_model import (
    SHORT_PAUSE,
    SILENCE,
    AcousticModel,
    edged_left_to_right,
    left_to_right,
    silence_tee_transitions,
    silence_transitions,
    tee_transitions,
)
from .estep import MARK_PENALTY, beam_schedule, log_transitions, with_log_transitions
from .estep import EmbeddedStats as EmbeddedStats  # the E-step's names, re-exported
from .estep import background_frames as background_frames
from .estep import utterance_stats as utterance_stats
from .estep_backends import EStepSettings, StageESteps
from .features import MFCCConfig
from .frame_moments import frame_moments
from .lexicon import Lexicon
from .time_marks import word_time_marks

#: Where Viterbi (segmental k-means) passes replace Baum-Welch: nowhere, in the
#: single-Gaussian stages, or everywhere.
HARD_CHOICES = ("none", "single", "all")
#: The states of the tee model ``sp``: ``sil``'s middle one (HTK's tutorial) or all of
#: ``sil``'s, in order (so that ``sil``'s first and last states, which learn the frames
#: next to the words, are there between words too).
SHORT_PAUSE_CHOICES = ("middle", "silence")


@dataclass(frozen=True)
class EmbeddedConfig:
    """Training settings: unit states, mixtures, passes per stage, beam, variance floor.

    ``beam``, ``beam_step`` and ``beam_limit`` are HERest's ``-t f i l``: the
    forward-backward beam, widened by the step for an utterance no path fits within it,
    up to the limit (beyond it the utterance is skipped for that pass).

    ``early_short_pause`` puts ``sp`` between words from the first pass (else it is added
    after the flat-start passes, as in HTK's tutorial); ``edge_silence`` frames at both
    ends of every utterance start ``sil``; ``loud_words`` starts the units from the frames
    above each utterance's mid energy rather than from all frames (so that they do not
    learn the background); ``short_pause`` says which of ``sil``'s states the tee model
    ``sp`` between words has (:data:`SHORT_PAUSE_CHOICES`); while training, frames no
    louder (c0) than the ``background_quantile`` of an utterance's ``edge_silence`` end
    frames cost the word (non-silence) states ``background_penalty`` nats each, so that
    the background between words goes to ``sp``/``sil`` rather than to the words' edge
    states (with ``background_margin``, only those of them whose spectrum is the ends'
    too, see :func:`~.estep.background_frames`); ``hard`` says which stages use Viterbi
    passes; with word times (see :func:`train_embedded`) ``silent_gaps`` keeps the
    frames of a marked utterance outside its marked words for ``sil`` and ``sp``;
    ``mark_penalty`` is what a frame of a marked span costs the states it is not kept for
    (the default holds the marks firm; a few nats only lean the passes towards them);
    ``word_edges`` gives every word unit an optional state of its own before its first
    state and after its last (:func:`~.acoustic_model.edged_left_to_right`; word units
    only), which the passes fit where the word's onset or end differs from its middle
    (a weak fricative, a release after a closure), apart from ``sil``'s states.
    """

    units: str = "word"
    word_states: int = 10
    phone_states: int = 3
    silence_states: int = 3
    n_mix: int = 1
    passes: int = 3
    beam: float = 250.0
    beam_step: float = 150.0
    beam_limit: float = 1000.0
    var_floor: float = 0.01
    n_jobs: int | None = None
    early_short_pause: bool = True
    edge_silence: int = 10
    hard: str = "single"
    loud_words: bool = True
    background_penalty: float = 0.0
    background_quantile: float = 0.75
    background_margin: float | None = None
    short_pause: str = "middle"
    silent_gaps: bool = False
    mark_penalty: float = MARK_PENALTY
    word_edges: bool = False

    def __post_init__(self) -> None:
        for name in ("word_states", "phone_states", "silence_states", "n_mix", "passes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.hard not in HARD_CHOICES:
            raise ValueError(f"hard must be one of {HARD_CHOICES}, got {self.hard!r}")
        if self.short_pause not in SHORT_PAUSE_CHOICES:
            raise ValueError(
                f"short_pause must be one of {SHORT_PAUSE_CHOICES}, got {self.short_pause!r}"
            )
        if self.background_margin is not None and not self.background_margin >= 0:
            raise ValueError(
                f"background_margin must be >= 0 or None, got {self.background_margin}"
            )
        if self.word_edges and self.units != "word":
            raise ValueError("word_edges needs word units (phones have no word-edge states)")
        if not self.mark_penalty > 0:
            raise ValueError(f"mark_penalty must be positive, got {self.mark_penalty}")
        if self.background_penalty < 0:
            raise ValueError(f"background_penalty must be >= 0, got {self.background_penalty}")
        if not 0 < self.background_quantile <= 1:
            raise ValueError(
                f"background_quantile must be in (0, 1], got {self.background_quantile}"
            )
        beam_schedule(self.beam, self.beam_step, self.beam_limit)  # checks the three
        if not 0 < self.var_floor < 1:
            raise ValueError(f"var_floor must be in (0, 1), got {self.var_floor}")

    def background_setting(self, numcep: int, n_features: int) -> tuple | None:
        """The E-step's background setting (penalty, quantile, edge frames[, spectral
        margin, static cepstra]), None when the penalty is off."""
        if not (self.background_penalty > 0 and self.edge_silence > 0):
            return None
        setting = (self.background_penalty, self.background_quantile, self.edge_silence)
        if self.background_margin is None:
            return setting
        return (*setting, self.background_margin, min(numcep, n_features))

    def mixture_schedule(self) -> list[int]:
        """Mixture counts after each split: doubling up to ``n_mix`` (HTK's MU steps)."""
        steps, m = [], 1
        while m < self.n_mix:
            m = min(2 * m, self.n_mix)
            steps.append(m)
        return steps


def with_graph_transitions(graph: CompositeGraph, model: AcousticModel) -> CompositeGraph:
    """The graph with its tied arcs weighted by the model's current transitions."""
    return with_log_transitions(graph, log_transitions(model))


def maximise(model: AcousticModel, stats: EmbeddedStats) -> AcousticModel:
    """M-step: mixtures through the shared mixture EM, transitions by normalised counts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unvisited states keep their values, as HERest
        mixtures = model.mixtures.m_step(stats.moments, "wmc", model.var_floor, min_weight=1e-5)
    flat, offset = [], 0
    for _, transp in model.units.values():
        counts = stats.transitions[offset : offset + transp.size].reshape(transp.shape)
        offset += transp.size
        totals = counts.sum(axis=1, keepdims=True)
        visited = totals[:, 0] > 1e-10
        new = np.where(visited[:, None], counts / np.where(totals > 0, totals, 1.0), transp)
        flat.append(new.ravel())
    return replace(model.with_transitions(np.concatenate(flat)), mixtures=mixtures)


def _mid_energy(x: np.ndarray) -> float:
    """Halfway between an utterance's quiet (10th percentile) and loud (90th) c0."""
    low, high = np.percentile(x[:, 0], [10, 90])
    return float((low + high) / 2)


def flat_start(
    features: Sequence[np.ndarray],
    words: Sequence[str],
    config: EmbeddedConfig,
    lexicon: Lexicon | None = None,
    front_end: MFCCConfig | None = None,
    sample_rate: int | None = None,
) -> AcousticModel:
    """HCompV: every state starts at the global mean and variance of all frames, except
    ``sil``, which starts from the first and last ``edge_silence`` frames of every
    utterance (utterances begin and end in silence); the units get HTK's prototype
    transitions."""
    mean, var = frame_moments(features)  # NumPy's mean and var of the frames stacked
    if np.any(var <= 0):
        raise ValueError("a feature dimension is constant over the training data")
    if config.units == "phone":
        if lexicon is None:
            raise ValueError("phone units need a lexicon")
        names, size = [p for p in lexicon.phones() if p != SILENCE], config.phone_states
    else:
        names, size = sorted(set(words)), config.word_states
    units, next_state = {}, 0
    states = np.arange(config.silence_states)
    units[SILENCE] = (states, silence_transitions(config.silence_states))
    next_state = config.silence_states
    edged = config.word_edges
    for name in names:
        n_states = size + 2 if edged else size
        transp = edged_left_to_right(size) if edged else left_to_right(size)
        units[name] = (np.arange(next_state, next_state + n_states), transp)
        next_state += n_states
    g = next_state
    means, variances = np.tile(mean, (g, 1, 1)), np.tile(var, (g, 1, 1))
    if config.edge_silence > 0:  # sil starts from the utterances' first and last frames
        edge = config.edge_silence
        quiet = np.concatenate([np.concatenate([x[:edge], x[-edge:]]) for x in features])
        means[: config.silence_states] = quiet.mean(axis=0)
        variances[: config.silence_states] = np.maximum(quiet.var(axis=0), config.var_floor * var)
    if config.loud_words:  # units start from the frames above each utterance's mid energy
        loud_mean, loud_var = frame_moments(features, [_mid_energy(x) for x in features])
        means[config.silence_states :] = loud_mean
        variances[config.silence_states :] = np.maximum(loud_var, config.var_floor * var)
    mixtures = MixtureBank(np.ones((g, 1)), means, variances, "diag")
    return AcousticModel(
        units,
        mixtures,
        config.units,
        lexicon,
        front_end or MFCCConfig(),
        sample_rate,
        config.var_floor * var,
    )


def add_short_pause(model: AcousticModel, states: str = "middle") -> AcousticModel:
    """HTK's silence fix-up: the tee model ``sp`` whose one state is ``sil``'s middle one,
    or (``states="silence"``) a tee model over all of ``sil``'s states."""
    if states not in SHORT_PAUSE_CHOICES:
        raise ValueError(f"short pause states must be one of {SHORT_PAUSE_CHOICES}, got {states!r}")
    sil_states = model.units[SILENCE][0]
    units = dict(model.units)
    if states == "silence":
        units[SHORT_PAUSE] = (sil_states.copy(), silence_tee_transitions(len(sil_states)))
    else:
        middle = len(sil_states) // 2
        units[SHORT_PAUSE] = (sil_states[middle : middle + 1], tee_transitions())
    return replace(model, units=units)


def pronunciation_choices(model: AcousticModel, graph: CompositeGraph, X: np.ndarray, words):
    """The pronunciation index of every word on the best path (HVite's realignment)."""
    try:
        path = viterbi(with_graph_transitions(graph, model), model.mixtures.frame_scores(X)[0])
    except ValueError:  # no path fits: keep every pronunciation
        return [None] * len(words)
    visited: dict[int, list[str]] = {}
    for node in path.nodes:
        label = graph.labels.get(int(node))
        if (
            label
            and label[0] == "unit"
            and label[2] >= 0
            and label[1] not in (SILENCE, SHORT_PAUSE)
        ):
            visited.setdefault(label[2], []).append(label[1])
    return [model.pronunciations(w).index(tuple(visited[i])) for i, w in enumerate(words)]


@dataclass
class TrainingLog:
    """Average log-likelihood per frame after every pass, with the stage it belonged to."""

    passes: list[tuple[str, float]] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)


def train_embedded(
    utts: Sequence[str],
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    config: EmbeddedConfig,
    lexicon: Lexicon | None = None,
    front_end: MFCCConfig | None = None,
    sample_rate: int | None = None,
    report: Callable[[str], None] | None = None,
    backend: str = "threads",
    client=None,
    word_times: Mapping[str, Sequence[tuple[str, float, float]]] | None = None,
    word_times_source: str | None = None,
    on_stage: Callable[[int, AcousticModel], None] | None = None,
) -> tuple[AcousticModel, TrainingLog]:
    """Train unit models on transcribed utterances; returns the model and its log. The
    E-step runs on ``config.n_jobs`` threads, or with ``backend="dask"`` on the workers
    of ``client`` (a ``distributed.Client``); the models are the same. ``word_times``
    (utt -> [(word, start, end)] in seconds, e.g. a reference CTM) keeps each marked
    span for its word's units in every pass (:mod:`.time_marks`; errors name
    ``word_times_source``). ``on_stage(n_mix, model)`` is called with the model at the
    end of every mixture stage (1 Gaussian per state, then each count of
    ``config.mixture_schedule()``), as HTK keeps each stage's models."""
    if not (len(utts) == len(features) == len(transcripts)) or not utts:
        raise ValueError("need the same positive number of utterances, features and transcripts")
    words = [w for t in transcripts for w in t]
    model = flat_start(features, words, config, lexicon, front_end, sample_rate)
    where = list(utts)
    for utt, t in zip(utts, transcripts, strict=True):
        for w in t:
            model.pronunciations(w, f"utterance {utt}")
    marks = None
    if word_times is not None:
        marks = word_time_marks(
            word_times,
            dict(zip(utts, transcripts, strict=True)),
            {u: len(X) for u, X in zip(utts, features, strict=True)},
            model,
            front_end or MFCCConfig(),
            word_times_source or "word times",
            config.silent_gaps,
            config.mark_penalty,
        )
    log = TrainingLog()
    resolve_n_jobs(config.n_jobs)  # a bad value fails before any work
    bg = config.background_setting(model.config.numcep, features[0].shape[1])

    def graphs(short_pause: bool, choices=None):
        units = model.unit_models()  # made once: a unit's arcs are listed once
        return [
            model.transcript_graph(
                t, where[i], short_pause, None if choices is None else choices[i], units
            )
            for i, t in enumerate(transcripts)
        ]

    esteps = StageESteps(utts, features, backend, config.n_jobs, client)

    def run_passes(stage: str, utt_graphs, hard: bool = False) -> AcousticModel:
        nonlocal model
        estep = esteps.over(utt_graphs)
        for _ in range(config.passes):
            total = estep(
                EStepSettings(
                    model, config.beam, hard, bg, config.beam_step, config.beam_limit, marks
                )
            )
            if total.n_frames == 0:
                raise ValueError("no utterance fits its transcript (all are too short)")
            model = maximise(model, total)
            log.skipped.update(total.skipped)
            log.passes.append((stage, total.log_likelihood / total.n_frames))
            if report is not None:
                report(f"{stage}: {log.passes[-1][1]:.3f} per frame ({len(total.skipped)} skipped)")
        return model

    with esteps:
        if not config.early_short_pause:
            run_passes("flat start", graphs(False), config.hard != "none")
        model = add_short_pause(model, config.short_pause)
        with_sp = graphs(True)
        run_passes("with sp", with_sp, config.hard != "none")
        fixed = with_sp  # one pronunciation per word: nothing to realign
        if any(len(model.pronunciations(w)) > 1 for w in set(words)):
            choices = [
                pronunciation_choices(model, g, X, t)
                for g, X, t in zip(with_sp, features, transcripts, strict=True)
            ]
            fixed = graphs(True, choices)
        run_passes("realigned", fixed, config.hard != "none")
        if on_stage is not None:
            on_stage(1, model)
        for m in config.mixture_schedule():
            model = replace(model, mixtures=mix_up(model.mixtures, m))
            run_passes(f"{m} mixtures", fixed, config.hard == "all")
            if on_stage is not None:
                on_stage(m, model)
    return model, log
