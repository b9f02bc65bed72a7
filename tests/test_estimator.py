"""The scikit-learn estimator protocol: get_params/set_params, clone, tags, and the
model-selection tools that rely on them (GridSearchCV, cross_val_score, Pipeline)."""

from __future__ import annotations

import numpy as np
import pytest
from factories import make_model, sample_sequences
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from hmmkit import (
    GMMHMM,
    CategoricalHMM,
    GaussianHMM,
    GaussianMixture,
    MultinomialHMM,
    PoissonHMM,
    VariationalCategoricalHMM,
    VariationalGaussianHMM,
)

#: One instance of every estimator, with some parameters away from their defaults.
ESTIMATORS = [
    CategoricalHMM(3, n_symbols=5, emissionprob_prior=2.0, n_iter=7, random_state=1),
    GaussianHMM(4, "full", min_covar=1e-4, covars_prior=np.ones(2), implementation="log"),
    GMMHMM(2, 3, "tied", weights_prior=1.5, topology="left-right", init="flat"),
    PoissonHMM(2, lambdas_prior=0.5, params="st", tol=-np.inf),
    MultinomialHMM(3, n_trials=4, init_params="e", n_iter=0),
    GaussianMixture(3, "diag", max_iter=20, random_state=np.random.default_rng(5)),
    VariationalCategoricalHMM(3, n_symbols=4, startprob_prior=np.ones(3), n_iter=20),
    VariationalGaussianHMM(2, "full", beta_prior=2.0, tol=1e-4),
]


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, np.random.Generator):
        return type(a) is type(b)
    return a == b


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_clone_gives_an_unfitted_model_with_equal_parameters(estimator):
    copy = clone(estimator)
    assert type(copy) is type(estimator) and copy is not estimator
    params, copied = estimator.get_params(deep=False), copy.get_params(deep=False)
    assert params.keys() == copied.keys()
    assert all(_same(params[name], copied[name]) for name in params)


def test_clone_of_a_fitted_model_drops_the_fitted_parameters():
    model = make_model("gaussian", "diag", np.random.default_rng(0))
    copy = clone(model)
    assert not hasattr(copy, "means_") and not hasattr(copy, "startprob_")
    assert hasattr(model, "means_")


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_params_are_the_constructor_arguments(estimator):
    import inspect

    params = estimator.get_params()
    assert set(params) == set(type(estimator)._param_names())
    for name in inspect.signature(type(estimator).__init__).parameters:
        if name not in ("self", "kwargs"):
            assert name in params
    again = type(estimator)(**params)
    assert all(_same(params[k], v) for k, v in again.get_params().items())


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_set_params_sets_and_refuses_unknown_names(estimator):
    model = clone(estimator)
    assert model.set_params(tol=0.5, verbose=True) is model
    assert model.get_params()["tol"] == 0.5 and model.verbose is True
    with pytest.raises(
        ValueError, match="has no argument 'random_seed'.*did you mean 'random_state'"
    ):
        model.set_params(random_seed=1)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_tags_describe_an_unsupervised_density_estimator(estimator):
    tags = get_tags(estimator)
    assert tags.estimator_type == "density_estimator"
    assert tags.target_tags.required is False
    assert tags.requires_fit is True


def test_nested_parameters_reach_a_held_estimator():
    """deep get_params and name__param set_params, as for scikit-learn meta-estimators."""
    pipe = Pipeline([("hmm", GaussianHMM(2))])
    assert pipe.get_params(deep=True)["hmm__n_states"] == 2
    pipe.set_params(hmm__n_states=5, hmm__covariance_type="full")
    assert pipe.named_steps["hmm"].n_states == 5
    assert pipe.named_steps["hmm"].covariance_type == "full"


def _three_state_data(n_sequences=12, length=80):
    rng = np.random.default_rng(3)
    truth = make_model("gaussian", "diag", rng, n_states=3)
    truth.means_ = np.array([[0.0, 0.0], [4.0, 4.0], [-4.0, 4.0]])
    truth.covars_ = np.ones((3, 2))
    truth.transmat_ = np.full((3, 3), 0.05) + 0.85 * np.eye(3)
    return sample_sequences(truth, [length] * n_sequences, seed=11)


