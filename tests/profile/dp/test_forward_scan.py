"""The Forward scan against brute force (every lane of a batch) and against HMMER's
hmmsearch scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brute_force import enumerate_paths, random_model

from hmmkit.profile import DNA, dp
from hmmkit.profile.background import Background
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize, pack
from hmmkit.profile.io.fasta import read_fasta

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"

def test_every_lane_scores_its_sequence_as_brute_force():
    """A batch wide enough for the lane kernel, each sequence with its own length model:
    every score equals the log of the summed odds of its paths (float32 precision)."""
    rng = np.random.default_rng(53)
    model = random_model(rng, M=3)
    codes = [digitize("".join(rng.choice(list("ACGT"), size=n)), DNA)
             for n in rng.integers(1, 5, size=40)]  # fmt: skip
    assert dp.lane_width(len(codes)) > 0
    batch = pack(codes)
    profile = configure(model, 100)
    scores = dp.forward_scores(profile, batch.X, batch.starts, batch.lengths)
    for dsq, score in zip(codes, scores, strict=True):
        truth = math.log(enumerate_paths(profile.set_length(len(dsq)), dsq).sum())
        assert score == pytest.approx(truth, abs=1e-5)


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
