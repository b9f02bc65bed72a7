"""Unsupervised speaker adaptation for connected-word decoding.

A first pass decodes a speaker's utterances; the hypotheses are then used as
transcripts for one embedded E-step, and the Gaussian means move towards the speaker's
data by MAP (each component's mean becomes ``(tau * mean + sum of frames) / (tau +
count)``, as HTK's MAP adaptation); a second pass decodes with the adapted model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..emissions.mixture import MixtureBank
from .acoustic_model import AcousticModel
from .embedded import utterance_stats


def map_adapt_means(
    model: AcousticModel,
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    tau: float = 10.0,
    beam: float = 400.0,
) -> AcousticModel:
    """The model with MAP-adapted means (utterances with an empty transcript are left out)."""
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    items = [
        (str(i), X, model.transcript_graph(words))
        for i, (X, words) in enumerate(zip(features, transcripts, strict=True))
        if len(words) > 0
    ]
    if not items:
        return model
    stats = utterance_stats(model, items, beam)
    mix = model.mixtures
    g, m, d = mix.means.shape
    counts = stats.moments["n"].reshape(g, m, 1)
    sums = stats.moments["s1"].reshape(g, m, d)
    means = (tau * mix.means + sums) / (tau + counts)
    return replace(model, mixtures=MixtureBank(mix.weights, means, mix.covars, "diag"))
