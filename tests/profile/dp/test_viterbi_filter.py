"""HMMER's 16-bit Viterbi filter against the generic Viterbi of the same approximated
model (N/C/J self-loops scored 0, 3 nats taken off) on a Pfam family and the proteome.

pyhmmer exposes no Viterbi filter score; the filter's only departures from that generic
Viterbi are its scores rounded to 1/500 bit and its saturation at 16 bits.
"""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.dp.striped_viterbi import striped_words
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.plan7 import LOOP, XC, XJ, XN

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def test_filter_score_is_the_rounded_generic_viterbi(shared_data, pf02826):
    from hmmer_reference import to_profile_hmm

    model = to_profile_hmm(pf02826)
    profile = configure(model)
    table = dp.viterbi_word_profile(profile.tsc, profile.msc)
    gaps, saturated = [], 0
    for record in read_fasta(shared_data / PROTEOME)[:150]:
        dsq = digitize(record.residues, model.alphabet)
        prof = profile.set_length(len(dsq))
        filtered = dp.viterbi_filter_exact(dsq, prof.tsc, prof.msc, prof.xsc, table)
        xsc = prof.xsc.copy()
        xsc[[XN, XC, XJ], LOOP] = 0.0
        *_, generic = dp.viterbi_matrix(dsq, prof.tsc, prof.msc, prof.isc, xsc, 1.0)
        if np.isinf(filtered):  # past the 16-bit range: only strong hits
            assert filtered > 0 and generic - 3.0 > 25.0
            saturated += 1
            continue
        gaps.append(abs(filtered - (generic - 3.0)))
    assert len(gaps) > 140
    assert max(gaps) < 0.05  # 1/500-bit rounding of each of a few hundred terms
    assert np.median(gaps) < 0.01
    assert saturated >= 1


@pytest.mark.parametrize("M", [1, 2, 15, 16, 17, 90, 300])
def test_striped_rows_of_every_length_are_the_rounded_generic_viterbi(M):
    """Models of one to many striped vectors, with delete-rich homologues (the D->D passes
    of the vector rows run): the filter is the rounded generic Viterbi of the same
    approximated model, whether its striped words are made per call or once."""
    from hmmer_reference import to_profile_hmm
    from pyhmmer import easel, plan7

    abc = easel.Alphabet.amino()
    rng = easel.Randomness(M)
    hmm = plan7.HMM.sample(abc, M, rng)
    if M > 2:  # likelier deletes: paths that skip stretches of the model
        for k in range(1, M):  # MM, MI, MD and DM, DD
            for column, p in ((0, 0.6), (1, 0.05), (2, 0.35), (5, 0.3), (6, 0.7)):
                hmm.transition_probabilities[k, column] = p
    bg = plan7.Background(abc)
    emitter = plan7.Profile(M, abc)
    emitter.configure(hmm, bg, 400)
    model = to_profile_hmm(hmm)
    profile = configure(model)
    words = dp.viterbi_word_profile(profile.tsc, profile.msc)
    stripes = striped_words(*words)
    seqs = [np.asarray(emitter.emit_sequence(hmm, bg, rng).sequence, dtype=np.uint8)
            for _ in range(15)]  # fmt: skip
    seqs += [np.random.default_rng(M).integers(0, 20, size=n).astype(np.uint8) for n in (1, 50)]
    for dsq in seqs:
        prof = profile.set_length(len(dsq))
        filtered = dp.viterbi_filter_of_words(dsq, words, prof.xsc)
        assert dp.viterbi_filter_of_words(dsq, stripes, prof.xsc) == filtered
        xsc = prof.xsc.copy()
        xsc[[XN, XC, XJ], LOOP] = 0.0
        # the filter scores inserts as the background does (a sampled model's do not)
        isc = np.zeros_like(prof.isc)
        *_, generic = dp.viterbi_matrix(dsq, prof.tsc, prof.msc, isc, xsc, 1.0)
        if np.isinf(filtered):
            assert filtered > 0 and generic - 3.0 > 25.0
        else:
            assert filtered == pytest.approx(generic - 3.0, abs=0.05)


def test_packed_targets_in_one_call_score_as_each_alone(shared_data, pf02826):
    from hmmer_reference import to_profile_hmm

    from hmmkit.profile.digital import pack

    profile = configure(to_profile_hmm(pf02826))
    words = striped_words(*dp.viterbi_word_profile(profile.tsc, profile.msc))
    codes = [digitize(r.residues, profile.alphabet) for r in read_fasta(shared_data / PROTEOME)]
    codes = codes[:80] + [codes[0][:1], codes[1][:3]]
    batch = pack(codes)
    alone = [dp.viterbi_filter_of_words(c, words, profile.set_length(len(c)).xsc) for c in codes]
    specials = [dp.special_words(profile.set_length(len(c)).xsc) for c in codes]
    together = dp.viterbi_filter_scores(batch.X, batch.starts, batch.lengths, words,
                                        np.array(specials, dtype=np.int32))  # fmt: skip
    assert np.array_equal(together, alone)
