"""Constructor arguments: hmmlearn's names are refused with hmmkit's, and counts and
choices are checked at construction and in set_params."""

from __future__ import annotations

import hmmlearn.hmm
import numpy as np
import pytest

from hmmkit import (
    GMMHMM,
    CategoricalHMM,
    GaussianHMM,
    MultinomialHMM,
    PoissonHMM,
    VariationalCategoricalHMM,
    VariationalGaussianHMM,
)

FAMILIES = [
    CategoricalHMM,
    GaussianHMM,
    GMMHMM,
    PoissonHMM,
    MultinomialHMM,
    VariationalCategoricalHMM,
    VariationalGaussianHMM,
]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_n_components_names_n_states(family):
    with pytest.raises(TypeError, match=r"has no argument 'n_components'.*n_states"):
        family(n_components=3)
    with pytest.raises(ValueError, match=r"has no argument 'n_components'.*n_states"):
        family().set_params(n_components=3)


@pytest.mark.parametrize("family", [GaussianHMM, GMMHMM, PoissonHMM, MultinomialHMM])
def test_n_features_says_it_comes_from_the_data(family):
    with pytest.raises(TypeError, match="number of features is read from the data"):
        family(2, n_features=3)


def test_categorical_n_features_names_n_symbols():
    # hmmlearn takes the alphabet size as n_features
    assert hmmlearn.hmm.CategoricalHMM(2, n_features=4).n_features == 4
    with pytest.raises(TypeError, match=r"alphabet size n_symbols.*CategoricalHMM\("):
        CategoricalHMM(2, n_features=4)


def test_a_misspelt_argument_gets_the_closest_name():
    with pytest.raises(TypeError, match="has no argument 'covariance'.*'covariance_type'"):
        GaussianHMM(2, covariance="full")


def test_hmmlearn_decoder_names_as_algorithm_point_to_decode():
    with pytest.raises(ValueError, match=r"training algorithm.*decode\(X, algorithm='viterbi'\)"):
        GaussianHMM(2, algorithm="viterbi")
    with pytest.raises(ValueError, match="algorithm must be one of"):
        GaussianHMM(2).set_params(algorithm="newton")


def test_implementation_accepts_scaling_and_log_only():
    assert GaussianHMM(2, implementation="log").implementation == "log"
    assert GaussianHMM(2, implementation="scaling").implementation == "scaling"
    with pytest.raises(ValueError, match=r"implementation must be one of \('scaling', 'log'\)"):
        GaussianHMM(2, implementation="logs")


@pytest.mark.parametrize(
    ("make", "exception", "match"),
    [
        (lambda: CategoricalHMM(n_symbols=2.5), ValueError, "n_symbols must be an integer"),
        (lambda: CategoricalHMM(2, n_symbols="4"), TypeError, "n_symbols must be an integer"),
        (lambda: GaussianHMM(2.0), ValueError, "n_states must be an integer >= 1"),
        (lambda: GaussianHMM(0), ValueError, "n_states must be an integer >= 1"),
        (lambda: GMMHMM(2, n_mix=0), ValueError, "n_mix must be an integer >= 1"),
        (lambda: GaussianHMM(2, n_iter=-1), ValueError, "n_iter must be an integer >= 0"),
        (lambda: GaussianHMM(2, n_init=0), ValueError, "n_init must be an integer >= 1"),
        (lambda: MultinomialHMM(2, n_trials=0), ValueError, "n_trials must be an integer"),
        (lambda: MultinomialHMM(2, n_trials=[1, 2, 3]), TypeError, "leave n_trials=None"),
        (lambda: MultinomialHMM(2, n_trials=np.array([1, 2])), TypeError, "leave n_trials=None"),
    ],
)
def test_bad_counts_are_refused_at_construction(make, exception, match):
    with pytest.raises(exception, match=match):
        make()


def test_set_params_runs_the_same_checks():
    model = CategoricalHMM(2)
    with pytest.raises(ValueError, match="n_symbols must be an integer"):
        model.set_params(n_symbols=2.5)
    assert model.n_symbols is None
    with pytest.raises(TypeError, match="leave n_trials=None"):
        MultinomialHMM(2).set_params(n_trials=[1, 2, 3])


def test_a_count_assigned_directly_is_refused_at_fit():
    model = CategoricalHMM(2)
    model.n_symbols = 2.5
    with pytest.raises(ValueError, match="n_symbols must be an integer"):
        model.fit([np.array([0, 1, 1])])


def test_whole_numbers_of_numpy_types_are_accepted():
    model = CategoricalHMM(np.int64(2), n_symbols=np.int32(3), n_iter=np.int16(0))
    assert model.fit([np.array([0, 1, 2, 2])]).emissionprob_.shape == (2, 3)
