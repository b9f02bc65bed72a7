"""Iterative search (jackhmmer) against HMMER 3.4's, through pyhmmer's iterate_seq."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.cli import main
from hmmkit.profile import read_hmmer_all
from hmmkit.profile.io.fasta import Sequence, read_fasta
from hmmkit.profile.iterate import iterative_search, query_path

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
#: grows for five rounds without converging (5 -> 56 included sequences)
GROWING = "938293.PRJEB85.HG003687_60"
#: converges in round 5, its alignment one row smaller than round 4's
CONVERGING = "938293.PRJEB85.HG003686_889"


@pytest.fixture(scope="module")
def proteome(shared_data):
    return read_fasta(shared_data / PROTEOME)


def hmmer_rounds(records, name, max_rounds=5):
    """jackhmmer's rounds: incE = incdomE = 0.001, models from the alignment's RF line. The
    query's final '*' is left out, as hmmkit leaves it out."""
    from pyhmmer import easel, plan7

    abc = easel.Alphabet.amino()
    digital = [
        easel.TextSequence(name=r.name.encode(), sequence=r.residues).digitize(abc) for r in records
    ]
    query = next(r for r in records if r.name == name)
    query = easel.TextSequence(name=name.encode(), sequence=query.residues)
    pipeline = plan7.Pipeline(abc, incE=1e-3, incdomE=1e-3)
    builder = plan7.Builder(abc, architecture="hand")
    rounds = []
    for result in pipeline.iterate_seq(
        query.digitize(abc), easel.DigitalSequenceBlock(abc, digital), builder=builder
    ):
        rounds.append(result)
        if result.converged or result.iteration == max_rounds:
            return rounds
    return rounds


def hit_flags(hits):
    return {
        h.name if isinstance(h.name, str) else h.name.decode(): (h.included, h.new, h.dropped)
        for h in hits
        if h.reported
    }


@pytest.mark.parametrize("name", [GROWING, CONVERGING])
def test_rounds_are_jackhmmers(proteome, name):
    """Every round: the same reported and included sequences, new and dropped flags, scores,
    alignment (query first, a column per match state) and next model, bit for bit; the
    same round of convergence."""
    ours = list(iterative_search(next(r for r in proteome if r.name == name), proteome))
    ref = hmmer_rounds(proteome, name)
    assert [r.number for r in ours] == [r.iteration for r in ref]
    assert [r.converged for r in ours] == [r.converged for r in ref]
    for a, b in zip(ours, ref, strict=True):
        assert hit_flags(a.hits.hits) == hit_flags(b.hits)
        assert a.n_new == sum(h.new for h in b.hits)
        scores = {h.name.decode() if isinstance(h.name, bytes) else h.name: h.score for h in b.hits}
        for h in a.hits:
            assert h.score == pytest.approx(scores[h.name], abs=0.05)
        text = b.msa.textize() if hasattr(b.msa, "textize") else b.msa
        names = [s.name.decode() if isinstance(s.name, bytes) else s.name for s in text.sequences]
        assert a.alignment.names == names
        # HMMER's alignment is digital (upper case, '-') and marked up by the next build
        theirs = [row.replace("~", "-") for row in text.alignment]
        assert [row.upper().replace(".", "-") for row in a.alignment.rows] == theirs
        if a.number > 1:
            assert a.model.name == f"{name}-i{a.number - 1}"
            assert a.model.effn == pytest.approx(b.hmm.nseq_effective, rel=1e-6)
            for ours_p, theirs_p in (
                (a.model.match_emissions, b.hmm.match_emissions),
                (a.model.insert_emissions, b.hmm.insert_emissions),
                (a.model.transitions, b.hmm.transition_probabilities),
            ):
                np.testing.assert_allclose(ours_p[1:], np.asarray(theirs_p)[1:], atol=1e-6)


def test_query_path_aligns_every_residue_to_its_own_match_state():
    states, k, i, pp = query_path(4)
    assert pp is None
    match = states == 1  # dp.ST_M
    assert match.sum() == 4
    assert list(k[match]) == [1, 2, 3, 4] and list(i[match]) == [1, 2, 3, 4]


