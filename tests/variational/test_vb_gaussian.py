"""VariationalGaussianHMM: hmmlearn's vhmm iteration for iteration for every covariance
type, model selection by the ELBO (unused states fall back to their prior), and the
usual HMM services."""

from __future__ import annotations

import numpy as np
import pytest
from vb_reference import (
    HALF_LOG_2PI,
    assert_same_run,
    chain_start,
    reference_fit,
    set_posteriors,
)

from hmmkit import GaussianHMM, VariationalGaussianHMM, load

K, D = 3, 2
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def generating_model() -> GaussianHMM:
    model = GaussianHMM(K, "full")
    model.startprob_ = np.array([0.6, 0.3, 0.1])
    model.transmat_ = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])
    model.means_ = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    model.covars_ = np.array([np.eye(D), [[1.0, 0.5], [0.5, 2.0]], 0.5 * np.eye(D)])
    return model


def sequences(n: int = 10, length: int = 200) -> list[np.ndarray]:
    model = generating_model()
    return [model.sample(length, random_state=i)[0] for i in range(n)]


def start(covariance_type: str, seed: int = 0) -> dict:
    """Priors and posteriors of every parameter, in hmmlearn's names and shapes."""
    rng = np.random.default_rng(seed)
    attributes = chain_start(rng, K)
    attributes.update(
        means_prior_=rng.normal(size=(K, D)),
        means_posterior_=2.0 * rng.normal(size=(K, D)),
        beta_prior_=np.array([1.0, 2.0, 0.5]),
        beta_posterior_=np.array([10.0, 20.0, 30.0]),
    )
    if covariance_type == "tied":
        attributes.update(
            dof_prior_=3.0, dof_posterior_=50.0,
            scale_prior_=0.5 * np.eye(D) + 0.1, scale_posterior_=40.0 * np.eye(D) + 3.0,
        )  # fmt: skip
        return attributes
    attributes.update(dof_prior_=np.full(K, 3.0), dof_posterior_=np.array([10.0, 20.0, 30.0]))
    if covariance_type == "full":
        scales = [(10.0 * (i + 1)) * np.eye(D) + 2.0 for i in range(K)]
        attributes.update(
            scale_prior_=np.repeat((0.5 * np.eye(D) + 0.1)[None], K, axis=0),
            scale_posterior_=np.array(scales),
        )
    elif covariance_type == "diag":
        attributes.update(
            scale_prior_=np.full((K, D), 0.5), scale_posterior_=5.0 * rng.gamma(5.0, size=(K, D))
        )
    else:
        attributes.update(scale_prior_=np.full(K, 0.5), scale_posterior_=5 * rng.gamma(5.0, size=K))
    return attributes


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_equals_hmmlearn_iteration_for_iteration(covariance_type):
    seqs = sequences(4, 150)
    X, lengths = np.concatenate(seqs), [len(s) for s in seqs]
    attributes = start(covariance_type)
    reference = reference_fit(
        "VariationalGaussianHMM", X, lengths, 20, attributes, n_components=K,
        covariance_type=covariance_type,
    )  # fmt: skip
    model = VariationalGaussianHMM(
        K, covariance_type, n_iter=20, tol=-np.inf, init_params="",
        startprob_prior=0.3, transmat_prior=0.5,
        **{name: attributes[f"{name}_"] for name in ("means_prior", "beta_prior", "dof_prior",
                                                     "scale_prior")},
    )  # fmt: skip
    set_posteriors(model, attributes)
    model.fit(X, lengths)
    # hmmlearn's ELBO leaves out -D/2 log(2 pi) per frame; ours is a true lower bound
    assert_same_run(reference, model, elbo_offset=len(X) * D * HALF_LOG_2PI)
    np.testing.assert_allclose(model.means_, reference.means_, rtol=1e-8)
    np.testing.assert_allclose(model.covars_, reference._covars_, rtol=1e-8)
    assert np.all(np.diff(model.monitor_.history) > -1e-9 * np.abs(model.monitor_.history[1:]))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_elbo_never_decreases_and_point_estimates_work(covariance_type, tmp_path):
    seqs = sequences(5, 150)
    model = VariationalGaussianHMM(K, covariance_type, n_iter=60, tol=1e-9, random_state=0)
    model.fit(seqs)
    history = np.asarray(model.monitor_.history)
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))
    plain = GaussianHMM(K, covariance_type)
    plain.startprob_, plain.transmat_ = model.startprob_, model.transmat_
    plain.means_, plain.covars_ = model.means_, model.covars_
    assert model.score(seqs) == plain.score(seqs)
    np.testing.assert_array_equal(model.predict(seqs[0]), plain.predict(seqs[0]))
    assert model.sample(20, random_state=0)[0].shape == (20, D)
    model.save(tmp_path / "vb.npz")
    loaded = load(tmp_path / "vb.npz")
    for name in ("means_posterior_", "beta_posterior_", "dof_posterior_", "scale_posterior_",
                 "dof_prior_", "scale_prior_", "covars_"):  # fmt: skip
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name), err_msg=name)
    assert loaded.score(seqs) == model.score(seqs)
    assert loaded.monitor_.history == model.monitor_.history


