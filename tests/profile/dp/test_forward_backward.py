"""Full-matrix Forward/Backward and the parsers against brute-force path enumeration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brute_force import CONFIGS, enumerate_paths, random_model

from hmmkit.profile import DNA, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize, pack


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_forward_and_viterbi_equal_brute_force(mode, multihit):
    rng = np.random.default_rng(7)
    for trial in range(4):
        model = random_model(rng, M=3)
        dsq = digitize("".join(rng.choice(list("ACGT"), size=3)), DNA)
        profile = configure(model, len(dsq), mode=mode, multihit=multihit)
        odds = enumerate_paths(profile, dsq)
        tp, me, ie, xp, local = profile.kernel_arrays()
        *_, fwd = dp.forward_matrix(dsq, tp, me, ie, xp, local)
        assert fwd == pytest.approx(math.log(odds.sum()), abs=1e-9)
        *_, vit = dp.viterbi_matrix(dsq, profile.tsc, profile.msc, profile.isc, profile.xsc, local)
        assert vit == pytest.approx(math.log(odds.max()), abs=1e-9)
        scan = dp.forward_scores(profile, dsq, np.array([0]), np.array([len(dsq)]))
        assert scan[0] == pytest.approx(fwd, abs=1e-4), trial


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_backward_total_equals_brute_force(mode, multihit):
    """Backward's N state at row 0, unscaled, is the total odds of every path."""
    rng = np.random.default_rng(17)
    for trial in range(3):
        model = random_model(rng, M=2 + trial % 2)
        dsq = digitize("".join(rng.choice(list("ACGT"), size=3)), DNA)
        profile = configure(model, len(dsq), mode=mode, multihit=multihit)
        tp, me, ie, xp, local = profile.kernel_arrays()
        *_, ls, _ = dp.forward_matrix(dsq, tp, me, ie, xp, local)
        *_, bx = dp.backward_matrix(dsq, tp, me, ie, xp, local, ls)
        total = math.log(bx[0, dp.SN]) + ls[1:].sum()
        assert total == pytest.approx(math.log(enumerate_paths(profile, dsq).sum()), abs=1e-9)


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_parsers_keep_the_full_matrices_special_rows(mode, multihit):
    """The two-row parsers give the special states of the full matrices, bit for bit."""
    rng = np.random.default_rng(23)
    model = random_model(rng, M=9)
    dsq = digitize("".join(rng.choice(list("ACGT"), size=30)), DNA)
    profile = configure(model, len(dsq), mode=mode, multihit=multihit)
    tp, me, ie, xp, local = profile.kernel_arrays()
    *_, fx, ls, score = dp.forward_matrix(dsq, tp, me, ie, xp, local)
    *_, bx = dp.backward_matrix(dsq, tp, me, ie, xp, local, ls)
    px, pls, pscore = dp.forward_parser(dsq, tp, me, ie, xp, local)
    np.testing.assert_array_equal(px, fx)
    np.testing.assert_array_equal(pls, ls)
    assert pscore == score
    np.testing.assert_array_equal(dp.backward_parser(dsq, tp, me, ie, xp, local, ls), bx)


def test_batch_decoding_equals_one_sequence_at_a_time():
    """Sequences decoded side by side (more than one lane set, each with its own length
    model) give each sequence's multi-hit Forward/Backward specials and row scales, bit
    for bit: the same operations in the same order."""
    rng = np.random.default_rng(29)
    model = random_model(rng, M=7)
    codes = [digitize("".join(rng.choice(list("ACGT"), size=n)), DNA)
             for n in rng.integers(1, 40, size=dp.PARSER_LANES + 9)]  # fmt: skip
    batch = pack(codes)
    profile = configure(model, 100)
    fx, bx, ls = dp.domain_decoding_batch(profile, batch.X, batch.starts, batch.lengths)
    for s, dsq in enumerate(codes):
        rows = slice(batch.starts[s] + s, batch.starts[s] + s + len(dsq) + 1)
        tp, me, ie, xp, local = profile.set_length(len(dsq)).kernel_arrays()
        fx1, ls1, _ = dp.forward_parser(dsq, tp, me, ie, xp, local)
        bx1 = dp.backward_parser(dsq, tp, me, ie, xp, local, ls1)
        np.testing.assert_array_equal(fx[rows], fx1)
        np.testing.assert_array_equal(ls[rows], ls1)
        np.testing.assert_array_equal(bx[rows], bx1)
