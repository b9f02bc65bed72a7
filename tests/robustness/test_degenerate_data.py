"""Degenerate data: answered with finite models (and a warning where something was repaired)."""

import warnings

import numpy as np
import pytest
from catalogue import record

from hmmkit import (
    GMMHMM,
    CategoricalHMM,
    CovarianceFloorWarning,
    DegenerateStateWarning,
    GaussianHMM,
    GaussianMixture,
    PoissonHMM,
)

AREA = "degenerate data"
COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")


def assert_finite(model):
    for name in ("startprob_", "transmat_", "means_", "covars_", "weights_", "emissionprob_"):
        if hasattr(model, name):
            assert np.all(np.isfinite(getattr(model, name))), name


@pytest.mark.parametrize("cov", COVARIANCE_TYPES)
def test_constant_features(cov):
    x = np.full((200, 3), 7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        model = GMMHMM(3, 2, cov, n_iter=5, random_state=0).fit([x])
    assert_finite(model)
    assert np.isfinite(model.score(x))
    record(AREA, "every frame identical", "trains", "covariances held at the floor min_covar")


def test_zero_variance_dimension_with_relative_floor():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(size=300), np.zeros(300)])
    model = GaussianHMM(2, "full", var_floor=0.01, n_iter=10, random_state=0).fit([x])
    assert_finite(model)
    assert np.all(np.linalg.eigvalsh(model.covars_) > 0)
    record(AREA, "a zero-variance dimension", "trains", "floor: max(min_covar, var_floor x var)")


def test_floor_that_binds_on_small_scale_data_is_reported():
    x = np.random.default_rng(3).normal(scale=0.01, size=(300, 2))
    with pytest.warns(CovarianceFloorWarning, match="min_covar=0.001 is more than 0.1"):
        model = GaussianHMM(2, n_iter=3, random_state=0).fit([x])
    assert np.all(model.covars_ >= 1e-3)  # the floor binds, as the warning says
    with warnings.catch_warnings():
        warnings.simplefilter("error", CovarianceFloorWarning)
        model = GaussianHMM(2, n_iter=3, random_state=0, min_covar=1e-7).fit([x])
        GaussianHMM(2, n_iter=3, random_state=0).fit([x * 100])
    assert np.all(model.covars_ < 1e-3)
    record(AREA, "features on a scale below min_covar", "trains", "CovarianceFloorWarning")


def test_more_states_than_frames():
    x = np.array([[0.0], [1.0], [2.0]])
    with pytest.warns(DegenerateStateWarning):
        model = GaussianHMM(6, n_iter=5, random_state=0).fit([x])
    assert_finite(model)
    record(AREA, "more states than frames", "trains", "unvisited states keep values, warning")


def test_single_frame_sequences():
    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(1, 2)) for _ in range(30)]
    with pytest.warns(DegenerateStateWarning, match="transitions"):
        model = GaussianHMM(2, n_iter=5, random_state=0).fit(seqs)
    assert_finite(model)
    record(AREA, "only single-frame sequences", "trains", "transitions kept, warning")


def test_mixture_component_that_loses_its_weight_is_replaced():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 1))
    model = GMMHMM(1, 2, "diag", init_params="", n_iter=3)
    model.startprob_ = np.array([1.0])
    model.transmat_ = np.array([[1.0]])
    model.weights_ = np.array([[0.5, 0.5]])
    model.means_ = np.array([[[0.0], [1e4]]])  # the second component sees no data
    model.covars_ = np.array([[[1.0], [1.0]]])
    with pytest.warns(DegenerateStateWarning, match="replaced by splitting"):
        model.fit([x])
    assert_finite(model)
    assert np.all(model.weights_ > 0.05) and np.all(np.abs(model.means_) < 5)
    record(
        AREA,
        "a mixture component losing all weight",
        "repaired",
        "replaced by splitting the heaviest component of its state, warning",
    )


