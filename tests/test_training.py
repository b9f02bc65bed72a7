"""Baum-Welch training: monotone likelihood, recovery, input forms, topologies, priors, floors."""

import warnings

import numpy as np
import pytest
from factories import KINDS, fresh_like, make_model, sample_sequences

from hmmkit import GMMHMM, CategoricalHMM, DegenerateStateWarning, GaussianHMM


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_log_likelihood_never_decreases(family, covariance_type):
    rng = np.random.default_rng(3)
    truth = make_model(family, covariance_type, rng)
    lengths = rng.integers(5, 80, size=25)
    seqs = sample_sequences(truth, lengths)
    model = fresh_like(truth, family, covariance_type, n_iter=30, tol=-np.inf, random_state=0)
    model.fit(seqs)
    history = np.array(model.monitor_.history)
    assert len(history) == 30 and model.monitor_.n_passes == 30
    drops = np.diff(history) / np.abs(history[1:])
    assert np.all(drops > -1e-8), drops.min()
    assert history[-1] > history[0]


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_list_and_lengths_give_the_same_model(family, covariance_type):
    rng = np.random.default_rng(4)
    truth = make_model(family, covariance_type, rng)
    seqs = sample_sequences(truth, [30, 12, 50, 3])
    a = fresh_like(truth, family, covariance_type, n_iter=5, random_state=1).fit(seqs)
    b = fresh_like(truth, family, covariance_type, n_iter=5, random_state=1)
    b.fit(np.concatenate(seqs), [len(s) for s in seqs])
    for name in ("startprob_", "transmat_", "means_", "covars_", "weights_", "emissionprob_"):
        if hasattr(a, name):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_serial_and_parallel_runs_are_identical():
    rng = np.random.default_rng(5)
    truth = make_model("gmm", "diag", rng)
    seqs = sample_sequences(truth, rng.integers(100, 900, size=60))
    one = GMMHMM(3, 2, n_iter=5, random_state=0, n_jobs=1).fit(seqs)
    two = GMMHMM(3, 2, n_iter=5, random_state=0, n_jobs=2).fit(seqs)
    np.testing.assert_allclose(one.means_, two.means_, rtol=1e-10, atol=0)
    np.testing.assert_allclose(one.monitor_.history, two.monitor_.history, rtol=1e-12)


def test_gaussian_parameters_are_recovered():
    truth = GaussianHMM(2, "full")
    truth.startprob_ = np.array([0.6, 0.4])
    truth.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    truth.means_ = np.array([[0.0, 0.0], [4.0, -3.0]])
    truth.covars_ = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.7, -0.2], [-0.2, 1.2]]])
    seqs = sample_sequences(truth, [500] * 20)
    model = GaussianHMM(2, "full", n_iter=100, tol=1e-6, random_state=0).fit(seqs)
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.means_[order], truth.means_, atol=0.05)
    np.testing.assert_allclose(model.covars_[order], truth.covars_, atol=0.05)
    np.testing.assert_allclose(model.transmat_[np.ix_(order, order)], truth.transmat_, atol=0.02)


def test_categorical_parameters_are_recovered():
    truth = CategoricalHMM(2)
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
    truth.emissionprob_ = np.array([[0.7, 0.2, 0.1, 0.0], [0.05, 0.05, 0.3, 0.6]])
    seqs = sample_sequences(truth, [400] * 25)
    model = CategoricalHMM(2, n_iter=200, tol=1e-6, random_state=1, n_init=3).fit(seqs)
    order = np.argsort(-model.emissionprob_[:, 0])
    np.testing.assert_allclose(model.emissionprob_[order], truth.emissionprob_, atol=0.03)
    np.testing.assert_allclose(model.transmat_[np.ix_(order, order)], truth.transmat_, atol=0.03)


def test_gmm_parameters_are_recovered():
    truth = GMMHMM(2, 2, "diag")
    truth.startprob_ = np.array([1.0, 0.0])
    truth.transmat_ = np.array([[0.95, 0.05], [0.05, 0.95]])
    truth.weights_ = np.array([[0.3, 0.7], [0.5, 0.5]])
    truth.means_ = np.array([[[-6.0, 0.0], [-3.0, 3.0]], [[5.0, 5.0], [8.0, 0.0]]])
    truth.covars_ = np.full((2, 2, 2), 0.5)
    seqs = sample_sequences(truth, [300] * 30)
    model = GMMHMM(2, 2, "diag", n_iter=200, tol=1e-5, random_state=2, n_init=2).fit(seqs)
    found = np.sort(model.means_.reshape(-1, 2)[:, 0])
    np.testing.assert_allclose(found, np.sort(truth.means_.reshape(-1, 2)[:, 0]), atol=0.1)


