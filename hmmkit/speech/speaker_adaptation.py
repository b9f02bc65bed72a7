"""Unsupervised speaker adaptation for connected-word decoding.

A first pass decodes a speaker's utterances; the hypotheses are then used as
transcripts for one embedded E-step, and the Gaussian means move towards the speaker's
data by MAP (each component's mean becomes ``(tau * mean + sum of frames) / (tau +
count)``, as HTK's MAP adaptation); a second pass decodes with the adapted model.

Words a first pass inserts in the background between words would teach the word models
the speaker's noise, and the next pass would insert more. So, as in training with a
background penalty, frames no louder (c0) than the ``background_quantile`` of their
utterance's first and last ``edge`` frames (its own background) cost the word states
``background_penalty`` nats in the adaptation E-step: they go to ``sil`` and ``sp``.
A speaker whose weak fricatives are as quiet as the background (george's "six") would
lose them to ``sil`` that way, so a quiet frame counts as background only if its
spectrum (static cepstra) is also as likely under a Gaussian of the utterance's end
frames as the least likely end frame, less ``background_margin`` nats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..composite import viterbi
from ..emissions.mixture import MixtureBank
from .acoustic_model import SILENCE, AcousticModel
from .embedded import utterance_stats, with_graph_transitions
from .estep import background_frames
from .fmllr import FmllrStats, apply_fmllr, estimate_fmllr, fmllr_stats
from .mllr import mllr_means

#: How a speaker is adapted: the means by MAP alone, MLLR, or MLLR then MAP (see
#: :func:`adapt_means`); or the features by a CMLLR transform, alone or then MAP of the
#: means (see :func:`adapt_round`).
ADAPTATION_METHODS = ("map", "mllr", "mllr+map", "fmllr", "fmllr+map")
#: The methods that adapt only the means (:func:`adapt_means`).
MEAN_METHODS = ("map", "mllr", "mllr+map")
#: Cost (nats) to the word states of an utterance's background frames while adapting.
ADAPT_BACKGROUND_PENALTY = 20.0
#: A quiet frame is background while adapting only if its spectrum scores at least the
#: lowest of its utterance's end frames' less this many nats (``None``: every quiet
#: frame; see :func:`~.estep.background_frames`).
ADAPT_BACKGROUND_MARGIN = 0.0


def _static_cepstra(model: AcousticModel) -> int:
    """How many leading features are the static cepstra (c0 first)."""
    return min(model.config.numcep, model.mixtures.means.shape[2])


def adaptation_stats(
    model: AcousticModel,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    beam: float = 400.0,
    background_penalty: float = 0.0,
    background_quantile: float = 0.75,
    edge: int = 10,
    background_margin: float | None = ADAPT_BACKGROUND_MARGIN,
):
    """One E-step over the utterances with a non-empty transcript (None when there is
    none); ``background_penalty`` > 0 keeps each utterance's background frames out of the
    word states' statistics (see the module's notes)."""
    if background_penalty < 0:
        raise ValueError(f"background_penalty must be >= 0, got {background_penalty}")
    items = [
        (str(i), X, model.transcript_graph(words))
        for i, (X, words) in enumerate(zip(features, transcripts, strict=True))
        if len(words) > 0
    ]
    if not items:
        return None
    background = None
    if background_penalty > 0 and edge > 0:
        background = (background_penalty, background_quantile, edge)
        if background_margin is not None:
            background += (background_margin, _static_cepstra(model))
    return utterance_stats(model, items, beam, background=background)


def adapt_means(
    model: AcousticModel,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    method: str = "map",
    tau: float = 10.0,
    beam: float = 400.0,
    background_penalty: float = 0.0,
    background_quantile: float = 0.75,
    edge: int = 10,
    background_margin: float | None = ADAPT_BACKGROUND_MARGIN,
) -> AcousticModel:
    """The model with its means adapted to the utterances (their transcripts, often a
    first pass's hypotheses): ``method`` is "map" (MAP, ``tau`` frames of prior weight),
    "mllr" (:mod:`.mllr`: one transform for the silence states' Gaussians and one for the
    words', each falling back to a global one when its frames are too few) or "mllr+map"
    (both in turn, each after its own E-step, as HTK's HERest). Utterances with an empty
    transcript are left out; ``background_penalty`` > 0 keeps each utterance's
    background frames out of the word states' statistics (see the module's notes)."""
    if method not in MEAN_METHODS:
        raise ValueError(f"method must be one of {MEAN_METHODS}, got {method!r}")
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    for step in method.split("+"):
        stats = adaptation_stats(
            model,
            features,
            transcripts,
            beam,
            background_penalty,
            background_quantile,
            edge,
            background_margin,
        )
        if stats is None:
            return model
        mix = model.mixtures
        g, m, d = mix.means.shape
        counts = stats.moments["n"].reshape(g * m)
        centred = stats.moments["s1"].reshape(g * m, d)  # the E-step centres on the means
        means = mix.means.reshape(g * m, d)
        if step == "map":  # (tau mu + sum of frames) / (tau + n)
            moved = means + centred / (tau + counts[:, None])
        else:
            silent = np.zeros(g, dtype=bool)
            silent[model.units[SILENCE][0]] = True
            in_silence = np.repeat(silent, m)
            classes = [np.flatnonzero(in_silence), np.flatnonzero(~in_silence)]
            sums = centred + counts[:, None] * means
            moved = mllr_means(counts, sums, means, mix.covars.reshape(g * m, d), classes)
        bank = MixtureBank(mix.weights, moved.reshape(g, m, d), mix.covars, "diag")
        model = replace(model, mixtures=bank)
    return model


def map_adapt_means(model, features, transcripts, tau=10.0, **options) -> AcousticModel:
    """:func:`adapt_means` by MAP (``options``: its beam and background settings)."""
    return adapt_means(model, features, transcripts, "map", tau, **options)


def mllr_adapt_means(model, features, transcripts, **options) -> AcousticModel:
    """:func:`adapt_means` by MLLR (``options``: its beam and background settings)."""
    return adapt_means(model, features, transcripts, "mllr", **options)


def fmllr_alignment_stats(
    model: AcousticModel,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    transform: np.ndarray,
    beam: float = 400.0,
    background_penalty: float = 0.0,
    background_quantile: float = 0.75,
    edge: int = 10,
    background_margin: float | None = ADAPT_BACKGROUND_MARGIN,
) -> FmllrStats:
    """CMLLR statistics of a speaker's utterances (frames before any transform) from the
    Viterbi alignment of the ``transform``-ed frames to their transcripts: each frame
    counts for the components of its aligned state, with their posteriors within the
    state. Utterances with an empty transcript are left out; ``background_penalty`` > 0
    charges the word states on each utterance's background frames (see the module's
    notes)."""
    mix = model.mixtures
    g, m, d = mix.means.shape
    means, variances = mix.means.reshape(g * m, d), mix.covars.reshape(g * m, d)
    words_only = np.ones(g, dtype=bool)
    words_only[model.units[SILENCE][0]] = False
    total = FmllrStats.zeros(d)
    for X, words in zip(features, transcripts, strict=True):
        if len(words) == 0:
            continue
        moved = apply_fmllr(transform, X)
        log_b, within = mix.frame_scores(moved)
        if background_penalty > 0 and edge > 0:
            spectral = ()
            if background_margin is not None:
                spectral = (background_margin, _static_cepstra(model))
            quiet = background_frames(X, edge, background_quantile, *spectral)
            log_b[np.ix_(quiet, words_only)] -= background_penalty
        graph = with_graph_transitions(model.transcript_graph(words), model)
        try:
            path = viterbi(graph, log_b, beam)
        except ValueError:
            try:
                path = viterbi(graph, log_b)
            except ValueError:  # too few frames for the transcript
                continue
        columns = graph.node_state[path.frame_nodes][:, None] * m + np.arange(m)
        rows = np.arange(len(X))[:, None]
        gamma = np.zeros((len(X), g * m))
        gamma[rows, columns] = within[rows, columns]
        total = total + fmllr_stats(X, gamma, means, variances)
    return total


def speaker_fmllr(
    model: AcousticModel,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    transform: np.ndarray | None = None,
    iterations: int = 2,
    **options,
) -> np.ndarray:
    """A speaker's CMLLR transform (D, D + 1), bias first: ``iterations`` times, the
    frames are aligned after the current transform (the identity, or ``transform``) and
    the transform estimated again (``options``: :func:`fmllr_alignment_stats`'s beam and
    background settings)."""
    d = model.mixtures.means.shape[2]
    current = np.column_stack([np.zeros(d), np.eye(d)]) if transform is None else transform
    for _ in range(iterations):
        stats = fmllr_alignment_stats(model, features, transcripts, current, **options)
        current = estimate_fmllr(stats, current)
    return current


def adapt_round(
    base: AcousticModel,
    adapted: AcousticModel,
    transform: np.ndarray | None,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    method: str = "map",
    tau: float = 10.0,
    **options,
) -> tuple[AcousticModel, np.ndarray | None, list[np.ndarray]]:
    """One round of a speaker's adaptation to its utterances' transcripts: returns the
    model, the feature transform (None for the mean methods) and the frames to score
    with that model. The mean methods (:func:`adapt_means`) move ``adapted``'s means;
    "fmllr" estimates the speaker's CMLLR transform against ``base`` (from ``transform``
    onwards) and leaves ``base`` as it is; "fmllr+map" then MAP-adapts ``adapted``'s
    means to the transformed frames. ``options``: the beam and background settings."""
    if method in MEAN_METHODS:
        model = adapt_means(adapted, features, transcripts, method, tau, **options)
        return model, None, list(features)
    if method not in ADAPTATION_METHODS:
        raise ValueError(f"method must be one of {ADAPTATION_METHODS}, got {method!r}")
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    transform = speaker_fmllr(base, features, transcripts, transform, **options)
    moved = [apply_fmllr(transform, X) for X in features]
    model = base
    if method == "fmllr+map":
        model = adapt_means(adapted, moved, transcripts, "map", tau, **options)
    return model, transform, moved
