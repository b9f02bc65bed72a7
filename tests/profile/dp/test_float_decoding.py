"""HMMER's single-precision Backward parser and domain decoding, against the
double-precision Forward/Backward and decoding kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hmmkit.profile import dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.dp.float_decoding import (
    float_backward_parser,
    float_domain_posteriors,
    hmmer_domain_posteriors,
)
from hmmkit.profile.dp.float_sampling import (
    CM,
    entry_odds,
    float_forward,
    float_profile,
    special_odds,
)
from hmmkit.profile.io.fasta import read_fasta

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


@pytest.fixture(scope="module")
def decoded(shared_data, pf02826):
    """(double, single) decodings of 40 proteome sequences and the two parsers' scores."""
    from hmmer_reference import to_profile_hmm

    model = to_profile_hmm(pf02826)
    profile = configure(model)
    tv, ev, _ = float_profile(profile, entry_odds(model))
    out = []
    for record in read_fasta(shared_data / PROTEOME)[:2100:53]:
        dsq = digitize(record.residues, model.alphabet)
        profile.set_multihit(True, len(dsq))
        tp, me, ie, xp, local = profile.kernel_arrays()
        fx, ls, score = dp.forward_parser(dsq, tp, me, ie, xp, local)
        bx = dp.backward_parser(dsq, tp, me, ie, xp, local, ls)
        double = dp.domain_posteriors(fx, bx, xp, ls)
        xf = special_odds(xp)
        _, _, _, ffx, fscale = float_forward(dsq, tv, ev, xf)
        bfx, bscale, own = float_backward_parser(dsq, tv, ev, xf, fscale)
        single = float_domain_posteriors(ffx, fscale, bfx, bscale, own, xf)
        forward = math.log(ffx[-1, dp.SC] * xf[CM]) + np.log(fscale.astype(float)).sum()
        backward = math.log(bfx[0, dp.SN]) + np.log(bscale.astype(float)).sum()
        out.append((dsq, double, single, (score, forward, backward), (tv, ev, xf)))
    return out


def test_single_precision_backward_scores_the_forward_score(decoded):
    """The Backward parser's score equals the Forward score, of the same pass in single
    precision and of the double-precision pass, to single-precision rounding."""
    for _, _, _, (score, forward, backward), _ in decoded:
        assert backward == pytest.approx(forward, rel=1e-5, abs=1e-4)
        assert forward == pytest.approx(score, rel=1e-5, abs=1e-4)


def test_single_precision_posteriors_are_the_double_ones_to_rounding(decoded):
    """Occupancy and the expected numbers of starts and ends (with their running sums) of
    every residue agree with the double-precision decoding within 1e-4; the results are
    float32, as HMMER's."""
    for _, double, single, _, _ in decoded:
        for a, b in zip(double, single, strict=True):
            assert b.dtype == np.float32
            np.testing.assert_allclose(b, a, atol=1e-4)
            np.testing.assert_allclose(np.diff(b), np.diff(a), atol=1e-4)


def test_hmmer_domain_posteriors_chains_the_parsers(decoded):
    """The one-call form gives the parsers' and decoding's results bit for bit."""
    dsq, _, single, _, (tv, ev, xf) = decoded[3]
    for a, b in zip(hmmer_domain_posteriors(dsq, tv, ev, xf), single, strict=True):
        np.testing.assert_array_equal(a, b)
