"""hmmkit align against HMMER's hmmalign (pyhmmer)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from alignment_checks import match_assignments

from hmmkit.profile import dp
from hmmkit.profile.align import align, encode_posterior
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.io.fasta import Sequence, read_fasta

GLOBINS45 = "protein/tutorial/globins45.fa"


@pytest.fixture(scope="module")
def globins(shared_data):
    import pyhmmer
    from hmmer_reference import build_hmm, to_profile_hmm
    from pyhmmer import easel

    hmm = build_hmm(shared_data / "protein/tutorial/globins4.sto")
    abc = easel.Alphabet.amino()
    with easel.SequenceFile(str(shared_data / GLOBINS45), digital=True, alphabet=abc) as f:
        seqs = f.read_block()
    return hmm, to_profile_hmm(hmm), seqs, pyhmmer


def test_alignment_agrees_with_hmmalign(shared_data, globins):
    """Residue-to-match-state assignments of globins45 against globins4: >= 95 % agree."""
    hmm, model, seqs, pyhmmer = globins
    ours = align(model, shared_data / GLOBINS45)
    ref = pyhmmer.hmmalign(hmm, seqs, all_consensus_cols=True)
    a = match_assignments(list(ref.alignment), ref.reference)
    b = ours.assignments()
    total = sum(len(x) for x in a)
    agree = sum(int((x == y).sum()) for x, y in zip(a, b, strict=True))
    assert total == sum(len(r.residues) for r in read_fasta(shared_data / GLOBINS45))
    assert agree / total >= 0.95
    # the text rows encode the same assignments
    for x, y in zip(b, match_assignments(ours.rows, ours.reference), strict=True):
        np.testing.assert_array_equal(x, y)


def test_stockholm_and_a2m_are_hmmaligns(shared_data, globins):
    """Insert columns lower case with '.' gaps, PP/RF annotation: identical text output."""
    hmm, model, seqs, pyhmmer = globins
    ours = align(model, shared_data / GLOBINS45)
    ref = pyhmmer.hmmalign(hmm, seqs, all_consensus_cols=True)
    for fmt, text in (("stockholm", ours.to_stockholm()), ("a2m", ours.to_a2m())):
        buf = io.BytesIO()
        ref.write(buf, fmt)
        assert text == buf.getvalue().decode(), fmt
    trimmed = align(model, shared_data / GLOBINS45, trim=True)
    buf = io.BytesIO()
    pyhmmer.hmmalign(hmm, seqs, trim=True, all_consensus_cols=True).write(buf, "stockholm")
    assert trimmed.to_stockholm() == buf.getvalue().decode()


def test_repeated_names_are_made_unique_as_hmmalign_does(shared_data, globins, tmp_path):
    """Stockholm keys rows by name: repeated names get HMMER's "<seq#>|" prefix and warning
    line, so the output reads back (by Easel and by us); A2M keeps the names."""
    from hmmkit.cli import main
    from hmmkit.profile import read_alignment, write_hmmer

    hmm, model, seqs, pyhmmer = globins
    records = read_fasta(shared_data / GLOBINS45)[:3]
    records[2] = Sequence(records[0].name, records[2].residues, records[2].description)
    subset = [seqs[0], seqs[1], seqs[2].copy()]
    subset[2].name = subset[0].name
    ref = pyhmmer.hmmalign(hmm, subset, all_consensus_cols=True)
    ours = align(model, records)
    for fmt, text in (("stockholm", ours.to_stockholm()), ("a2m", ours.to_a2m())):
        buf = io.BytesIO()
        ref.write(buf, fmt)
        assert text == buf.getvalue().decode(), fmt
    fasta = tmp_path / "repeated.fa"
    fasta.write_text("".join(f">{r.name} {r.description}\n{r.residues}\n" for r in records))
    write_hmmer(model, tmp_path / "globins4.hmm")
    out = tmp_path / "repeated.sto"
    assert main(["align", "-o", str(out), str(tmp_path / "globins4.hmm"), str(fasta)]) == 0
    assert read_alignment(out).names == [f"{i}|{r.name}" for i, r in enumerate(records)]


def test_viterbi_alignment_follows_the_viterbi_path(shared_data, globins):
    _, model, _, _ = globins
    records = read_fasta(shared_data / GLOBINS45)[:5]
    aln = align(model, records, method="viterbi")
    profile = configure(model, multihit=False)
    for rec, (st, kk, ii, _), score in zip(records, aln.traces, aln.scores, strict=True):
        dsq = digitize(rec.residues, model.alphabet)
        profile.set_length(len(dsq))
        assert dp.trace_score(profile, dsq, st, kk, ii) == pytest.approx(score, abs=1e-6)
    for row, rec in zip(aln.rows, records, strict=True):
        assert "".join(c for c in row if c.isalpha()).upper() == rec.residues.upper()


def test_align_validates_input(globins):
    _, model, _, _ = globins
    with pytest.raises(ValueError, match="method"):
        align(model, [("a", "MKV")], method="posterior")
    with pytest.raises(ValueError, match="not amino residues"):
        align(model, [("a", "MK1V")])
    aln = align(model, [("a", "MK-V.")])  # alignment gaps in the input are dropped
    assert "".join(c for c in aln.rows[0] if c.isalpha()).upper() == "MKV"
    assert encode_posterior(0.949) == "9" and encode_posterior(0.95) == "*"


def test_descriptions_and_stop_codons_written_as_hmmalign(shared_data):
    """Proteome sequences (descriptions, terminal '*') aligned to a Pfam model: Stockholm
    and A2M identical to hmmalign's."""
    import pyhmmer
    from hmmer_reference import read_hmm
    from pyhmmer import easel

    from hmmkit.profile import read_hmmer

    hmmfile = shared_data / "protein/pyhmmer/PF02826.hmm"
    records = read_fasta(shared_data / "protein/pyhmmer/938293.PRJEB85.HG003687.faa")[:25]
    abc = easel.Alphabet.amino()
    block = easel.TextSequenceBlock(
        [
            easel.TextSequence(name=r.name.encode(), description=r.description.encode(),
                               sequence=r.residues)
            for r in records
        ]
    ).digitize(abc)  # fmt: skip
    ref = pyhmmer.hmmalign(read_hmm(hmmfile), block, all_consensus_cols=True)
    ours = align(read_hmmer(hmmfile), records)
    for fmt, text in (("stockholm", ours.to_stockholm()), ("a2m", ours.to_a2m())):
        buf = io.BytesIO()
        ref.write(buf, fmt)
        assert text == buf.getvalue().decode(), fmt
