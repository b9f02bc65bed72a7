"""The α-HMM: Baum-Welch accelerated with the statistics of the previous iteration.

Matsuyama's α-EM maximises a surrogate built on the α-logarithm; its HMM form
reuses the "one-step past" terms stored at the previous M-step. In first order
the update is the M-step on ``N_t - ω_t N_{t-1}`` with
``ω_t = (1+α)/(3+α) · L(θ_{t-1})/L(θ_t)``; here the statistics are divided by
``1 - ω_t`` so that they stay on the scale of one pass over the data,

    N* = (N_t - ω_t N_{t-1}) / (1 - ω_t) = N_t + μ_t (N_t - N_{t-1}),  μ_t = ω_t / (1 - ω_t),

i.e. the statistics are extrapolated along their last change (μ = (1+α)/2 when
the likelihood ratio is 1). The likelihood ratio is taken per frame (the geometric
mean over frames), see ``docs/alpha_hmm.md`` for the derivation and that choice.
A count that would fall below half its current value keeps its current value,
Gaussian states whose extrapolated moments would give an invalid weight or
covariance fall back to ``ω = 0``, and a step that lowers the log-likelihood is
replaced by the plain Baum-Welch step (``monitor.n_fallbacks``).
At ``alpha = -1`` every step is the plain one: the loop is Baum-Welch exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from ..emissions.base import EMPTY_COUNT
from ..emissions.gaussian import recentre_moments
from ..stats import Stats
from .monitor import ConvergenceMonitor

P = TypeVar("P")

#: An extrapolated count below this fraction of the current count is not used: the
#: count (for Gaussian moments: the whole state) keeps its current value (ω = 0).
MIN_COUNT_FRACTION = 0.5
#: Non-negative statistics whose ratios the M-step takes: expected counts, and the
#: count sums of Poisson and multinomial states (reverted entry by entry).
COUNT_KEYS = ("start", "trans", "symbol_counts", "occupancy", "count_sums")
#: Weighted moments of Gaussian components (reverted state by state).
MOMENT_KEYS = ("n", "s1", "s2")
#: How the likelihood ratio of ω is normalised: per frame, per sequence or not at all.
RATIO_UNITS = ("frame", "sequence", "corpus")


def check_alpha(alpha: float) -> float:
    """Return ``alpha`` as a float or raise ValueError unless -1 <= alpha < 1."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"alpha must be a number in [-1, 1), got {alpha!r}") from None
    if not -1.0 <= value < 1.0:
        raise ValueError(f"alpha must be in [-1, 1), got {alpha!r}")
    return value


def alpha_weight(alpha: float, previous: Stats, current: Stats, ratio_unit: str = "frame") -> float:
    """``ω = (1+α)/(3+α) · (L_prev / L_cur)^(1/n)`` from log-likelihoods.

    ``n`` is the number of frames (``ratio_unit="frame"``), of sequences
    (``"sequence"``) or 1 (``"corpus"``); the ratio is capped at 1.
    """
    if ratio_unit not in RATIO_UNITS:
        raise ValueError(f"ratio_unit must be one of {RATIO_UNITS}, got {ratio_unit!r}")
    units = {
        "frame": current.n_frames,
        "sequence": current.n_sequences,
        "corpus": 1,
    }[ratio_unit]
    gain = (current.log_likelihood - previous.log_likelihood) / max(units, 1)
    return (1.0 + alpha) / (3.0 + alpha) * math.exp(-max(gain, 0.0))


def _bank_of(emission):
    """The Gaussian component bank of an emission, if it has one."""
    bank = getattr(emission, "bank", None)
    if bank is None:
        bank = getattr(getattr(emission, "mixtures", None), "bank", None)
    return bank


def _scatter(n, s1, s2, diagonal: bool) -> np.ndarray:
    """Covariance numerators about each component's own mean, (C, D) or (C, D, D)."""
    safe = np.where(n > 0, n, 1.0)
    mean = s1 / safe[:, None]
    if diagonal:
        return s2 - s1 * mean
    lower = np.tril(s2)
    full = lower + np.swapaxes(np.tril(s2, -1), -1, -2)
    return full - np.einsum("ci,cj->cij", s1, mean)


def _positive_definite(matrices: np.ndarray) -> np.ndarray:
    """Per-matrix positive definiteness of a (G, D, D) stack."""
    ok = np.empty(len(matrices), dtype=bool)
    for i, matrix in enumerate(matrices):
        try:
            np.linalg.cholesky(matrix)
            ok[i] = np.all(np.isfinite(matrix))
        except np.linalg.LinAlgError:
            ok[i] = False
    return ok


