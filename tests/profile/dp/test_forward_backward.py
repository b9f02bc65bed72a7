"""Full-matrix Forward/Backward and the parsers against brute-force path enumeration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brute_force import CONFIGS, enumerate_paths, random_model

from hmmkit.profile import AMINO, DNA, ProfileHMM, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import code_table, digitize, pack


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
    assert_batch_is_one_at_a_time(configure(model, 100), codes)


def assert_batch_is_one_at_a_time(profile, codes):
    """The batch decoding of the sequences `codes` gives each one's specials and row scales
    of the one-sequence parsers (multi-hit, set to its length), bit for bit."""
    batch = pack(codes)
    fx, bx, ls = dp.domain_decoding_batch(profile, batch.X, batch.starts, batch.lengths)
    for s, dsq in enumerate(codes):
        rows = slice(batch.starts[s] + s, batch.starts[s] + s + len(dsq) + 1)
        tp, me, ie, xp, local = profile.set_length(len(dsq)).kernel_arrays()
        fx1, ls1, _ = dp.forward_parser(dsq, tp, me, ie, xp, local)
        bx1 = dp.backward_parser(dsq, tp, me, ie, xp, local, ls1)
        np.testing.assert_array_equal(fx[rows], fx1)
        np.testing.assert_array_equal(ls[rows], ls1)
        np.testing.assert_array_equal(bx[rows], bx1)


def _amino_model(rng, M):
    """A random protein profile HMM (HMMER's boundary conventions, as ``random_model``)."""
    t = random_model(rng, M).transitions
    match = np.vstack([np.eye(1, 20)[0], rng.dirichlet(np.ones(20) * 0.5, size=M)])
    insert = rng.dirichlet(np.ones(20) * 5, size=M + 1)
    return ProfileHMM(AMINO, t, match, insert, name="random")


@pytest.mark.parametrize("padded", [True, False])
def test_batch_decoding_of_every_protein_code_equals_one_sequence_at_a_time(
    padded, monkeypatch
):  # fmt: skip
    """Protein targets with every residue code (canonical, degenerate, X): the batch
    decoding gathers odds of codes past 16 by permutes where the odds rows are padded to
    32 codes, lane by lane where they are not; both give each sequence's specials."""
    from hmmkit.profile.dp import forward_backward

    if not padded:  # the rows as the profile has them: 29 codes, gathered lane by lane
        unpadded = lambda me: np.ascontiguousarray(me.T)  # noqa: E731
        monkeypatch.setattr(forward_backward, "padded_odds", unpadded)
    rng = np.random.default_rng(31)
    model = _amino_model(rng, M=23)
    table = code_table(AMINO)
    residues = [table.letters[c] for c in np.flatnonzero(table.is_residue())]
    codes = [digitize("".join(rng.choice(residues, size=n)), AMINO)
             for n in rng.integers(1, 60, size=2 * dp.PARSER_LANES + 5)]  # fmt: skip
    assert len(set(np.concatenate(codes))) == len(residues)
    assert_batch_is_one_at_a_time(configure(model, 100), codes)
