"""The E-step: expected counts exact against brute force over every path, the same on any
number of threads."""

from __future__ import annotations

import numpy as np
import pytest
from random_models import random_core

from hmmkit.profile import AMINO, DNA, build
from hmmkit.profile.digital import digitize
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.plan7 import DD, DM, II, IM, MD, MI, MM
from hmmkit.profile.train import (
    count_expected,
    degeneracy_table,
    expected_counts,
    sequence_log_likelihoods,
)

GLOBINS4 = "protein/tutorial/globins4.sto"
GLOBINS45 = "protein/tutorial/globins45.fa"


# Brute force: every path of the path models defined in hmmkit.profile.train.expected_counts


def _edges(state, t, M, mode, L):
    """Out-edges of a state: (target, weight, counted transition or None, emitter or None)."""
    kind, k = state
    if mode == "glocal":
        if kind == "B":
            return [
                (("M", 1), t[0, MM], (0, MM), ("M", 1)),
                (("I", 0), t[0, MI], (0, MI), ("I", 0)),
                (("D", 1), t[0, MD], (0, MD), None),
            ]
        if kind == "M" and k < M:
            return [
                (("M", k + 1), t[k, MM], (k, MM), ("M", k + 1)),
                (("I", k), t[k, MI], (k, MI), ("I", k)),
                (("D", k + 1), t[k, MD], (k, MD), None),
            ]
        if kind == "M":
            return [(("E", 0), t[M, MM], (M, MM), None), (("I", M), t[M, MI], (M, MI), ("I", M))]
        if kind == "I":
            out = (
                (("M", k + 1), t[k, IM], (k, IM), ("M", k + 1))
                if k < M
                else (("E", 0), t[M, IM], (M, IM), None)
            )
            return [out, (("I", k), t[k, II], (k, II), ("I", k))]
        if kind == "D" and k < M:
            return [
                (("M", k + 1), t[k, DM], (k, DM), ("M", k + 1)),
                (("D", k + 1), t[k, DD], (k, DD), None),
            ]
        if kind == "D":
            return [(("E", 0), t[M, DM], (M, DM), None)]
        return []
    ploop, pmove, entry = L / (L + 2.0), 2.0 / (L + 2.0), 2.0 / (M * (M + 1.0))
    if kind == "S":
        return [(("N", 0), 1.0, None, None)]
    if kind == "N":
        return [(("N", 0), ploop, None, ("bg", 0)), (("B", 0), pmove, None, None)]
    if kind == "B":
        return [(("M", j), entry, None, ("M", j)) for j in range(1, M + 1)]
    if kind == "M":
        out = [(("E", 0), 1.0, None, None)]
        if k < M:
            out += [
                (("M", k + 1), t[k, MM], (k, MM), ("M", k + 1)),
                (("I", k), t[k, MI], (k, MI), ("I", k)),
                (("D", k + 1), t[k, MD], (k, MD), None),
            ]
        return out
    if kind == "I":
        return [
            (("M", k + 1), t[k, IM], (k, IM), ("M", k + 1)),
            (("I", k), t[k, II], (k, II), ("I", k)),
        ]
    if kind == "D":
        out = [(("E", 0), 1.0, None, None)]
        if k < M:
            out += [
                (("M", k + 1), t[k, DM], (k, DM), ("M", k + 1)),
                (("D", k + 1), t[k, DD], (k, DD), None),
            ]
        return out
    if kind == "E":
        return [(("C", 0), 1.0, None, None)]
    if kind == "C":
        return [(("C", 0), ploop, None, ("bg", 0)), (("T", 0), pmove, None, None)]
    return []


