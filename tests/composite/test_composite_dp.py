"""Composite-graph DP against the same model expanded to a dense HMM, and exhaustive search."""

import itertools

import numpy as np
import pytest

from hmmkit.composite import GraphBuilder, UnitModel, forward_backward, viterbi
from hmmkit.composite.dp import forward_log_likelihood
from hmmkit.kernels import run_forward_backward


def _left_right(rng, n_emitting, tee=False):
    n = n_emitting + 2
    transp = np.zeros((n, n))
    transp[0, 1] = 1.0
    if tee:
        transp[0, 1], transp[0, -1] = 0.7, 0.3
    for i in range(1, n - 1):
        targets = [i, i + 1] + ([i + 2] if i + 2 < n else [])
        transp[i, targets] = rng.dirichlet(np.ones(len(targets)))
    return transp


def _units(rng):
    """Units with tied states: a is reused by two words and by the silence; sp is a tee."""
    a = UnitModel("a", np.array([0, 1]), _left_right(rng, 2), 0)
    b = UnitModel("b", np.array([2]), _left_right(rng, 1), 16)
    sil = UnitModel("sil", np.array([3, 1, 3]), _left_right(rng, 3), 25)
    sp = UnitModel("sp", np.array([1]), _left_right(rng, 1, tee=True), 50)
    return a, b, sil, sp


def _utterance_graph(rng):
    """sil (word1 = a b | b) sp (word2 = a) [sil]."""
    a, b, sil, sp = _units(rng)
    g = GraphBuilder()
    word1 = g.alternatives([g.chain([g.unit(a), g.unit(b)]), g.unit(b)], [0.6, 0.4])
    parts = [g.unit(sil), word1, g.unit(sp), g.unit(a), g.optional(g.unit(sil), 0.3)]
    entry, exit_ = g.chain(parts)
    return g.build(entry, exit_)


def _closures(graph):
    """Sum and max over every arc path from each node through non-emitting nodes."""
    n = graph.n_nodes
    out = {}

    def walk(at, logp, first, sums, maxes):
        for a in range(graph.n_arcs):
            if graph.arc_src[a] != at or (not first and graph.node_state[at] >= 0):
                continue
            d, lp = int(graph.arc_dst[a]), logp + graph.arc_logw[a]
            sums[d] = np.logaddexp(sums.get(d, -np.inf), lp)
            maxes[d] = max(maxes.get(d, -np.inf), lp)
            if graph.node_state[d] < 0:
                walk(d, lp, False, sums, maxes)

    for node in range(n):
        sums, maxes = {}, {}
        walk(node, 0.0, True, sums, maxes)
        out[node] = (sums, maxes)
    return out


def _dense(graph, log_b, use_max=False):
    """Start, transition and end weights over the emitting nodes, and their log_b."""
    em = graph.emitting()
    k = len(em)
    closure = _closures(graph)
    pick = 1 if use_max else 0
    start = np.full(k, -np.inf)
    trans = np.full((k, k), -np.inf)
    end = np.full(k, -np.inf)
    for j, node in enumerate(em):
        start[j] = closure[graph.entry][pick].get(int(node), -np.inf)
        end[j] = closure[int(node)][pick].get(graph.exit, -np.inf)
        for i, other in enumerate(em):
            trans[j, i] = closure[int(node)][pick].get(int(other), -np.inf)
    return em, start, trans, end, log_b[:, graph.node_state[em]]


