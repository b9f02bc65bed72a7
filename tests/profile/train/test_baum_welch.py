"""Baum-Welch training of profile HMMs: a known model recovered, monotone EM on real data,
usefulness against HMMER, and the inputs it refuses."""

from __future__ import annotations

import numpy as np
import pytest
from alignment_checks import match_assignments

from hmmkit.profile import build, read_hmmer, write_hmmer
from hmmkit.profile.align import align
from hmmkit.profile.plan7 import MI, MM
from hmmkit.profile.search import search
from hmmkit.profile.train import (
    train,
    uniform_model,
)

GLOBINS4 = "protein/tutorial/globins4.sto"
GLOBINS45 = "protein/tutorial/globins45.fa"
PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def sample_glocal(t, mat, ins, n, rng):
    """Sequences emitted by the glocal core model (B -> ... -> E)."""
    M = t.shape[0] - 1
    out = []
    for _ in range(n):
        seq, kind, k = [], "M", 0
        while True:
            if kind == "M":
                r = rng.choice(3, p=t[k, 0:3])
                if k == M and r == 0:
                    break
                kind, k = [("M", k + 1), ("I", k), ("D", k + 1)][r]
            elif kind == "I":
                r = rng.choice(2, p=t[k, 3:5])
                if k == M and r == 0:
                    break
                kind, k = [("M", k + 1), ("I", k)][r]
            else:
                if k == M:
                    break
                r = rng.choice(2, p=t[k, 5:7])
                kind, k = [("M", k + 1), ("D", k + 1)][r]
            if kind == "M":
                seq.append(rng.choice(4, p=mat[k]))
            elif kind == "I":
                seq.append(rng.choice(4, p=ins[k]))
        out.append("".join("ACGT"[x] for x in seq) or "A")
    return out


def test_training_recovers_a_known_model():
    """Sequences sampled from a DNA profile: EM from a blurred start finds its parameters."""
    rng = np.random.default_rng(3)
    M = 6
    t = np.tile([0.9, 0.05, 0.05, 0.6, 0.4, 0.7, 0.3], (M + 1, 1))
    t[M, 0:3] = (0.95, 0.05, 0.0)
    t[0, 5:7] = t[M, 5:7] = (1.0, 0.0)
    mat = np.full((M + 1, 4), 0.02)
    mat[np.arange(1, M + 1), [3, 0, 2, 2, 1, 0]] = 0.94
    mat[0] = (1.0, 0.0, 0.0, 0.0)
    ins = np.full((M + 1, 4), 0.25)
    seqs = sample_glocal(t, mat, ins, 800, rng)
    start = uniform_model(M, "DNA")
    start.match_emissions[1:] = 0.6 * start.match_emissions[1:] + 0.4 * mat[1:]
    model, monitor = train(start, seqs, prior="laplace", n_iter=300, tol=1e-6)
    assert np.max(np.abs(model.match_emissions[1:] - mat[1:])) < 0.05
    assert np.max(np.abs(model.transitions[1:M, MM] - 0.9)) < 0.05
    assert np.max(np.abs(model.transitions[1:M, MI] - 0.05)) < 0.03
    assert np.all(np.diff(monitor.history) >= -1e-9 * abs(monitor.history[-1]))


def _assert_monotone(monitor):
    h = np.asarray(monitor.history)
    np.testing.assert_allclose(h, np.add(monitor.log_likelihoods, monitor.log_priors))
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:])), np.diff(h).min()


@pytest.fixture(scope="module")
def globin_training(shared_data):
    """globins45 trained from a uniform model of length 150 (default prior, MAP steps)."""
    return train(150, shared_data / GLOBINS45, n_iter=150, tol=1e-3)


def test_refinement_of_a_built_model_never_lowers_the_objective(shared_data):
    """From the globins4 build: the penalised log-likelihood rises at every iteration."""
    start = build(shared_data / GLOBINS4)
    model, monitor = train(start, shared_data / GLOBINS45, n_iter=12, tol=-np.inf)
    assert monitor.iter == 12 and monitor.n_passes == 12
    _assert_monotone(monitor)
    assert monitor.history[-1] > monitor.history[0] + 1000.0
    model.validate()
    assert model.M == start.M and model.nseq == 45 and model.stats == {}


def test_training_from_uniform_never_lowers_the_objective(globin_training):
    model, monitor = globin_training
    _assert_monotone(monitor)
    assert monitor.converged
    assert monitor.history[-1] - monitor.history[0] > 5e4


def test_local_training_never_lowers_the_objective(shared_data):
    start = build(shared_data / GLOBINS4)
    model, monitor = train(start, shared_data / GLOBINS45, mode="local", n_iter=6, tol=-np.inf)
    _assert_monotone(monitor)
    # rows no local path uses are kept
    np.testing.assert_array_equal(model.transitions[[0, -1]], start.transitions[[0, -1]])
    np.testing.assert_array_equal(model.insert_emissions[[0, -1]], start.insert_emissions[[0, -1]])


