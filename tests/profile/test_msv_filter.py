"""HMMER's byte MSV filter as hmmkit computes it (the J-less first pass, the rescoring
with J, saturation, threads) against HMMER's own filter (pyhmmer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hmmkit.profile import dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize, pack
from hmmkit.profile.dp import shards

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


@pytest.fixture(scope="module")
def hmmer_and_ours(shared_data):
    """PF02826 (HMMER's and ours), the proteome's first 300 proteins and 60 sequences
    emitted from the model's search profile (homologues: they saturate the filter or
    need its J state)."""
    from hmmer_reference import read_hmm, read_sequences, to_profile_hmm
    from pyhmmer import easel, plan7

    hmm = read_hmm(shared_data / "protein/pyhmmer/PF02826.hmm")
    bg = plan7.Background(hmm.alphabet)
    emitter = plan7.Profile(hmm.M, hmm.alphabet)
    emitter.configure(hmm, bg, 400)
    rng = easel.Randomness(7)
    seqs = list(read_sequences(shared_data / PROTEOME)[:300])
    seqs += [emitter.emit_sequence(hmm, bg, rng) for _ in range(60)]
    return hmm, to_profile_hmm(hmm), seqs


def hmmer_msv(hmm, seq) -> float:
    from pyhmmer import plan7

    profile = plan7.Profile(hmm.M, hmm.alphabet)
    profile.configure(hmm, plan7.Background(hmm.alphabet), len(seq))
    return profile.to_optimized().msv_filter(seq)


def test_msv_filter_scores_equal_hmmers_on_homologues_and_background(hmmer_and_ours):
    hmm, model, seqs = hmmer_and_ours
    profile = configure(model)
    codes = [digitize(hmm.alphabet.decode(s.sequence), model.alphabet) for s in seqs]
    batch = pack(codes)
    ours = dp.msv_filter_scores(batch.X, batch.starts, batch.lengths, profile.msc, 20)
    theirs = np.array([hmmer_msv(hmm, s) for s in seqs])
    one_by_one = [dp.msv_filter_score(c, profile.msc, 20) for c in codes]
    assert np.array_equal(ours, one_by_one)
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))
    assert np.isinf(ours).sum() >= 10  # saturated homologues
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], atol=1e-4)
    # some finite scores come from the rescoring with J: their byte J score is above the
    # base, xJ - base = (score + 3) * 3/ln2 + tjb with tjb = -round(3/ln2 * ln(3/(L+3)))
    scale = 3.0 / math.log(2.0)
    L = batch.lengths[finite]
    tjb = -np.round(scale * np.log(3.0 / (L + 3.0)))
    above_base = np.round((ours[finite] + 3.0) * scale + tjb) > 0
    assert above_base.sum() >= 3


def test_threads_give_the_scores_of_one(hmmer_and_ours, monkeypatch):
    _, model, seqs = hmmer_and_ours
    profile = configure(model)
    rng = np.random.default_rng(3)
    codes = [rng.integers(0, 20, size=n).astype(np.uint8) for n in rng.integers(1, 900, 400)]
    batch = pack(codes)
    one = dp.msv_filter_scores(batch.X, batch.starts, batch.lengths, profile.msc, 20)
    monkeypatch.setattr(shards, "MIN_PART_RESIDUES", 1000)
    assert len(shards.shard_slices(batch.lengths, 2)) == 2 * shards.PARTS_PER_JOB
    two = dp.msv_filter_scores(batch.X, batch.starts, batch.lengths, profile.msc, 20, n_jobs=2)
    assert np.array_equal(one, two)


def test_shard_slices_cover_the_batch_in_order():
    lengths = np.array([5, 300_000, 7, 250_000, 1, 1, 400_000, 9])
    parts = shards.shard_slices(lengths, 2)
    assert parts[0].start == 0 and parts[-1].stop == len(lengths)
    pairs = zip(parts, parts[1:], strict=False)
    assert all(a.stop == b.start and a.start < a.stop for a, b in pairs)
    assert shards.shard_slices(lengths, 1) == [slice(0, len(lengths))]
    assert shards.shard_slices(np.array([], dtype=np.int64), 2) == [slice(0, 0)]


def test_many_models_in_one_call_score_as_each_alone(hmmer_and_ours, shared_data):
    """Byte costs of models of different lengths back to back (as a pressed database holds
    them): one call gives every model the scores it gets alone, HMMER's included."""
    from hmmkit.profile import read_hmmer

    hmm, model, seqs = hmmer_and_ours
    models = [model, read_hmmer(shared_data / "protein/pyhmmer/Thioesterase.hmm"), model]
    codes = [digitize(hmm.alphabet.decode(s.sequence), model.alphabet) for s in seqs[250:]]
    batch = pack(codes)
    profiles = [dp.msv_byte_profile(configure(m).msc, 20) for m in models]
    costs = np.concatenate([c.ravel() for c, _ in profiles])
    starts = np.cumsum([0] + [c.size for c, _ in profiles[:-1]])
    together = dp.msv_filter_scores_of_models(
        batch.X, batch.starts, batch.lengths, costs, starts, [m.M for m in models],
        [bias for _, bias in profiles], profiles[0][0].shape[0],
    )  # fmt: skip
    assert together.shape == (3, len(codes)) and models[0].M != models[1].M
    for row, (c, bias) in zip(together, profiles, strict=True):
        alone = dp.msv_filter_scores_of_bytes(batch.X, batch.starts, batch.lengths, c, bias)
        assert np.array_equal(row, alone)
    theirs = np.array([hmmer_msv(hmm, s) for s in seqs[250:]])
    finite = np.isfinite(theirs)
    assert np.array_equal(np.isinf(together[0]), ~finite) and finite.sum() >= 40
    np.testing.assert_allclose(together[0][finite], theirs[finite], atol=1e-4)


