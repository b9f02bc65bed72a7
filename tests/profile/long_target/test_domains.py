"""nhmmer's envelope odds: the match odds against a background mixed with the envelope's
composition, against the formula written with numpy (frequencies counted per residue,
degenerate codes spread over the residues they denote)."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile.long_target import query_model
from hmmkit.profile.long_target.pipeline import LongTargetOptions, LongTargetPipeline

MADE1 = "protein/tutorial/MADE1.sto"


@pytest.fixture(scope="module")
def definer(shared_data):
    return LongTargetPipeline(query_model(shared_data / MADE1), LongTargetOptions()).definer


def _numpy_odds(d, sub, window):
    smooth = np.float32(25.0) / np.float32(min(100, max(50, window)))
    counts = np.bincount(sub, minlength=len(d.degen) + 1)[: len(d.degen)]
    freq = (counts @ d.per_code).astype(np.float32)
    freq = (freq / freq.sum()).astype(np.float32)
    f = (smooth * d.bg + (np.float32(1.0) - smooth) * freq).astype(np.float64)
    scores = np.log(d.match / f[None, :])  # (M, K)
    weighted = d.degen * f[None, :]
    me = np.zeros_like(d.me)
    me[: len(d.degen), 1:] = np.exp((weighted @ scores.T) / weighted.sum(axis=1)[:, None])
    return me


@pytest.mark.parametrize("window", [60, 300])
def test_envelope_odds_follow_the_mixed_background(definer, window):
    rng = np.random.default_rng(window)
    sub = rng.choice(4, size=150, p=[0.4, 0.1, 0.1, 0.4]).astype(np.uint8)
    sub[::7] = rng.integers(4, len(definer.degen), size=len(sub[::7]))  # degenerate codes
    definer.window = window
    ours = definer._odds(sub)
    assert np.allclose(ours, _numpy_odds(definer, sub, window), rtol=1e-12, atol=0)
    # an A/T-rich envelope: A and T score lower, C and G higher than on the default odds
    a, c = 0, 1
    assert (ours[a, 1:] < definer.me[a, 1:]).all() and (ours[c, 1:] > definer.me[c, 1:]).all()
