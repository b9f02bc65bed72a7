"""Histogram equalisation of features (Gaussianisation, as short-time feature warping
but over a whole normalisation group): each coefficient's values are replaced by the
standard normal quantiles of their ranks, so that every coefficient of a group of
frames (an utterance, or all of a speaker's utterances) has the same distribution,
N(0, 1), whatever the speaker's channel, level or noise. Mean and variance
normalisation (CMVN) match only the first two moments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata


def gaussianise(feats: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Equalise a group of utterances (each (T_i, D)) with shared statistics: a value of
    rank r (ties share their mean rank) among the group's n frames of its coefficient
    becomes the standard normal quantile of (r - 1/2) / n."""
    arrays = [np.asarray(f, dtype=np.float64) for f in feats]
    stacked = np.concatenate(arrays)
    if len(stacked) == 0:
        return arrays
    ranks = rankdata(stacked, method="average", axis=0)
    warped = ndtri((ranks - 0.5) / len(stacked))
    bounds = np.cumsum([len(f) for f in arrays])[:-1]
    return list(np.split(warped, bounds))
