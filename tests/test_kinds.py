"""Parameter and statistic kinds: coordinates that round-trip, refusals outside the valid
set, and the declarations of the built-in families."""

from __future__ import annotations

import numpy as np
import pytest
from factories import KINDS, make_model

from hmmkit.emissions import kinds
from hmmkit.emissions.base import Emission
from hmmkit.emissions.kinds import Covariance, InfeasibleParameters, revert_states

RNG = np.random.default_rng(0)
SPD = np.array([[[2.0, 0.3], [0.3, 1.0]], [[1.0, -0.2], [-0.2, 0.5]]])
CASES = [
    (kinds.REAL, RNG.normal(size=(3, 2))),
    (kinds.RATE, RNG.uniform(0.1, 3.0, size=(3, 2))),
    (kinds.POSITIVE, RNG.uniform(0.1, 3.0, size=(3,))),
    (kinds.PROBABILITY, RNG.uniform(0.05, 0.95, size=(3, 4))),
    (kinds.SIMPLEX, np.array([[0.2, 0.0, 0.8], [0.1, 0.6, 0.3]])),
    (Covariance("diag"), RNG.uniform(0.5, 2.0, size=(3, 2))),
    (Covariance("full"), SPD),
]


@pytest.mark.parametrize(("kind", "array"), CASES, ids=lambda c: repr(c)[:20])
def test_both_coordinate_systems_round_trip(kind, array):
    support = kind.support(array)
    raw = kind.to_raw(array, support)
    np.testing.assert_array_equal(kind.from_raw(raw, array, support), array)
    free = kind.to_unconstrained(array, support)
    np.testing.assert_allclose(kind.from_unconstrained(free, array, support), array, atol=1e-12)


@pytest.mark.parametrize(("kind", "array"), CASES[1:], ids=lambda c: repr(c)[:20])
def test_raw_coordinates_outside_the_valid_set_are_refused(kind, array):
    support = kind.support(array)
    raw = kind.to_raw(array, support).copy()
    raw[0] = -1.0 if not isinstance(kind, Covariance) else -10.0
    with pytest.raises(InfeasibleParameters):
        kind.from_raw(raw, array, support)


@pytest.mark.parametrize(("kind", "array"), CASES, ids=lambda c: repr(c)[:20])
def test_every_unconstrained_vector_is_valid(kind, array):
    support = kind.support(array)
    size = kind.to_unconstrained(array, support).size
    value = kind.from_unconstrained(RNG.normal(scale=5.0, size=size), array, support)
    assert np.all(np.isfinite(value))
    raw = kind.to_raw(value, support)
    kind.from_raw(raw, array, support)  # no InfeasibleParameters


def test_simplex_keeps_structural_zeros():
    array = np.array([[0.5, 0.0, 0.5]])
    support = kinds.SIMPLEX.support(array)
    value = kinds.SIMPLEX.from_unconstrained(np.array([3.0, -3.0]), array, support)
    assert value[0, 1] == 0.0 and value[0, 0] > value[0, 2]


def test_revert_states_sets_back_only_the_listed_states():
    current = {"a": np.ones((3, 2)), "b": np.zeros(3)}
    combined = {"a": np.full((3, 2), 5.0), "b": np.full(3, 7.0)}
    out = revert_states(current, combined, np.array([True, False, True]), ("a",))
    np.testing.assert_array_equal(out["a"][:, 0], [5.0, 1.0, 5.0])
    np.testing.assert_array_equal(out["b"], combined["b"])


@pytest.mark.parametrize(("family", "covariance_type"), KINDS)
def test_builtin_families_declare_every_statistic_and_count_their_parameters(
    family, covariance_type
):
    model = make_model(family, covariance_type, np.random.default_rng(2))
    emission = model._get_params().emission
    assert set(emission.statistic_kinds()) == set(emission.new_stats())
    kinds = emission.parameter_kinds()
    assert kinds, "every family declares its parameters"
    assert Emission.n_free_parameters(emission) == emission.n_free_parameters()
