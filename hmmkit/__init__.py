"""hmmkit: hidden Markov models over sequences.

Categorical, Gaussian, Gaussian-mixture, Poisson and multinomial HMMs trained by scaled
Baum-Welch over many variable-length sequences, a standalone Gaussian mixture, and (in
:mod:`hmmkit.profile`) profile HMMs in HMMER's fashion.
"""

__version__ = "0.1.0"

from .emissions.base import CovarianceFloorWarning, DegenerateStateWarning  # noqa: E402
from .estimator import NotFittedError  # noqa: E402
from .gaussian_mixture import GaussianMixture  # noqa: E402
from .io import ModelFileError, load  # noqa: E402
from .models import GMMHMM, CategoricalHMM, GaussianHMM, MultinomialHMM, PoissonHMM  # noqa: E402
from .variational import VariationalCategoricalHMM, VariationalGaussianHMM  # noqa: E402

__all__ = [
    "GMMHMM",
    "CategoricalHMM",
    "CovarianceFloorWarning",
    "DegenerateStateWarning",
    "GaussianHMM",
    "GaussianMixture",
    "ModelFileError",
    "MultinomialHMM",
    "NotFittedError",
    "PoissonHMM",
    "VariationalCategoricalHMM",
    "VariationalGaussianHMM",
    "__version__",
    "load",
]
