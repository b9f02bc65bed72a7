"""Hand-set parameter attributes are checked when assigned, naming the attribute and the
shape expected (hmmlearn checks them first when the model is used)."""

from __future__ import annotations

import hmmlearn.hmm
import numpy as np
import pytest
from factories import KINDS, make_model

from hmmkit import GMMHMM, GaussianHMM
from hmmkit.parameter_checks import check_covars, check_transmat

#: attribute -> (a value with one state too many, the message expected)
WRONG_STATES = {
    "startprob_": (np.full(4, 0.25), r"startprob_ must have shape \(n_states,\) = \(3,\)"),
    "transmat_": (np.full((4, 4), 0.25), r"transmat_ must have shape \(n_states, n_states\)"),
}


def _one_state_too_many(model, name):
    value = np.asarray(getattr(model, name))
    return np.concatenate([value, value[:1]], axis=0)


def _emission_names(model):
    return list(model._letter_attributes.values())


@pytest.mark.parametrize(("family", "covariance_type"), KINDS)
def test_a_wrong_number_of_states_is_refused_at_assignment(family, covariance_type):
    model = make_model(family, covariance_type, np.random.default_rng(0))
    for name, (value, match) in WRONG_STATES.items():
        with pytest.raises(ValueError, match=match):
            setattr(model, name, value)
    for name in _emission_names(model):
        if name == "covars_" and covariance_type == "tied" and family == "gaussian":
            continue  # one matrix for all states: no state axis
        kept = getattr(model, name)
        with pytest.raises(ValueError, match=rf"^{name} must have shape \(n_states"):
            setattr(model, name, _one_state_too_many(model, name))
        assert getattr(model, name) is kept  # the refused value left nothing behind


@pytest.mark.parametrize(
    ("family", "covariance_type", "name", "value", "match"),
    [
        ("gaussian", "diag", "transmat_", lambda m: m.transmat_ * 1.1, "rows must sum to 1"),
        ("gaussian", "diag", "startprob_", lambda m: [np.nan, 0.5, 0.5], "NaN"),
        ("categorical", None, "emissionprob_", lambda m: -m.emissionprob_, "negative"),
        ("multinomial", None, "emissionprob_", lambda m: m.emissionprob_ * 2, "sum to 1"),
        ("poisson", None, "lambdas_", lambda m: -m.lambdas_, "non-negative"),
        ("gaussian", "diag", "covars_", lambda m: -m.covars_, "covars_ must be positive"),
        ("gaussian", "spherical", "covars_", lambda m: np.zeros(3), "must be positive"),
        ("gaussian", "full", "covars_", lambda m: np.ones((3, 2, 2)), "not positive definite"),
        ("gaussian", "tied", "covars_", lambda m: np.ones((2, 3)), r"\(n_features, n_features"),
        ("gaussian", "full", "covars_", lambda m: np.ones((3, 2, 3)), "must be square"),
        ("gmm", "diag", "weights_", lambda m: m.weights_ + 0.1, "weights_ rows must sum"),
        ("gmm", "full", "covars_", lambda m: -m.covars_, "not positive definite"),
        ("gmm", "diag", "means_", lambda m: np.zeros((3, 2)), r"\(n_states, n_mix, n_features"),
        ("gaussian", "diag", "means_", lambda m: "abc", "array of numbers"),
    ],
)
def test_invalid_values_are_refused_at_assignment(family, covariance_type, name, value, match):
    model = make_model(family, covariance_type, np.random.default_rng(1))
    with pytest.raises((ValueError, TypeError), match=match):
        setattr(model, name, value(model))


def test_lists_are_taken_as_hmmlearn_takes_them():
    model = GaussianHMM(2, "spherical")
    model.startprob_ = [0.0, 1]
    model.transmat_ = [[0.4, 0.6], [0.6, 0.4]]
    model.means_ = [[0], [5]]
    model.covars_ = [[1], [1]]  # one variance per state, as hmmlearn's test writes it
    assert model.covars_.shape == (2,) and model.covars_.dtype == float
    x = np.array([[0.5], [4.0], [6.0]])
    reference = hmmlearn.hmm.GaussianHMM(2, "spherical", implementation="scaling")
    reference.startprob_, reference.transmat_ = model.startprob_, model.transmat_
    reference.means_, reference.covars_ = model.means_, np.array([1.0, 1.0])
    assert model.score(x) == pytest.approx(reference.score(x), rel=1e-12)


def test_spherical_covariances_of_hmmlearn_issue_385_shape():
    """hmmlearn accepts spherical covars_ as (K, 1, 1, 1) (its test_issue_385); so does
    hmmkit, reading one variance per state."""
    model = GaussianHMM(2, "spherical")
    model.startprob_ = np.array([0.6, 0.4])
    model.transmat_ = np.array([[0.4, 0.6], [0.9, 0.1]])
    model.means_ = np.array([[3.0], [5.0]])
    model.covars_ = np.array([[[[4.0]]], [[[3.0]]]])
    np.testing.assert_array_equal(model.covars_, [4.0, 3.0])
    reference = hmmlearn.hmm.GaussianHMM(2, "spherical")
    reference.startprob_, reference.transmat_ = model.startprob_, model.transmat_
    reference.means_, reference.covars_ = model.means_, np.array([4.0, 3.0])
    x, _ = model.sample(50, random_state=0)
    assert model.score(x) == pytest.approx(reference.score(x), rel=1e-12)
    mixture = GMMHMM(2, 3, "spherical")
    mixture.covars_ = np.ones((2, 3, 1))
    assert mixture.covars_.shape == (2, 3)
    with pytest.raises(ValueError, match=r"covars_ must have shape \(n_states,\) = \(2,\)"):
        model.covars_ = np.ones((2, 2))  # two values per state are not spherical


def test_the_number_of_features_is_compared_when_the_model_is_used():
    """means_ and covars_ may be replaced in either order; a disagreement is named at use."""
    model = make_model("gaussian", "diag", np.random.default_rng(2))
    model.covars_ = np.ones((3, 4))  # the means still have 2 features
    model.means_ = np.zeros((3, 4))  # now they agree
    assert np.isfinite(model.score(np.zeros((5, 4))))
    model.means_ = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"covars_ must have shape \(3, 2\)"):
        model.score(np.zeros((5, 2)))


def test_none_unsets_an_attribute():
    model = make_model("gaussian", "diag", np.random.default_rng(3))
    model.means_ = None
    assert not hasattr(model, "means_")
    with pytest.raises(AttributeError, match="GaussianHMM has no means_"):
        model.means_  # noqa: B018


def test_the_checks_are_functions_a_loader_can_call():
    np.testing.assert_array_equal(check_transmat([[1, 0], [0.5, 0.5]], 2), [[1, 0], [0.5, 0.5]])
    assert check_covars(np.ones((3, 2, 1)), "spherical", 3, 2).shape == (3, 2)
    with pytest.raises(ValueError, match="covariance_type must be"):
        check_covars(np.ones(3), "round", 3)
