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
Statistics are extrapolated by the kinds their emission declares
(:mod:`hmmkit.emissions.kinds`): a count that would fall below half its current value
keeps its current value, and states whose extrapolated statistics would give invalid
parameters (Gaussian weights or covariances) fall back to ``ω = 0`` (the emission's
``repair_extrapolation``), and a step that lowers the log-likelihood is
replaced by the plain Baum-Welch step (``monitor.n_fallbacks``).
At ``alpha = -1`` every step is the plain one: the loop is Baum-Welch exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from ..emissions.kinds import COUNT, MIN_COUNT_FRACTION, Count
from ..stats import Stats
from .monitor import ConvergenceMonitor

P = TypeVar("P")

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


def extrapolated_statistics(
    current: Stats, previous: Stats, omega: float, emission, previous_emission=None
) -> Stats:
    """``(N_t - ω N_{t-1}) / (1 - ω)``, made valid for the M-step.

    ``previous`` (gathered under ``previous_emission``) is first re-expressed as if
    gathered under ``emission``, the parameters of ``current`` (the emission's
    ``restate_statistics``: Gaussian moments are taken about the means they were
    gathered under).
    Each statistic is extrapolated by the kind the emission declares for it (start and
    transition counts are counts): a count is kept at no less than
    :data:`MIN_COUNT_FRACTION` of its current value, entry by entry; then the
    emission's ``repair_extrapolation`` reverts the states whose extrapolated
    statistics would not give valid parameters (for Gaussians: a count that is not
    positive or a covariance that is not positive definite).
    """
    kinds = {"start": COUNT, "trans": COUNT, **emission.statistic_kinds()}
    unknown = set(current) - set(kinds)
    if unknown:
        raise ValueError(
            f"algorithm='alpha' needs the kind of every statistic: {type(emission).__name__} "
            f"does not declare {sorted(unknown)} in its 'statistics'"
        )
    scale = 1.0 / (1.0 - omega)
    before = previous
    if previous_emission is not None:
        before = emission.restate_statistics(previous, previous_emission)
    arrays = {}
    for key in current:
        now = current[key]
        arrays[key] = (now - omega * before[key]) * scale
        if isinstance(kinds[key], Count):
            too_low = arrays[key] < MIN_COUNT_FRACTION * now
            arrays[key] = np.where(too_low, now, arrays[key])
    arrays = emission.repair_extrapolation(current, arrays)
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

    ``params`` must have an ``emission`` (as :class:`~hmmkit.shard_work.HMMParams`).
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
