"""Gaussian emissions far from zero and at any scale: centred moments, stable frame scores,
well-conditioned covariances. Truth is a two-pass numpy (or float128) computation."""

import warnings

import numpy as np
import pytest

from hmmkit import GMMHMM, DegenerateStateWarning, GaussianHMM, GaussianMixture
from hmmkit.emissions.covariances import MIN_CORRELATION_EIGENVALUE, condition_covariances
from hmmkit.emissions.gaussian import GaussianBank, recentre_moments

COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")


def offset_frames(offset, n=2000, d=1, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)) + offset


def two_pass_covariance(X):
    """Covariance by the two-pass formula in extended precision."""
    x = X.astype(np.longdouble)
    centred = x - x.mean(axis=0)
    return np.asarray(centred.T @ centred / len(x), dtype=float)


def gaussian_loglik_per_frame(cov):
    """Mean log-density of data under its own ML Gaussian: -(D log 2pi + log|S| + D) / 2."""
    d = cov.shape[0]
    return -0.5 * (d * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1] + d)


def test_diagonal_variances_of_data_offset_by_1e8_are_right():
    X = offset_frames(1e8)
    model = GaussianHMM(1, "diag", random_state=0).fit(X)
    truth = two_pass_covariance(X)
    np.testing.assert_allclose(model.covars_, truth, rtol=1e-7)
    assert 0.9 < model.covars_[0, 0] < 1.1
    per_frame = model.score(X) / len(X)
    np.testing.assert_allclose(per_frame, gaussian_loglik_per_frame(truth), rtol=1e-7)
    assert abs(per_frame + 1.42) < 0.05


def test_full_covariance_of_data_offset_by_1e9_is_right():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3000, 3)) @ rng.standard_normal((3, 3)) + [1e9, -2e9, 5e8]
    model = GaussianHMM(1, "full", random_state=0).fit(X)
    truth = two_pass_covariance(X)
    np.testing.assert_allclose(model.covars_[0], truth, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(model.score(X) / len(X), gaussian_loglik_per_frame(truth), rtol=1e-7)


@pytest.mark.parametrize("cov", COVARIANCE_TYPES)
def test_every_covariance_type_and_family_is_centred(cov):
    X = offset_frames(1e8, n=1500, d=2, seed=2)
    truth = two_pass_covariance(X)
    expected = {
        "spherical": np.diag(truth).mean(),
        "diag": np.diag(truth),
        "full": truth,
        "tied": truth,
    }[cov]
    hmm = GaussianHMM(1, cov, random_state=0).fit(X)
    gmm = GMMHMM(1, 1, cov, random_state=0).fit(X)
    mixture = GaussianMixture(1, cov, random_state=0).fit(X)
    for value in (hmm.covars_, gmm.covars_, mixture.covariances_):
        np.testing.assert_allclose(np.reshape(value, np.shape(expected)), expected, rtol=1e-6)


def test_map_prior_on_offset_data_matches_the_closed_form():
    X = offset_frames(1e8, n=500, seed=3)
    m0, w, psi, nu = 1e8 + 0.5, 10.0, 2.0, 5.0
    model = GaussianHMM(
        1, "diag", means_prior=m0, means_weight=w, covars_prior=psi, covars_weight=nu,
        random_state=0, init_params="st", params="mc", n_iter=1,
    )  # fmt: skip
    model.means_, model.covars_ = np.array([[1e8]]), np.array([[1.0]])
    model.fit(X)
    x = X[:, 0].astype(np.longdouble)
    n = len(x)
    mean = (w * np.longdouble(m0) + x.sum()) / (w + n)
    scatter = ((x - mean) ** 2).sum() + w * (mean - np.longdouble(m0)) ** 2
    var = (psi + scatter) / (max(nu - 1.0, 0.0) + n)
    np.testing.assert_allclose(model.means_[0, 0], float(mean), rtol=1e-15)
    np.testing.assert_allclose(model.covars_[0, 0], float(var), rtol=1e-7)


@pytest.mark.parametrize("algorithm", ["baum-welch", "alpha", "squarem"])
def test_two_states_far_from_zero_train_to_their_clusters(algorithm):
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, size=4000)
    X = 1e8 + np.array([[0.0], [10.0]])[labels] + rng.standard_normal((4000, 1)) * [[0.5]]
    model = GaussianHMM(2, "diag", algorithm=algorithm, n_iter=30, random_state=0).fit(
        X, [1000] * 4
    )
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.means_[order, 0] - 1e8, [0.0, 10.0], atol=0.05)
    np.testing.assert_allclose(model.covars_[order, 0], [0.25, 0.25], rtol=0.1)


@pytest.mark.parametrize("diagonal", [True, False])
def test_moments_move_exactly_between_references(diagonal):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 3)) * 3 + 7
    W = rng.random((300, 2))
    cov = np.ones((2, 3)) if diagonal else np.repeat(np.eye(3)[None], 2, axis=0)
    old = GaussianBank(rng.normal(size=(2, 3)), cov, "diag" if diagonal else "full",
                       np.zeros(2, dtype=np.int64))  # fmt: skip
    new = GaussianBank(old.means + rng.normal(size=(2, 3)), cov, old.covariance_type, old.groups)
    about_old, about_new = old.new_moments(), new.new_moments()
    old.accumulate(X, W, about_old)
    new.accumulate(X, W, about_new)
    moved = recentre_moments(about_old, old.means, new.means)
    for key in ("n", "s1", "s2"):
        np.testing.assert_allclose(moved[key], about_new[key], rtol=1e-12, atol=1e-9)


