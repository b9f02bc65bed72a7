"""MSV: the generic score against brute-force enumeration of ungapped hits, the byte filter
and the generic MSV against HMMER's."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from brute_force import random_model

from hmmkit.profile import DNA, dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"

def best_ungapped_hits(msc, dsq, nu):
    """Best log score over every parse of `dsq` into N, ungapped local hits joined by J,
    and C (the MSV model: entry 2/(M(M+1)) at any node, exit anywhere), by enumeration."""
    L, M = len(dsq), msc.shape[1] - 1
    loop, move = math.log(L / (L + 3)), math.log(3 / (L + 3))
    entry = math.log(2 / (M * (M + 1)))
    best = -math.inf
    # a parse: cut points 0 <= a1 < b1 <= a2 < b2 ... <= L with hit h on residues a_h+1..b_h
    for nhits in range(1, L + 1):
        for cuts in itertools.combinations(range(L + 1), 2 * nhits):
            starts, ends = cuts[0::2], cuts[1::2]
            if any(not 0 < b - a <= M for a, b in zip(starts, ends, strict=True)):
                continue
            outside = L - sum(b - a for a, b in zip(starts, ends, strict=True))
            base = outside * loop + (nhits + 1) * move + nhits * entry
            base += (nhits - 1) * math.log((nu - 1) / nu) + math.log(1 / nu)
            score = base
            for a, b in zip(starts, ends, strict=True):
                length = b - a
                score += max(sum(msc[dsq[a + j], k + j] for j in range(length))
                             for k in range(1, M - length + 2))  # fmt: skip
            best = max(best, score)
    return best


def test_generic_msv_equals_brute_force():
    rng = np.random.default_rng(59)
    for trial in range(6):
        model = random_model(rng, M=3 + trial % 2)
        dsq = digitize("".join(rng.choice(list("ACGT"), size=2 + trial % 4)), DNA)
        msc = configure(model).msc
        truth = best_ungapped_hits(msc, dsq, 2.0)
        # the length and entry probabilities are single-precision, as in HMMER
        assert dp.msv_score(dsq, msc, 2.0, True) == pytest.approx(truth, abs=1e-6)


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
