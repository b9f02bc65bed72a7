"""One envelope aligned in one call: bit for bit the separate Forward, Backward, posterior,
optimal accuracy and traceback kernels (each tested against brute force in its own
module), whatever the workspace held before."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force import CONFIGS, random_model, traced_paths

from hmmkit.profile import DNA, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize


def separate_kernels(sub, first, tp, me, ie, xp, local):
    """The envelope's alignment by the one-purpose kernels, as domain definition used them."""
    fm, fi, _, fx, ls, score = dp.forward_matrix(sub, tp, me, ie, xp, local)
    if not np.isfinite(score):
        return score, None
    bm, bi, _, bx = dp.backward_matrix(sub, tp, me, ie, xp, local, ls)
    pm, pi, px = dp.posterior_matrix(fm, fi, fx, bm, bi, bx, xp, ls)
    tmask, xmask = (tp > 0).astype(np.float64), (xp > 0).astype(np.float64)
    om, oi, od, ox, accuracy = dp.optimal_accuracy(pm, pi, px, tmask, xmask, local)
    st, kk, ii, pp = dp.oa_trace(pm, pi, px, tmask, xmask, local, om, oi, od, ox)
    ii = np.where(ii > 0, ii + np.int64(first) - 1, 0)
    segments = dp.trace_domains(st, kk, ii) if len(st) else np.zeros((0, 6), dtype=np.int64)
    return score, (accuracy, (st, kk, ii, pp), segments, (pm, pi, px))


def fused(sub, first, tp, me, ie, xp, local, work):
    tmask, xmask = (tp > 0).astype(np.float64), (xp > 0).astype(np.float64)
    nodes = dp.node_vectors(tp, local)
    return dp.align_envelope(sub, first, nodes, me, ie, xp, local, tmask, xmask, work)


def assert_same_bits(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


def check(sub, first, profile, workspace):
    tp, me, ie, xp, local = profile.kernel_arrays()
    work = workspace.reserve(len(sub), profile.M)
    work[:] = np.nan  # whatever an earlier envelope left
    score, rest = separate_kernels(sub, first, tp, me, ie, xp, local)
    got = fused(sub, first, tp, me, ie, xp, local, work)
    assert got[0] == score or (np.isnan(score) and np.isnan(got[0]))
    if rest is None:
        assert len(got[3]) == 0
        return
    accuracy, trace, segments, posteriors = rest
    assert got[1] == accuracy
    for a, b in zip(got[2], trace, strict=True):
        assert_same_bits(a, b)
    assert_same_bits(got[3], segments)
    for a, b in zip(got[4], posteriors, strict=True):
        assert_same_bits(np.ascontiguousarray(a), b)


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_fused_alignment_equals_the_separate_kernels_on_random_models(mode, multihit):
    """Random DNA models of 1 to 30 nodes and envelopes of 1 to 60 residues, in a workspace
    that is reused (and filled with NaN before every call)."""
    rng = np.random.default_rng(5)
    workspace = dp.EnvelopeWorkspace()
    for M in (1, 2, 3, 8, 30):
        model = random_model(rng, M)
        for L in (1, 2, 7, 60):
            dsq = digitize("".join(rng.choice(list("ACGTN"), size=L)), DNA)
            profile = configure(model, int(rng.integers(L, 3 * L + 2)), mode=mode,
                                multihit=multihit)  # fmt: skip
            check(dsq, int(rng.integers(1, 40)), profile, workspace)


def test_fused_alignment_is_the_best_summed_posterior_path():
    """Independent of the other kernels: on tiny models the optimal accuracy equals the
    best sum of residue posteriors over every path (enumerated)."""
    rng = np.random.default_rng(3)
    workspace = dp.EnvelopeWorkspace()
    for _ in range(4):
        model = random_model(rng, M=3)
        dsq = digitize("".join(rng.choice(list("ACGT"), size=4)), DNA)
        profile = configure(model, len(dsq), mode="local", multihit=False)
        tp, me, ie, xp, local = profile.kernel_arrays()
        paths = traced_paths(profile, dsq)
        total = sum(odds for odds, *_ in paths)
        # posterior of each (state, k, residue) from the enumerated paths
        got = fused(dsq, 1, tp, me, ie, xp, local, workspace.reserve(len(dsq), 3))
        pm, pi, px = got[4]
        assert np.isclose(got[0], np.log(total), atol=1e-12)
        best = 0.0
        for _, st, kk, ii in paths:
            acc = sum(pm[i, k] if s == dp.ST_M else pi[i, k] if s == dp.ST_I
                      else px[i, {dp.ST_N: dp.SN, dp.ST_C: dp.SC, dp.ST_J: dp.SJ}[s]]
                      for s, k, i in zip(st, kk, ii, strict=True) if i > 0)  # fmt: skip
            best = max(best, acc)
        assert got[1] == pytest.approx(best, abs=1e-12)
        assert got[2][3].sum() == pytest.approx(got[1], abs=1e-12)


def test_fused_alignment_equals_the_separate_kernels_on_pfam(pf02826, shared_data):
    """PF02826 (M=178) on envelopes cut from the proteome's proteins, long and short,
    through one workspace."""
    from hmmer_reference import to_profile_hmm

    from hmmkit.profile import AMINO
    from hmmkit.profile.io.fasta import read_fasta

    model = to_profile_hmm(pf02826)
    records = read_fasta(shared_data / "protein/pyhmmer/938293.PRJEB85.HG003687.faa")
    workspace = dp.EnvelopeWorkspace()
    rng = np.random.default_rng(9)
    for rec in records[:12]:
        dsq = digitize(rec.residues.rstrip("*"), AMINO)
        i = int(rng.integers(1, len(dsq)))
        j = int(rng.integers(i, len(dsq) + 1))
        profile = configure(model, len(dsq), multihit=False)
        check(dsq[i - 1 : j], i, profile, workspace)
