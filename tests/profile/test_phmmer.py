"""phmmer's single-sequence query models and searches against pyhmmer (HMMER 3.4)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from hmmkit.cli import main
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.seqmodel import from_sequence

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def hmmer_model(name, residues):
    from pyhmmer import easel, plan7

    abc = easel.Alphabet.amino()
    seq = easel.TextSequence(name=name.encode(), sequence=residues).digitize(abc)
    hmm, _, _ = plan7.Builder(abc).build(seq, plan7.Background(abc))
    buf = io.BytesIO()
    hmm.write(buf)
    stats = {
        line.split()[2]: (float(line.split()[3]), float(line.split()[4]))
        for line in buf.getvalue().decode().splitlines()
        if line.startswith("STATS")
    }
    return hmm, stats


@pytest.mark.parametrize(
    "residues", ["VLSDAEWQLVLNIWAKVEADVAGHGQDILIRLFKSHPETLEKFDRFKHLKTEAEM", "MKVXBZLAWJUOCCHW"]
)
def test_query_model_is_hmmers(residues):
    """Emissions (degenerate query residues too), transitions, composition, consensus and
    E-value statistics of phmmer's model of one sequence."""
    hmm, stats = hmmer_model("q", residues)
    ours = from_sequence("q", residues)
    np.testing.assert_allclose(ours.transitions, np.array(hmm.transition_probabilities), atol=1e-6)
    np.testing.assert_allclose(ours.match_emissions, np.array(hmm.match_emissions), atol=1e-6)
    np.testing.assert_allclose(ours.insert_emissions, np.array(hmm.insert_emissions), atol=1e-6)
    np.testing.assert_allclose(ours.composition, np.array(hmm.composition), atol=1e-6)
    canonical = [i for i, c in enumerate(residues) if c in "ACDEFGHIKLMNPQRSTVWY"]
    assert [ours.consensus[i] for i in canonical] == [hmm.consensus[i] for i in canonical]
    for kind, (mu, lam) in stats.items():
        assert ours.stats[kind] == pytest.approx((mu, lam), abs=2e-4)


def test_query_model_refuses_inner_stops_and_keeps_a_final_one_as_hmmer():
    """A final '*' is a node that emits nothing (HMMER's p7_Seqmodel: qlen counts it)."""
    model = from_sequence("q", "MKVLA*", calibrated=False)
    assert model.M == 6 and not model.match_emissions[6].any()
    assert model.consensus.endswith("*")
    with pytest.raises(ValueError, match=r"'\*' \(not a residue\) inside the query"):
        from_sequence("q", "MK*VLA", calibrated=False)
    with pytest.raises(ValueError, match="popen must be in"):
        from_sequence("q", "MKV", popen=0.6)
    with pytest.raises(ValueError, match="looks like DNA or RNA"):
        from_sequence("q", "ACGTTGCAAGTCAGT", calibrated=False)


def test_phmmer_command_gives_hmmers_hits(shared_data, tmp_path, capsys):
    """Queries from the proteome (final stop codons dropped on both sides) against it:
    the per-target table rows of HMMER's phmmer, every column."""
    import pyhmmer
    from hmmer_reference import read_sequences
    from pyhmmer import easel

    records = read_fasta(shared_data / PROTEOME)
    queries = [records[i] for i in (0, 100, 327)]
    query_file = tmp_path / "q.fa"
    query_file.write_text("".join(f">{q.name}\n{q.residues.rstrip('*')}\n" for q in queries))
    block = easel.TextSequenceBlock(
        easel.TextSequence(name=q.name.encode(), sequence=q.residues.rstrip("*")) for q in queries
    ).digitize(easel.Alphabet.amino())
    expected = []
    for hits in pyhmmer.phmmer(block, read_sequences(shared_data / PROTEOME), cpus=1):
        buf = io.BytesIO()
        hits.write(buf, format="targets", header=False)
        expected += buf.getvalue().decode().splitlines()
    table = tmp_path / "hits.tbl"
    args = ["phmmer", "--noali", "--tblout", str(table), str(query_file)]
    assert main([*args, str(shared_data / PROTEOME)]) == 0
    rows = [line for line in table.read_text().splitlines() if not line.startswith("#")]
    assert len(rows) == len(expected) >= 10
    for mine, theirs in zip(rows, expected, strict=True):
        a, b = mine.split(), theirs.split()
        assert a[:4] == b[:4] and a[5:] == b[5:]  # all but the E-value, as printed
        assert float(a[4]) == pytest.approx(float(b[4]), rel=0.05)
    assert "Query:       938293.PRJEB85.HG003688_1" in capsys.readouterr().out
