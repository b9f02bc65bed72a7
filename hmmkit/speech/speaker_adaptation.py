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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..emissions.mixture import MixtureBank
from .acoustic_model import SILENCE, AcousticModel
from .embedded import utterance_stats
from .mllr import mllr_means

#: How means are adapted: MAP alone, MLLR, or MLLR then MAP (see :func:`adapt_means`).
ADAPTATION_METHODS = ("map", "mllr", "mllr+map")
#: Cost (nats) to the word states of an utterance's background frames while adapting.
ADAPT_BACKGROUND_PENALTY = 20.0


def adaptation_stats(
    model: AcousticModel,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    beam: float = 400.0,
    background_penalty: float = 0.0,
    background_quantile: float = 0.75,
    edge: int = 10,
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
) -> AcousticModel:
    """The model with its means adapted to the utterances (their transcripts, often a
    first pass's hypotheses): ``method`` is "map" (MAP, ``tau`` frames of prior weight),
    "mllr" (:mod:`.mllr`: one transform for the silence states' Gaussians and one for the
    words', each falling back to a global one when its frames are too few) or "mllr+map"
    (both in turn, each after its own E-step, as HTK's HERest). Utterances with an empty
    transcript are left out; ``background_penalty`` > 0 keeps each utterance's
    background frames out of the word states' statistics (see the module's notes)."""
    if method not in ADAPTATION_METHODS:
        raise ValueError(f"method must be one of {ADAPTATION_METHODS}, got {method!r}")
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    for step in method.split("+"):
        stats = adaptation_stats(
            model, features, transcripts, beam, background_penalty, background_quantile, edge
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
