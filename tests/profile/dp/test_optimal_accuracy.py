"""Optimal accuracy alignment against brute force (the best path by summed posteriors) and
against HMMER's hmmalign traces."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force import CONFIGS, random_model, traced_paths

from hmmkit.profile import DNA, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.plan7 import SC, SJ, SN, ST_C, ST_I, ST_J, ST_M, ST_N


def path_accuracy(st, kk, ii, pm, pi, px) -> np.ndarray:
    """Posterior of the state that emitted each residue along a path (0 elsewhere)."""
    table = {ST_N: SN, ST_C: SC, ST_J: SJ}
    out = np.zeros(len(st))
    for z, (s, k, i) in enumerate(zip(st, kk, ii, strict=True)):
        if i > 0:
            out[z] = pm[i, k] if s == ST_M else pi[i, k] if s == ST_I else px[i, table[s]]
    return out


@pytest.mark.parametrize("mode,multihit", CONFIGS)
def test_optimal_accuracy_is_the_best_summed_posterior_path(mode, multihit):
    """The OA score is the largest sum of residue posteriors over every possible path, and
    the traceback is that path with those posteriors."""
    rng = np.random.default_rng(47)
    for _ in range(3):
        model = random_model(rng, M=3)
        dsq = digitize("".join(rng.choice(list("ACGT"), size=4)), DNA)
        profile = configure(model, len(dsq), mode=mode, multihit=multihit)
        tp, me, ie, xp, local = profile.kernel_arrays()
        fm, fi, _, fx, ls, _ = dp.forward_matrix(dsq, tp, me, ie, xp, local)
        bm, bi, _, bx = dp.backward_matrix(dsq, tp, me, ie, xp, local, ls)
        pm, pi, px = dp.posterior_matrix(fm, fi, fx, bm, bi, bx, xp, ls)
        tmask = (tp > 0).astype(np.float64)
        xmask = (xp > 0).astype(np.float64)
        om, oi, od, ox, score = dp.optimal_accuracy(pm, pi, px, tmask, xmask, local)
        st, kk, ii, pp = dp.oa_trace(pm, pi, px, tmask, xmask, local, om, oi, od, ox)
        paths = traced_paths(profile, dsq)
        best = max(path_accuracy(*path[1:], pm, pi, px).sum() for path in paths)
        assert score == pytest.approx(best, abs=1e-12)
        np.testing.assert_allclose(pp, path_accuracy(st, kk, ii, pm, pi, px), atol=1e-12)
        assert pp.sum() == pytest.approx(score, abs=1e-12)


def test_optimal_accuracy_and_viterbi_against_hmmer_traces(shared_data):
    """HMMER's hmmalign paths (TraceAligner): our optimal accuracy equals their expected
    accuracy, HMMER scores its path as we score ours, and our Viterbi score bounds it."""
    from hmmer_reference import build_hmm, to_profile_hmm
    from pyhmmer import easel, plan7

    from hmmkit.profile.align import align

    hmm = build_hmm(shared_data / "protein/tutorial/globins4.sto")
    model = to_profile_hmm(hmm)
    abc = easel.Alphabet.amino()
    path = shared_data / "protein/tutorial/globins45.fa"
    with easel.SequenceFile(str(path), digital=True, alphabet=abc) as handle:
        seqs = handle.read_block()
    traces = plan7.TraceAligner().compute_traces(hmm, seqs)
    records = read_fasta(path)[:12]
    ours = align(model, records)
    profile = configure(model, multihit=False)
    bg = plan7.Background(abc)
    for n, rec in enumerate(records):
        hp = plan7.Profile(hmm.M, abc)
        hp.configure(hmm, bg, len(seqs[n]), multihit=False)
        st, kk, ii, _ = ours.traces[n]
        dsq = digitize(rec.residues, model.alphabet)
        profile.set_length(len(dsq))
        assert ours.scores[n] == pytest.approx(traces[n].expected_accuracy(), abs=1e-3)
        hmmer_path_score = traces[n].score(seqs[n], hp)
        assert dp.trace_score(profile, dsq, st, kk, ii) == pytest.approx(hmmer_path_score, abs=1e-3)
        args = (dsq, profile.tsc, profile.msc, profile.isc, profile.xsc, 1.0)
        *_, vit = dp.viterbi_matrix(*args)
        assert vit >= hmmer_path_score - 1e-3