def test_gaussian_mixture_component_losing_weight():
    x = np.random.default_rng(3).normal(size=(300, 2))
    model = GaussianMixture(3, "full", min_weight=1e-3, random_state=0, warm_start=True)
    model.weights_ = np.array([0.5, 0.5 - 1e-9, 1e-9])
    model.means_ = np.array([[0.0, 0.0], [0.5, 0.5], [1e3, 1e3]])
    model.covariances_ = np.repeat(np.eye(2)[None], 3, axis=0)
    with pytest.warns(DegenerateStateWarning):
        model.fit(x)
    assert np.all(model.weights_ > 1e-3)


def test_symbols_never_seen_in_training():
    seqs = [np.array([0, 1, 2, 1, 0])]
    plain = CategoricalHMM(2, n_symbols=5, n_iter=5, random_state=0).fit(seqs)
    assert plain.score(np.array([0, 4])) == -np.inf
    smoothed = CategoricalHMM(2, n_symbols=5, emissionprob_prior=1.5, n_iter=5, random_state=0).fit(
        seqs
    )
    assert np.isfinite(smoothed.score(np.array([0, 4])))
    record(
        AREA, "a symbol never seen in training", "-inf score", "finite with emissionprob_prior > 1"
    )


@pytest.mark.parametrize("scale", [1e30, 1e-30])
def test_extreme_values(scale):
    rng = np.random.default_rng(4)
    seqs = [scale * (rng.normal(size=(100, 2)) + 5 * (i % 2)) for i in range(6)]
    model = GaussianHMM(2, "full", min_covar=1e-3 * scale**2, n_iter=10, random_state=0)
    model.fit(seqs)
    assert_finite(model)
    reference = GaussianHMM(2, "full", min_covar=1e-3, n_iter=10, random_state=0)
    reference.fit([s / scale for s in seqs])
    expected = reference.score([s / scale for s in seqs]) - 200 * 6 * np.log(scale)
    assert model.score(seqs) == pytest.approx(expected, rel=1e-6)
    record(
        AREA,
        f"values of order {scale:g}",
        "trains",
        "scale-equivariant with min_covar scaled alike",
    )


def test_very_long_sequence_decodes():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(m, 1, size=(250_000, 1)) for m in (0, 8, 0, 8)])
    model = GaussianHMM(2, n_iter=3, random_state=0).fit([x])
    logprob, path = model.decode(x)
    assert np.isfinite(logprob)
    assert (np.diff(path) != 0).sum() <= 10
    record(AREA, "one sequence of 10^6 frames", "trains and decodes", "no underflow")


def test_left_right_poisson_on_sequences_shorter_than_the_chain():
    counts = np.array([[0, 0], [0, 0], [3, 1], [0, 0], [2, 2], [1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        model = PoissonHMM(3, topology="left-right", random_state=0).fit(counts, [2, 2, 2])
    model._get_params()
    assert np.isfinite(model.score(counts, [2, 2, 2]))
    assert np.all(model.predict_proba(counts, [2, 2, 2])[[0, 2, 4], 0] == 1.0)
    record(
        AREA,
        "left-right PoissonHMM, sequences shorter than the chain",
        "trains",
        "left-right models start segmental (HTK's HInit): the first state sees first frames",
    )


@pytest.mark.parametrize("offset", [1e8, 1e9])
def test_data_far_from_zero(offset):
    x = np.random.default_rng(6).standard_normal((2000, 2)) + offset
    model = GaussianHMM(1, "full", random_state=0).fit(x)
    centred = x - x.mean(axis=0)
    np.testing.assert_allclose(model.covars_[0], centred.T @ centred / len(x), rtol=1e-6)
    record(
        AREA,
        f"frames offset by {offset:g} from zero",
        "trains",
        "moments about the components' means: variances as a two-pass computation",
    )


def test_full_covariances_on_mixed_scale_collinear_features():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((300, 1))  # feature 2 is 3 x feature 0: a singular scatter
    x = np.hstack([base * 7e7 + 1e9, rng.standard_normal((300, 1)) * 260, base * 2.1e8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GaussianHMM(3, "full", n_iter=10, random_state=0).fit(x)
    model._get_params()  # its covariances pass its own validation
    assert np.isfinite(model.score(x))
    record(
        AREA,
        "full covariances of collinear features on scales 1e2 .. 1e8",
        "trains",
        "correlation eigenvalues held at >= 1e-10: covariances stay positive definite",
    )
