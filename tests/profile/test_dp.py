"""Plan7 DP kernels against brute-force path enumeration and against HMMER (pyhmmer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hmmkit.profile import DNA, ProfileHMM, dp
from hmmkit.profile.background import Background
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.io.fasta import read_fasta

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def random_model(rng: np.random.Generator, M: int) -> ProfileHMM:
    """A random DNA profile HMM with HMMER's boundary conventions."""
    t = np.zeros((M + 1, 7))
    for k in range(M + 1):
        t[k, 0:3] = rng.dirichlet([4.0, 1.0, 1.0])
        t[k, 3:5] = rng.dirichlet([2.0, 1.0])
        t[k, 5:7] = rng.dirichlet([2.0, 1.0]) if k > 0 else [1.0, 0.0]
    t[M] = [1 - t[M, 1], t[M, 1], 0.0, t[M, 3], t[M, 4], 1.0, 0.0]
    match = np.vstack([np.eye(1, 4)[0], rng.dirichlet(np.ones(4) * 0.7, size=M)])
    insert = rng.dirichlet(np.ones(4) * 5, size=M + 1)
    return ProfileHMM(DNA, t, match, insert, name="random")


def enumerate_paths(profile, dsq):
    """Odds of every complete state path emitting `dsq` (explicit enumeration)."""
    tp, me, ie, xp, local = profile.kernel_arrays()
    M, L = profile.M, len(dsq)
    out = []

    def go(state, k, i, p):
        if p == 0.0:
            return
        if state == "N":
            if i < L:
                go("N", 0, i + 1, p * xp[dp.XN, dp.LOOP])
            go("B", 0, i, p * xp[dp.XN, dp.MOVE])
        elif state == "B":
            for kk in range(1, M + 1):
                if i < L:
                    go("M", kk, i + 1, p * tp[kk - 1, dp.TBM] * me[dsq[i], kk])
        elif state in ("M", "D"):
            exit_ok = local > 0 or k == M
            if exit_ok:
                go("E", 0, i, p)
            if k < M:
                row = dp.TMM if state == "M" else dp.TDM
                if i < L:
                    go("M", k + 1, i + 1, p * tp[k, row] * me[dsq[i], k + 1])
                go("D", k + 1, i, p * tp[k, dp.TMD if state == "M" else dp.TDD])
                if state == "M" and i < L:
                    go("I", k, i + 1, p * tp[k, dp.TMI] * ie[dsq[i], k])
        elif state == "I":
            if i < L:
                go("M", k + 1, i + 1, p * tp[k, dp.TIM] * me[dsq[i], k + 1])
                go("I", k, i + 1, p * tp[k, dp.TII] * ie[dsq[i], k])
        elif state == "E":
            go("C", 0, i, p * xp[dp.XE, dp.MOVE])
            go("J", 0, i, p * xp[dp.XE, dp.LOOP])
        elif state == "J":
            if i < L:
                go("J", 0, i + 1, p * xp[dp.XJ, dp.LOOP])
            go("B", 0, i, p * xp[dp.XJ, dp.MOVE])
        elif state == "C":
            if i < L:
                go("C", 0, i + 1, p * xp[dp.XC, dp.LOOP])
            elif i == L:
                out.append(p * xp[dp.XC, dp.MOVE])

    go("N", 0, 0, 1.0)
    return np.array(out)


CONFIGS = [("local", True), ("local", False), ("glocal", True), ("glocal", False)]


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


def enumerate_with_forced_match(profile, dsq, i_forced, k_forced):
    """Total odds of paths in which residue `i_forced` is emitted by M_`k_forced`."""
    tp, me, ie, xp, local = profile.kernel_arrays()
    M, L = profile.M, len(dsq)
    total = [0.0]

    def go(state, k, i, p, hit):
        if p == 0.0:
            return
        if state == "N":
            if i < L:
                go("N", 0, i + 1, p * xp[dp.XN, dp.LOOP], hit)
            go("B", 0, i, p * xp[dp.XN, dp.MOVE], hit)
        elif state == "B":
            for kk in range(1, M + 1):
                if i < L:
                    go("M", kk, i + 1, p * tp[kk - 1, dp.TBM] * me[dsq[i], kk],
                       hit or (i + 1 == i_forced and kk == k_forced))  # fmt: skip
        elif state in ("M", "D"):
            if local > 0 or k == M:
                go("E", 0, i, p, hit)
            if k < M:
                row = dp.TMM if state == "M" else dp.TDM
                if i < L:
                    go("M", k + 1, i + 1, p * tp[k, row] * me[dsq[i], k + 1],
                       hit or (i + 1 == i_forced and k + 1 == k_forced))  # fmt: skip
                go("D", k + 1, i, p * tp[k, dp.TMD if state == "M" else dp.TDD], hit)
                if state == "M" and i < L:
                    go("I", k, i + 1, p * tp[k, dp.TMI] * ie[dsq[i], k], hit)
        elif state == "I":
            if i < L:
                go("M", k + 1, i + 1, p * tp[k, dp.TIM] * me[dsq[i], k + 1],
                   hit or (i + 1 == i_forced and k + 1 == k_forced))  # fmt: skip
                go("I", k, i + 1, p * tp[k, dp.TII] * ie[dsq[i], k], hit)
        elif state == "E":
            go("C", 0, i, p * xp[dp.XE, dp.MOVE], hit)
            go("J", 0, i, p * xp[dp.XE, dp.LOOP], hit)
        elif state == "J":
            if i < L:
                go("J", 0, i + 1, p * xp[dp.XJ, dp.LOOP], hit)
            go("B", 0, i, p * xp[dp.XJ, dp.MOVE], hit)
        elif state == "C":
            if i < L:
                go("C", 0, i + 1, p * xp[dp.XC, dp.LOOP], hit)
            elif hit:
                total[0] += p * xp[dp.XC, dp.MOVE]

    go("N", 0, 0, 1.0, False)
    return total[0]


