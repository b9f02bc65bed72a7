"""Isolated-word recognizer: HTK-style training schedule, scoring, n-best, save/load."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hmmlearn.hmm import GMMHMM as ReferenceGMMHMM

from hmmkit.speech.recognizer import TrainingConfig, WordRecognizer, select_warp

D = 4


def word_sequences(trajectory: np.ndarray, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Utterances that walk through `trajectory` (segments, D) with random segment durations."""
    seqs = []
    for _ in range(n):
        durations = rng.integers(3, 9, size=len(trajectory))
        means = np.repeat(trajectory, durations, axis=0)
        seqs.append(means + rng.normal(scale=0.7, size=means.shape))
    return seqs


@pytest.fixture(scope="module")
def words():
    rng = np.random.default_rng(1)
    # Words "a" and "b" visit the same sounds in opposite order: only the
    # left-to-right order of the states tells them apart. "c" has its own sounds.
    sounds = rng.normal(scale=3.0, size=(4, D))
    trajectories = {"a": sounds[[0, 1, 2]], "b": sounds[[2, 1, 0]], "c": sounds[[3, 0, 3]]}
    train = {w: word_sequences(t, 25, rng) for w, t in trajectories.items()}
    test = {w: word_sequences(t, 15, rng) for w, t in trajectories.items()}
    return train, test


@pytest.fixture(scope="module")
def recognizer(words):
    train, _ = words
    feats = [x for w in train for x in train[w]]
    labels = [w for w in train for _ in train[w]]
    config = TrainingConfig(n_states=3, n_mix=2, n_iter=5, n_iter_split=3)
    return WordRecognizer(config, n_jobs=1, feature_config={"numcep": 13}).fit(feats, labels)


def test_mixture_schedule_doubles_up_to_n_mix():
    assert TrainingConfig(n_mix=1).mixture_schedule() == [1]
    assert TrainingConfig(n_mix=3).mixture_schedule() == [1, 2, 3]
    assert TrainingConfig(n_mix=8).mixture_schedule() == [1, 2, 4, 8]
    assert TrainingConfig(n_states=5).min_frames() == 5
    assert TrainingConfig(n_states=5, max_jump=2).min_frames() == 3


def test_models_are_left_to_right_with_the_final_mixture_count(recognizer):
    assert recognizer.words_ == ["a", "b", "c"]
    for word, model in recognizer.models_.items():
        assert model.weights_.shape == (3, 2)
        np.testing.assert_allclose(model.startprob_, [1.0, 0.0, 0.0])
        assert np.all(np.tril(model.transmat_, -1) == 0)
        assert np.all(np.triu(model.transmat_, 2) == 0)
        trace = recognizer.traces_[word]
        assert trace.n_train == 25 and trace.splits == [len(trace.history) - 3]
        assert np.all(np.isfinite(trace.history))
        # Re-estimation after the split does not lose likelihood.
        after = trace.history[trace.splits[0] :]
        assert np.all(np.diff(after) > -1e-6 * abs(after[0]))


def test_recognises_held_out_utterances(recognizer, words):
    _, test = words
    feats = [x for w in test for x in test[w]]
    truth = [w for w in test for _ in test[w]]
    assert recognizer.predict(feats) == truth


def test_scores_agree_with_hmmlearn(recognizer, words):
    _, test = words
    feats = test["b"][:5]
    scores = recognizer.score(feats)
    for j, word in enumerate(recognizer.words_):
        model = recognizer.models_[word]
        ref = ReferenceGMMHMM(n_components=3, n_mix=2, covariance_type="diag")
        ref.startprob_, ref.transmat_ = model.startprob_, model.transmat_
        ref.weights_, ref.means_, ref.covars_ = model.weights_, model.means_, model.covars_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = [ref.score(x) for x in feats]
        np.testing.assert_allclose(scores[:, j], expected, rtol=1e-8)


def test_nbest_ranks_every_word_by_score(recognizer, words):
    _, test = words
    feats = [test["c"][0], test["a"][0]]
    scores = recognizer.score(feats)
    nbest = recognizer.nbest(feats, n=3)
    assert [r[0][0] for r in nbest] == ["c", "a"]
    for row, ranked in zip(scores, nbest, strict=True):
        assert [s for _, s in ranked] == sorted(row, reverse=True)
        assert {w for w, _ in ranked} == {"a", "b", "c"}
    assert len(recognizer.nbest(feats, n=1)[0]) == 1
    with pytest.raises(ValueError, match="n must be"):
        recognizer.nbest(feats, n=0)


def test_select_warp_picks_the_version_the_models_fit_best(recognizer, words):
    _, test = words
    clean = [x for w in test for x in test[w][:3]]
    shifted = [x + 1.5 for x in clean]
    warp, scores = select_warp(
        recognizer, {0.9: shifted, 1.0: clean, 1.1: [x - 1.5 for x in clean]}
    )
    assert warp == 1.0
    np.testing.assert_array_equal(scores, recognizer.score(clean))
    warp, scores = select_warp(recognizer, {0.95: clean, 1.0: shifted})
    assert warp == 0.95
    with pytest.raises(ValueError, match="same utterances"):
        select_warp(recognizer, {0.9: clean, 1.0: clean[:2]})