def three_state_model(far):
    model = GaussianHMM(3, "diag", init_params="", params="")
    model.startprob_ = np.array([0.0, 0.5, 0.5])
    model.transmat_ = np.full((3, 3), 1 / 3)
    model.means_ = np.array([[0.0], [far], [far]])
    model.covars_ = np.ones((3, 1))
    return model


@pytest.mark.parametrize("frame", [0.0, 1e8, -3e9, 1e12])
def test_posteriors_of_far_apart_states_sum_to_one(frame):
    model = three_state_model(1e9)
    posteriors = model.predict_proba(np.array([[frame], [frame]]))
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, atol=1e-9)
    # state 0 cannot start; states 1 and 2 are identical, so equally likely
    np.testing.assert_allclose(posteriors[0], [0.0, 0.5, 0.5], atol=1e-9)


def test_frame_scores_at_1e150_do_not_overflow():
    model = three_state_model(1e150)
    log_b = model._get_params().emission.log_likelihood(np.array([[-1e150]]))
    assert np.all(np.isfinite(log_b))
    np.testing.assert_allclose(log_b[0, 1], -0.5 * np.log(2 * np.pi) - 0.5 * 4e300, rtol=1e-12)


def test_frames_beyond_1e150_are_refused_with_the_reason():
    model = three_state_model(1e9)
    with pytest.raises(ValueError, match=r"X holds values beyond \+-1e\+150.*rescale"):
        model.predict_proba(np.array([[1e200]]))
    model.means_ = np.array([[0.0], [1e200], [1e9]])
    with pytest.raises(ValueError, match=r"means_ holds values beyond \+-1e\+150"):
        model.score(np.array([[0.0]]))


def test_k_means_separates_clusters_far_from_zero():
    rng = np.random.default_rng(6)
    labels = np.repeat([0, 1], 500)
    X = 1e9 + np.array([[0.0], [1.0]])[labels] + 0.01 * rng.standard_normal((1000, 1))
    model = GaussianMixture(2, "diag", random_state=0).fit(X)
    np.testing.assert_allclose(np.sort(model.means_[:, 0]) - 1e9, [0.0, 1.0], atol=1e-3)


def mixed_scale_frames():
    """Collinear features on scales 1e-8 .. 1e8 (a case that gave non-definite covariances)."""
    rng = np.random.default_rng(0)
    for trial in range(7):
        d = rng.integers(2, 5)
        scales = 10.0 ** rng.uniform(-8, 8, d)
        mixing = rng.standard_normal((d, d))
        X = rng.standard_normal((300, d)) @ mixing * scales + 10.0 ** rng.uniform(-3, 9, d)
        if trial % 3 == 0:
            X[:, -1] = X[:, 0] * 3
    return X


@pytest.mark.parametrize(
    "make",
    [
        lambda: GaussianHMM(3, "full", n_iter=20, random_state=6),
        lambda: GaussianHMM(2, "tied", n_iter=20, random_state=6),
        lambda: GMMHMM(2, 2, "full", n_iter=10, random_state=6),
        lambda: GaussianMixture(3, "full", random_state=6),
    ],
)
def test_full_covariances_of_mixed_scale_collinear_data_stay_valid(make):
    X = mixed_scale_frames()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(X)
    model._get_params() if hasattr(model, "_get_params") else model._bank()  # its own checks
    assert np.isfinite(model.score(X))


def test_conditioning_raises_only_ill_conditioned_matrices_and_only_upwards():
    good = np.array([[[4.0, 1.0], [1.0, 2.0]]])
    assert condition_covariances(good) is good
    scale = np.array([1e-6, 1e6])
    singular = np.outer(scale, scale)[None] * np.array([[1.0, 1.0], [1.0, 1.0]])
    repaired = condition_covariances(singular)[0]
    np.linalg.cholesky(repaired)
    sd = np.sqrt(np.diag(repaired))
    correlation = repaired / np.outer(sd, sd)
    assert np.linalg.eigvalsh(correlation).min() >= 0.99 * MIN_CORRELATION_EIGENVALUE
    assert np.linalg.eigvalsh((repaired - singular[0]) / np.outer(scale, scale)).min() >= -1e-12


def test_unvisited_components_keep_their_values_with_centred_moments():
    X = offset_frames(1e8, n=50, d=1, seed=7)
    model = GaussianHMM(2, "diag", init_params="st", n_iter=1, params="mc")
    model.means_ = np.array([[1e8], [-1e8]])
    model.covars_ = np.array([[1.0], [3.0]])
    with pytest.warns(DegenerateStateWarning):
        model.fit(X)
    assert model.means_[1, 0] == -1e8 and model.covars_[1, 0] == 3.0


@pytest.mark.parametrize("cov", COVARIANCE_TYPES)
def test_variational_gaussian_far_from_zero(cov):
    from hmmkit import VariationalGaussianHMM

    X = offset_frames(1e8, n=2000, d=2, seed=9)
    model = VariationalGaussianHMM(1, cov, n_iter=5, random_state=0).fit(X)
    truth = two_pass_covariance(X)
    expected = {"spherical": np.diag(truth).mean(), "diag": np.diag(truth)}.get(cov, truth)
    # the Wishart's prior scale (1e-3 I over 2000 frames) moves the point estimate by ~1e-6
    np.testing.assert_allclose(np.reshape(model.covars_, np.shape(expected)), expected, rtol=1e-3)