def test_left_right_structural_zeros_stay_zero():
    rng = np.random.default_rng(8)
    seqs = [
        np.concatenate([rng.normal(m, 1, size=(n, 2)) for m in (0, 5, 10)])
        for n in rng.integers(10, 30, size=20)
    ]
    model = GaussianHMM(
        3,
        topology="left-right",
        max_jump=1,
        n_iter=20,
        transmat_prior=2.0,
        startprob_prior=2.0,
        init="segmental",
        random_state=0,
    ).fit(seqs)
    allowed = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]], bool)
    assert np.all(model.transmat_[~allowed] == 0.0)
    assert np.all(model.startprob_[1:] == 0.0)
    assert np.all(model.transmat_[allowed] > 0)
    np.testing.assert_allclose(model.means_[:, 0], [0, 5, 10], atol=0.5)


def test_user_mask_topology():
    mask = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], bool)
    rng = np.random.default_rng(9)
    seqs = [rng.normal(size=(50, 1)) for _ in range(5)]
    model = GaussianHMM(3, topology=mask, n_iter=5, random_state=0).fit(seqs)
    assert np.all(model.transmat_[~mask] == 0.0)


@pytest.mark.parametrize("init", ["kmeans", "random", "flat", "segmental"])
@pytest.mark.parametrize("family", ["gaussian", "gmm", "categorical"])
def test_every_init_method_trains(family, init):
    if family == "categorical" and init == "kmeans":
        with pytest.raises(ValueError, match="kmeans"):
            CategoricalHMM(2, init=init).fit([np.array([0, 1, 2])])
        return
    rng = np.random.default_rng(10)
    truth = make_model(family, "diag", rng)
    seqs = sample_sequences(truth, [40] * 5)
    model = fresh_like(
        truth,
        family,
        "diag",
        init=init,
        n_iter=5,
        random_state=0,
        topology="left-right" if init == "flat" else "ergodic",
    )
    model.fit(seqs)
    assert np.isfinite(model.score(seqs))


def test_same_random_state_same_start_whatever_n_iter():
    rng = np.random.default_rng(12)
    seqs = sample_sequences(make_model("gaussian", "diag", rng), [60] * 5)
    a = GaussianHMM(3, n_iter=1, random_state=3).fit(seqs)
    b = GaussianHMM(3, n_iter=1, random_state=3).fit(seqs)
    np.testing.assert_array_equal(a.means_, b.means_)
    assert a.monitor_.history == b.monitor_.history


def test_n_init_keeps_the_best_restart():
    rng = np.random.default_rng(13)
    seqs = sample_sequences(make_model("categorical", None, rng), [60] * 10)
    single = [
        CategoricalHMM(3, n_iter=10, random_state=s).fit(seqs).monitor_.history[-1]
        for s in range(1)
    ]
    multi = CategoricalHMM(3, n_iter=10, n_init=4, random_state=0).fit(seqs)
    assert multi.monitor_.history[-1] >= single[0] - 1e-9


def test_init_params_keeps_user_values():
    rng = np.random.default_rng(14)
    truth = make_model("gaussian", "diag", rng)
    seqs = sample_sequences(truth, [60] * 5)
    model = GaussianHMM(3, init_params="mc", params="mc", n_iter=3)
    model.startprob_ = truth.startprob_
    model.transmat_ = truth.transmat_
    model.fit(seqs)
    np.testing.assert_array_equal(model.transmat_, truth.transmat_)


def test_dirichlet_prior_on_emissions():
    seqs = [np.array([0, 0, 0, 1])]
    plain = CategoricalHMM(1, n_iter=1, n_symbols=3, random_state=0).fit(seqs)
    smoothed = CategoricalHMM(1, n_iter=1, n_symbols=3, emissionprob_prior=2.0, random_state=0).fit(
        seqs
    )
    np.testing.assert_allclose(plain.emissionprob_[0], [0.75, 0.25, 0.0])
    np.testing.assert_allclose(smoothed.emissionprob_[0], [4 / 7, 2 / 7, 1 / 7])


def test_relative_variance_floor():
    rng = np.random.default_rng(15)
    x = np.column_stack([rng.normal(0, 10, 400), rng.normal(0, 1, 400)])
    x[:200, 1] = 0.0  # half the frames constant in dimension 1
    model = GaussianHMM(2, var_floor=0.1, n_iter=10, random_state=0).fit([x])
    floor = 0.1 * x.var(axis=0)
    assert np.all(model.covars_ >= floor - 1e-12)


def test_unvisited_state_warns_and_keeps_finite_parameters():
    model = GaussianHMM(2, init_params="", params="smc", n_iter=2)
    model.startprob_ = np.array([1.0, 0.0])
    model.transmat_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    model.means_ = np.array([[0.0], [100.0]])
    model.covars_ = np.array([[1.0], [1.0]])
    x = np.random.default_rng(0).normal(size=(50, 1))
    with pytest.warns(DegenerateStateWarning, match="state 1"):
        model.fit([x])
    assert np.all(np.isfinite(model.means_)) and model.means_[1, 0] == 100.0