def test_trained_model_separates_globins_from_the_proteome(shared_data, globin_training):
    """hmmsearch-style scores of the model trained from a uniform start: every globin far
    above every protein of the proteome; and the model survives HMMER3 text."""
    import io

    model, _ = globin_training
    kw = dict(E=1e9, domE=1e9, F1=1.0, F2=1.0, F3=1.0, bias_filter=False, Z=2100)
    globins = search(model, shared_data / GLOBINS45, **kw)
    proteome = search(model, shared_data / PROTEOME, **kw)
    assert len(globins.hits) == 45
    assert min(h.score for h in globins.hits) > 60.0
    assert max(h.evalue for h in globins.hits) < 1e-15
    assert max(h.score for h in proteome.hits) < 15.0
    assert not any(h.evalue < 0.01 for h in proteome.hits)
    buf = io.StringIO()
    write_hmmer(model, buf)
    again = read_hmmer(io.StringIO(buf.getvalue()))
    np.testing.assert_allclose(again.match_emissions, model.match_emissions, atol=1e-4)


def sum_of_pairs(ref, test):
    """Fraction of residue pairs aligned (same match state) in ``ref`` also aligned in
    ``test``."""
    total = agree = 0
    for s in range(len(ref)):
        for u in range(s + 1, len(ref)):
            where = np.zeros(ref[u].max() + 1, dtype=np.int64) - 1
            mask = ref[u] > 0
            where[ref[u][mask]] = np.flatnonzero(mask)
            ks = ref[s]
            ok = (ks > 0) & (ks <= ref[u].max())
            i = np.flatnonzero(ok)
            j = where[ks[ok]]
            i, j = i[j >= 0], j[j >= 0]
            total += len(i)
            agree += int(((test[s][i] > 0) & (test[s][i] == test[u][j])).sum())
    return agree / total


def test_training_alignment_agrees_with_hmmalign(shared_data, globin_training):
    """Sum-of-pairs agreement of globins45 aligned to the model trained from a uniform
    start with hmmalign's alignment to globins4 (measured 0.83 / 0.87)."""
    import pyhmmer
    from hmmer_reference import build_hmm, read_sequences

    hmm = build_hmm(shared_data / GLOBINS4)
    ref = pyhmmer.hmmalign(hmm, read_sequences(shared_data / GLOBINS45), all_consensus_cols=True)
    a = match_assignments(list(ref.alignment), ref.reference)
    model, _ = globin_training
    b = align(model, shared_data / GLOBINS45).assignments()
    assert sum_of_pairs(a, b) > 0.78
    assert sum_of_pairs(b, a) > 0.8


def test_refined_alignment_stays_with_hmmalign(shared_data):
    """Refining the globins4 build on globins45 keeps its states: >= 99 % of residues
    on hmmalign's match state."""
    import pyhmmer
    from hmmer_reference import build_hmm, read_sequences

    hmm = build_hmm(shared_data / GLOBINS4)
    ref = pyhmmer.hmmalign(hmm, read_sequences(shared_data / GLOBINS45), all_consensus_cols=True)
    a = match_assignments(list(ref.alignment), ref.reference)
    model, _ = train(build(shared_data / GLOBINS4), shared_data / GLOBINS45)
    b = align(model, shared_data / GLOBINS45).assignments()
    agree = sum(int((x == y).sum()) for x, y in zip(a, b, strict=True))
    assert agree / sum(len(x) for x in a) >= 0.99


def test_uniform_model():
    model = uniform_model(5, "DNA")
    model.validate()
    np.testing.assert_allclose(model.transitions[1:5, 0:3], 1.0 / 3.0)
    np.testing.assert_allclose(model.transitions[5], [0.5, 0.5, 0.0, 0.5, 0.5, 1.0, 0.0])
    with pytest.raises(ValueError, match="M must be a positive integer"):
        uniform_model(0)


def test_bad_inputs_are_rejected():
    seqs = ["ACDEFGHIK", "ACDEGHIK"]
    with pytest.raises(ValueError, match="mode"):
        train(4, seqs, mode="semi")
    with pytest.raises(ValueError, match="estimator"):
        train(4, seqs, estimator="mode")
    with pytest.raises(ValueError, match="contains '\\*'"):
        train(4, ["ACDE*"], alphabet="amino")
    with pytest.raises(ValueError, match="is empty"):
        train(4, ["ACD", ""], alphabet="amino")
    with pytest.raises(ValueError, match="no sequences"):
        train(4, [], alphabet="amino")
    with pytest.raises(ValueError, match="weights"):
        train(4, seqs, weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        train(4, seqs, weights=[1.0, -1.0])
    with pytest.raises(TypeError, match="model_or_length"):
        train("4", seqs)
    with pytest.raises(ValueError, match="differs"):
        train(uniform_model(3, "amino"), seqs, alphabet="DNA")
    with pytest.raises(ValueError, match="not amino residues"):
        train(3, ["AC1D"], alphabet="amino")
    with pytest.raises(ValueError, match="prior"):
        train(3, seqs, prior="jeffreys")
    with pytest.raises(ValueError, match="weights are all zero"):
        train(4, seqs, weights=[0.0, 0.0])
    with pytest.raises(ValueError, match="n_iter must be an integer >= 0, got -1"):
        train(4, seqs, n_iter=-1)
