"""Posterior decoding (residue and domain posteriors) against brute-force path enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force import (
    CONFIGS,
    enumerate_paths,
    enumerate_with_forced_match,
    random_model,
    tiny_case,
    traced_paths,
)

from hmmkit.profile import DNA, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.plan7 import ST_B, ST_E, ST_I, ST_M


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_posterior_decoding_equals_brute_force(mode, multihit):
    """Posterior that residue i is emitted by M_k, from path enumeration with emission maps."""
    rng = np.random.default_rng(11)
    model = random_model(rng, M=2)
    dsq = digitize("ACG", DNA)
    profile = configure(model, len(dsq), mode=mode, multihit=multihit)
    tp, me, ie, xp, local = profile.kernel_arrays()
    fm, fi, fd, fx, ls, _ = dp.forward_matrix(dsq, tp, me, ie, xp, local)
    bm, bi, bd, bx = dp.backward_matrix(dsq, tp, me, ie, xp, local, ls)
    pm, pi, px = dp.posterior_matrix(fm, fi, fx, bm, bi, bx, xp, ls)
    # every residue is emitted by exactly one state: rows sum to one
    np.testing.assert_allclose(pm[1:].sum(1) + pi[1:].sum(1) + px[1:].sum(1), 1.0, atol=1e-12)
    # brute force: odds of the paths that emit residue i from M_k, over all paths
    total = enumerate_paths(profile, dsq).sum()
    for i in range(1, 4):
        for k in range(1, 3):
            sub = enumerate_with_forced_match(profile, dsq, i, k)
            assert pm[i, k] == pytest.approx(sub / total, abs=1e-10)


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_domain_posteriors_equal_brute_force(mode, multihit):
    """mocc[i]: probability that residue i lies in a domain; btot[i]/etot[i]: expected
    number of domains begun/ended by residue i; all by path enumeration."""
    profile, dsq = tiny_case(13, 2, "GATC", mode, multihit)
    tp, me, ie, xp, local = profile.kernel_arrays()
    fx, ls, _ = dp.forward_parser(dsq, tp, me, ie, xp, local)
    bx = dp.backward_parser(dsq, tp, me, ie, xp, local, ls)
    mocc, btot, etot = dp.domain_posteriors(fx, bx, xp, ls)
    L = len(dsq)
    want = np.zeros((3, L + 1))
    total = 0.0
    for odds, st, _, ii in traced_paths(profile, dsq):
        total += odds
        emitted = np.maximum.accumulate(ii)  # residues emitted up to each step
        for z, s in enumerate(st):
            if s in (ST_M, ST_I) and ii[z] > 0:
                want[0, ii[z]] += odds
            elif s == ST_B:  # a domain starting with residue emitted[z] + 1
                want[1, emitted[z] + 1 :] += odds
            elif s == ST_E:  # a domain ending with residue emitted[z]
                want[2, emitted[z] :] += odds
    want /= total
    np.testing.assert_allclose(mocc[1:], want[0, 1:], atol=1e-10)
    np.testing.assert_allclose(btot, want[1], atol=1e-10)
    np.testing.assert_allclose(etot, want[2], atol=1e-10)
    assert total == pytest.approx(enumerate_paths(profile, dsq).sum(), rel=1e-12)
