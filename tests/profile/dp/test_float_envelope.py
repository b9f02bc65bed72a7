"""One envelope aligned in single precision as HMMER's vector code aligns it: its Forward
score, optimal accuracy, trace and null2 odds agree with the double-precision kernels to
single precision's accuracy, the optimal accuracy's quirks are HMMER's, and the processor's
control register is left as it was."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from hmmkit.profile import AMINO, dp, read_hmmer
from hmmkit.profile.config import configure
from hmmkit.profile.digital import code_table, digitize
from hmmkit.profile.dp.float_envelope import (
    FloatEnvelopeProfile,
    domain_correction,
    float_align_envelope,
    null2_scores,
)
from hmmkit.profile.dp.float_sampling import entry_odds, float_profile
from hmmkit.profile.dp.simd import exchange_mxcsr
from hmmkit.profile.emit import emit
from hmmkit.profile.search.domains import float_unihit_odds_of_length, special_odds_of_length


@pytest.fixture(scope="module")
def globins(shared_data):
    return read_hmmer(shared_data / "protein" / "pyhmmer" / "PF02826.hmm")


def _double_envelope(sub, profile):
    tp, me, ie, _, local = profile.kernel_arrays()
    xp, xmask = special_odds_of_length(len(sub), False)
    work = dp.EnvelopeWorkspace().reserve(len(sub), profile.M)
    nodes = dp.node_vectors(tp, local)
    return dp.align_envelope(sub, 1, nodes, me, ie, xp, local, (tp > 0).astype(float), xmask,
                             work)  # fmt: skip


def test_agrees_with_the_double_precision_alignment(globins):
    """Sequences emitted by PF02826, each aligned whole as one envelope."""
    profile = configure(globins)
    tv, ev, _ = float_profile(profile, entry_odds(globins))
    table = code_table(AMINO)
    tables = FloatEnvelopeProfile(tv, ev, table.degeneracy, AMINO.size).arrays
    rng = np.random.default_rng(3)
    checked = 0
    for record in emit(globins, 12, random_state=rng):
        sub = digitize(record.residues, AMINO)
        score, accuracy, trace, segments, null2 = float_align_envelope(
            sub, 1, tables, float_unihit_odds_of_length(len(sub)))  # fmt: skip
        ref = _double_envelope(sub, profile)
        assert np.float32(score) == score and null2.dtype == np.float32
        assert score == pytest.approx(ref[0], rel=1e-5, abs=1e-4)
        assert accuracy == pytest.approx(ref[1], rel=1e-4, abs=1e-3)
        assert np.array_equal(segments, ref[3])
        for got, want in zip(trace[:3], ref[2][:3], strict=True):
            assert np.array_equal(got, want)
        assert np.allclose(trace[3], ref[2][3], atol=1e-4)
        # null2 by expectation, as the double posteriors give it
        pm, pi, px = ref[4]
        L = len(sub)
        me = np.exp(profile.msc[: AMINO.size])
        odds = (me[:, 1:] @ pm[1:, 1:].sum(axis=0) / L + pi[1:].sum() / L
                + px[1:, [dp.SN, dp.SC, dp.SJ]].sum() / L)  # fmt: skip
        np.testing.assert_allclose(null2[: AMINO.size], odds, rtol=1e-4)
        checked += 1
    assert checked == 12


def test_null2_scores_and_correction_in_single_precision():
    null2 = np.array([0.5, 2.0, 1.0], dtype=np.float32)
    sub = np.array([0, 1, 2, 1], dtype=np.uint8)
    n2sc = np.zeros(6)
    null2_scores(null2, sub, n2sc, 2)
    assert np.array_equal(n2sc[2:6], np.log(null2[sub]).astype(np.float32))
    total = np.float32(0.0)
    for v in n2sc[1:6]:
        total = np.float32(total + np.float32(v))
    assert domain_correction(n2sc, 1, 5) == total


@njit
def _exchange(value):
    return exchange_mxcsr(value)


def test_leaves_the_control_register_as_it_was(globins):
    profile = configure(globins)
    tv, ev, _ = float_profile(profile, entry_odds(globins))
    tables = FloatEnvelopeProfile(tv, ev, code_table(AMINO).degeneracy, AMINO.size).arrays
    sub = digitize("VLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF", AMINO)
    before = _exchange(0x1F80)
    _exchange(before)
    float_align_envelope(sub, 1, tables, float_unihit_odds_of_length(len(sub)))
    after = _exchange(before)
    assert after & ~0x3F == before & ~0x3F  # (the exception flags aside)
