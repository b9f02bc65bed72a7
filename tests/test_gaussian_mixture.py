"""The standalone GaussianMixture against scikit-learn, and mixture splitting."""

import numpy as np
import pytest
from factories import COVARIANCE_TYPES, random_covars, random_stochastic

from hmmkit import GaussianMixture

mixture = pytest.importorskip("sklearn.mixture")


def precision_cholesky(covariances, covariance_type):
    if covariance_type in ("spherical", "diag"):
        return 1.0 / np.sqrt(covariances)
    mats = covariances if covariance_type == "full" else covariances[None]
    out = np.array([np.linalg.inv(np.linalg.cholesky(c)).T for c in mats])
    return out if covariance_type == "full" else out[0]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_score_samples_equal_sklearn(covariance_type):
    rng = np.random.default_rng(0)
    m, d = 3, 4
    ours = GaussianMixture(m, covariance_type)
    ours.weights_ = random_stochastic(rng, m)
    ours.means_ = rng.normal(size=(m, d))
    cov = random_covars(rng, covariance_type, m, d)
    ours.covariances_ = cov
    peer = mixture.GaussianMixture(m, covariance_type=covariance_type)
    peer.weights_, peer.means_, peer.covariances_ = ours.weights_, ours.means_, cov
    peer.precisions_cholesky_ = precision_cholesky(cov, covariance_type)
    X = rng.normal(scale=2.0, size=(500, d))
    np.testing.assert_allclose(ours.score_samples(X), peer.score_samples(X), rtol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), peer.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_em_iterations_equal_sklearn(covariance_type):
    """From the same start, 15 EM iterations give scikit-learn's parameters (its reg_covar
    adds to every covariance, our floor only bounds it: both off, as far as they go)."""
    import warnings

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(m, s, size=(300, 3)) for m, s in ((0, 1), (3, 0.5), (-2, 2))])
    X[:, 1] *= 3
    start = mixture.GaussianMixture(3, covariance_type=covariance_type, max_iter=1,
                                    init_params="random_from_data", random_state=1)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one iteration does not converge
        start.fit(X)
        peer = mixture.GaussianMixture(
            3, covariance_type=covariance_type, max_iter=15, tol=0.0, reg_covar=0.0,
            weights_init=start.weights_, means_init=start.means_,
            precisions_init=start.precisions_,
        ).fit(X)  # fmt: skip
    ours = GaussianMixture(3, covariance_type, max_iter=15, tol=-np.inf, min_covar=1e-300,
                           warm_start=True)  # fmt: skip
    ours.weights_, ours.means_ = start.weights_, start.means_
    ours.covariances_ = start.covariances_
    ours.fit(X)
    np.testing.assert_allclose(ours.weights_, peer.weights_, atol=1e-10)
    np.testing.assert_allclose(ours.means_, peer.means_, atol=1e-10)
    np.testing.assert_allclose(ours.covariances_, peer.covariances_, atol=1e-10)
    assert ours.score(X) == pytest.approx(peer.score(X), rel=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_recovers_a_known_mixture(covariance_type):
    rng = np.random.default_rng(1)
    means = np.array([[-5.0, 0.0], [0.0, 5.0], [5.0, -2.0]])
    X = np.concatenate(
        [rng.normal(mu, 0.7, size=(n, 2)) for mu, n in zip(means, (600, 900, 1500), strict=True)]
    )
    model = GaussianMixture(3, covariance_type, random_state=0, tol=1e-6).fit(X)
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.means_[order], means, atol=0.1)
    np.testing.assert_allclose(model.weights_[order], [0.2, 0.3, 0.5], atol=0.02)
    assert model.converged_
    history = np.array(model.monitor_.history)
    assert np.all(np.diff(history) > -1e-8 * np.abs(history[1:]))


def test_mixing_up_splits_the_heaviest_along_its_widest_axis():
    model = GaussianMixture(2, "diag")
    model.weights_ = np.array([0.3, 0.7])
    model.means_ = np.array([[0.0, 0.0], [10.0, 10.0]])
    model.covariances_ = np.array([[1.0, 1.0], [4.0, 1.0]])
    model.mix_up(3)
    np.testing.assert_allclose(model.weights_, [0.3, 0.35, 0.35])
    np.testing.assert_allclose(model.means_[1:], [[10.4, 10.0], [9.6, 10.0]])
    np.testing.assert_allclose(model.covariances_[2], [4.0, 1.0])


def test_mixing_up_then_refitting_improves_the_fit():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(-3, 1, (500, 1)), rng.normal(3, 1, (500, 1))])
    one = GaussianMixture(1, "diag", random_state=0).fit(X)
    two = GaussianMixture(1, "diag", random_state=0, warm_start=True, tol=1e-8, max_iter=500)
    two.fit(X).mix_up(2)
    assert two.n_components == 2
    two.fit(X)
    assert two.score(X) > one.score(X) + 0.1
    np.testing.assert_allclose(np.sort(two.means_[:, 0]), [-3, 3], atol=0.2)


def test_frames_given_as_a_plain_list_are_one_array():
    """scikit-learn style: GaussianMixture takes X.tolist() as the same frames."""
    x = np.random.default_rng(3).normal(size=(200, 2))
    a = GaussianMixture(2, random_state=0).fit(x.tolist())
    b = GaussianMixture(2, random_state=0).fit(x)
    np.testing.assert_array_equal(a.means_, b.means_)
    assert list(a.predict(x[:3].tolist())) == list(b.predict(x[:3]))