def test_one_long_sequence_without_underflow():
    truth = make_model("gaussian", "diag", np.random.default_rng(16), n_states=2)
    x, _ = truth.sample(1_000_000, random_state=0)
    score = truth.score(x)
    assert np.isfinite(score) and score < -1e5
    model = GaussianHMM(2, n_iter=2, random_state=0).fit([x])
    assert np.all(np.isfinite(model.monitor_.history))


def test_aic_and_bic_count_free_parameters():
    rng = np.random.default_rng(17)
    model = make_model("gaussian", "diag", rng, n_states=3, n_features=2)
    x = sample_sequences(model, [100])
    n_params = 2 + 3 * 2 + 3 * 2 + 3 * 2
    assert model.n_free_parameters() == n_params
    assert model.bic(x) == pytest.approx(-2 * model.score(x) + n_params * np.log(100))
    assert model.aic(x) == pytest.approx(-2 * model.score(x) + 2 * n_params)


def test_verbose_prints_each_iteration(capsys):
    seqs = [np.random.default_rng(0).normal(size=(30, 1))]
    GaussianHMM(2, n_iter=3, tol=-np.inf, verbose=True, random_state=0).fit(seqs)
    assert capsys.readouterr().err.count("log-likelihood") == 3


def test_sampling_matches_the_model():
    model = make_model("categorical", None, np.random.default_rng(18), n_states=2)
    x, states = model.sample(20000, random_state=1)
    for k in range(2):
        freq = np.bincount(x[states == k], minlength=4) / (states == k).sum()
        np.testing.assert_allclose(freq, model.emissionprob_[k], atol=0.03)
    counts = np.zeros((2, 2))
    np.add.at(counts, (states[:-1], states[1:]), 1)
    np.testing.assert_allclose(counts / counts.sum(1, keepdims=True), model.transmat_, atol=0.03)


def test_no_warnings_in_ordinary_training():
    rng = np.random.default_rng(19)
    seqs = sample_sequences(make_model("gmm", "full", rng), [80] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GMMHMM(3, 2, "full", n_iter=5, random_state=0).fit(seqs)


def test_every_family_documents_the_shared_constructor_parameters():
    import inspect

    from hmmkit import GMMHMM, CategoricalHMM, GaussianHMM
    from hmmkit.hmm import BaseHMM

    shared = [p for p in inspect.signature(BaseHMM.__init__).parameters if p != "self"]
    for family in (GaussianHMM, GMMHMM, CategoricalHMM):
        for name in shared:
            assert f"``{name}``" in family.__doc__, (family.__name__, name)


def test_gmm_parameters_left_out_of_params_stay_fixed_even_below_min_weight():
    """A component below min_weight is replaced by a split only when w, m and c are all
    trained: otherwise the split would change parameters the user keeps fixed."""
    from hmmkit import GMMHMM, DegenerateStateWarning

    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(100, 2)) + rng.integers(0, 3) * 3 for _ in range(30)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        base = GMMHMM(2, 2, "diag", n_iter=5, random_state=0).fit(seqs)
    for params, weights, min_weight, fixed in (
        ("t", [[1 - 1e-7, 1e-7], [0.5, 0.5]], 1e-5, ("weights_", "means_", "covars_")),
        ("w", [[0.9, 0.1], [0.5, 0.5]], 0.2, ("means_", "covars_")),
    ):
        model = GMMHMM(2, 2, "diag", params=params, init_params="", n_iter=5, min_weight=min_weight)
        model.startprob_, model.transmat_ = base.startprob_, base.transmat_
        model.means_, model.covars_ = base.means_.copy(), base.covars_.copy()
        model.weights_ = np.array(weights)
        before = {name: getattr(model, name).copy() for name in fixed}
        with pytest.warns(DegenerateStateWarning, match="kept as they are"):
            model.fit(seqs)
        for name in fixed:
            np.testing.assert_array_equal(getattr(model, name), before[name], err_msg=name)


def test_starts_that_cannot_separate_states_or_restarts_are_reported():
    x = np.random.default_rng(0).normal(size=(100, 2))
    with pytest.warns(UserWarning, match="the states stay identical"):
        model = GaussianHMM(3, init="flat", n_iter=3).fit(x)
    np.testing.assert_allclose(model.means_, model.means_[[0, 0, 0]])  # as the warning says
    with pytest.warns(UserWarning, match="restarts all begin from the same parameters"):
        GaussianHMM(2, init="flat", topology="left-right", n_init=2, n_iter=2).fit(x)
    given = GaussianHMM(2, init="flat", init_params="st", n_iter=3)
    given.means_, given.covars_ = np.array([[-1.0, 0.0], [1.0, 0.0]]), np.ones((2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        GaussianHMM(3, init="flat", topology="left-right", n_iter=2).fit(x)
        GaussianHMM(3, init="kmeans", n_init=2, n_iter=2, random_state=0).fit(x)
        given.fit(x)  # the emissions are given apart: the states can separate
