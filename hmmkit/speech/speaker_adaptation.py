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
from .acoustic_model import AcousticModel
from .embedded import utterance_stats

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


def map_adapt_means(
    model: AcousticModel,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    tau: float = 10.0,
    beam: float = 400.0,
    background_penalty: float = 0.0,
    background_quantile: float = 0.75,
    edge: int = 10,
) -> AcousticModel:
    """The model with MAP-adapted means (utterances with an empty transcript are left
    out); ``background_penalty`` > 0 keeps each utterance's background frames out of the
    word states' statistics (see the module's notes)."""
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    stats = adaptation_stats(
        model, features, transcripts, beam, background_penalty, background_quantile, edge
    )
    if stats is None:
        return model
    mix = model.mixtures
    g, m, d = mix.means.shape
    counts = stats.moments["n"].reshape(g, m, 1)
    # (tau mu + sum of frames) / (tau + n), the E-step's first moments being centred on mu
    means = mix.means + stats.moments["s1"].reshape(g, m, d) / (tau + counts)
    return replace(model, mixtures=MixtureBank(mix.weights, means, mix.covars, "diag"))
