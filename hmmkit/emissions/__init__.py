"""Emission families: each scores frames, accumulates statistics and re-estimates itself."""

from .base import DegenerateStateWarning, Emission
from .categorical import CategoricalEmission
from .gaussian import GaussianBank, GaussianEmission
from .mixture import GMMEmission, MixtureBank, mix_up

__all__ = [
    "CategoricalEmission",
    "DegenerateStateWarning",
    "Emission",
    "GMMEmission",
    "GaussianBank",
    "GaussianEmission",
    "MixtureBank",
    "mix_up",
]