def test_adaptation_fits_a_shifted_speaker_and_leaves_the_original(recognizer, words):
    _, test = words
    shifted = [x + 0.8 for w in test for x in test[w]]
    truth = [w for w in test for _ in test[w]]
    before = recognizer.score(shifted)
    adapted = recognizer.adapted(shifted, n_iter=3, min_utterances=5)
    np.testing.assert_array_equal(recognizer.score(shifted), before)
    after = adapted.score(shifted)
    assert after.max(axis=1).sum() > before.max(axis=1).sum() + 1.0
    assert adapted.predict(shifted) == truth
    for word in recognizer.words_:
        moved = adapted.models_[word].means_ - recognizer.models_[word].means_
        assert moved.mean() > 0.3  # the means follow the speaker's offset
    unchanged = recognizer.adapted(shifted, min_utterances=100)
    np.testing.assert_array_equal(unchanged.score(shifted), before)
    with pytest.raises(ValueError, match="n_iter"):
        recognizer.adapted(shifted, n_iter=0)


def test_save_and_load_give_the_same_scores(recognizer, words, tmp_path):
    _, test = words
    feats = test["a"][:4]
    recognizer.save(tmp_path / "models")
    loaded = WordRecognizer.load(tmp_path / "models")
    assert loaded.words_ == recognizer.words_
    assert loaded.feature_config == {"numcep": 13}
    assert loaded.config == recognizer.config
    assert loaded.traces_["a"].history == recognizer.traces_["a"].history
    np.testing.assert_array_equal(loaded.score(feats), recognizer.score(feats))
    with pytest.raises(FileNotFoundError, match="saved recognizer"):
        WordRecognizer.load(tmp_path)


def test_too_short_utterances_score_minus_infinity(recognizer):
    scores = recognizer.score([np.zeros((2, D)), np.zeros((12, D))])
    assert np.all(scores[0] == -np.inf) and np.all(np.isfinite(scores[1]))
    assert recognizer.predict([np.zeros((2, D))]) == [None]  # no word, not the first one


def test_integer_labels_come_back_as_integers(words, tmp_path):
    """Labels keep their type (as scikit-learn classifiers do): predict(X) == y works."""
    train, test = words
    feats = [x for w in ("a", "c") for x in train[w]]
    labels = [10 if w == "a" else 2 for w in ("a", "c") for _ in train[w]]
    config = TrainingConfig(n_states=3, n_mix=1, n_iter=3, n_iter_split=0)
    rec = WordRecognizer(config, n_jobs=1).fit(feats, np.array(labels))
    assert rec.words_ == [2, 10]
    assert rec.predict(test["a"][:3] + test["c"][:3]) == [10, 10, 10, 2, 2, 2]
    rec.save(tmp_path / "ints")
    loaded = WordRecognizer.load(tmp_path / "ints")
    assert loaded.words_ == [2, 10] and loaded.predict(test["c"][:1]) == [2]
    floats = WordRecognizer(config, n_jobs=1).fit(feats, np.array(labels, dtype=float))
    assert floats.words_ == [2, 10]  # whole-number floats are integer words
    with pytest.raises(TypeError, match="strings or integers"):
        WordRecognizer(config).fit(feats[:2], [1.5, 2.5])


def test_training_survives_degenerate_data():
    """Constant dimensions and duplicated frames must not turn a model into NaN."""
    rng = np.random.default_rng(3)
    base = word_sequences(rng.normal(size=(3, D)), 10, rng)
    degenerate = [np.column_stack([x[:, :2], np.ones(len(x)), np.zeros(len(x))]) for x in base]
    degenerate += [np.tile(degenerate[0][:1], (12, 1))] * 5
    rec = WordRecognizer(TrainingConfig(n_states=3, n_mix=4, n_iter=4, n_iter_split=3), n_jobs=1)
    rec.fit(degenerate, ["w"] * len(degenerate))
    model = rec.models_["w"]
    for name in ("startprob_", "transmat_", "weights_", "means_", "covars_"):
        assert np.all(np.isfinite(getattr(model, name))), name
    assert np.all(model.covars_ > 0)
    assert np.all(np.isfinite(rec.score(degenerate[:3])))


def test_bad_input_is_rejected(recognizer):
    with pytest.raises(RuntimeError, match="no models"):
        WordRecognizer().score([np.zeros((10, D))])
    with pytest.raises(ValueError, match="labels"):
        WordRecognizer().fit([np.zeros((10, D))], ["a", "b"])
    with pytest.raises(ValueError, match="NaN"):
        recognizer.score([np.full((10, D), np.nan)])
    with pytest.raises(ValueError, match="two-dimensional"):
        recognizer.score([np.zeros(10)])
    with pytest.raises(ValueError, match="frames a 5-state"):
        WordRecognizer(TrainingConfig(n_states=5)).fit([np.zeros((3, D))], ["a"])
    with pytest.raises(ValueError, match="init"):
        TrainingConfig(init="uniform")


def test_a_word_without_long_enough_utterances_is_named():
    config = TrainingConfig(n_states=3, n_mix=1, n_iter=2, n_iter_split=0)
    rng = np.random.default_rng(3)
    feats = [rng.normal(size=(20, D)) for _ in range(3)] + [rng.normal(size=(2, D))]
    with pytest.raises(ValueError, match="word 'short': no training utterance has the 3 frames"):
        WordRecognizer(config, n_jobs=1).fit(feats, ["long"] * 3 + ["short"])
