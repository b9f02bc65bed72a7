"""Bad input gets a clear exception of the right type that names the problem."""

import numpy as np
import pytest
from factories import make_model

from hmmkit import GMMHMM, CategoricalHMM, GaussianHMM, GaussianMixture, NotFittedError


@pytest.fixture
def gaussian():
    return make_model("gaussian", "diag", np.random.default_rng(0))


def test_empty_sequence_list():
    with pytest.raises(ValueError, match="empty"):
        GaussianHMM(2).fit([])


def test_zero_length_sequence():
    with pytest.raises(ValueError, match=r"X\[1\] has zero frames"):
        GaussianHMM(2).fit([np.zeros((3, 2)), np.zeros((0, 2))])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_frames(bad):
    x = np.zeros((10, 2))
    x[4, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinite.*sequence 1, frame 4"):
        GaussianHMM(2).fit([np.ones((3, 2)), x])


def test_wrong_dimensionality(gaussian):
    with pytest.raises(ValueError, match="3 features per frame but the model expects 2"):
        gaussian.score(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="different numbers of features"):
        GaussianHMM(2).fit([np.zeros((3, 2)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="2-D"):
        GaussianHMM(2).fit([np.zeros((3, 2, 2))])


def test_lengths_that_do_not_sum(gaussian):
    with pytest.raises(ValueError, match="lengths sum to 9 but X has 10 frames"):
        gaussian.score(np.zeros((10, 2)), [4, 5])
    with pytest.raises(ValueError, match=r"lengths\[1\] = 0"):
        gaussian.score(np.zeros((10, 2)), [10, 0])


def test_bad_symbols():
    model = make_model("categorical", None, np.random.default_rng(1))
    with pytest.raises(ValueError, match="negative symbols"):
        model.score(np.array([0, 1, -1]))
    with pytest.raises(ValueError, match="symbol 7 but the model has n_symbols=4"):
        model.score(np.array([0, 7]))
    with pytest.raises(ValueError, match="integer symbols"):
        model.score(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="n_symbols=3"):
        CategoricalHMM(2, n_symbols=3).fit([np.array([0, 1, 3])])


def test_non_stochastic_hand_set_matrices(gaussian):
    gaussian.transmat_ = gaussian.transmat_ * 1.1
    with pytest.raises(ValueError, match="transmat_ rows must sum to 1"):
        gaussian.score(np.zeros((3, 2)))
    model = make_model("categorical", None, np.random.default_rng(2))
    model.emissionprob_ = -model.emissionprob_
    with pytest.raises(ValueError, match="emissionprob_ contains negative"):
        model.score(np.array([0, 1]))
    model = make_model("gmm", "diag", np.random.default_rng(3))
    model.covars_ = -model.covars_
    with pytest.raises(ValueError, match="covars_ must be positive"):
        model.score(np.zeros((3, 2)))


def test_wrong_parameter_shapes(gaussian):
    gaussian.startprob_ = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match=r"startprob_ must have shape \(3,\)"):
        gaussian.score(np.zeros((3, 2)))
    model = make_model("gaussian", "full", np.random.default_rng(4))
    model.covars_ = np.ones((3, 2, 2))
    with pytest.raises(ValueError, match="not positive definite"):
        model.score(np.zeros((3, 2)))


@pytest.mark.parametrize("n_states", [0, -1, 1.5])
def test_bad_number_of_states(n_states):
    with pytest.raises(ValueError, match="n_states must be an integer >= 1"):
        GaussianHMM(n_states).fit([np.zeros((5, 1))])


def test_bad_settings():
    x = [np.random.default_rng(0).normal(size=(20, 1))]
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        GaussianHMM(2, "diagonal").fit(x)
    with pytest.raises(ValueError, match="init must be one of"):
        GaussianHMM(2, init="magic").fit(x)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        GaussianHMM(2, algorithm="newton").fit(x)
    with pytest.raises(ValueError, match="params may only hold"):
        GaussianHMM(2, params="stx").fit(x)
    with pytest.raises(ValueError, match="topology must be one of"):
        GaussianHMM(2, topology="circle").fit(x)
    with pytest.raises(ValueError, match="max_jump"):
        GaussianHMM(2, topology="left-right", max_jump=0).fit(x)
    with pytest.raises(ValueError, match="n_mix"):
        GMMHMM(2, n_mix=0).fit(x)
    with pytest.raises(ValueError, match="min_covar must be positive"):
        GaussianHMM(2, min_covar=0).fit(x)
    with pytest.raises(ValueError, match="n_jobs"):
        GaussianHMM(2, n_jobs=0).fit(x)
    fitted = GaussianHMM(2, n_iter=1, random_state=0).fit(x)
    with pytest.raises(ValueError, match="algorithm must be 'viterbi' or 'map'"):
        fitted.decode(x, algorithm="beam")


def test_using_an_unfitted_model():
    with pytest.raises(NotFittedError, match="fit"):
        GaussianHMM(2).score(np.zeros((3, 1)))
    with pytest.raises(NotFittedError):
        GaussianMixture(2).score_samples(np.zeros((3, 1)))


def test_impossible_sequence_in_training_is_named():
    model = CategoricalHMM(2, init_params="", n_iter=2)
    model.startprob_ = np.array([1.0, 0.0])
    model.transmat_ = np.eye(2)
    model.emissionprob_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="zero probability"):
        model.fit([np.array([0, 1])])
    assert model.score(np.array([0, 1])) == -np.inf
