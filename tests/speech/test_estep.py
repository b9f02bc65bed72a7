"""The embedded E-step (emissions scored on demand, sparse accumulation) against the same
E-step over a full table of emission log-likelihoods."""

from dataclasses import replace

import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.composite import forward_backward, viterbi
from hmmkit.emissions.mixture import MixtureBank
from hmmkit.speech.estep import (
    SPECTRUM_VARIANCE_FLOOR,
    PackedUtterances,
    PassInputs,
    ScoringTables,
    TimeMarks,
    background_frames,
    log_transitions,
    sum_embedded_stats,
    utterance_stats,
    with_log_transitions,
)
from hmmkit.speech.lexicon import Lexicon


def _items(model, seed=3, n=6):
    rng = np.random.default_rng(seed)
    words = [["a", "b"], ["b", "a", "b"], ["a"], ["b", "b"], ["a", "a", "b"], ["b"]][:n]
    return [
        (
            f"u{i}",
            rng.normal(scale=2.0, size=(int(rng.integers(12, 40)), 3)),
            model.transcript_graph(w),
        )
        for i, w in enumerate(words)
    ]


def _reference(model, items, beam, hard=False, background=None, marks=None):
    """Statistics from every state's log-likelihood at every frame, by the public DP
    functions and the mixtures' own E-step (occupancy per tied state, then moments);
    ``marks``' costs are added to the table state by state, span by span."""
    mix = model.mixtures
    moments = mix.new_stats()
    transitions = np.zeros(model.n_transition_parameters)
    total, skipped = 0.0, []
    flat_log = log_transitions(model)
    for utt, X, graph in items:
        log_b, comp = mix.frame_scores(X)
        if background is not None:
            penalty, quantile, edge = background
            quiet = background_frames(X, edge, quantile)
            speech = np.setdiff1d(np.arange(mix.n_groups), model.units["sil"][0])
            log_b[np.ix_(quiet, speech)] -= penalty
        if marks is not None and utt in marks.spans:
            free = np.ones(len(X), dtype=bool)
            for start, end, units in marks.spans[utt]:
                own = np.concatenate([model.units[name][0] for name in units])
                for t in range(start, min(end, len(X))):
                    free[t] = False
                    for g in range(mix.n_groups):
                        if g not in own:
                            log_b[t, g] -= marks.penalty
            if marks.silent_gaps:
                for t in np.flatnonzero(free):
                    for g in range(mix.n_groups):
                        if g not in model.units["sil"][0]:
                            log_b[t, g] -= marks.penalty
        weighted = with_log_transitions(graph, flat_log)
        try:
            path = viterbi(weighted, log_b, beam)
            post = forward_backward(weighted, log_b, beam)
        except ValueError:
            skipped.append(utt)
            continue
        if hard:
            occupancy = np.zeros_like(log_b)
            occupancy[np.arange(len(X)), graph.node_state[path.frame_nodes]] = 1.0
            counts = np.bincount(path.arcs, minlength=graph.n_arcs).astype(float)
            total += path.log_prob
        else:
            occupancy, counts = post.state_occupancy, post.arc_counts
            total += post.log_likelihood
        mix.accumulate(X, occupancy, comp, moments)
        tied = graph.arc_tie >= 0
        transitions += np.bincount(graph.arc_tie[tied], counts[tied], len(transitions))
    return moments, transitions, total, skipped


