"""Embedded training on connected digits built from FSDD recordings."""

from dataclasses import replace

import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.composite.dp import forward_log_likelihood
from hmmkit.speech.acoustic_model import silence_transitions
from hmmkit.speech.corpus import list_recordings
from hmmkit.speech.data_folder import folder_features, read_data_folder
from hmmkit.speech.digit_strings import DIGITS_LEXICON, build_digit_strings
from hmmkit.speech.embedded import (
    EmbeddedConfig,
    add_short_pause,
    background_frames,
    flat_start,
    pronunciation_choices,
    train_embedded,
    utterance_stats,
    with_graph_transitions,
)
from hmmkit.speech.features import MFCCConfig
from hmmkit.speech.lexicon import Lexicon

DIGITS = Lexicon(DIGITS_LEXICON)


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory):
    recs = [r for r in list_recordings(shared_data / "fsdd") if r.index in (7, 8)]
    folder = tmp_path_factory.mktemp("strings")
    build_digit_strings(recs, folder, seed=1)
    data = read_data_folder(folder, need_text=True)
    feats = folder_features(data, MFCCConfig())
    return [u.utt for u in data.utterances], feats, [u.words for u in data.utterances]


def test_statistics_of_shards_add(corpus):
    utts, feats, texts = corpus
    model = add_short_pause(flat_start(feats, [w for t in texts for w in t], EmbeddedConfig()))
    items = [(u, x, model.transcript_graph(t)) for u, x, t in zip(utts, feats, texts, strict=True)]
    whole = utterance_stats(model, items, np.inf)
    parts = utterance_stats(model, items[:5], np.inf) + utterance_stats(model, items[5:], np.inf)
    for key, value in whole.moments.items():
        np.testing.assert_allclose(parts.moments[key], value, rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(parts.transitions, whole.transitions, rtol=1e-10)
    assert parts.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)
    # every frame is counted once: occupancies sum to the number of frames
    assert whole.moments["n"].sum() == pytest.approx(sum(len(x) for x in feats), rel=1e-10)
    hard = utterance_stats(model, items, np.inf, hard=True)
    assert hard.moments["n"].sum() == pytest.approx(sum(len(x) for x in feats), rel=1e-10)
    assert hard.log_likelihood <= whole.log_likelihood  # the best path, not the sum of all
    n_words = sum(len(t) for t in texts)
    word_entries = sum(  # every word is entered once on the best path: its entry arcs count 1
        hard.transitions[off]
        for name, unit in model.unit_models().items()
        if name not in ("sil", "sp")
        for off in [unit.transition_offset + 1]
    )
    assert word_entries == n_words


def test_embedded_training_raises_the_likelihood(corpus):
    utts, feats, texts = corpus
    config = EmbeddedConfig(word_states=6, passes=3, beam=np.inf, n_jobs=2)
    model, log = train_embedded(utts, feats, texts, config)
    by_stage = {}
    for stage, value in log.passes:
        by_stage.setdefault(stage, []).append(value)
    for values in by_stage.values():
        assert np.all(np.diff(values) > -1e-6)
    assert log.passes[-1][1] > log.passes[0][1] + 3.0
    assert model.units["sp"][0][0] == model.units["sil"][0][1]  # sp shares sil's middle state


def test_phone_models_choose_pronunciations(corpus):
    utts, feats, texts = corpus
    config = EmbeddedConfig(units="phone", passes=2, n_mix=2)
    model, log = train_embedded(utts, feats, texts, config, DIGITS)
    assert set(model.units) == set(DIGITS.phones()) | {"sil", "sp"}
    assert model.mixtures.n_mix == 2
    assert [s for s, _ in log.passes[:: config.passes]] == ["with sp", "realigned", "2 mixtures"]
    with_zero = [i for i, t in enumerate(texts) if "0" in t]
    for i in with_zero:
        choices = pronunciation_choices(model, model.transcript_graph(texts[i]), feats[i], texts[i])
        assert all(c in (0, 1) for w, c in zip(texts[i], choices, strict=True) if w == "0")
        assert all(c == 0 for w, c in zip(texts[i], choices, strict=True) if w != "0")
    with pytest.raises(KeyError, match="utterance x: word 'ten' is not in the lexicon"):
        train_embedded(["x"], feats[:1], [("ten",)], config, DIGITS)


def test_background_frames_are_those_no_louder_than_the_ends():
    c0 = np.array([0.0, 1.0, 2.0, 9.0, 1.5, 8.0, 3.0, 0.5, 2.5, 1.0])
    X = np.column_stack([c0, np.zeros_like(c0)])
    edge_values = np.array([0.0, 1.0, 2.5, 1.0])  # c0 of the first and last two frames
    for quantile in (0.25, 0.5, 0.75, 1.0):
        threshold = np.quantile(edge_values, quantile)
        expected = [t for t in range(len(c0)) if c0[t] <= threshold]
        assert background_frames(X, 2, quantile).tolist() == expected
    assert 3 not in background_frames(X, 2, 1.0) and 5 not in background_frames(X, 2, 1.0)