def test_grid_search_over_n_states_with_a_list_of_sequences():
    """A list of sequences is what the splitters divide: whole sequences per fold, and
    the default scorer is ``score`` (the held-out log-likelihood)."""
    seqs = _three_state_data()
    base = GaussianHMM(n_iter=20, random_state=0)
    search = GridSearchCV(base, {"n_states": [1, 2, 3]}, cv=3).fit(seqs)
    assert search.best_params_ == {"n_states": 3}
    # the reported fold scores are the held-out log-likelihoods of models fit on the rest
    for i, (train, test) in enumerate(KFold(3).split(seqs)):
        model = GaussianHMM(3, n_iter=20, random_state=0).fit([seqs[j] for j in train])
        expected = model.score([seqs[j] for j in test])
        assert search.cv_results_[f"split{i}_test_score"][2] == pytest.approx(expected, rel=1e-12)
    refit = search.best_estimator_
    assert refit.n_states == 3 and np.isfinite(refit.score(seqs))
    # an object array of sequences (hmmlearn users' other container) works the same
    as_objects = np.empty(len(seqs), dtype=object)
    as_objects[:] = seqs
    again = GridSearchCV(base, {"n_states": [1, 2, 3]}, cv=3).fit(as_objects)
    np.testing.assert_allclose(
        again.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"], rtol=1e-12
    )


def test_grid_search_with_concatenated_frames_and_lengths_says_what_to_pass():
    """Frames plus lengths cannot be split by frame-wise splitters; the error says so."""
    seqs = _three_state_data(6, 40)
    X, lengths = np.concatenate(seqs), [len(s) for s in seqs]
    search = GridSearchCV(GaussianHMM(n_iter=2), {"n_states": [2]}, cv=2, error_score="raise")
    with pytest.raises(ValueError, match="to cross-validate, pass a list of sequences"):
        search.fit(X, lengths=lengths)


def test_cross_val_score_of_a_categorical_model():
    rng = np.random.default_rng(8)
    truth = make_model("categorical", None, rng, n_states=2, n_symbols=4)
    seqs = sample_sequences(truth, [50] * 8, seed=2)
    model = CategoricalHMM(2, n_symbols=4, n_iter=15, random_state=0)
    scores = cross_val_score(model, seqs, cv=4)
    for score, (train, test) in zip(scores, KFold(4).split(seqs), strict=True):
        fitted = clone(model).fit([seqs[j] for j in train])
        assert score == pytest.approx(fitted.score([seqs[j] for j in test]), rel=1e-12)


def test_pipeline_scales_frames_then_fits_the_hmm_with_lengths():
    """In a Pipeline, lengths ride in scikit-learn's y slot: fit(X, lengths), score(X,
    lengths), and reach predict as a keyword."""
    seqs = _three_state_data(6, 60)
    X, lengths = np.concatenate(seqs) * 100.0, [len(s) for s in seqs]
    pipe = Pipeline(
        [("scale", StandardScaler()), ("hmm", GaussianHMM(3, n_iter=10, random_state=0))]
    )
    pipe.fit(X, lengths)
    scaled = StandardScaler().fit_transform(X)
    alone = GaussianHMM(3, n_iter=10, random_state=0).fit(scaled, lengths)
    assert pipe.score(X, lengths) == pytest.approx(alone.score(scaled, lengths), rel=1e-12)
    np.testing.assert_array_equal(pipe.predict(X, lengths=lengths), alone.predict(scaled, lengths))


def test_grid_search_over_a_gaussian_mixture():
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(c, 0.5, size=(150, 2)) for c in (-3.0, 0.0, 3.0)])
    search = GridSearchCV(
        GaussianMixture(random_state=0),
        {"n_components": [1, 3]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X)
    assert search.best_params_ == {"n_components": 3}
