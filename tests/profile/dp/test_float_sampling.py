"""Domain envelopes from single-precision sampling, against HMMER's hmmsearch (pyhmmer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hmmkit.profile.config import configure
from hmmkit.profile.digital import code_table
from hmmkit.profile.dp.float_sampling import entry_odds, float_profile, polynomial_expf
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.search import search

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
MAX = dict(bias_filter=False, F1=1.0, F2=1.0, F3=1.0, E=1e9, domE=1e9, Z=2100)


def unstripe(vectors: np.ndarray, M: int) -> np.ndarray:
    """Values of HMMER's striped (Q, 4) vectors by node k = r*Q + q + 1, [0] unused."""
    Q = vectors.shape[0]
    out = np.zeros(4 * Q + 1, dtype=np.float32)
    for q in range(Q):
        for r in range(4):
            out[r * Q + q + 1] = vectors[q, r]
    return out[: M + 1]


@pytest.mark.parametrize("source", ["pyhmmer/PF02826.hmm", "tutorial/globins4.sto"])
def test_single_precision_odds_are_hmmers_to_the_bit(shared_data, source):
    """Transitions, entries and every code's match odds equal pyhmmer's optimized profile
    (HMMER's p7_oprofile) bit for bit; polynomial_expf is HMMER's vector exp."""
    from hmmer_reference import build_hmm, read_hmm, to_profile_hmm
    from pyhmmer import plan7

    path = shared_data / "protein" / source
    hmm = read_hmm(path) if path.suffix == ".hmm" else build_hmm(path)
    profile = plan7.Profile(hmm.M, hmm.alphabet)
    profile.configure(hmm, plan7.Background(hmm.alphabet), 300)
    om = profile.to_optimized()
    model = to_profile_hmm(hmm)
    tv, ev, _ = float_profile(configure(model, 300), entry_odds(model))
    M = hmm.M
    Q = max(2, (M - 1) // 4 + 1)
    tfv = np.asarray(om.tfv, dtype=np.float32).reshape(8 * Q, 4)
    for row in range(7):  # per vector: B->M, M->M, I->M, D->M, M->D, M->I, I->I
        np.testing.assert_array_equal(unstripe(tfv[row : 7 * Q : 7], M)[1:], tv[row, 1:])
    np.testing.assert_array_equal(unstripe(tfv[7 * Q :], M)[1:], tv[7, 1:])
    rfv = np.asarray(om.rfv, dtype=np.float32)
    letters = code_table(model.alphabet).letters  # hmmkit's digital codes are Easel's
    easel = hmm.alphabet.symbols
    for code, letter in enumerate(letters):
        if letter in "-~":
            continue  # no sequence holds a gap or missing data
        expected = unstripe(rfv[easel.index(letter)].reshape(Q, 4), M)
        np.testing.assert_array_equal(expected[1:], ev[code, 1:], err_msg=letter)
    assert polynomial_expf(np.float32(0.0)) == 1.0
    assert polynomial_expf(np.float32(-np.inf)) == 0.0


# (model, target): proteome hits whose envelopes differed from hmmsearch --max when paths
# were sampled from a double-precision Forward matrix (a start moved by 10, a start moved
# by 2, a spurious second envelope)
CASES = [
    ("pyhmmer/Thioesterase.hmm", "938293.PRJEB85.HG003687_109"),
    ("pyhmmer/LuxC.sto", "938293.PRJEB85.HG003691_64"),
    ("pyhmmer/PF02826.hmm", "938293.PRJEB85.HG003691_76"),
]


@pytest.mark.parametrize(("source", "target"), CASES)
def test_envelopes_that_used_to_differ_equal_hmmsearch(shared_data, source, target):
    from hmmer_reference import build_hmm, read_hmm, to_profile_hmm
    from pyhmmer import easel, hmmsearch

    path = shared_data / "protein" / source
    hmm = read_hmm(path) if path.suffix == ".hmm" else build_hmm(path)
    record = next(r for r in read_fasta(shared_data / PROTEOME) if r.name == target)
    ours = search(to_profile_hmm(hmm), [(record.name, record.residues)], **MAX)
    block = easel.TextSequenceBlock(
        [easel.TextSequence(name=target.encode(), sequence=record.residues)]
    ).digitize(hmm.alphabet)
    theirs = next(iter(hmmsearch([hmm], block, **MAX)))
    expected = [(d.env_from, d.env_to) for d in theirs[0].domains]
    got = [(d.env_from, d.env_to) for d in ours.hits[0].domains]
    assert got == expected
    assert [round(d.env_score / np.log(2), 3) for d in ours.hits[0].domains] == [
        round(d.envelope_score, 3) for d in theirs[0].domains
    ]


def easel_thresholds(weights: np.ndarray) -> list[float]:
    """esl_vec_FNorm (a Kahan sum in single precision, each weight divided by it, or 1/n
    when it is zero) then esl_rnd_FChoose's cumulative sums over the double-precision
    total, in plain Python: the deviate picks the first weight whose threshold exceeds
    it (the last when none does)."""
    f32 = np.float32
    s = c = f32(0.0)
    for p in weights:
        y = f32(p - c)
        t = f32(s + y)
        c = f32(f32(t - s) - y)
        s = t
    n = len(weights)
    q = [f32(p / s) if s != 0 else f32(f32(1.0) / f32(n)) for p in weights]
    norm = 0.0
    for p in q:
        norm += float(p)
    acc, out = 0.0, []
    for p in q:
        acc += float(p)
        out.append(acc / norm)
    return out


def fnorm_then_fchoose(weights: np.ndarray, roll: float) -> int:
    """The weight Easel picks with deviate `roll` (:func:`easel_thresholds`)."""
    thresholds = easel_thresholds(weights)
    return next((j for j, t in enumerate(thresholds) if roll < t), len(thresholds) - 1)


@pytest.mark.parametrize("n", [2, 4])
def test_path_choices_are_easels_normalise_then_choose(n):
    """The sampler's two- and four-way choices pick as Easel does, for deviates of its
    generator on either side of every threshold (where a total summed in single
    precision would pick another weight), for zero weights and for all weights zero."""
    from hmmkit.profile.dp.float_sampling import _pick4, _threshold2, _thresholds4

    def choose(row, roll):
        if n == 2:
            return 0 if roll < _threshold2(*row) else 1
        return _pick4(roll, *_thresholds4(*row))

    rng = np.random.default_rng(5)
    weights = (rng.random((3000, n)) ** 8).astype(np.float32)
    weights[rng.random(weights.shape) < 0.2] = 0.0
    weights[:5] = 0.0
    weights[5:1500, 0] = np.float32(1e-6)  # near-certain choices
    weights[5:1500, 1] = np.float32(1.0)
    picked = set()
    for row in weights:
        for threshold in easel_thresholds(row)[:-1]:
            for step in (-1, 0, 1):
                roll = ((math.floor(threshold * 2**32) + step) % 2**32) / 2**32
                got = choose(row, roll)
                assert got == fnorm_then_fchoose(row, roll), row
                picked.add(got)
    assert picked == set(range(n))


def test_paths_sampled_with_a_shared_memo_are_those_sampled_afresh(shared_data, pf02826):
    """Paths drawn one after another with one memo of the matrix's choices (filled by the
    paths before) are those drawn with a memo emptied before each path, on proteome
    sequences with one, two or no domains."""
    from hmmer_reference import to_profile_hmm

    from hmmkit.profile import dp
    from hmmkit.profile.digital import digitize
    from hmmkit.profile.dp.float_sampling import (
        float_forward,
        float_stochastic_trace_reversed,
        sampling_memo,
        sampling_memo_size,
        special_odds,
    )

    model = to_profile_hmm(pf02826)
    profile = configure(model)
    tv, ev, _ = float_profile(profile, entry_odds(model))
    M = model.M
    states = set()
    for record in read_fasta(shared_data / PROTEOME)[:2100:150]:
        dsq = digitize(record.residues, model.alphabet)[:300]
        profile.set_multihit(True, len(dsq))
        xf = special_odds(profile.kernel_arrays()[3])
        mx, ix, dx, xmx, scale = float_forward(dsq, tv, ev, xf)
        work = np.zeros(sampling_memo_size(len(dsq), M))
        shared = sampling_memo(mx, work)
        fresh_work = np.zeros_like(work)
        rng_shared, rng_fresh = dp.rng_state(42), dp.rng_state(42)
        size = 2 * (len(dsq) + M) + 8
        for _ in range(30):
            paths = []
            for rng, memo in ((rng_shared, shared), (rng_fresh, None)):
                memo = sampling_memo(mx, fresh_work) if memo is None else memo
                buffers = [np.zeros(size, dtype=np.int32) for _ in range(3)]
                n = float_stochastic_trace_reversed(rng, tv, xf, mx, ix, dx, xmx, scale, M,
                                                    *buffers, memo)  # fmt: skip
                paths.append([b[:n] for b in buffers])
            for got, want in zip(*paths, strict=True):
                np.testing.assert_array_equal(got, want)
            states.update(paths[0][0].tolist())
    assert {dp.ST_M, dp.ST_D, dp.ST_I, dp.ST_J} <= states