def test_background_penalty_moves_quiet_frames_off_the_words(corpus):
    utts, feats, texts = corpus
    model = add_short_pause(flat_start(feats, [w for t in texts for w in t], EmbeddedConfig()))
    items = [(u, x, model.transcript_graph(t)) for u, x, t in zip(utts, feats, texts, strict=True)]
    plain = utterance_stats(model, items, np.inf, hard=True)
    zero = utterance_stats(model, items, np.inf, hard=True, background=(0.0, 0.75, 10))
    np.testing.assert_array_equal(zero.moments["n"], plain.moments["n"])
    assert zero.log_likelihood == plain.log_likelihood

    def word_frames(penalty: float) -> float:
        total = 0.0
        sil = model.units["sil"][0]
        for utt, X, graph in items:
            assert len(background_frames(X, 10, 0.75)) >= 10  # at least the quiet ends
            stats = utterance_stats(model, [(utt, X, graph)], np.inf, True, (penalty, 0.75, 10))
            # occupancy per state (one utterance): its word states' share of the frames
            n = stats.moments["n"].reshape(model.mixtures.n_groups, -1).sum(axis=1)
            total += n.sum() - n[sil].sum()
            assert n.sum() == pytest.approx(len(X))
        return total

    # a penalty on quiet frames can only shorten the words (sp and sil take the frames)
    assert word_frames(20.0) < word_frames(0.0)


@pytest.mark.parametrize(
    "field,value", [("background_penalty", -1.0), ("background_quantile", 0.0)]
)
def test_background_settings_are_checked(field, value):
    with pytest.raises(ValueError, match=field):
        EmbeddedConfig(**{field: value})


def test_short_pause_over_all_silence_states_is_a_skippable_silence():
    """sp over sil's states: the utterance's likelihood is that of no pause (skip) plus
    that of a whole sil between the words (1 - skip), the graphs built independently."""
    base = tiny_model(3)
    units = {k: v for k, v in base.units.items() if k != "sp"}
    model = add_short_pause(replace(base, units=units), "silence")
    sil_states, sil_transp = model.units["sil"]
    states, transp = model.units["sp"]
    np.testing.assert_array_equal(states, sil_states)  # tied to sil, state by state
    np.testing.assert_allclose(transp.sum(axis=1)[:-1], 1.0)
    skip = transp[0, -1]
    log_b = np.random.default_rng(0).normal(size=(12, model.mixtures.n_groups)) * 2.0

    def loglik(m, words, short_pause):
        graph = with_graph_transitions(m.transcript_graph(words, short_pause=short_pause), m)
        return forward_log_likelihood(graph, log_b)

    pause_as_word = replace(model, units={**units, "x": (sil_states, silence_transitions(3))})
    expected = np.logaddexp(
        np.log(skip) + loglik(model, ["a", "b"], False),
        np.log1p(-skip) + loglik(pause_as_word, ["a", "x", "b"], False),
    )
    assert loglik(model, ["a", "b"], True) == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="short pause states"):
        add_short_pause(model, "all")
    with pytest.raises(ValueError, match="short_pause"):
        EmbeddedConfig(short_pause="all")


def test_the_background_setting_carries_the_spectral_margin():
    assert EmbeddedConfig().background_setting(13, 39) is None
    assert EmbeddedConfig(background_penalty=5.0).background_setting(13, 39) == (5.0, 0.75, 10)
    config = EmbeddedConfig(background_penalty=5.0, background_margin=1.0)
    assert config.background_setting(13, 3) == (5.0, 0.75, 10, 1.0, 3)
    with pytest.raises(ValueError, match="background_margin must be >= 0"):
        EmbeddedConfig(background_margin=-1.0)


def test_the_mark_penalty_reaches_the_time_marks(corpus, monkeypatch):
    import hmmkit.speech.embedded as embedded

    seen = []
    real = embedded.word_time_marks

    def spy(*args):
        seen.append(real(*args))
        raise SystemExit(0)

    monkeypatch.setattr(embedded, "word_time_marks", spy)
    utts, feats, words = corpus
    times = {utts[0]: [(words[0][0], 0.2, 0.4)]}
    for penalty in (1000.0, 5.0):
        config = EmbeddedConfig(mark_penalty=penalty)
        with pytest.raises(SystemExit):
            train_embedded(utts, feats, words, config, word_times=times)
        assert seen[-1].penalty == penalty
    assert EmbeddedConfig().mark_penalty == 1000.0
    with pytest.raises(ValueError, match="mark_penalty must be positive"):
        EmbeddedConfig(mark_penalty=0.0)


def test_word_edge_states_are_optional_states_of_the_word_unit(corpus):
    """word_edges: every word unit has two more states, the first and the last of which
    may be skipped; sil keeps its states and the transitions stay stochastic."""
    from hmmkit.speech.acoustic_model import edged_left_to_right

    transp = edged_left_to_right(4)
    np.testing.assert_allclose(transp[:-1].sum(axis=1), 1.0)
    assert transp[0, 1] > 0 and transp[0, 2] > 0  # into the edge state or past it
    assert transp[5, 6] > 0 and transp[5, 7] > 0  # out through the edge state or past it
    assert transp[0, 3:].sum() == 0 and transp[1, 3:].sum() == 0
    utts, feats, texts = corpus
    words = [w for t in texts for w in t]
    plain = flat_start(feats, words, EmbeddedConfig(word_states=4))
    edged = flat_start(feats, words, EmbeddedConfig(word_states=4, word_edges=True))
    assert len(edged.units["sil"][0]) == len(plain.units["sil"][0])
    for name in plain.words():
        assert len(edged.units[name][0]) == len(plain.units[name][0]) + 2
        np.testing.assert_array_equal(edged.units[name][1], transp)
    config = EmbeddedConfig(word_states=4, word_edges=True, passes=1, beam=np.inf, n_jobs=1)
    model, log = train_embedded(utts[:4], feats[:4], texts[:4], config)
    assert all(np.isfinite(v) for _, v in log.passes)
    with pytest.raises(ValueError, match="word_edges needs word units"):
        EmbeddedConfig(units="phone", word_edges=True)
