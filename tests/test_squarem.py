"""SQUAREM: the parameter <-> vector map, the SqS3 extrapolation on a known linear map,
monotone training of every model kind, and the same optimum as Baum-Welch in fewer passes."""

import dataclasses
import warnings

import numpy as np
import pytest
from factories import KINDS, fresh_like, make_model, sample_sequences
from hypothesis import given, settings
from hypothesis import strategies as st

from hmmkit import DegenerateStateWarning, GaussianHMM
from hmmkit.emissions.gaussian import GaussianEmission
from hmmkit.shard_work import HMMParams
from hmmkit.stats import Stats
from hmmkit.training import ConvergenceMonitor
from hmmkit.training.parameter_vector import InfeasibleParameters, ParameterVector
from hmmkit.training.squarem import sqs3_step, squarem


def params_of(family, covariance_type, seed=0):
    rng = np.random.default_rng(seed)
    model = make_model(family, covariance_type, rng)
    return model._get_params()


def arrays_of(params):
    """Every trainable array of a parameter value, by name."""
    out = {"startprob": params.startprob, "transmat": params.transmat}
    emission = params.emission
    if hasattr(emission, "mixtures"):
        emission = emission.mixtures
        out["weights"] = emission.weights
    for name in ("emissionprob", "means", "covars", "lambdas"):
        if hasattr(emission, name):
            out[name] = getattr(emission, name)
    return out


# ---------------------------------------------------------------- the parameter map


@pytest.mark.parametrize("coordinates", ["raw", "unconstrained"])
@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_vector_round_trip(family, covariance_type, coordinates):
    a, b = params_of(family, covariance_type, 0), params_of(family, covariance_type, 1)
    mapping = ParameterVector([a, b], coordinates)
    vector = mapping.to_vector(b)
    size = sum(x.size for x in arrays_of(b).values())
    assert vector.ndim == 1 and vector.size <= size
    back = mapping.from_vector(vector)
    for name, array in arrays_of(b).items():
        np.testing.assert_allclose(arrays_of(back)[name], array, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    seed=st.integers(0, 10**6),
    scale=st.floats(0.1, 20.0),
)
def test_any_unconstrained_vector_is_a_valid_parameter_value(kind, seed, scale):
    family, covariance_type = kind
    a, b = params_of(family, covariance_type, 0), params_of(family, covariance_type, 1)
    mapping = ParameterVector([a, b], "unconstrained")
    rng = np.random.default_rng(seed)
    vector = mapping.to_vector(b) + scale * rng.normal(size=mapping.to_vector(b).size)
    try:
        value = mapping.from_vector(vector)  # the emission validates itself on construction
    except InfeasibleParameters as error:
        # only a covariance too ill-conditioned for floating point may be refused
        assert covariance_type in ("full", "tied") and "positive definite" in str(error)
        return
    arrays = arrays_of(value)
    for name in ("startprob", "transmat", "weights", "emissionprob"):
        if name in arrays:
            assert np.all(arrays[name] > 0)
            np.testing.assert_allclose(arrays[name].sum(axis=-1), 1.0, atol=1e-12)
    if covariance_type in ("spherical", "diag"):
        assert np.all(arrays["covars"] > 0)


def test_structural_zeros_and_untrained_arrays_are_kept():
    rng = np.random.default_rng(3)
    model = make_model("gaussian", "full", rng)
    model.transmat_ = np.array([[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.0, 0.0, 1.0]])
    model.startprob_ = np.array([1.0, 0.0, 0.0])
    a = model._get_params()
    b = dataclasses.replace(a, transmat=np.array([[0.5, 0.5, 0], [0, 0.9, 0.1], [0, 0, 1.0]]))
    for coordinates in ("raw", "unconstrained"):
        mapping = ParameterVector([a, b], coordinates)
        # only the transitions moved: their entries off the structural zeros are the vector
        assert mapping.to_vector(b).size == 5
        out = mapping.from_vector(mapping.to_vector(b) * 1.5)
        assert out.emission is b.emission and out.startprob is b.startprob
        assert np.all(out.transmat[b.transmat == 0] == 0)
        np.testing.assert_allclose(out.transmat.sum(axis=1), 1.0)


def test_infeasible_raw_vectors_are_reported():
    a = params_of("gaussian", "diag", 0)
    b = params_of("gaussian", "diag", 1)
    mapping = ParameterVector([a, b], "raw")
    vector = mapping.to_vector(b)
    bad = vector.copy()
    bad[0] = -0.1  # a start probability
    with pytest.raises(InfeasibleParameters, match="probability"):
        mapping.from_vector(bad)
    bad = vector.copy()
    bad[-1] = -1.0  # a variance
    with pytest.raises(InfeasibleParameters, match="variance"):
        mapping.from_vector(bad)
    full_a, full_b = params_of("gaussian", "full", 0), params_of("gaussian", "full", 1)
    mapping = ParameterVector([full_a, full_b], "raw")
    bad = mapping.to_vector(full_b)
    bad[-2] = 1e3  # an off-diagonal entry far larger than the variances
    with pytest.raises(InfeasibleParameters, match="positive definite"):
        mapping.from_vector(bad)


