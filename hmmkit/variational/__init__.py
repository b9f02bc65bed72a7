"""Variational Bayes HMMs: posteriors over the parameters, trained by maximising the
evidence lower bound (see docs/variational.md)."""

from .categorical import VariationalCategoricalHMM
from .gaussian import VariationalGaussianHMM

__all__ = ["VariationalCategoricalHMM", "VariationalGaussianHMM"]
