"""E-value tails: the score distributions HMMER fits to each filter's scores."""

from __future__ import annotations

import math


def exp_logsurv(x: float, tau: float, lam: float) -> float:
    """log P(S >= x) for HMMER's exponential tail anchored at `tau` (esl_exp_logsurv)."""
    return 0.0 if x < tau else -lam * (x - tau)


def gumbel_logsurv(x: float, mu: float, lam: float) -> float:
    """log P(S >= x) under a Gumbel distribution (esl_gumbel_logsurv)."""
    y = lam * (x - mu)
    ey = -math.exp(-y)
    if abs(ey) < 1e-7:  # 1 - exp(ey) ~ -ey
        return -y
    return math.log(-math.expm1(ey))
