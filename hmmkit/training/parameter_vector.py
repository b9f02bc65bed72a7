"""HMM parameters as one flat vector, for extrapolating accelerators.

An extrapolation such as SQUAREM's ``x0 + 2 a r + a^2 v`` can leave the set of
valid parameters (negative probabilities or variances, indefinite covariances).
Two coordinate systems are offered:

- ``"raw"``: the parameters as they are (probabilities on each row's support,
  variances, the lower triangle of full covariances, means). A vector outside the
  valid set raises :class:`InfeasibleParameters`, and the caller shortens its
  step (projection-free). SQUAREM uses these: in them the step length is not
  dominated by probabilities on their way to zero (see ``docs/alpha_hmm.md``).
- ``"unconstrained"``: every value is valid. Rows of probabilities as centred
  log-ratios over the row's support ``log p - mean(log p)`` (back by a softmax over
  the same support, so structural zeros stay zero), spherical and diagonal
  variances in ``log``, full and tied covariances as the lower Cholesky factor with
  its diagonal in ``log``, Poisson rates in ``log``, means as they are.

In both, covariances are raised to the emission's floor, as its M-step would.
The walk is generic: a value (an :class:`~hmmkit.shard_work.HMMParams`, an emission) lists
its parameter fields and their kinds in ``parameter_kinds()`` (see
:mod:`hmmkit.emissions.kinds`); a nested mapping stands for a field holding a value
of its own (a mixture bank), walked in turn. Every other field (floors, priors,
settings) is carried over unchanged. Values are rebuilt with
:func:`dataclasses.replace`, so each emission re-validates itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from ..emissions.kinds import InfeasibleParameters, ParameterKind

#: The coordinate systems: constraint-free transforms, or the parameters as they are.
COORDINATES = ("unconstrained", "raw")

__all__ = ["COORDINATES", "InfeasibleParameters", "ParameterVector"]


def _leaves(value, kinds: Mapping, path=()):
    """Yield ``(path, kind, array)`` for every declared parameter array inside ``value``."""
    for name, kind in kinds.items():
        item = getattr(value, name)
        if isinstance(kind, Mapping):
            yield from _leaves(item, kind, path + (name,))
        else:
            yield path + (name,), kind, np.asarray(item, dtype=float)


def _replace(value, path: tuple, new):
    """``value`` with the field at ``path`` replaced by ``new`` (rebuilding every level)."""
    head, *rest = path
    item = new if not rest else _replace(getattr(value, head), tuple(rest), new)
    return dataclasses.replace(value, **{head: item})


class ParameterVector:
    """The map between parameter values shaped like ``points`` and flat vectors.

    Built from the points an extrapolation combines (so that the support of each
    probability row is the one they share). ``frozen`` lists the arrays that are the
    same in every point (parameters not being trained); they are never touched.
    """

    def __init__(self, points: Sequence, coordinates: str = "unconstrained") -> None:
        if coordinates not in COORDINATES:
            raise ValueError(f"coordinates must be one of {COORDINATES}, got {coordinates!r}")
        self._unconstrained = coordinates == "unconstrained"
        template = points[-1]
        self._kinds = template.parameter_kinds()
        per_point = [list(_leaves(p, self._kinds)) for p in points]
        self._template = template
        self._leaves = []
        self.same_support = True
        for i, (path, kind, array) in enumerate(per_point[-1]):
            arrays = [leaves[i][2] for leaves in per_point]
            frozen = all(np.array_equal(arrays[0], a) for a in arrays[1:])
            supports = [kind.support(a) for a in arrays]
            support = supports[-1]
            if support is not None and not all(np.array_equal(support, s) for s in supports):
                self.same_support = False
            size = 0 if frozen else self._to(kind, array, support).size
            self._leaves.append((path, kind, array, support, frozen, size))

    def _to(self, kind: ParameterKind, array: np.ndarray, support) -> np.ndarray:
        if self._unconstrained:
            return kind.to_unconstrained(array, support)
        return kind.to_raw(array, support)

    def _from(self, kind: ParameterKind, coords: np.ndarray, like: np.ndarray, support):
        if self._unconstrained:
            return kind.from_unconstrained(coords, like, support)
        return kind.from_raw(coords, like, support)

    def to_vector(self, params) -> np.ndarray:
        """The trainable parameters of ``params`` as one vector of unconstrained values."""
        arrays = {path: array for path, _, array in _leaves(params, self._kinds)}
        parts = [
            self._to(kind, arrays[path], support)
            for path, kind, _, support, frozen, _ in self._leaves
            if not frozen
        ]
        return np.concatenate(parts) if parts else np.zeros(0)

    def from_vector(self, vector: np.ndarray):
        """Parameter value with the trainable arrays read from ``vector`` (frozen ones kept).

        Raises :class:`InfeasibleParameters` when the value is not valid: in raw
        coordinates a probability or variance that is not positive or a covariance
        that is not positive definite; in unconstrained coordinates only a covariance
        too ill-conditioned to factorise in floating point.
        """
        value = self._template
        position = 0
        for path, kind, like, support, frozen, size in self._leaves:
            if frozen:
                continue
            array = self._from(kind, vector[position : position + size], like, support)
            position += size
            try:
                value = _replace(value, path, array)
            except ValueError as error:  # e.g. numerically singular covariances
                raise InfeasibleParameters(str(error)) from None
        if position != vector.size:
            raise ValueError(f"vector has {vector.size} values, the parameters need {position}")
        return value
