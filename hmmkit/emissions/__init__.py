"""Emission families: each scores frames, accumulates statistics and re-estimates itself."""

from typing import TYPE_CHECKING

from ..lazy import export_lazily

if TYPE_CHECKING:
    from .base import DegenerateStateWarning, Emission
    from .categorical import CategoricalEmission
    from .gaussian import GaussianBank, GaussianEmission
    from .kinds import (
        COUNT,
        MOMENT,
        POSITIVE,
        PROBABILITY,
        RATE,
        REAL,
        SIMPLEX,
        Covariance,
        revert_states,
    )
    from .mixture import GMMEmission, MixtureBank, mix_up

export_lazily(__name__, {
    "DegenerateStateWarning": ".base",
    "Emission": ".base",
    "CategoricalEmission": ".categorical",
    "GaussianBank": ".gaussian",
    "GaussianEmission": ".gaussian",
    "GMMEmission": ".mixture",
    "MixtureBank": ".mixture",
    "mix_up": ".mixture",
    **dict.fromkeys(
        ("COUNT", "MOMENT", "POSITIVE", "PROBABILITY", "RATE", "REAL", "SIMPLEX", "Covariance",
         "revert_states"),
        ".kinds",
    ),
})  # fmt: skip

__all__ = [
    "COUNT",
    "MOMENT",
    "POSITIVE",
    "PROBABILITY",
    "RATE",
    "REAL",
    "SIMPLEX",
    "Covariance",
    "revert_states",
    "CategoricalEmission",
    "DegenerateStateWarning",
    "Emission",
    "GMMEmission",
    "GaussianBank",
    "GaussianEmission",
    "MixtureBank",
    "mix_up",
]
