"""hmmkit: hidden Markov models over sequences.

Categorical, Gaussian, Gaussian-mixture, Poisson and multinomial HMMs trained by scaled
Baum-Welch over many variable-length sequences, a standalone Gaussian mixture, and (in
:mod:`hmmkit.profile`) profile HMMs in HMMER's fashion.

The public names are imported on first use (``import hmmkit`` does not load numba or scipy).
"""

from typing import TYPE_CHECKING

from .lazy import export_lazily
from .version import __version__

if TYPE_CHECKING:
    from .emission_hmm import HMM
    from .emissions.base import CovarianceFloorWarning, DegenerateStateWarning
    from .estimator import NotFittedError
    from .gaussian_mixture import GaussianMixture
    from .io import ModelFileError, load
    from .models import GMMHMM, CategoricalHMM, GaussianHMM, MultinomialHMM, PoissonHMM
    from .variational import VariationalCategoricalHMM, VariationalGaussianHMM

export_lazily(__name__, {
    "CovarianceFloorWarning": ".emissions.base",
    "DegenerateStateWarning": ".emissions.base",
    "NotFittedError": ".estimator",
    "GaussianMixture": ".gaussian_mixture",
    "HMM": ".emission_hmm",
    "ModelFileError": ".io",
    "load": ".io",
    "GMMHMM": ".models",
    "CategoricalHMM": ".models",
    "GaussianHMM": ".models",
    "MultinomialHMM": ".models",
    "PoissonHMM": ".models",
    "VariationalCategoricalHMM": ".variational",
    "VariationalGaussianHMM": ".variational",
})  # fmt: skip

__all__ = [
    "GMMHMM",
    "CategoricalHMM",
    "CovarianceFloorWarning",
    "DegenerateStateWarning",
    "GaussianHMM",
    "GaussianMixture",
    "HMM",
    "ModelFileError",
    "MultinomialHMM",
    "NotFittedError",
    "PoissonHMM",
    "VariationalCategoricalHMM",
    "VariationalGaussianHMM",
    "__version__",
    "load",
]