def test_viterbi_trace_scores_its_own_score():
    rng = np.random.default_rng(3)
    model = random_model(rng, M=12)
    dsq = digitize("".join(rng.choice(list("ACGT"), size=40)), DNA)
    for mode, multihit in CONFIGS:
        profile = configure(model, len(dsq), mode=mode, multihit=multihit)
        local = 1.0 if profile.local else 0.0
        args = (dsq, profile.tsc, profile.msc, profile.isc, profile.xsc, local)
        *mats, score = dp.viterbi_matrix(*args)
        st, kk, ii = dp.viterbi_trace(*args, *mats)
        assert dp.trace_score(profile, dsq, st, kk, ii) == pytest.approx(score, abs=1e-9)
        emitted = ii[ii > 0]
        np.testing.assert_array_equal(emitted, np.arange(1, len(dsq) + 1))


def test_rng_reproduces_easel():
    easel = pytest.importorskip("pyhmmer.easel")
    ref = easel.Randomness(42, fast=True)
    state = dp.rng_state(42)
    expected = [ref.random() for _ in range(1000)]
    got = [dp.rng_uniform(state) for _ in range(1000)]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)


def test_digitize_rejects_bad_residues():
    with pytest.raises(ValueError, match="seqX"):
        digitize("ACGTJ", DNA, name="seqX")


# --------------------------------------------------------------------------------------
# Against HMMER
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pf02826(shared_data):
    from hmmer_reference import read_hmm

    return read_hmm(shared_data / "protein/pyhmmer/PF02826.hmm")


def test_forward_scores_match_hmmer(shared_data, pf02826):
    """Raw Forward bits equal HMMER's pre_score (hmmsearch --max) on the proteome."""
    from hmmer_reference import hmmsearch, read_sequences, to_profile_hmm

    model = to_profile_hmm(pf02826)
    records = read_fasta(shared_data / PROTEOME)[:600]
    codes = [digitize(r.residues, model.alphabet) for r in records]
    lengths = np.array([len(c) for c in codes])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    raw = dp.forward_scores(configure(model), np.concatenate(codes), offsets, lengths)
    bg = Background.default(model.alphabet)
    bits = {
        r.name: (s - bg.null_score(n)) / math.log(2)
        for r, s, n in zip(records, raw, lengths, strict=True)
    }
    seqs = read_sequences(shared_data / PROTEOME)[:600]
    hits = hmmsearch(pf02826, seqs, bias_filter=False, F1=1.0, F2=1.0, F3=1.0, E=1e9, domE=1e9)
    compared = 0
    for hit in hits:
        if abs(hit.score - hit.sum_score) < 1e-4:  # pre_score replaced by the domain sum
            continue
        assert bits[hit.name] == pytest.approx(hit.pre_score, abs=0.01)
        compared += 1
    assert compared > 300


def test_msv_filter_matches_hmmer(shared_data, pf02826):
    """The byte-precision MSV filter and the generic MSV match HMMER's to float precision."""
    from hmmer_reference import read_sequences, to_profile_hmm
    from pyhmmer import plan7

    model = to_profile_hmm(pf02826)
    profile = configure(model)
    table = dp.msv_byte_profile(profile.msc, 20)
    bg = plan7.Background(pf02826.alphabet)
    for seq in list(read_sequences(shared_data / PROTEOME))[:60]:
        hp = plan7.Profile(pf02826.M, pf02826.alphabet)
        hp.configure(pf02826, bg, len(seq))
        dsq = digitize(pf02826.alphabet.decode(seq.sequence), model.alphabet)
        filt = dp.msv_filter_score(dsq, profile.msc, 20, table)
        assert filt == pytest.approx(hp.to_optimized().msv_filter(seq), abs=1e-4)
        generic = hp.msv_filter(seq, 2.0)
        if generic is not None and math.isfinite(generic):
            assert dp.msv_score(dsq, profile.msc, 2.0, True) == pytest.approx(generic, abs=1e-3)


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


def test_forward_scan_scores_do_not_depend_on_the_lane_width(shared_data, pf02826):
    """Batches of every size give each sequence the same score: bit for bit across lane
    widths (8 to 128 lanes), to float32 rounding against one-at-a-time scoring."""
    from hmmer_reference import to_profile_hmm

    model = to_profile_hmm(pf02826)
    records = read_fasta(shared_data / PROTEOME)[:520]
    codes = [digitize(r.residues, model.alphabet) for r in records]
    lengths = np.array([len(c) for c in codes])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    packed, profile = np.concatenate(codes), configure(model)
    together = dp.forward_scores(profile, packed, offsets, lengths)
    assert dp.lane_width(len(records)) == 128
    for size, width in ((20, 8), (54, 16), (100, 32)):
        assert dp.lane_width(size) == width
        for start in range(0, len(records) - size + 1, size):
            part = slice(start, start + size)
            scores = dp.forward_scores(profile, packed, offsets[part], lengths[part])
            np.testing.assert_array_equal(scores, together[part])
    few = [dp.forward_scores(profile, packed, offsets[i : i + 1], lengths[i : i + 1])[0]
           for i in range(0, 520, 13)]  # fmt: skip
    assert dp.lane_width(1) == 0
    np.testing.assert_allclose(few, together[::13], rtol=1e-6)