def _valid_moment_states(current, combined, emission, n_states: int) -> np.ndarray:
    """Per state: do the extrapolated moments give positive weights and covariances?"""
    n, s1, s2 = combined["n"], combined["s1"], combined["s2"]
    n_components = len(n)
    state = np.arange(n_components) // max(n_components // n_states, 1)
    bad = (n <= EMPTY_COUNT) | (n < MIN_COUNT_FRACTION * current["n"])
    diagonal = s2.ndim == 2
    scatter = _scatter(n, s1, s2, diagonal)
    bank = _bank_of(emission)
    if diagonal:
        bad |= ~np.all(scatter > 0, axis=1)
    elif bank is not None and bank.covariance_type == "tied":
        groups = bank.groups
        n_groups = int(groups.max()) + 1
        group_scatter = np.zeros((n_groups,) + scatter.shape[1:])
        np.add.at(group_scatter, groups, scatter)
        bad_group = ~_positive_definite(group_scatter)
        bad |= bad_group[groups]
        # a tied covariance mixes its group's states: revert all of them together
        bad |= np.isin(groups, np.unique(groups[bad]))
    else:
        bad |= ~_positive_definite(scatter)
    bad_state = np.zeros(n_states, dtype=bool)
    bad_state[state[bad]] = True
    return ~bad_state, state


def extrapolated_statistics(
    current: Stats, previous: Stats, omega: float, emission, previous_emission=None
) -> Stats:
    """``(N_t - ω N_{t-1}) / (1 - ω)``, made valid for the M-step.

    Gaussian moments are taken about the means of the emission they were gathered
    under: ``previous`` (from ``previous_emission``) is first re-expressed about those
    of ``emission``, the parameters of ``current``.
    Expected counts are kept at no less than :data:`MIN_COUNT_FRACTION` of the
    current ones. The moments of a Gaussian state (all its components) revert to
    the current statistics (``ω = 0``) when any extrapolated count would not be
    positive or any covariance not positive definite.
    """
    unknown = set(current) - set(COUNT_KEYS) - set(MOMENT_KEYS)
    if unknown:
        raise ValueError(f"algorithm='alpha' does not know the statistics {sorted(unknown)}")
    scale = 1.0 / (1.0 - omega)
    before = dict(previous)
    bank, previous_bank = _bank_of(emission), _bank_of(previous_emission)
    if "n" in current and bank is not None and previous_bank is not None:
        before.update(recentre_moments(previous, previous_bank.means, bank.means))
    arrays = {}
    for key in current:
        now = current[key]
        arrays[key] = (now - omega * before[key]) * scale
        if key in COUNT_KEYS:
            too_low = arrays[key] < MIN_COUNT_FRACTION * now
            arrays[key] = np.where(too_low, now, arrays[key])
    if "n" in arrays:
        n_states = emission.n_states
        valid, state = _valid_moment_states(current, arrays, emission, n_states)
        if not np.all(valid):
            keep = valid[state]
            for key in MOMENT_KEYS:
                shape = (-1,) + (1,) * (current[key].ndim - 1)
                arrays[key] = np.where(keep.reshape(shape), arrays[key], current[key])
    return Stats(arrays, current.log_likelihood, current.n_sequences, current.n_frames)


def alpha_em(
    e_step: Callable[[P], Stats],
    m_step: Callable[[Stats, P], P],
    params: P,
    monitor: ConvergenceMonitor,
    alpha: float = 0.5,
    safeguard: bool = True,
    ratio_unit: str = "frame",
) -> P:
    """The α-HMM loop; returns the final parameters.

    ``params`` must have an ``emission`` (as :class:`~hmmkit.hmm.HMMParams`).
    ``safeguard=False`` keeps accelerated steps that lower the log-likelihood (for
    study only); ``ratio_unit`` normalises the likelihood ratio of ω (see
    :func:`alpha_weight`). Each iteration reports the log-likelihood of the accepted
    parameters and the passes spent on them (2 when an accelerated step was
    rejected). On stopping, the plain Baum-Welch step from the last statistics is
    returned, as :func:`~hmmkit.training.baum_welch.baum_welch` does.
    """
    alpha = check_alpha(alpha)
    if ratio_unit not in RATIO_UNITS:
        raise ValueError(f"ratio_unit must be one of {RATIO_UNITS}, got {ratio_unit!r}")
    stats = e_step(params)
    previous: Stats | None = None
    previous_params = params
    passes = 1
    while True:
        monitor.report(stats.log_likelihood, passes)
        omega = 0.0
        if previous is not None and alpha > -1.0:
            omega = alpha_weight(alpha, previous, stats, ratio_unit)
        if omega == 0.0:
            step = m_step(stats, params)
            if monitor.done:
                return step
            new_stats, passes = e_step(step), 1
        else:
            if monitor.done:
                return m_step(stats, params)
            combined = extrapolated_statistics(
                stats, previous, omega, params.emission, previous_params.emission
            )
            step = m_step(combined, params)
            new_stats, passes = try_e_step(e_step, step), 1
            rejected = new_stats is None or (
                safeguard and new_stats.log_likelihood < stats.log_likelihood
            )
            if rejected:
                monitor.n_fallbacks += 1
                step = m_step(stats, params)
                new_stats, passes = e_step(step), 2
        previous, stats = stats, new_stats
        previous_params, params = params, step


def try_e_step(e_step, params):
    """The E-step, or None when the parameters give some sequence zero probability."""
    try:
        stats = e_step(params)
    except ValueError:
        return None
    return stats if np.isfinite(stats.log_likelihood) else None
