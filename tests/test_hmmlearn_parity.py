"""hmmlearn behaviours hmmkit matches: n_iter=0, init_params and parameters that are set
or not, sampling from the model's random_state, MultinomialHMM's n_trials."""

from __future__ import annotations

import logging
import warnings

import hmmlearn.hmm
import numpy as np
import pytest
from factories import make_model, sample_sequences

from hmmkit import CategoricalHMM, GaussianHMM, MultinomialHMM, load


@pytest.fixture
def frames():
    truth = make_model("gaussian", "diag", np.random.default_rng(7), n_states=2)
    return np.concatenate(sample_sequences(truth, [100, 60]))


def test_n_iter_0_initialises_only(frames):
    reference = hmmlearn.hmm.GaussianHMM(2, n_iter=0, random_state=0).fit(frames)
    assert len(reference.monitor_.history) == 0 and reference.means_.shape == (2, 2)
    start = GaussianHMM(2, n_iter=0, random_state=0).fit(frames)
    assert start.monitor_.history == [] and start.means_.shape == (2, 2)
    # the parameters are the ones EM starts from: their log-likelihood is the first
    # value the monitor of a one-iteration fit records, from the same random_state
    one = GaussianHMM(2, n_iter=1, random_state=0).fit(frames)
    assert start.score(frames) == pytest.approx(one.monitor_.history[0], rel=1e-12)
    # with every parameter set and nothing to initialise, nothing changes
    given = make_model("gaussian", "diag", np.random.default_rng(1), n_states=2)
    kept = {name: getattr(given, name).copy() for name in ("startprob_", "means_", "covars_")}
    given.set_params(n_iter=0, init_params="").fit(frames)
    for name, value in kept.items():
        np.testing.assert_array_equal(getattr(given, name), value)


def test_n_iter_0_with_restarts_keeps_the_likeliest_start(frames):
    many = GaussianHMM(2, n_iter=0, n_init=4, init="random", random_state=3).fit(frames)
    rng = np.random.default_rng(3)
    singles = []
    for _ in range(4):  # the same starts, drawn one by one from the same generator
        singles.append(GaussianHMM(2, n_iter=0, init="random", random_state=rng).fit(frames))
    assert many.score(frames) == pytest.approx(max(m.score(frames) for m in singles), rel=1e-12)


def test_unset_parameters_omitted_from_init_params_are_initialised_with_a_warning(frames):
    reference = hmmlearn.hmm.GaussianHMM(2, init_params="mc", n_iter=1, random_state=0)
    assert reference.fit(frames).startprob_.shape == (2,)  # hmmlearn fills them too
    model = GaussianHMM(2, init_params="mc", n_iter=1, random_state=0)
    with pytest.warns(
        UserWarning, match="init_params omits 's' and 't' but startprob_ and transmat_ are not set"
    ):
        model.fit(frames)
    assert model.startprob_.shape == (2,) and model.transmat_.shape == (2, 2)
    # the filled parameters are those a full initialisation gives
    full = GaussianHMM(2, n_iter=1, random_state=0).fit(frames)
    np.testing.assert_array_equal(model.transmat_, full.transmat_)


def test_init_params_overwriting_a_hand_set_parameter_warns(frames, caplog):
    startprob = np.array([0.9, 0.1])
    reference = hmmlearn.hmm.GaussianHMM(2, n_iter=1, random_state=0)
    reference.startprob_ = startprob
    with caplog.at_level(logging.WARNING, logger="hmmlearn"):
        reference.fit(frames)
    assert any("will be overwritten" in r.getMessage() for r in caplog.records)
    model = GaussianHMM(2, n_iter=1, random_state=0)
    model.startprob_ = startprob
    with pytest.warns(
        UserWarning, match=r"startprob_ was set by hand \(or loaded\) but init_params contains .s."
    ):
        model.fit(frames)
    # refitting what fit itself set is not overwriting anything the user gave
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(frames)
    # leaving the letter out keeps the value, silently
    kept = GaussianHMM(2, n_iter=1, init_params="tmc", params="tmc", random_state=0)
    kept.startprob_ = startprob
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept.fit(frames)
    np.testing.assert_array_equal(kept.startprob_, startprob)


def test_loaded_parameters_count_as_given(frames, tmp_path):
    GaussianHMM(2, n_iter=1, random_state=0).fit(frames).save(tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    with pytest.warns(UserWarning, match=r"were set by hand \(or loaded\) but init_params"):
        loaded.fit(frames)


@pytest.mark.parametrize("seed", [0, np.random.SeedSequence(5)])
def test_sample_without_random_state_uses_the_models(seed):
    model = make_model("gaussian", "diag", np.random.default_rng(2))
    model.random_state = seed
    first, states = model.sample(20)
    again, states_again = model.sample(20)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(states, states_again)
    np.testing.assert_array_equal(first, model.sample(20, random_state=seed)[0])
    # hmmlearn does the same with its own random_state
    reference = hmmlearn.hmm.GaussianHMM(3, random_state=0)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        setattr(reference, name, getattr(model, name))
    np.testing.assert_array_equal(reference.sample(20)[0], reference.sample(20)[0])


def test_sample_without_any_seed_differs_between_calls():
    model = make_model("gaussian", "diag", np.random.default_rng(2))
    assert not np.array_equal(model.sample(20)[0], model.sample(20)[0])


def test_multinomial_n_trials_per_frame_is_refused_with_the_equivalent():
    """hmmlearn takes one n_trials per frame for scoring and refuses it when sampling;
    hmmkit refuses the array at construction (n_trials=None scores each frame by its own
    total, the same likelihood) and checks n_trials before sampling and scoring."""
    reference = hmmlearn.hmm.MultinomialHMM(2, n_trials=[1, 2, 3])
    reference.startprob_ = np.array([0.5, 0.5])
    reference.transmat_ = np.array([[0.5, 0.5], [0.5, 0.5]])
    reference.emissionprob_ = np.array([[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match="single n_trials"):
        reference.sample(10)
    with pytest.raises(TypeError, match="leave n_trials=None"):
        MultinomialHMM(2, n_trials=[1, 2, 3])
    model = MultinomialHMM(2)
    model.startprob_, model.transmat_ = reference.startprob_, reference.transmat_
    model.emissionprob_ = reference.emissionprob_
    x = np.array([[1, 0], [0, 2], [2, 1]])
    assert model.score(x) == pytest.approx(reference.score(x), rel=1e-12)
    with pytest.raises(ValueError, match="sample needs n_trials"):
        model.sample(3)
    model.n_trials = [1, 2, 3]  # assigned directly: refused before sampling or scoring
    with pytest.raises(TypeError, match="n_trials must be one integer"):
        model.sample(3)
    with pytest.raises(TypeError, match="n_trials must be one integer"):
        model.score(x)
    model.n_trials = 3
    sampled, _ = model.sample(10, random_state=0)
    np.testing.assert_array_equal(sampled.sum(axis=1), 3)
    with pytest.raises(ValueError, match="frame 0 counts 1 trials, but n_trials=3"):
        model.score(x)


def test_categorical_fractional_alphabet_is_refused_before_fit():
    with pytest.raises(TypeError):  # hmmlearn: only when fitting, from numpy
        hmmlearn.hmm.CategoricalHMM(2, n_features=2.5).fit(np.array([[0], [1]]))
    with pytest.raises(ValueError, match="n_symbols must be an integer >= 1, got 2.5"):
        CategoricalHMM(2, n_symbols=2.5)
