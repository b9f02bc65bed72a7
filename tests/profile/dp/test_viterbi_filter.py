"""HMMER's 16-bit Viterbi filter against the generic Viterbi of the same approximated
model (N/C/J self-loops scored 0, 3 nats taken off) on a Pfam family and the proteome.

pyhmmer exposes no Viterbi filter score; the filter's only departures from that generic
Viterbi are its scores rounded to 1/500 bit and its saturation at 16 bits.
"""

from __future__ import annotations

import numpy as np

from hmmkit.profile import dp
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
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
