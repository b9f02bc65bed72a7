"""Constrained MLLR (CMLLR, fMLLR): one affine transform of a speaker's features.

A speaker's frames ``x`` become ``x' = A x + b = W xi`` with ``xi = [1, x]`` before they
are scored, and the frames' log-likelihood gains the Jacobian ``log |det A|``. For
diagonal Gaussians the transform that maximises the expected log-likelihood of the
adaptation data (Gales, 1998) is found row by row: with the occupancy ``beta`` and, for
feature ``i``, ``G_i = sum_t sum_m gamma_tm / var_mi xi_t xi_t^T`` and
``k_i = sum_t sum_m gamma_tm mu_mi / var_mi xi_t``, the auxiliary function is
``beta log |det A| + sum_i (w_i k_i - w_i G_i w_i / 2)`` (plus a constant), and the best
row ``w_i`` given the others is ``(alpha p_i + k_i) G_i^-1``, ``p_i = [0, cofactors of
row i of A]``, ``alpha`` a root of a quadratic. Sweeps over the rows raise the function
every time. It is equivalent to transforming every Gaussian's mean *and* variance of the
model (HTK's HERest ``-u a`` with CMLLR, Kaldi's fMLLR), but only the features change,
so the decoder and the models stay as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .mllr import MIN_FRAMES_PER_PARAMETER

_LOG_2PI = math.log(2.0 * math.pi)
#: At most this many sweeps over the transform's rows per estimate.
FMLLR_SWEEPS = 100
#: The sweeps stop when one raises the auxiliary function by less than this per frame.
FMLLR_TOLERANCE = 1e-9


@dataclass
class FmllrStats:
    """The statistics of one speaker's frames against a diagonal-Gaussian model:
    ``beta`` (occupancy), ``gram`` (D, D + 1, D + 1) the ``G_i``, ``linear`` (D, D + 1)
    the ``k_i`` and ``constant`` (the auxiliary function's part free of the transform)
    (values that add)."""

    beta: float
    gram: np.ndarray
    linear: np.ndarray
    constant: float

    @classmethod
    def zeros(cls, dim: int) -> FmllrStats:
        """Empty statistics for ``dim`` features."""
        return cls(0.0, np.zeros((dim, dim + 1, dim + 1)), np.zeros((dim, dim + 1)), 0.0)

    def __add__(self, other: FmllrStats) -> FmllrStats:
        return FmllrStats(
            self.beta + other.beta,
            self.gram + other.gram,
            self.linear + other.linear,
            self.constant + other.constant,
        )

    @property
    def dim(self) -> int:
        """The number of features."""
        return self.linear.shape[0]


def fmllr_stats(
    X: np.ndarray, gamma: np.ndarray, means: np.ndarray, variances: np.ndarray
) -> FmllrStats:
    """Statistics of frames ``X`` (T, D) whose occupancies of the components (``means``
    and diagonal ``variances``, (K, D)) are ``gamma`` (T, K)."""
    X = np.asarray(X, dtype=np.float64)
    t, d = X.shape
    if means.shape[1] != d or variances.shape != means.shape or gamma.shape != (t, len(means)):
        raise ValueError("frames (T, D), occupancies (T, K), means and variances (K, D) must agree")
    if np.any(variances <= 0) or np.any(gamma < 0):
        raise ValueError("variances must be > 0 and occupancies >= 0")
    precision = 1.0 / variances
    xi = np.column_stack([np.ones(t), X])
    per_dim = gamma @ precision  # (T, D): sum_m gamma_tm / var_mi
    gram = np.empty((d, d + 1, d + 1))
    for i in range(d):
        gram[i] = (xi * per_dim[:, i : i + 1]).T @ xi
    linear = (gamma @ (means * precision)).T @ xi
    occupancy = gamma.sum(axis=0)
    norm = (means * means * precision + np.log(variances) + _LOG_2PI).sum(axis=1)
    return FmllrStats(float(occupancy.sum()), gram, linear, float(-0.5 * occupancy @ norm))


def identity_transform(dim: int) -> np.ndarray:
    """The (D, D + 1) transform (bias first) that leaves the features as they are."""
    return np.column_stack([np.zeros(dim), np.eye(dim)])


def apply_fmllr(transform: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``A x + b`` for every frame of ``X`` (T, D)."""
    return X @ transform[:, 1:].T + transform[:, 0]


def fmllr_objective(stats: FmllrStats, transform: np.ndarray) -> float:
    """The expected log-likelihood of the statistics' frames after ``transform``, its
    Jacobian included (``-inf`` for a singular ``A``)."""
    sign, logdet = np.linalg.slogdet(transform[:, 1:])
    if sign == 0:
        return -math.inf
    quad = np.einsum("ij,ijk,ik->", transform, stats.gram, transform)
    return float(
        stats.beta * logdet + np.sum(transform * stats.linear) - 0.5 * quad + stats.constant
    )


def estimate_fmllr(
    stats: FmllrStats,
    initial: np.ndarray | None = None,
    sweeps: int = FMLLR_SWEEPS,
    tol: float = FMLLR_TOLERANCE,
) -> np.ndarray:
    """The (D, D + 1) transform (bias first) of maximum likelihood for the statistics,
    from ``initial`` (the identity by default) by sweeps of row-by-row updates, until a
    sweep gains less than ``tol`` nats per frame or after ``sweeps``; the
    identity (or ``initial``) when the frames are too few to fix it (fewer than
    :data:`~hmmkit.speech.mllr.MIN_FRAMES_PER_PARAMETER` per row parameter)."""
    d = stats.dim
    transform = identity_transform(d) if initial is None else np.array(initial, dtype=np.float64)
    if transform.shape != (d, d + 1):
        raise ValueError(f"the initial transform must be ({d}, {d + 1}), got {transform.shape}")
    if stats.beta < MIN_FRAMES_PER_PARAMETER * (d + 1):
        return transform
    try:
        inverses = np.linalg.inv(stats.gram)
    except np.linalg.LinAlgError:
        return transform
    value = fmllr_objective(stats, transform)
    for _ in range(sweeps):
        for i in range(d):
            try:
                cofactor = np.linalg.inv(transform[:, 1:])[:, i]  # row i's, over det(A)
            except np.linalg.LinAlgError:
                return identity_transform(d) if initial is None else np.array(initial)
            p = np.concatenate([[0.0], cofactor])
            g_inv, k = inverses[i], stats.linear[i]
            e1, e2 = p @ g_inv @ p, p @ g_inv @ k
            alpha = _best_root(e1, e2, stats.beta)
            transform[i] = (alpha * p + k) @ g_inv
        value, previous = fmllr_objective(stats, transform), value
        if value - previous < tol * stats.beta:
            break
    return transform


def _best_root(e1: float, e2: float, beta: float) -> float:
    """The root of ``e1 a^2 + e2 a - beta`` that maximises
    ``beta log |a e1 + e2| - e1 a^2 / 2`` (the row's auxiliary function)."""
    disc = math.sqrt(e2 * e2 + 4.0 * e1 * beta)
    roots = ((-e2 + disc) / (2.0 * e1), (-e2 - disc) / (2.0 * e1))
    return max(roots, key=lambda a: beta * math.log(abs(a * e1 + e2)) - 0.5 * e1 * a * a)
