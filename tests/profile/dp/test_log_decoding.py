"""Alignment of long tandem-domain sequences: log-space decoding against hmmalign."""

from __future__ import annotations

import io

import numpy as np
import pytest
from alignment_checks import match_assignments

from hmmkit.profile import dp
from hmmkit.profile.align import align
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.dp.log_decoding import log_posteriors, posteriors, scaled_decoding_holds
from hmmkit.profile.io.fasta import read_fasta

COPIES = 5  # kinase domains in the model; each sequence holds two such runs


@pytest.fixture(scope="module")
def tandem(shared_data):
    """A model of five Pkinase domains in a row (Pkinase.sto's rows, shuffled and joined)
    and six sequences of ten distinct kinase domains each (2,600-2,700 residues), so that
    both halves score above 1,000 bits against the uni-hit profile."""
    import pyhmmer
    from hmmer_reference import to_profile_hmm
    from pyhmmer import easel

    abc = easel.Alphabet.amino()
    with easel.MSAFile(str(shared_data / "protein/tutorial/Pkinase.sto")) as handle:
        rows = list(handle.read().alignment)
    rng = np.random.default_rng(1)
    orders = [rng.permutation(len(rows)) for _ in range(COPIES)]
    joined = ["".join(rows[order[i]] for order in orders) for i in range(len(rows))]
    named = [easel.TextSequence(name=f"s{i}".encode(), sequence=r) for i, r in enumerate(joined)]
    text = easel.TextMSA(name=b"kinase5", sequences=named)
    hmm, _, _ = pyhmmer.plan7.Builder(abc).build_msa(
        text.digitize(abc), pyhmmer.plan7.Background(abc)
    )
    domains = [r.replace("-", "").replace(".", "").upper() for r in rows]
    records = []
    for c in range(6):
        picks = rng.choice(len(domains), 2 * COPIES, replace=False)
        records.append((f"t{c}", "".join(domains[i] for i in picks)))
    block = easel.TextSequenceBlock(
        [easel.TextSequence(name=n.encode(), sequence=s) for n, s in records]
    ).digitize(abc)
    return hmm, to_profile_hmm(hmm), records, block, pyhmmer


def test_log_space_posteriors_equal_scaled_ones_where_those_hold(shared_data):
    """On ordinary sequences (globins against globins4) both decodings agree to 1e-9."""
    from hmmer_reference import build_hmm, to_profile_hmm

    model = to_profile_hmm(build_hmm(shared_data / "protein/tutorial/globins4.sto"))
    profile = configure(model, multihit=False)
    for record in read_fasta(shared_data / "protein/tutorial/globins45.fa")[:4]:
        dsq = digitize(record.residues, model.alphabet)
        tp, me, ie, xp, local = profile.set_length(len(dsq)).kernel_arrays()
        fm, fi, _, fx, ls, _ = dp.forward_matrix(dsq, tp, me, ie, xp, local)
        bm, bi, _, bx = dp.backward_matrix(dsq, tp, me, ie, xp, local, ls)
        scaled = dp.posterior_matrix(fm, fi, fx, bm, bi, bx, xp, ls)
        assert scaled_decoding_holds(*scaled)
        for a, b in zip(scaled, log_posteriors(dsq, tp, me, ie, xp, local), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-9)


def test_tandem_domains_align_as_hmmalign(tandem):
    """Scaled decoding loses these sequences (they came out as all-gap rows); aligned
    with log-space decoding every residue sits where hmmalign puts it, and the posterior
    codes differ by at most one step (HMMER decodes in single precision)."""
    hmm, model, records, block, pyhmmer = tandem
    profile = configure(model, multihit=False)
    name, residues = records[0]
    dsq = digitize(residues, model.alphabet)
    tp, me, ie, xp, local = profile.set_length(len(dsq)).kernel_arrays()
    fm, fi, _, fx, ls, _ = dp.forward_matrix(dsq, tp, me, ie, xp, local)
    with np.errstate(all="ignore"):
        bm, bi, _, bx = dp.backward_matrix(dsq, tp, me, ie, xp, local, ls)
        assert not scaled_decoding_holds(*dp.posterior_matrix(fm, fi, fx, bm, bi, bx, xp, ls))
    pm, pi, px = posteriors(dsq, tp, me, ie, xp, local)
    np.testing.assert_allclose(pm[1:].sum(1) + pi[1:].sum(1) + px[1:].sum(1), 1.0, atol=1e-9)

    ours = align(model, records)
    ref = pyhmmer.hmmalign(hmm, block, all_consensus_cols=True)
    assert min(len(r) for _, r in records) > 2500
    theirs = match_assignments(list(ref.alignment), ref.reference)
    for mine, expected in zip(ours.assignments(), theirs, strict=True):
        assert (expected > 0).sum() > 1000
        np.testing.assert_array_equal(mine, expected)
    buf = io.BytesIO()
    ref.write(buf, "stockholm")
    ref_lines, our_lines = buf.getvalue().decode().splitlines(), ours.to_stockholm().splitlines()
    assert len(ref_lines) == len(our_lines)
    steps = "0123456789*."
    for a, b in zip(ref_lines, our_lines, strict=True):
        if a.startswith(("#=GR", "#=GC PP_cons")):
            head, pa = a.rsplit(None, 1)
            assert b.rsplit(None, 1) == [head, b.rsplit(None, 1)[1]]
            pb = b.rsplit(None, 1)[1]
            assert all(
                x == y or abs(steps.index(x) - steps.index(y)) == 1
                for x, y in zip(pa, pb, strict=True)
            )
        else:
            assert a == b


def test_tandem_domains_viterbi_alignment(tandem):
    """--viterbi on the same sequences (it stopped on NaN posteriors): the Viterbi path,
    with finite posteriors, covering more than 1,000 residues of each sequence."""
    _, model, records, _, _ = tandem
    aln = align(model, records[:2], method="viterbi")
    profile = configure(model, multihit=False)
    for (_, residues), (st, kk, ii, pp), score in zip(
        records, aln.traces, aln.scores, strict=False
    ):
        dsq = digitize(residues, model.alphabet)
        profile.set_length(len(dsq))
        assert dp.trace_score(profile, dsq, st, kk, ii) == pytest.approx(score, abs=1e-6)
        assert np.all(np.isfinite(pp)) and np.all((pp >= 0) & (pp <= 1 + 1e-9))
        assert int(((st == dp.ST_M) & (ii > 0)).sum()) > 1000


def test_hmmkit_align_command_keeps_tandem_sequences(tandem, tmp_path):
    from hmmkit.cli import main
    from hmmkit.profile import read_alignment, write_hmmer

    _, model, records, _, _ = tandem
    fasta = tmp_path / "tandem.fa"
    fasta.write_text("".join(f">{n}\n{s}\n" for n, s in records[:2]))
    write_hmmer(model, tmp_path / "kinase5.hmm")
    out = tmp_path / "tandem.sto"
    assert main(["align", "-o", str(out), str(tmp_path / "kinase5.hmm"), str(fasta)]) == 0
    msa = read_alignment(out)
    matched = (msa.codes[:, np.array([c == "x" for c in msa.reference])] < 20).sum(axis=1)
    assert np.all(matched > 1000)
