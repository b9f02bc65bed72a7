"""Effective sequence number: the entropy-weighting rule and its target."""

from __future__ import annotations

import math

import pytest

from hmmkit.profile import AMINO, DNA
from hmmkit.profile.background import mean_match_relative_entropy
from hmmkit.profile.build import Builder
from hmmkit.profile.build.effective_number import entropy_target, entropy_weighting
from hmmkit.profile.build.priors import (
    background_frequencies,
    default_prior,
    estimate_parameters,
)
from hmmkit.profile.io.alignments import read_alignment


def test_effn_entropy_reaches_target(shared_data):
    msa = read_alignment(shared_data / "protein/tutorial/Pkinase.sto")
    steps = Builder().run(msa, stop_after="counts")
    matassign, (t, mat, ins) = steps.match_columns, steps.counts
    prior = default_prior(AMINO)
    bg = background_frequencies(AMINO)
    M = int(matassign.sum())
    target = entropy_target(M, AMINO)
    neff = entropy_weighting(mat, msa.nseq, prior, bg, target)
    assert 0 < neff < msa.nseq

    def entropy_at(n):
        scale = n / msa.nseq
        _, p, _ = estimate_parameters(t * scale, mat * scale, ins * scale, prior)
        return mean_match_relative_entropy(p, bg)

    # the bisection stops within 0.01 sequences of the root: the target lies between
    assert entropy_at(neff - 0.01) <= target <= entropy_at(neff + 0.01)


def test_entropy_target_rule():
    assert entropy_target(300, AMINO) == 0.59
    m = 20
    assert entropy_target(m, AMINO) == pytest.approx((45 + math.log2(m * (m + 1) / 2)) / m)
    assert entropy_target(300, DNA, target=1.0) == 1.0