def brute_force(t, mat, ins, bg, residue_sets, mode):
    """Expected counts and log P(x) by enumerating every path and, for a degenerate
    symbol, every residue it may stand for."""
    M, K, L = t.shape[0] - 1, mat.shape[1], len(residue_sets)
    tc, mc, ic = np.zeros((M + 1, 7)), np.zeros((M + 1, K)), np.zeros((M + 1, K))
    total = 0.0
    start, final = (("B", 0), ("E", 0)) if mode == "glocal" else (("S", 0), ("T", 0))

    def walk(state, pos, w, used, emitted):
        nonlocal total
        if state == final:
            if pos == L:
                total += w
                for key in used:
                    tc[key] += w
                for kind, k, a in emitted:
                    (mc if kind == "M" else ic)[k, a] += w
            return
        for target, p, key, emitter in _edges(state, t, M, mode, L):
            if p == 0.0:
                continue
            now = used + [key] if key is not None else used
            if emitter is None:
                walk(target, pos, w * p, now, emitted)
            elif pos < L:
                kind, k = emitter
                for a in residue_sets[pos]:
                    e = bg[a] if kind == "bg" else (mat if kind == "M" else ins)[k, a]
                    em = emitted if kind == "bg" else emitted + [(kind, k, a)]
                    walk(target, pos + 1, w * p * e, now, em)

    walk(start, 0, 1.0, [], [])
    return tc / total, mc / total, ic / total, np.log(total)


@pytest.mark.parametrize("mode", ["glocal", "local"])
@pytest.mark.parametrize("M", [1, 2, 3])
def test_expected_counts_equal_brute_force(mode, M):
    """Transition, emission counts and log-likelihood exact (1e-10) over every path."""
    if mode == "local" and M == 1:
        M = 2
    rng = np.random.default_rng(M + 10 * (mode == "local"))
    t, mat, ins = random_core(M, 4, rng)
    bg = rng.dirichlet(np.ones(4))
    table = degeneracy_table(DNA)
    seqs = ["A", "GC", "ACN", "TRGA", "CATG"]
    codes = [digitize(s, DNA) for s in seqs]
    weights = rng.uniform(0.5, 2.0, len(seqs))
    tc, mc, ic, ll = expected_counts(
        t, mat, ins, codes, table, mode=mode, weights=weights, background=bg, n_jobs=1
    )
    want = [np.zeros((M + 1, 7)), np.zeros((M + 1, 4)), np.zeros((M + 1, 4))]
    for s, (seq, w) in enumerate(zip(codes, weights, strict=True)):
        sets = [list(np.flatnonzero(table[c])) for c in seq]
        bt, bm, bi, bll = brute_force(t, mat, ins, bg, sets, mode)
        np.testing.assert_allclose(ll[s], bll, rtol=1e-10, atol=1e-12)
        for acc, part in zip(want, (bt, bm, bi), strict=True):
            acc += w * part
    for got, ref in zip((tc, mc, ic), want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_expected_counts_amino_degenerate_brute_force():
    """Amino alphabet with X and B: each possible residue enumerated."""
    rng = np.random.default_rng(5)
    t, mat, ins = random_core(2, 20, rng)
    table = degeneracy_table(AMINO)
    codes = [digitize("WXB", AMINO)]
    tc, mc, ic, ll = expected_counts(t, mat, ins, codes, table, n_jobs=1)
    sets = [list(np.flatnonzero(table[c])) for c in codes[0]]
    bt, bm, bi, bll = brute_force(t, mat, ins, None, sets, "glocal")
    np.testing.assert_allclose(ll[0], bll, rtol=1e-10)
    for got, ref in zip((tc, mc, ic), (bt, bm, bi), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_counts_do_not_depend_on_threads(shared_data):
    """The same sums, bit for bit, on one or two threads; every residue emitted once."""
    model = build(shared_data / GLOBINS4)
    one = count_expected(model, shared_data / GLOBINS45, n_jobs=1)
    two = count_expected(model, shared_data / GLOBINS45, n_jobs=2)
    for key in one:
        np.testing.assert_array_equal(one[key], two[key])
    assert one.log_likelihood == two.log_likelihood
    n_residues = sum(len(r.residues) for r in read_fasta(shared_data / GLOBINS45))
    emitted = one["match"].sum() + one["insert"].sum()
    assert emitted == pytest.approx(n_residues, rel=1e-10)
    assert one.n_frames == n_residues
    ll = sequence_log_likelihoods(model, shared_data / GLOBINS45)
    assert ll.sum() == pytest.approx(one.log_likelihood, rel=1e-12)
