"""VariationalCategoricalHMM: hmmlearn's vhmm iteration for iteration, the ELBO, and the
usual HMM services (score, decode, sample, save/load, shards)."""

from __future__ import annotations

import numpy as np
import pytest
from vb_reference import assert_same_run, chain_start, reference_fit, set_posteriors

from hmmkit import CategoricalHMM, VariationalCategoricalHMM, load

K, M = 3, 5


def generating_model() -> CategoricalHMM:
    model = CategoricalHMM(K)
    model.startprob_ = np.array([0.6, 0.3, 0.1])
    model.transmat_ = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.1, 0.1, 0.8]])
    model.emissionprob_ = np.array(
        [[0.7, 0.1, 0.1, 0.05, 0.05], [0.05, 0.05, 0.1, 0.1, 0.7], [0.2, 0.2, 0.2, 0.2, 0.2]]
    )
    return model


def sequences(n: int = 8, length: int = 120) -> list[np.ndarray]:
    model = generating_model()
    return [model.sample(length, random_state=i)[0] for i in range(n)]


def start(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    attributes = chain_start(rng, K)
    attributes["emissionprob_prior_"] = np.full((K, M), 0.7)
    attributes["emissionprob_posterior_"] = rng.gamma(2.0, size=(K, M)) + 3.0
    return attributes


def test_equals_hmmlearn_iteration_for_iteration():
    seqs = sequences()
    X, lengths = np.concatenate(seqs), [len(s) for s in seqs]
    attributes = start()
    reference = reference_fit(
        "VariationalCategoricalHMM", X[:, None], lengths, 25, attributes, n_components=K,
        n_features=M,
    )  # fmt: skip
    model = VariationalCategoricalHMM(
        K, n_symbols=M, startprob_prior=0.3, transmat_prior=0.5, emissionprob_prior=0.7,
        n_iter=25, tol=-np.inf, init_params="",
    )  # fmt: skip
    set_posteriors(model, attributes)
    model.fit(X, lengths)
    assert_same_run(reference, model)
    np.testing.assert_allclose(model.emissionprob_, reference.emissionprob_, rtol=1e-8)
    np.testing.assert_allclose(model.transmat_, reference.transmat_, rtol=1e-8)


def test_partial_init_params_keep_the_given_posterior():
    """With ``init_params="st"`` the emission starts from ``emissionprob_posterior_``."""
    seqs = sequences(4)
    given = start(1)["emissionprob_posterior_"]
    settings = dict(startprob_prior=0.3, transmat_prior=0.5, emissionprob_prior=0.7, n_iter=8,
                    tol=-np.inf, random_state=5)  # fmt: skip
    partial = VariationalCategoricalHMM(K, init_params="st", **settings)
    partial.emissionprob_posterior_ = given
    partial.fit(seqs)
    # the fresh start and transition posteriors (params="e" leaves them as drawn)
    drawn = VariationalCategoricalHMM(K, params="e", **settings).fit(seqs)
    explicit = VariationalCategoricalHMM(K, init_params="", **settings)
    explicit.startprob_posterior_ = drawn.startprob_posterior_
    explicit.transmat_posterior_ = drawn.transmat_posterior_
    explicit.emissionprob_posterior_ = given
    explicit.fit(seqs)
    assert partial.monitor_.history == explicit.monitor_.history
    with pytest.raises(ValueError, match="emissionprob_posterior_"):
        VariationalCategoricalHMM(K, init_params="st").fit(seqs)


def test_elbo_never_decreases_from_the_default_start():
    model = VariationalCategoricalHMM(K, n_iter=300, tol=1e-10, random_state=0, n_init=3)
    model.fit(sequences())
    history = np.asarray(model.monitor_.history)
    assert len(history) > 10
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))
    # the point estimates recover the generating emissions (up to the state order)
    truth = generating_model().emissionprob_
    order = [int(np.argmin(np.abs(truth - row).sum(axis=1))) for row in model.emissionprob_]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(model.emissionprob_, truth[order], atol=0.12)


def test_point_estimates_score_decode_and_sample_as_a_categorical_hmm():
    seqs = sequences(4)
    model = VariationalCategoricalHMM(K, n_iter=30, random_state=0).fit(seqs)
    plain = CategoricalHMM(K)
    plain.startprob_, plain.transmat_ = model.startprob_, model.transmat_
    plain.emissionprob_ = model.emissionprob_
    assert model.score(seqs) == plain.score(seqs)
    np.testing.assert_array_equal(model.decode(seqs[0])[1], plain.decode(seqs[0])[1])
    np.testing.assert_allclose(model.predict_proba(seqs[1]), plain.predict_proba(seqs[1]))
    X, states = model.sample(50, random_state=3)
    assert X.shape == (50,) and states.shape == (50,) and X.max() < M
    np.testing.assert_allclose(
        model.emissionprob_,
        model.emissionprob_posterior_ / model.emissionprob_posterior_.sum(1, keepdims=True),
    )


def test_list_and_concatenated_input_and_threads_agree():
    seqs = sequences(6)
    settings = dict(n_iter=15, tol=-np.inf, random_state=4)
    a = VariationalCategoricalHMM(K, n_jobs=1, **settings).fit(seqs)
    b = VariationalCategoricalHMM(K, n_jobs=2, **settings).fit(
        np.concatenate(seqs), [len(s) for s in seqs]
    )
    np.testing.assert_allclose(a.monitor_.history, b.monitor_.history, rtol=1e-12)
    np.testing.assert_allclose(a.emissionprob_posterior_, b.emissionprob_posterior_, rtol=1e-12)


def test_save_and_load_keep_posteriors_priors_and_history(tmp_path):
    model = VariationalCategoricalHMM(K, n_iter=10, random_state=0).fit(sequences(3))
    model.save(tmp_path / "vb.npz")
    loaded = load(tmp_path / "vb.npz")
    assert type(loaded) is VariationalCategoricalHMM
    for name in ("startprob_posterior_", "transmat_prior_", "emissionprob_posterior_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(model, name))
    assert loaded.monitor_.history == model.monitor_.history
    assert loaded.score(sequences(2)) == model.score(sequences(2))
    # training continues from the saved posteriors
    loaded.set_params(init_params="", n_iter=3).fit(sequences(3))
    assert loaded.monitor_.history[0] >= model.monitor_.history[-1] - 1e-9


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(emissionprob_prior=-1.0), "emissionprob_prior"),
        (dict(transmat_prior=np.ones((2, 2))), "transmat_prior"),
        (dict(startprob_prior=0.0), "startprob_prior"),
        (dict(n_symbols=3), "symbol 4"),
        (dict(params="stx"), "params"),
        (dict(n_iter=0), "n_iter"),
    ],
)
def test_bad_settings_are_refused_by_name(settings, message):
    with pytest.raises(ValueError, match=message):
        VariationalCategoricalHMM(K, **settings).fit(sequences(2))