def test_unused_states_fall_back_to_their_prior():
    """Six states for data from three: the ELBO's best start keeps three states and leaves
    the other three with negligible expected counts, their posterior (near) the prior."""
    seqs = sequences(4, 500)
    n_frames = sum(len(s) for s in seqs)
    model = VariationalGaussianHMM(6, "full", n_iter=1000, tol=1e-8, n_init=3, random_state=0)
    model.fit(seqs)
    counts = model.beta_posterior_ - model.beta_prior_  # expected frames per state
    used = counts > 0.01 * n_frames
    assert used.sum() == 3
    assert counts[~used].sum() < 0.005 * n_frames
    unused = ~used
    np.testing.assert_allclose(model.dof_posterior_[unused], model.dof_prior_[unused], atol=3)
    # the used states never move to an unused one; an unused state's row is its prior's
    assert np.all(model.transmat_[used][:, unused].sum(axis=1) < 0.01)
    # ... and an unused state's own row holds at most a frame's worth of counts
    outgoing = (model.transmat_posterior_ - model.transmat_prior_)[unused].sum(axis=1)
    assert np.all(outgoing < 2.0)
    truth = generating_model().means_
    found = model.means_[used]
    distance = np.abs(found[:, None, :] - truth[None]).sum(axis=2).min(axis=0)
    assert np.all(distance < 0.3)
    # model selection: the final ELBO is highest for the true number of states
    elbo = {6: model.monitor_.history[-1]}
    for k in (2, 3):
        fitted = VariationalGaussianHMM(k, "full", n_iter=1000, tol=1e-8, random_state=0)
        elbo[k] = fitted.fit(seqs).monitor_.history[-1]
    assert elbo[3] > elbo[6] > elbo[2] + 500


def test_threads_and_shards_give_the_same_run():
    from hmmkit.sequences import as_continuous_batch
    from hmmkit.sources import MemorySource

    seqs = sequences(6, 100)
    settings = dict(n_iter=10, tol=-np.inf, random_state=2)
    whole = VariationalGaussianHMM(K, "diag", n_jobs=1, **settings).fit(seqs)
    source = MemorySource(as_continuous_batch(seqs, None), max_frames=150)
    assert len(source.shard_keys()) > 1
    sharded = VariationalGaussianHMM(K, "diag", n_jobs=2, **settings).fit(source)
    np.testing.assert_allclose(sharded.monitor_.history, whole.monitor_.history, rtol=1e-12)
    np.testing.assert_allclose(sharded.scale_posterior_, whole.scale_posterior_, rtol=1e-10)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(dof_prior=1.0), "dof_prior must exceed"),
        (dict(beta_prior=-1.0), "beta_prior"),
        (dict(scale_prior=-np.eye(D)), "scale_prior"),
        (dict(means_prior=np.zeros(3)), "means_prior"),
        (dict(covariance_type="banded"), "covariance_type"),
        (dict(init_params="st"), "means_posterior_"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, message):
    with pytest.raises(ValueError, match=message):
        VariationalGaussianHMM(K, **settings).fit(sequences(2, 30))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("scale_posterior_", np.array([[[1.0, 2.0], [2.0, 1.0]]] * K), "positive definite"),
        ("scale_posterior_", np.ones((K, 3, 3)), r"shape \(3, 2, 2\)"),
        ("dof_posterior_", np.full(K, 0.5), "greater than 1"),
        ("beta_posterior_", np.array([1.0, np.nan, 1.0]), "finite"),
    ],
)
def test_bad_hand_set_posteriors_are_refused_by_name(name, value, message):
    attributes = start("full")
    model = VariationalGaussianHMM(K, "full", init_params="st")
    set_posteriors(model, attributes)
    setattr(model, name, value)
    with pytest.raises(ValueError, match=message) as error:
        model.fit(sequences(2, 30))
    assert name in str(error.value)
