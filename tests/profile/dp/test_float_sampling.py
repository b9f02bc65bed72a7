"""Domain envelopes from single-precision sampling, against HMMER's hmmsearch (pyhmmer)."""

from __future__ import annotations

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