def test_a_lone_sequence_converges_in_round_two():
    """A query with no homologue in the database finds only itself: new in round 1, nothing
    new in round 2, which converges (as jackhmmer)."""
    query = Sequence("q", "MKVLAAGIVGLSLLAACSNDDKKETTETKEVQAPAEEKTNEAPVE")
    decoys = [Sequence(f"d{i}", "W" * 30 + "P" * 30) for i in range(5)]
    rounds = list(iterative_search(query, [query, *decoys]))
    assert [(r.n_new, r.converged) for r in rounds] == [(1, False), (0, True)]
    assert rounds[1].alignment.names == ["q", "q/1-45"]


def test_bad_arguments_are_refused():
    query = Sequence("q", "MKVLAAGIVGLSLLAACSND")
    with pytest.raises(ValueError, match="max_rounds"):
        next(iterative_search(query, [query], max_rounds=0))
    with pytest.raises(ValueError, match="architecture"):
        next(iterative_search(query, [query], build_options={"architecture": "fast"}))
    with pytest.raises(ValueError, match="DNA"):
        next(iterative_search(Sequence("d", "ACGTACGTACGTACGT"), [query]))
    with pytest.raises(ValueError, match="empty"):
        next(iterative_search(query, []))


def test_command_line_refuses_pfam_cutoffs(tmp_path, capsys):
    queryfile = tmp_path / "q.fa"
    queryfile.write_text(">q\nMKVLAAGIVGLSLLAACSND\n")
    assert main(["jackhmmer", "--cut_ga", str(queryfile), str(queryfile)]) != 0
    assert "no Pfam score cutoffs" in capsys.readouterr().err


def test_command_line_prints_each_round_and_saves_the_last(shared_data, proteome, tmp_path,
                                                           capsys):  # fmt: skip
    query = next(r for r in proteome if r.name == GROWING)
    queryfile = tmp_path / "q.fa"
    queryfile.write_text(f">{query.name} {query.description}\n{query.residues}\n")
    tbl, ali, chk = tmp_path / "hits.tbl", tmp_path / "last.sto", tmp_path / "chk"
    args = ["jackhmmer", "-N", "2", "--noali", "--tblout", str(tbl), "-A", str(ali),
            "--chkhmm", str(chk), str(queryfile), str(shared_data / PROTEOME)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Query:       {GROWING}  [L=208]\n")  # the final * counts, as in HMMER
    assert "@@ Round:                  2\n" in out
    assert "@@ Included in MSA:        6 subsequences (query + 5 subseqs from 5 targets)" in out
    assert "@@ New targets included:   23\n" in out  # HMMER's, the final * counted
    assert "CONVERGED" not in out and out.rstrip().endswith("//")
    assert out.count("\n+ ") == 5 + 23  # the new hits of both rounds are marked
    rounds = list(iterative_search(query, proteome, max_rounds=2))
    rows = [line.split()[0] for line in tbl.read_text().splitlines() if line[0] != "#"]
    assert rows == [h.name for h in rounds[-1].hits]
    assert ali.read_text() == rounds[-1].alignment.to_stockholm()
    models = [read_hmmer_all(tmp_path / f"chk-{n}.hmm")[0] for n in (1, 2)]
    assert [m.name for m in models] == [GROWING, f"{GROWING}-i1"]
    np.testing.assert_allclose(models[1].match_emissions, rounds[1].model.match_emissions,
                               atol=1e-5)  # fmt: skip


def test_each_query_of_a_file_is_searched_and_checkpointed(shared_data, proteome, tmp_path,
                                                           capsys):  # fmt: skip
    queryfile = tmp_path / "two.fa"
    with open(queryfile, "w") as handle:
        for name in (GROWING, CONVERGING):
            query = next(r for r in proteome if r.name == name)
            handle.write(f">{name}\n{query.residues}\n")
    tbl, chk = tmp_path / "hits.tbl", tmp_path / "ck"
    args = ["jackhmmer", "-N", "1", "--noali", "--tblout", str(tbl), "--chkali", str(chk),
            str(queryfile), str(shared_data / PROTEOME)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("Query:       ") == 2 and out.count("\n//\n") == 2
    # the tables name each query sequence; the checkpoint file holds both alignments
    queries = {line.split()[2] for line in tbl.read_text().splitlines() if line[0] != "#"}
    assert queries == {GROWING, CONVERGING}
    saved = (tmp_path / "ck-1.sto").read_text()
    assert saved.count("# STOCKHOLM 1.0") == 2
    assert f"#=GF ID {GROWING}-i1" in saved and f"#=GF ID {CONVERGING}-i1" in saved