@pytest.mark.parametrize("M", [1, 2, 31, 33, 200, 384, 385, 511, 513, 700, 1100])
def test_striped_rows_of_every_width_score_as_hmmer(M):
    """Models whose striped rows take 1 to 12 vectors of 32 bytes or (from 385 nodes) 7 to
    16 vectors of 64 bytes (kept in registers) and more (kept in memory), with empty nodes
    at the end of the stripes, on homologues and on random
    sequences down to one residue (whose cells can all be below the begin score, which
    HMMER's filter then reports): HMMER's scores, the same through a pressed database's
    entry point (whose compiled kernel stripes the costs itself)."""
    from hmmer_reference import to_profile_hmm
    from pyhmmer import easel, plan7

    abc = easel.Alphabet.amino()
    rng = easel.Randomness(M)
    bg = plan7.Background(abc)
    hmm = plan7.HMM.sample(abc, M, rng)
    hmm.set_composition()
    emitter = plan7.Profile(M, abc)
    emitter.configure(hmm, bg, 400)
    seqs = [emitter.emit_sequence(hmm, bg, rng) for _ in range(12)]
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    draws = np.random.default_rng(M)
    for n in (1, 2, 3, 9, 80, 400):
        text = "".join(draws.choice(letters, size=n))
        seqs.append(easel.TextSequence(sequence=text).digitize(abc))
    model = to_profile_hmm(hmm)
    costs, bias = dp.msv_byte_profile(configure(model).msc, 20)
    batch = pack([np.asarray(s.sequence, dtype=np.uint8) for s in seqs])
    ours = dp.msv_filter_scores_of_bytes(batch.X, batch.starts, batch.lengths, costs, bias)
    pressed_way = dp.msv_filter_scores_of_models(
        batch.X, batch.starts, batch.lengths, costs.ravel(), [0], [M], [bias], costs.shape[0]
    )[0]  # fmt: skip
    assert np.array_equal(ours, pressed_way)
    theirs = np.array([hmmer_msv(hmm, s) for s in seqs])
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], atol=1e-4)