def _assert_same_statistics(stats, moments, transitions, total):
    for key, value in moments.items():
        np.testing.assert_allclose(stats.moments[key], value, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(stats.transitions, transitions, rtol=1e-9, atol=1e-12)
    assert stats.log_likelihood == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("beam", [np.inf, 25.0])
@pytest.mark.parametrize("background", [None, (5.0, 0.5, 3)])
@pytest.mark.parametrize("n_mix", [1, 3])
def test_on_demand_estep_equals_the_full_table(hard, beam, background, n_mix):
    model = tiny_model(4, n_mix=n_mix)
    items = _items(model)
    stats = utterance_stats(model, items, beam, hard, background)
    moments, transitions, total, skipped = _reference(model, items, beam, hard, background)
    assert stats.skipped == skipped
    assert len(skipped) < len(items) // 2
    _assert_same_statistics(stats, moments, transitions, total)
    assert stats.n_frames == sum(len(x) for u, x, _ in items if u not in skipped)


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("silent_gaps", [False, True])
@pytest.mark.parametrize("background", [None, (5.0, 0.5, 3)])
def test_time_marks_cost_what_the_full_table_charges(hard, silent_gaps, background):
    # u0 "a b": 'b' marked on frames 4-8; u1 "b a b": both words marked, one span
    # running past the end; u2 unmarked (its gaps stay free whatever silent_gaps says)
    model = tiny_model(4, n_mix=2)
    items = _items(model, n=4)
    marks = TimeMarks(
        {"u0": ((4, 9, ("b",)),), "u1": ((3, 6, ("b",)), (12, 10**6, ("b",))), "u3": ()},
        penalty=7.0,
        silent_gaps=silent_gaps,
    )
    stats = utterance_stats(model, items, 60.0, hard, background, marks=marks)
    moments, transitions, total, skipped = _reference(model, items, 60.0, hard, background, marks)
    assert stats.skipped == skipped == []
    _assert_same_statistics(stats, moments, transitions, total)
    unmarked = utterance_stats(model, items, 60.0, hard, background)
    assert unmarked.log_likelihood > stats.log_likelihood


def test_a_time_mark_keeps_its_frames_for_its_word():
    # with the real (large) cost every frame goes where the marks say: 'a' on 2-4, 'b' on
    # 5-24, silence (sil's and sp's states) on the rest
    model = tiny_model(5, n_mix=1)
    X = np.random.default_rng(2).normal(scale=2.0, size=(30, 3))
    items = [("u", X, model.transcript_graph(["a", "b"]))]
    marks = TimeMarks({"u": ((2, 5, ("a",)), (5, 25, ("b",)))}, silent_gaps=True)
    n = utterance_stats(model, items, np.inf, marks=marks).moments["n"]
    occupancy = n.reshape(model.mixtures.n_groups, -1).sum(axis=1)
    assert occupancy[model.units["b"][0]].sum() == pytest.approx(20.0, abs=1e-6)
    assert occupancy[model.units["sil"][0]].sum() == pytest.approx(7.0, abs=1e-6)
    assert occupancy[model.units["a"][0]].sum() == pytest.approx(3.0, abs=1e-6)


def test_time_marks_refuse_bad_spans():
    with pytest.raises(ValueError, match="penalty must be positive"):
        TimeMarks({}, penalty=0.0)
    with pytest.raises(ValueError, match="utterance u: a time mark needs"):
        TimeMarks({"u": ((5, 3, ("a",)),)})
    with pytest.raises(ValueError, match="utterance u: a time mark needs"):
        TimeMarks({"u": ((0, 3, ()),)})


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("beam", [np.inf, 25.0])
def test_alternative_pronunciations_equal_the_full_table(hard, beam):
    # branches put nodes and arcs out of time order: the rows' windows must still hold them
    lexicon = Lexicon({"x": [("a", "b"), ("b",)], "y": [("b", "a"), ("a",), ("b", "b")]})
    model = tiny_model(6, n_mix=2, kind="phone", lexicon=lexicon)
    rng = np.random.default_rng(8)
    words = [["x", "y"], ["y", "x", "x"], ["y"], ["x", "y", "y", "x"]]
    items = [
        (f"u{i}", rng.normal(scale=2.0, size=(int(rng.integers(15, 45)), 3)), graph)
        for i, graph in enumerate(model.transcript_graph(w) for w in words)
    ]
    stats = utterance_stats(model, items, beam, hard)
    moments, transitions, total, skipped = _reference(model, items, beam, hard)
    assert stats.skipped == skipped == []
    _assert_same_statistics(stats, moments, transitions, total)


def _instant_arcs_high_nodes_first(graph):
    """The graph with its arcs that consume no frame in another topological order: by
    Kahn's algorithm taking the highest ready node first (right to left)."""
    emitting = graph.node_state >= 0
    instant = np.arange(graph.n_timed, graph.n_arcs)
    among = [a for a in instant if not emitting[graph.arc_src[a]]]
    indegree = np.bincount(graph.arc_dst[among], minlength=graph.n_nodes)
    ready = [n for n in range(graph.n_nodes) if not emitting[n] and indegree[n] == 0]
    rank = np.zeros(graph.n_nodes, dtype=int)
    for count in range(int(np.sum(~emitting))):
        node = ready.pop(int(np.argmax(ready)))
        rank[node] = count
        for a in among:
            if graph.arc_src[a] == node:
                indegree[graph.arc_dst[a]] -= 1
                if indegree[graph.arc_dst[a]] == 0:
                    ready.append(int(graph.arc_dst[a]))
    order = np.concatenate(
        [np.arange(graph.n_timed), instant[np.argsort(rank[graph.arc_dst[instant]], kind="stable")]]
    )
    fields = ("arc_src", "arc_dst", "arc_logw", "arc_tie")
    return replace(graph, **{f: getattr(graph, f)[order] for f in fields})


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("beam", [np.inf, 25.0])
def test_arcs_without_frames_in_any_topological_order_give_the_same_statistics(hard, beam):
    # the kernels visit these arcs within windows of their sources: any order must do
    lexicon = Lexicon({"x": [("a", "b"), ("b",)], "y": [("b", "a"), ("a",)]})
    model = tiny_model(4, n_mix=2, kind="phone", lexicon=lexicon)
    rng = np.random.default_rng(5)
    words = [["x", "y"], ["y", "x", "x"], ["y"]]
    items = [
        (f"u{i}", rng.normal(scale=2.0, size=(int(rng.integers(15, 45)), 3)), graph)
        for i, graph in enumerate(model.transcript_graph(w) for w in words)
    ]
    shuffled = [(u, X, _instant_arcs_high_nodes_first(g)) for u, X, g in items]
    assert any(
        not np.array_equal(a[2].arc_src, b[2].arc_src) for a, b in zip(items, shuffled, strict=True)
    )
    stats = utterance_stats(model, shuffled, beam, hard)
    moments, transitions, total, skipped = _reference(model, items, beam, hard)
    assert stats.skipped == skipped == []
    _assert_same_statistics(stats, moments, transitions, total)


def test_a_narrow_beam_scores_fewer_states_and_keeps_frames_whole():
    model = tiny_model(4, n_mix=3)
    items = _items(model)
    wide = utterance_stats(model, items, np.inf)
    narrow = utterance_stats(model, items, 25.0)
    frames = sum(len(x) for u, x, _ in items if u not in narrow.skipped)
    assert len(narrow.skipped) < len(items) // 2
    assert narrow.moments["n"].sum() == pytest.approx(frames, rel=1e-10)
    assert narrow.log_likelihood < wide.log_likelihood  # the beam removed some paths


def _flat_model(n_mix):
    """A flat start: sil's states share one mixture, the word states another."""
    model = tiny_model(4, n_mix=n_mix)
    mix = model.mixtures
    sil = model.units["sil"][0]
    words = np.setdiff1d(np.arange(mix.n_groups), sil)
    weights, means, covars = mix.weights.copy(), mix.means.copy(), mix.covars.copy()
    for group in (sil, words):
        for table in (weights, means, covars):
            table[group] = table[group[0]]
    return replace(model, mixtures=MixtureBank(weights, means, covars, "diag"))


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("background", [None, (5.0, 0.5, 3)])
def test_states_of_one_emission_share_their_scores(hard, background):
    model = _flat_model(2)
    tables = ScoringTables.of(model, penalised=background is not None)
    sil, a, b = (model.units[name][0] for name in ("sil", "a", "b"))
    assert list(tables.shared[sil]) == [sil[0]] * len(sil)
    if background is None:  # no penalties: every word state takes a's first state's
        assert set(tables.shared[np.concatenate([a, b])]) == {a[0]}
    else:  # the penalties differ by unit: the states share within their unit only
        assert list(tables.shared[b]) == [b[0]] * len(b)
        assert list(tables.shared[a]) == [a[0]] * len(a)
    items = _items(model)
    for beam in (np.inf, 40.0):
        stats = utterance_stats(model, items, beam, hard, background)
        moments, transitions, total, skipped = _reference(model, items, beam, hard, background)
        assert stats.skipped == skipped
        _assert_same_statistics(stats, moments, transitions, total)


def test_shared_scores_are_the_scores_each_state_would_get():
    # the same statistics, bit for bit, as when no state shares another's scores
    model = _flat_model(3)
    items = _items(model)
    for hard in (False, True):
        shared = utterance_stats(model, items, 25.0, hard)
        inputs = PassInputs.of(model, 25.0, penalised=False)
        alone = replace(inputs.tables, shared=np.arange(len(inputs.tables.shared)))
        own = utterance_stats(model, items, 25.0, hard, inputs=replace(inputs, tables=alone))
        for key, value in own.moments.items():
            np.testing.assert_array_equal(shared.moments[key], value)
        np.testing.assert_array_equal(shared.transitions, own.transitions)
        assert shared.log_likelihood == own.log_likelihood


def test_shards_add_up_to_the_whole():
    model = tiny_model(5)
    items = _items(model)
    whole = utterance_stats(model, items, np.inf)
    parts = sum_embedded_stats([utterance_stats(model, items[i::3], np.inf) for i in range(3)])
    for key, value in whole.moments.items():
        np.testing.assert_allclose(parts.moments[key], value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(parts.transitions, whole.transitions, rtol=1e-10, atol=1e-12)
    assert parts.n_frames == whole.n_frames


def test_a_packed_shard_serves_each_background_setting_in_turn():
    # the frames' penalties are kept per setting: passes alternating settings must not mix
    model = tiny_model(4, n_mix=2)
    items = _items(model)
    packed = PackedUtterances.of(items)
    settings = [(5.0, 0.5, 3), None, (2.0, 0.9, 4), (5.0, 0.5, 3)]
    for background in settings:
        stats = utterance_stats(model, packed, 25.0, False, background)
        moments, transitions, total, skipped = _reference(model, items, 25.0, False, background)
        assert stats.skipped == skipped
        _assert_same_statistics(stats, moments, transitions, total)
    assert len(packed.frame_penalties({"sil": 0, "a": 1}, (2.0, 0.9, 4))) == len(packed.frames)


def test_an_utterance_no_path_fits_is_skipped_and_bad_settings_are_refused():
    model = tiny_model(2)
    items = _items(model, n=2)
    too_short = ("short", np.zeros((2, 3)), model.transcript_graph(["a", "b", "a"]))
    stats = utterance_stats(model, [too_short, *items], np.inf)
    assert stats.skipped == ["short"]
    assert stats.n_frames == sum(len(x) for _, x, _ in items)
    with pytest.raises(ValueError, match="beam must be positive"):
        utterance_stats(model, items, 0.0)


def test_scoring_tables_need_diagonal_mixtures():
    from dataclasses import replace

    from hmmkit.emissions.mixture import MixtureBank

    model = tiny_model(1, n_mix=1)
    mix = model.mixtures
    full = MixtureBank(
        mix.weights, mix.means, np.einsum("gmd,de->gmde", mix.covars, np.eye(3)), "full"
    )
    with pytest.raises(ValueError, match="diagonal covariances"):
        ScoringTables.of(replace(model, mixtures=full))


def test_background_frames_with_a_spectral_margin_keep_other_spectra_out():
    from scipy.stats import norm

    rng = np.random.default_rng(12)
    n_static = 4
    X = np.column_stack([rng.uniform(-5, -4, 60), rng.normal(size=(60, 5))])
    X[30:34, 1:n_static] += 6.0  # quiet, but another spectrum (a weak fricative)
    X[40:44, 0] = 5.0  # loud
    ends = np.concatenate([X[:10], X[-10:]])
    scale = np.sqrt(ends[:, 1:n_static].var(axis=0) + SPECTRUM_VARIANCE_FLOOR)

    def score(frames):
        return norm.logpdf(frames[:, 1:n_static], ends[:, 1:n_static].mean(axis=0), scale).sum(1)

    quiet = set(background_frames(X, 10, 0.75).tolist())
    assert not quiet & set(range(40, 44)) and set(range(30, 34)) <= quiet
    for margin in (0.0, 3.0):
        expected = [
            t for t in sorted(quiet) if score(X[t : t + 1])[0] >= score(ends).min() - margin
        ]
        found = background_frames(X, 10, 0.75, margin, n_static)
        assert found.tolist() == expected
        assert not set(found.tolist()) & set(range(30, 34))
        assert set(range(10)) & set(found.tolist())  # the ends' own frames mostly stay
    assert len(background_frames(X, 10, 0.75, 0.0, n_static)) < len(quiet)
    with pytest.raises(ValueError, match="n_static must be in 2..6"):
        background_frames(X, 10, 0.75, 0.0, 7)
