"""A speaker's own background as the competitor of a word confidence test in decoding.

Recordings start and end in background (HTK and Kaldi assume it; decoding's
``edge_silence`` keeps those frames for ``sil``). The noise between a speaker's words is
often the same kind of noise, and it may hold more than the trained ``sil`` knows:
breaths, clicks, the weak tails of words. A word loop then hears words in it
(insertions). So, per speaker and without any label, a Gaussian mixture is fitted to the
first and last frames of every utterance, and a decoded word is kept only if it fits its
frames better than that background model does (:func:`~.decoder.decode`'s
``background``), as a garbage model's likelihood ratio tests a word's confidence. The
test takes or leaves whole words: as a filler in the decoding network the same model
takes the weak fricatives of words it does not replace (a speaker's /s/ is in his
background too), and the word left is heard as another.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..gaussian_mixture import GaussianMixture

#: Variance floor of the background mixture, as a fraction of its frames' variance (as
#: the embedded training's floor).
BACKGROUND_VAR_FLOOR = 0.01


def edge_frames(features: Sequence[np.ndarray], edge: int) -> np.ndarray:
    """The first and last ``edge`` frames of every utterance, stacked (an utterance
    shorter than ``2 * edge`` frames gives all of its frames once)."""
    if isinstance(edge, bool) or not isinstance(edge, (int, np.integer)) or edge < 1:
        raise ValueError(f"edge must be an integer >= 1, got {edge!r}")
    parts = []
    for X in features:
        if len(X) <= 2 * edge:
            parts.append(X)
        else:
            parts += [X[:edge], X[-edge:]]
    if not parts:
        raise ValueError("no utterances to fit a background model on")
    return np.concatenate(parts)


def fit_background(
    features: Sequence[np.ndarray], edge: int, n_components: int, random_state: int = 0
) -> GaussianMixture:
    """A diagonal Gaussian mixture of ``n_components`` fitted to the first and last
    ``edge`` frames of the utterances (one speaker's); fewer components when there are
    too few frames (at least 10 frames a component)."""
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise ValueError(f"n_components must be an integer >= 1, got {n_components!r}")
    if n_components < 1:
        raise ValueError(f"n_components must be an integer >= 1, got {n_components!r}")
    frames = edge_frames(features, edge)
    k = int(max(1, min(n_components, len(frames) // 10)))
    gmm = GaussianMixture(
        k, "diag", var_floor=BACKGROUND_VAR_FLOOR, random_state=random_state, n_jobs=1
    )
    return gmm.fit(frames)