def byte_filter_by_rows(dsq, costs, bias):
    """p7_MSVFilter's score of `dsq` from its byte recurrence in node order, row by row in
    NumPy (each cell ``sat(max(pred, xB) + bias) - cost``; J's re-entries; saturation at
    255 - bias gives inf; HMMER's pass counts the begin score among the cells)."""
    M, L, base = costs.shape[1] - 1, len(dsq), 190
    scale = np.float32(3.0) / np.float32(math.log(2.0))

    def cost(log_probability: float) -> int:  # -roundf(3/ln2 * x), half away from zero
        return min(int(np.floor(abs(scale * np.float32(log_probability)) + 0.5)), 255)

    tbm = cost(math.log(np.float32(2.0) / (np.float32(M) * np.float32(M + 1))))
    tec = cost(math.log(np.float32(0.5)))
    tjb = cost(math.log(np.float32(3.0) / np.float32(L + 3)))
    top = 255 - bias

    def run(with_j):
        prev, xJ, best = np.zeros(M + 1, dtype=np.int64), 0, 0
        xB = max(base - tjb - tbm, 0)
        for x in dsq:
            cur = np.zeros(M + 1, dtype=np.int64)
            cur[1:] = np.maximum(np.minimum(np.maximum(prev[:-1], xB) + bias, 255)
                                 - costs[x, 1:].astype(np.int64), 0)  # fmt: skip
            xE = int(cur.max())
            if with_j and xE >= top:
                return -1
            best = max(best, xE)
            xJ = max(xJ, xE - tec)
            if with_j:
                xB = max(max(base, xJ) - tjb - tbm, 0)
            prev = cur
        if with_j:
            return xJ
        return -1 if best >= top else max(max(best, xB) - tec, 0)

    xJ = run(False)
    if xJ > base:
        xJ = run(True)
    return math.inf if xJ < 0 else ((xJ - tjb) - base) / (3.0 / math.log(2.0)) - 3.0


def costs_and_targets(M: int, bias: int, n: int = 150):
    """Random byte costs (every residue below the bias but one favoured residue per node;
    with a high bias, only W at one node) and `n` targets of 1 to 8,000 residues, holding
    stretches of the favoured residues with a few changes (with a high bias: without W,
    but for a few)."""
    rng = np.random.default_rng(M + bias)
    costs = rng.integers(bias + 1, bias + 30, size=(29, M + 1)).astype(np.uint8)
    high = bias > 60
    favoured = np.full(M + 1, 18) if high else rng.integers(0, 20, size=M + 1)
    if high:
        costs[18, int(rng.integers(1, M + 1))] = 0
    else:
        costs[favoured[1:], np.arange(1, M + 1)] = rng.integers(bias - 2, bias + 1, size=M)
    costs[:, 0] = 255
    seqs = []
    for _ in range(n):
        L = int(rng.choice([1, 5, 60, 400, 3000, 8000]))
        seq = rng.integers(0, 20, size=L)
        if high:
            seq[seq == 18] = 0 if rng.random() < 0.9 else 18
        else:
            w = int(rng.integers(min(M, L, 60), min(M, L, 200) + 1))
            k, at = int(rng.integers(1, M - w + 2)), int(rng.integers(0, L - w + 1))
            stretch = favoured[k : k + w].copy()
            stretch[rng.random(w) < rng.uniform(0.0, 0.04)] = rng.integers(0, 20)
            seq[at : at + w] = stretch
        seqs.append(seq.astype(np.uint8))
    return costs, seqs


@pytest.mark.parametrize("M, bias", [(1500, 6), (40, 70), (25, 120)])
def test_byte_filter_of_large_models_long_targets_and_high_bias(M, bias):
    """The signed-byte pass holds a cell's lift over the begin score exactly up to 127:
    beyond it (large models on long targets, where the lift can grow further before the
    filter saturates; here 9 targets score finite so) the sequence is scored again with
    the full filter, and where the begin score and the bias saturate the byte at once
    (the bias of 120; 118 targets finite) every cell is 255 less its cost. Each path
    gives the score of the byte recurrence itself."""
    costs, seqs = costs_and_targets(M, bias)
    batch = pack(seqs)
    ours = dp.msv_filter_scores_of_bytes(batch.X, batch.starts, batch.lengths, costs, bias)
    expected = [byte_filter_by_rows(s, costs, bias) for s in seqs]
    assert np.array_equal(ours, expected)
