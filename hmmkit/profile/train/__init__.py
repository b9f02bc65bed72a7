"""Baum-Welch training of profile HMMs on unaligned sequences, with hmmbuild's priors.

:func:`train` runs the EM loop (:mod:`.baum_welch`); the E-step's expected counts over
every path of every sequence are compiled in :mod:`.expected_counts`, the M-step under
the Dirichlet (mixture) priors is :mod:`.m_step`.
"""

from typing import TYPE_CHECKING

from ...lazy import export_lazily

if TYPE_CHECKING:
    from ..build.priors import resolve_prior
    from .baum_welch import (
        TrainingMonitor,
        count_expected,
        degeneracy_table,
        digitize_training_set,
        sequence_log_likelihoods,
        train,
        uniform_model,
    )
    from .expected_counts import MODES, expected_counts
    from .m_step import ESTIMATORS, log_prior, posterior_mode, reestimate

export_lazily(__name__, {
    "TrainingMonitor": ".baum_welch",
    "count_expected": ".baum_welch",
    "degeneracy_table": ".baum_welch",
    "digitize_training_set": ".baum_welch",
    "sequence_log_likelihoods": ".baum_welch",
    "train": ".baum_welch",
    "uniform_model": ".baum_welch",
    "MODES": ".expected_counts",
    "expected_counts": ".expected_counts",
    "ESTIMATORS": ".m_step",
    "log_prior": ".m_step",
    "posterior_mode": ".m_step",
    "reestimate": ".m_step",
    "resolve_prior": "..build.priors",
})  # fmt: skip

__all__ = [
    "ESTIMATORS",
    "MODES",
    "TrainingMonitor",
    "count_expected",
    "degeneracy_table",
    "digitize_training_set",
    "expected_counts",
    "log_prior",
    "posterior_mode",
    "reestimate",
    "resolve_prior",
    "sequence_log_likelihoods",
    "train",
    "uniform_model",
]
