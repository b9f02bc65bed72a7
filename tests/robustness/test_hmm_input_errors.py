"""Bad input to the HMMs gets a clear exception of the right type naming the problem."""

from functools import partial

import numpy as np
import pytest
from catalogue import expect_error, record
from factories import make_model

from hmmkit import GMMHMM, CategoricalHMM, GaussianHMM, GaussianMixture, NotFittedError

AREA = "HMM fit/score"


@pytest.fixture
def gaussian():
    return make_model("gaussian", "diag", np.random.default_rng(0))


def test_empty_inputs():
    expect_error(AREA, "empty sequence list", lambda: GaussianHMM(2).fit([]), ValueError, "empty")
    expect_error(
        AREA, "empty array", lambda: GaussianHMM(2).fit(np.zeros((0, 2))), ValueError, "empty"
    )
    expect_error(
        AREA,
        "a zero-length sequence in a list",
        lambda: GaussianHMM(2).fit([np.zeros((3, 2)), np.zeros((0, 2))]),
        ValueError,
        r"X\[1\] has zero frames",
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_frames(bad):
    x = np.zeros((10, 2))
    x[4, 1] = bad
    expect_error(
        AREA,
        f"a frame holding {bad}",
        lambda: GaussianHMM(2).fit([np.ones((3, 2)), x]),
        ValueError,
        "NaN or infinite.*sequence 1, frame 4",
    )


def test_wrong_dimensionality(gaussian):
    expect_error(
        AREA,
        "frames with a different number of features than the model",
        lambda: gaussian.score(np.zeros((5, 3))),
        ValueError,
        "3 features per frame but the model expects 2",
    )
    expect_error(
        AREA,
        "sequences with different numbers of features",
        lambda: GaussianHMM(2).fit([np.zeros((3, 2)), np.zeros((3, 3))]),
        ValueError,
        "different numbers of features",
    )
    expect_error(
        AREA,
        "a 3-D array as a sequence",
        lambda: GaussianHMM(2).fit([np.zeros((3, 2, 2))]),
        ValueError,
        "2-D",
    )
    expect_error(
        AREA,
        "strings as frames",
        lambda: GaussianHMM(2).fit([np.array([["a", "b"]])]),
        TypeError,
        "real numbers",
    )


def test_nested_lists_that_read_as_one_array_are_refused():
    # hmmlearn's spelling of one sequence: rows of frames in a plain list
    frames = [[0], [0], [2], [2], [2], [0]]
    expect_error(
        AREA,
        "a nested list of one-symbol rows (hmmlearn's one-sequence form)",
        lambda: CategoricalHMM(2).fit(frames),
        ValueError,
        r"nested list of 6 equally long rows.*np.asarray\(X\)",
    )
    expect_error(
        AREA,
        "a nested list of equally long rows of numbers",
        lambda: GaussianHMM(2).fit([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
        ValueError,
        "would read as 3 sequences of 2 frames",
    )
    expect_error(
        AREA,
        "a flat list of numbers",
        lambda: GaussianHMM(2).fit([0.1, 0.2, 0.3]),
        ValueError,
        "flat list of 3 numbers",
    )
    # the unambiguous spellings are accepted and agree
    one = CategoricalHMM(2, random_state=0, n_iter=3).fit(np.asarray(frames))
    listed = CategoricalHMM(2, random_state=0, n_iter=3).fit([np.asarray(frames)[:, 0]])
    np.testing.assert_allclose(one.transmat_, listed.transmat_)
    assert CategoricalHMM(2, random_state=0, n_iter=2).fit([[0, 1, 1], [1, 0]]).n_features == 2
    # a symbol frame is one value, so equally long rows of several symbols are sequences
    rows = [[0, 1, 2, 1, 0, 2], [2, 2, 1, 0, 0, 1], [1, 0, 2, 2, 1, 0]]
    listed = CategoricalHMM(2, random_state=0, n_iter=2).fit(rows)
    arrays = CategoricalHMM(2, random_state=0, n_iter=2).fit([np.array(r) for r in rows])
    np.testing.assert_array_equal(listed.emissionprob_, arrays.emissionprob_)


def test_inputs_that_are_not_frames_are_refused_by_type(tmp_path):
    from hmmkit.disk_sources import NpyFolderSource

    expect_error(
        AREA,
        "a dict as X",
        lambda: GaussianHMM(2).fit({"a": np.zeros((3, 2))}),
        TypeError,
        "X must be an array of frames or a list of sequences.*got dict",
    )
    np.save(tmp_path / "0.npy", np.zeros((5, 2)))
    expect_error(
        AREA,
        "a sequence source given to GaussianMixture.fit",
        lambda: GaussianMixture(2).fit(NpyFolderSource(tmp_path)),
        TypeError,
        "GaussianMixture takes an array of frames",
    )


def test_symbols_beyond_the_kept_alphabet_are_refused_not_read_out_of_bounds():
    from hmmkit.emissions.categorical import CategoricalEmission

    rng = np.random.default_rng(4)
    model = CategoricalHMM(3, n_iter=3, random_state=0).fit([rng.integers(0, 5, 200)])
    model.init_params = ""  # continue from the fitted parameters, 5 symbols wide
    expect_error(
        AREA,
        "refitting with a symbol beyond the emissionprob_ kept (init_params without e)",
        lambda: model.fit([np.array([0, 1, 7, 2])]),
        ValueError,
        "symbols up to 7 but the emissionprob_ kept .* has only 5 columns",
    )
    emission = CategoricalEmission(np.full((2, 3), 1 / 3))
    expect_error(
        AREA,
        "a symbol outside the table reaching the E-step (e.g. from a later shard)",
        lambda: emission.frame_scores(np.array([0, 2, 3])),
        ValueError,
        "symbol 3 but the model has n_symbols=3",
    )


def test_given_transitions_outside_the_topology_are_refused():
    x = np.random.default_rng(5).normal(size=(120, 2))
    model = GaussianHMM(3, topology="left-right", init_params="mc", n_iter=3)
    model.startprob_ = np.array([1.0, 0.0, 0.0])
    model.transmat_ = np.full((3, 3), 1 / 3)
    expect_error(
        AREA,
        "given transmat_ with transitions the topology forbids (t not in init_params)",
        lambda: model.fit(x),
        ValueError,
        r"transmat_ has probability at \(0, 2\), which topology='left-right' forbids",
    )
    model.transmat_ = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    model.fit(x)
    assert np.all(np.tril(model.transmat_, -1) == 0) and np.all(np.triu(model.transmat_, 2) == 0)


def test_hand_set_means_of_the_wrong_shape_are_named():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(60, 2))
    for covariance_type in ("spherical", "diag", "full", "tied"):
        model = GaussianHMM(3, covariance_type, n_iter=1, random_state=0).fit(x)
        # a wrong number of states is refused at the assignment
        expect_error(
            AREA,
            f"hand-set means_ with an extra state ({covariance_type})",
            lambda model=model: setattr(model, "means_", np.zeros((4, 2))),
            ValueError,
            r"means_ must have shape \(n_states, n_features\) = \(3, D\), got \(4, 2\)",
        )
        # the number of features is compared with the data and the covariances in use
        model.means_ = np.zeros((3, 3))
        expect_error(
            AREA,
            f"hand-set means_ with an extra feature ({covariance_type})",
            lambda model=model: model.score(np.zeros((3, 2))),
            ValueError,
            r"means_ must have shape \(n_states, n_features\) = \(3, 2\), got \(3, 3\)",
        )
    model = make_model("gaussian", "tied", rng)
    expect_error(
        AREA,
        "hand-set tied covars_ given one matrix per state",
        lambda: setattr(model, "covars_", np.stack([np.eye(2)] * 3)),
        ValueError,
        r"covars_ must have shape \(n_features, n_features\) = \(D, D\) for "
        r"covariance_type='tied' \(one matrix shared by all states\), got \(3, 2, 2\)",
    )
    model = make_model("gmm", "diag", rng)
    expect_error(
        AREA,
        "hand-set GMM means_ with an extra component",
        lambda: setattr(model, "means_", np.zeros((3, model.n_mix + 1, 2))),
        ValueError,
        r"means_ must have shape \(n_states, n_mix, n_features\) = \(3, 2, D\)",
    )
    model = GaussianHMM(2)
    model.startprob_ = np.full(2, 0.5)
    model.transmat_ = np.full((2, 2), 0.5)
    model.means_ = np.zeros((2, 3))
    model.covars_ = np.ones((2, 2))
    expect_error(
        AREA,
        "hand-set covars_ that disagree with means_ on the number of features",
        lambda: model.score(np.zeros((3, 3))),
        ValueError,
        r"covars_ must have shape \(2, 3\) for 'diag' \(to match means_ of shape \(2, 3\)\)",
    )


def test_lengths_that_do_not_fit(gaussian):
    expect_error(
        AREA,
        "lengths that do not sum to len(X)",
        lambda: gaussian.score(np.zeros((10, 2)), [4, 5]),
        ValueError,
        "lengths sum to 9 but X has 10 frames",
    )
    expect_error(
        AREA,
        "a zero or negative entry in lengths",
        lambda: gaussian.score(np.zeros((10, 2)), [10, 0]),
        ValueError,
        r"lengths\[1\] = 0",
    )
    expect_error(
        AREA,
        "lengths with a list of sequences",
        lambda: gaussian.score([np.zeros((10, 2))], [10]),
        ValueError,
        "either a list of sequences or X with lengths",
    )


def test_bad_symbols():
    model = make_model("categorical", None, np.random.default_rng(1))
    expect_error(
        AREA,
        "negative symbols",
        lambda: model.score(np.array([0, 1, -1])),
        ValueError,
        "negative symbols",
    )
    expect_error(
        AREA,
        "symbols beyond n_symbols",
        lambda: model.score(np.array([0, 7])),
        ValueError,
        "symbol 7 but the model has n_symbols=4",
    )
    expect_error(
        AREA,
        "non-integer symbols",
        lambda: model.score(np.array([0.5, 1.0])),
        ValueError,
        "integer symbols",
    )
    expect_error(
        AREA,
        "symbols beyond a given n_symbols in fit",
        lambda: CategoricalHMM(2, n_symbols=3).fit([np.array([0, 1, 3])]),
        ValueError,
        "n_symbols=3",
    )
    expect_error(
        AREA,
        "huge symbol values without n_symbols",
        lambda: CategoricalHMM(2).fit([np.array([0, 2**40])]),
        ValueError,
        "n_symbols",
    )


def test_non_stochastic_or_invalid_hand_set_parameters(gaussian):
    """Invalid values are refused when assigned, naming the attribute."""
    expect_error(
        AREA,
        "hand-set transmat_ whose rows do not sum to 1",
        lambda: setattr(gaussian, "transmat_", gaussian.transmat_ * 1.1),
        ValueError,
        "transmat_ rows must sum to 1",
    )
    model = make_model("categorical", None, np.random.default_rng(2))
    expect_error(
        AREA,
        "hand-set negative emission probabilities",
        lambda: setattr(model, "emissionprob_", -model.emissionprob_),
        ValueError,
        "emissionprob_ contains negative",
    )
    model = make_model("gmm", "diag", np.random.default_rng(3))
    expect_error(
        AREA,
        "hand-set negative variances",
        lambda: setattr(model, "covars_", -model.covars_),
        ValueError,
        "covars_ must be positive",
    )
    model = make_model("gaussian", "full", np.random.default_rng(4))
    expect_error(
        AREA,
        "hand-set singular full covariance",
        lambda: setattr(model, "covars_", np.ones((3, 2, 2))),
        ValueError,
        "not positive definite",
    )
    model = make_model("gaussian", "diag", np.random.default_rng(5))
    expect_error(
        AREA,
        "hand-set startprob_ of the wrong shape",
        lambda: setattr(model, "startprob_", np.array([0.5, 0.5])),
        ValueError,
        r"startprob_ must have shape \(n_states,\) = \(3,\), got \(2,\)",
    )
    expect_error(
        AREA,
        "hand-set NaN probabilities",
        lambda: setattr(model, "startprob_", np.array([np.nan, 0.5, 0.5])),
        ValueError,
        "startprob_ contains NaN",
    )


@pytest.mark.parametrize("n_states", [0, -1, 1.5])
def test_bad_number_of_states(n_states):
    expect_error(
        AREA,
        f"n_states={n_states}",
        lambda: GaussianHMM(n_states).fit([np.zeros((5, 1))]),
        ValueError,
        "n_states must be an integer >= 1",
    )


def test_bad_settings():
    x = [np.random.default_rng(0).normal(size=(20, 1))]
    cases = [
        ("unknown covariance_type", lambda: GaussianHMM(2, "diagonal").fit(x), "covariance_type"),
        ("unknown init", lambda: GaussianHMM(2, init="magic").fit(x), "init must be one of"),
        (
            "unknown algorithm",
            lambda: GaussianHMM(2, algorithm="newton").fit(x),
            "algorithm must be one of",
        ),
        ("unknown parameter letters", lambda: GaussianHMM(2, params="stx").fit(x), "params may"),
        ("unknown topology", lambda: GaussianHMM(2, topology="circle").fit(x), "topology must"),
        (
            "max_jump < 1",
            lambda: GaussianHMM(2, topology="left-right", max_jump=0).fit(x),
            "max_jump",
        ),
        (
            "a topology mask with a dead-end state",
            lambda: GaussianHMM(2, topology=np.array([[1, 1], [0, 0]], bool)).fit(x),
            "no transition out of state 1",
        ),
        ("n_mix < 1", lambda: GMMHMM(2, n_mix=0).fit(x), "n_mix"),
        ("min_covar <= 0", lambda: GaussianHMM(2, min_covar=0).fit(x), "min_covar must"),
        ("n_jobs = 0", lambda: GaussianHMM(2, n_jobs=0).fit(x), "n_jobs"),
        ("n_iter = -1", lambda: GaussianHMM(2, n_iter=-1).fit(x), "n_iter"),
        ("unknown backend", lambda: GaussianHMM(2).fit(x, backend="spark"), "backend"),
    ]
    for case, call, match in cases:
        expect_error(AREA, case, call, ValueError, match)
    fitted = GaussianHMM(2, n_iter=1, random_state=0).fit(x)
    expect_error(
        AREA,
        "unknown decode algorithm",
        lambda: fitted.decode(x, algorithm="beam"),
        ValueError,
        "algorithm must be 'viterbi' or 'map'",
    )


SETTINGS_X = [np.random.default_rng(0).normal(size=(20, 1))]
SYMBOLS = [np.array([0, 1, 2, 1, 0, 3])]
SETTING_CASES = [
    ("n_states=3.0", lambda: GaussianHMM(3.0), ValueError, "n_states must be an integer >= 1"),
    ("n_states=True", lambda: GaussianHMM(True), TypeError, "n_states must be an integer >= 1"),
    ("n_states=None", lambda: GaussianHMM(None), TypeError, "n_states must be an integer >= 1"),
    ("n_mix=2.0", lambda: GMMHMM(2, 2.0), ValueError, "n_mix must be an integer >= 1"),
    ("n_iter=2.5", lambda: GaussianHMM(2, n_iter=2.5), ValueError, "n_iter must be an integer"),
    ("tol=NaN", lambda: GaussianHMM(2, tol=np.nan), ValueError, "tol must be a number"),
    (
        "negative startprob_prior",
        lambda: GaussianHMM(2, startprob_prior=-10),
        ValueError,
        "startprob_prior must be non-negative",
    ),
    (
        "negative transmat_prior",
        lambda: GaussianHMM(2, transmat_prior=-10),
        ValueError,
        "transmat_prior must be non-negative",
    ),
    (
        "NaN transmat_prior",
        lambda: GaussianHMM(2, transmat_prior=np.nan),
        ValueError,
        "transmat_prior must be finite",
    ),
    (
        "startprob_prior of the wrong shape",
        lambda: GaussianHMM(3, startprob_prior=np.ones(5)),
        ValueError,
        r"startprob_prior must be a number or broadcast to shape \(3,\)",
    ),
    (
        "negative weights_prior",
        lambda: GMMHMM(2, 2, weights_prior=-10),
        ValueError,
        "weights_prior must be non-negative",
    ),
    (
        "negative means_weight",
        lambda: GaussianHMM(2, means_weight=-1),
        ValueError,
        "means_weight must be non-negative",
    ),
    (
        "covars_prior of the wrong shape",
        lambda: GaussianHMM(2, "diag", covars_prior=np.ones((2, 3))),
        ValueError,
        r"covars_prior must be a number or broadcast to shape \(2, 1\)",
    ),
    (
        "full covars_prior not positive semi-definite",
        lambda: GaussianHMM(2, "full", covars_prior=-np.eye(1)),
        ValueError,
        "covars_prior must be symmetric positive semi-definite",
    ),
    (
        "min_weight >= 1/n_mix",
        lambda: GMMHMM(2, 2, min_weight=0.6),
        ValueError,
        r"min_weight must be in \[0, 0.5\)",
    ),
    (
        "random_state='x'",
        lambda: GaussianHMM(2, random_state="x"),
        TypeError,
        "random_state must be None, a non-negative integer",
    ),
    (
        "random_state=-1",
        lambda: GaussianHMM(2, random_state=-1),
        ValueError,
        "random_state must be None, a non-negative integer",
    ),
]
SYMBOL_CASES = [
    ("n_symbols=-3", lambda: CategoricalHMM(2, n_symbols=-3), ValueError, "n_symbols must be"),
    (
        "negative emissionprob_prior",
        lambda: CategoricalHMM(2, emissionprob_prior=-10),
        ValueError,
        "emissionprob_prior must be non-negative",
    ),
    (
        "emissionprob_prior of the wrong shape",
        lambda: CategoricalHMM(2, n_symbols=4, emissionprob_prior=np.ones((2, 3))),
        ValueError,
        r"emissionprob_prior must be a number or broadcast to shape \(2, 4\)",
    ),
]


@pytest.mark.parametrize(("case", "make", "exception", "match"), SETTING_CASES)
def test_bad_settings_are_refused_by_name(case, make, exception, match):
    expect_error(AREA, case, lambda: make().fit(SETTINGS_X), exception, match)


@pytest.mark.parametrize(("case", "make", "exception", "match"), SYMBOL_CASES)
def test_bad_categorical_settings_are_refused_by_name(case, make, exception, match):
    expect_error(AREA, case, lambda: make().fit(SYMBOLS), exception, match)


def test_bad_mixture_settings_are_refused_by_name():
    x = np.random.default_rng(0).normal(size=(30, 2))
    cases = [
        ("n_components=2.0", lambda: GaussianMixture(2.0), ValueError, "n_components must be"),
        ("n_components=True", lambda: GaussianMixture(True), TypeError, "n_components must be"),
        ("max_iter=0", lambda: GaussianMixture(2, max_iter=0), ValueError, "max_iter must be"),
        ("min_weight=1", lambda: GaussianMixture(2, min_weight=1.0), ValueError, "min_weight"),
        ("random_state='x'", lambda: GaussianMixture(2, random_state="x"), TypeError, "random"),
    ]
    for case, make, exception, match in cases:
        expect_error("GaussianMixture", case, lambda make=make: make().fit(x), exception, match)


def test_bad_sampling_seed_is_refused_by_name(gaussian):
    expect_error(
        AREA,
        "sample(random_state='x')",
        lambda: gaussian.sample(5, random_state="x"),
        TypeError,
        "random_state must be",
    )
    expect_error(
        AREA, "sample(0)", lambda: gaussian.sample(0), ValueError, "n_samples must be an integer"
    )
    mixture = GaussianMixture(2, random_state=0).fit(np.random.default_rng(1).normal(size=(40, 2)))
    expect_error(
        "GaussianMixture",
        "sample(2.5)",
        lambda: mixture.sample(2.5),
        ValueError,
        "n_samples must be an integer",
    )


def test_using_an_unfitted_model():
    expect_error(
        AREA,
        "scoring an unfitted model",
        lambda: GaussianHMM(2).score(np.zeros((3, 1))),
        NotFittedError,
        "call fit",
    )
    expect_error(
        "GaussianMixture",
        "scoring an unfitted mixture",
        lambda: GaussianMixture(2).score_samples(np.zeros((3, 1))),
        NotFittedError,
        "call fit",
    )
    expect_error(
        "GaussianMixture",
        "fewer frames than components",
        lambda: GaussianMixture(5).fit(np.zeros((3, 1))),
        ValueError,
        "fewer than n_components",
    )


def test_impossible_sequence():
    model = CategoricalHMM(2, init_params="", n_iter=2)
    model.startprob_ = np.array([1.0, 0.0])
    model.transmat_ = np.eye(2)
    model.emissionprob_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    expect_error(
        AREA,
        "training data impossible under hand-set parameters",
        lambda: model.fit([np.array([0, 1])]),
        ValueError,
        "zero probability",
    )
    assert model.score(np.array([0, 1])) == -np.inf
    record(AREA, "scoring a sequence impossible under the model", "-inf log-likelihood")
    both = [np.array([0, 0]), np.array([0, 1])]
    for case, call in (
        ("posteriors of a sequence impossible under the model", model.predict_proba),
        ("Viterbi path of a sequence impossible under the model", model.decode),
        (
            "MAP states of a sequence impossible under the model",
            partial(model.decode, algorithm="map"),
        ),
    ):
        expect_error(AREA, case, lambda call=call: call(both), ValueError, "sequence 1 has zero")
