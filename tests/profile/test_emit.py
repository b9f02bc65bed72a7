"""Sampling from a profile HMM's core model, checked by the frequencies it produces."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.cli import main
from hmmkit.profile import DNA, ProfileHMM, build
from hmmkit.profile.emit import consensus_sequence, emit, emit_with_paths
from hmmkit.profile.plan7 import DD, DM, II, IM, MD, MI, MM


def small_model() -> ProfileHMM:
    rng = np.random.default_rng(5)
    M = 4
    t = np.zeros((M + 1, 7))
    for k in range(M + 1):
        t[k, [MM, MI, MD]] = rng.dirichlet([6, 2, 2])
        t[k, [IM, II]] = rng.dirichlet([3, 2])
        t[k, [DM, DD]] = rng.dirichlet([3, 2])
    t[M] = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]  # HMMER's node M: to E only
    match = rng.dirichlet(np.ones(4), size=M + 1)
    match[0] = [1.0, 0.0, 0.0, 0.0]
    insert = rng.dirichlet(np.ones(4), size=M + 1)
    return ProfileHMM(DNA, t, match, insert, name="toy")


def test_paths_and_residues_follow_the_model():
    """Over 4000 samples, every transition and emission frequency is within 4 standard
    errors of its probability."""
    model = small_model()
    samples = emit_with_paths(model, 4000, np.random.default_rng(1))
    moves = {}  # (from state, node) -> counts of next (state kind)
    emitted = {}  # (state, node) -> residue counts
    for residues, path in samples:
        previous = ("M", 0)  # B behaves as M_0
        i = 0
        for state, k in [*path, ("E", None)]:
            moves.setdefault(previous, {}).setdefault(state, 0)
            moves[previous][state] += 1
            if state in ("M", "I"):
                emitted.setdefault((state, k), np.zeros(4))[DNA.symbols.index(residues[i])] += 1
                i += 1
            previous = (state, k)
        assert i == len(residues)
    t = model.transitions
    expected = {"M": {"M": MM, "I": MI, "D": MD}, "I": {"M": IM, "I": II}, "D": {"M": DM, "D": DD}}
    for (state, k), counts in moves.items():
        total = sum(counts.values())
        if k == model.M:
            assert set(counts) == {"E"}
            continue
        for nxt, column in expected[state].items():
            p = t[k, column]
            se = np.sqrt(p * (1 - p) / total)
            assert abs(counts.get(nxt, 0) / total - p) <= 4 * se + 1e-12, (state, k, nxt)
    for (state, k), counts in emitted.items():
        p = (model.match_emissions if state == "M" else model.insert_emissions)[k]
        se = np.sqrt(p * (1 - p) / counts.sum())
        assert np.all(np.abs(counts / counts.sum() - p) <= 4 * se + 1e-12), (state, k)


def test_emit_names_seeds_and_consensus(shared_data):
    model = build(shared_data / "protein/tutorial/globins4.sto")
    first = emit(model, 3, random_state=7)
    assert [r.name for r in first] == ["globins4-sample1", "globins4-sample2", "globins4-sample3"]
    assert [r.residues for r in emit(model, 3, random_state=7)] == [r.residues for r in first]
    assert consensus_sequence(model) == model.consensus.upper()
    with pytest.raises(ValueError, match="n must be a positive number"):
        emit(model, 0)


def test_emit_command_writes_fasta(shared_data, tmp_path, capsys):
    hmmfile = tmp_path / "g.hmm"
    assert main(["build", str(hmmfile), str(shared_data / "protein/tutorial/globins4.sto")]) == 0
    capsys.readouterr()
    assert main(["emit", "-N", "5", "--seed", "3", str(hmmfile)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith(">globins4-sample") for line in lines) == 5
    out = tmp_path / "cons.fa"
    assert main(["emit", "-c", "-o", str(out), str(hmmfile)]) == 0
    assert out.read_text().startswith(">globins4-consensus\nVVLSEAEKTKVKAVWAKVEADVEEVGADILVRL")