def test_extrapolated_covariances_respect_the_floor():
    a = params_of("gaussian", "diag", 0)
    floor = np.array([0.4, 0.4])
    a = dataclasses.replace(a, emission=dataclasses.replace(a.emission, floor=floor))
    b = dataclasses.replace(
        a, emission=dataclasses.replace(a.emission, covars=a.emission.covars * 0.5)
    )
    mapping = ParameterVector([a, b], "unconstrained")
    out = mapping.from_vector(mapping.to_vector(b) - 5.0)  # every log-variance far down
    assert np.all(out.emission.covars >= floor)


# ---------------------------------------------------------------- SqS3 on a known map


def linear_em(fixed_point: np.ndarray, rate: float):
    """An 'EM' whose M-step contracts the means linearly to ``fixed_point``."""
    calls = {"e": 0}

    def e_step(params):
        calls["e"] += 1
        gap = params.emission.means - fixed_point
        return Stats({"start": np.ones(1)}, -float(np.sum(gap**2)), 1, 1)

    def m_step(stats, params):
        means = fixed_point + rate * (params.emission.means - fixed_point)
        return dataclasses.replace(
            params, emission=dataclasses.replace(params.emission, means=means)
        )

    return e_step, m_step, calls


def test_sqs3_step_length():
    r = np.array([3.0, -4.0])
    assert sqs3_step(r, 0.5 * r) == pytest.approx(2.0)
    assert sqs3_step(np.zeros(2), np.zeros(2)) == 1.0


@pytest.mark.parametrize("rate", [0.5, 0.9, 0.99])
def test_one_cycle_solves_a_linear_contraction(rate):
    """For F(x) = x* + c (x - x*), r = (c-1) e, v = (c-1)^2 e and the SqS3 step 1/(1-c)
    lands exactly on x*: a cycle costs three passes, after which x* is reported."""
    fixed = np.array([[1.0, -2.0], [0.5, 3.0]])
    start = HMMParams(
        np.array([1.0, 0.0]),
        np.eye(2),
        GaussianEmission(np.zeros((2, 2)), np.ones((2, 2)), "diag"),
    )
    e_step, m_step, calls = linear_em(fixed, rate)
    monitor = ConvergenceMonitor(tol=-np.inf, n_iter=4)
    out = squarem(e_step, m_step, start, monitor, step_max=1e6)
    # reports: x0, x1, x' (= x*), F(x') (= x*)
    assert monitor.history[2] == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(out.emission.means, fixed, atol=1e-12)
    assert monitor.n_passes == calls["e"] == 4
    assert monitor.n_fallbacks == 0


def test_step_bound_grows_from_one():
    """With the default bound (1, times 4 whenever reached) the first cycle is a plain
    double step and later ones extrapolate further: slow contraction, few passes."""
    fixed = np.array([[2.0, 2.0]])
    start = HMMParams(
        np.array([1.0]), np.eye(1), GaussianEmission(np.zeros((1, 2)), np.ones((1, 2)), "diag")
    )
    e_step, m_step, calls = linear_em(fixed, 0.99)
    monitor = ConvergenceMonitor(tol=1e-20, n_iter=100)
    out = squarem(e_step, m_step, start, monitor)
    np.testing.assert_allclose(out.emission.means, fixed, atol=1e-10)
    assert monitor.n_passes == calls["e"] < 20  # plain EM would need thousands
    assert np.all(np.diff(monitor.history) >= 0)


# ---------------------------------------------------------------- on the models


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_log_likelihood_never_decreases(family, covariance_type):
    rng = np.random.default_rng(3)
    truth = make_model(family, covariance_type, rng)
    seqs = sample_sequences(truth, rng.integers(5, 80, size=25))
    model = fresh_like(
        truth, family, covariance_type, algorithm="squarem", n_iter=40, tol=-np.inf, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateStateWarning)
        model.fit(seqs)
    history = np.array(model.monitor_.history)
    assert len(history) == 40
    assert model.monitor_.n_passes == len(history) + model.monitor_.n_fallbacks
    drops = np.diff(history) / np.abs(history[1:])
    assert np.all(drops > -1e-10), drops.min()


def test_only_the_trained_parameters_change():
    rng = np.random.default_rng(6)
    truth = make_model("gaussian", "diag", rng)
    seqs = sample_sequences(truth, [60] * 10)
    model = GaussianHMM(3, "diag", algorithm="squarem", params="st", init_params="", n_iter=30)
    model.startprob_, model.transmat_ = truth.startprob_, truth.transmat_
    model.means_, model.covars_ = truth.means_ + 0.3, truth.covars_ * 1.2
    means, covars = model.means_.copy(), model.covars_.copy()
    model.fit(seqs)
    np.testing.assert_array_equal(model.means_, means)
    np.testing.assert_array_equal(model.covars_, covars)
    assert not np.array_equal(model.transmat_, truth.transmat_)


def test_unknown_algorithm_names_the_choices():
    with pytest.raises(ValueError, match="squarem"):
        GaussianHMM(2, algorithm="sqaurem").fit([np.zeros((5, 1))])