def _expanded_forward_backward(graph, log_b):
    """Dense HMM with an extra absorbing end state entered on one extra frame."""
    em, start, trans, end, dense_b = _dense(graph, log_b)
    k = len(em)
    startprob = np.append(np.exp(start), 0.0)
    transmat = np.zeros((k + 1, k + 1))
    transmat[:k, :k] = np.exp(trans)
    transmat[:k, k] = np.exp(end)
    transmat[k, k] = 1.0
    frames = np.full((len(log_b) + 1, k + 1), -np.inf)
    frames[:-1, :k] = dense_b
    frames[-1, k] = 0.0
    gamma, _, trans_acc, loglik = run_forward_backward(
        frames, np.array([0, len(frames)]), startprob, transmat
    )
    return em, loglik[0], gamma[:-1, :k], trans_acc[:k, :k]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_composite_equals_expanded_dense_hmm(seed):
    rng = np.random.default_rng(seed)
    graph = _utterance_graph(rng)
    log_b = rng.normal(size=(14, 4)) * 2.0
    post = forward_backward(graph, log_b, node_posteriors=True)
    em, loglik, gamma, trans_acc = _expanded_forward_backward(graph, log_b)
    assert post.log_likelihood == pytest.approx(loglik, rel=1e-10)
    assert forward_log_likelihood(graph, log_b) == pytest.approx(loglik, rel=1e-10)
    np.testing.assert_allclose(post.node_posteriors[:, em], gamma, atol=1e-10)
    # tied statistics: the sum over the nodes that share each state
    expected = np.zeros_like(post.state_occupancy)
    for col, node in enumerate(em):
        expected[:, graph.node_state[node]] += gamma[:, col]
    np.testing.assert_allclose(post.state_occupancy, expected, atol=1e-10)
    np.testing.assert_allclose(post.state_occupancy.sum(axis=1), 1.0, atol=1e-10)
    # a direct arc between emitting nodes is the only way between them: its count is xi
    index = {int(n): c for c, n in enumerate(em)}
    for a in range(graph.n_timed):
        s, d = int(graph.arc_src[a]), int(graph.arc_dst[a])
        if graph.node_state[s] >= 0:
            assert post.arc_counts[a] == pytest.approx(trans_acc[index[s], index[d]], abs=1e-10)


def test_beam_pruned_posteriors_stay_normalised():
    rng = np.random.default_rng(5)
    graph = _utterance_graph(rng)
    log_b = rng.normal(size=(20, 4)) * 4.0
    full = forward_backward(graph, log_b)
    pruned = forward_backward(graph, log_b, beam=3.0)
    assert pruned.log_likelihood <= full.log_likelihood + 1e-12
    np.testing.assert_allclose(pruned.state_occupancy.sum(axis=1), 1.0, atol=1e-10)
    wide = forward_backward(graph, log_b, beam=1e6)
    assert wide.log_likelihood == pytest.approx(full.log_likelihood, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 3])
def test_viterbi_equals_exhaustive_search(seed):
    rng = np.random.default_rng(seed)
    graph = _utterance_graph(rng)
    n_frames = 6
    log_b = rng.normal(size=(n_frames, 4)) * 2.0
    em, start, trans, end, dense_b = _dense(graph, log_b, use_max=True)
    best, best_path = -np.inf, None
    for seq in itertools.product(range(len(em)), repeat=n_frames):
        score = start[seq[0]] + dense_b[0, seq[0]] + end[seq[-1]]
        for t in range(1, n_frames):
            score += trans[seq[t - 1], seq[t]] + dense_b[t, seq[t]]
        if score > best:
            best, best_path = score, seq
    path = viterbi(graph, log_b)
    assert path.log_prob == pytest.approx(best, rel=1e-12)
    np.testing.assert_array_equal(path.frame_nodes, em[list(best_path)])
    assert path.nodes[0] == graph.entry and path.nodes[-1] == graph.exit


def test_bad_graphs_and_inputs_are_refused():
    g = GraphBuilder()
    a, b = g.node(), g.node()
    g.arc(a, b)
    g.arc(b, a)
    with pytest.raises(ValueError, match="cycle"):
        g.build(a, b)
    graph = _utterance_graph(np.random.default_rng(0))
    with pytest.raises(ValueError, match="no path"):
        forward_backward(graph, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="columns"):
        forward_backward(graph, np.zeros((20, 2)))
    with pytest.raises(ValueError, match="beam"):
        viterbi(graph, np.zeros((20, 4)), beam=0.0)
