"""The forward-backward implementations: Rabiner scaling, or log space throughout.

``implementation="log"`` runs :func:`hmmkit.kernels.log_forward_backward` and
:func:`hmmkit.kernels.log_forward_loglik`: the same contract as the scaled kernels
(per-frame emission log-likelihoods in; state posteriors, expected start and transition
counts and per-sequence log-likelihoods out; nothing known of the emissions), with every
sequence run by log-sum-exp recursions rather than with scale factors. The results
agree with the scaled kernels to rounding. Viterbi is a max-product recursion in log
space already, so both implementations share :func:`hmmkit.kernels.run_viterbi`.
"""

from __future__ import annotations

import numpy as np

from . import kernels

#: The forward-backward implementations: Rabiner scaling, or log space throughout.
IMPLEMENTATIONS = ("scaling", "log")


def run_log_forward_backward(
    log_b: np.ndarray, offsets: np.ndarray, startprob, transmat, gamma: np.ndarray | None = None
):
    """Allocate outputs (``gamma`` may be given) and run the log-space kernel.

    Returns ``(gamma, start_acc, trans_acc, seq_loglik)``.
    """
    return kernels.run_forward_backward(
        log_b, offsets, startprob, transmat, gamma, kernel=kernels.log_forward_backward
    )


def run_log_forward(log_b: np.ndarray, offsets: np.ndarray, startprob, transmat) -> np.ndarray:
    """Per-sequence log-likelihoods by the log-space forward recursion."""
    return kernels.run_forward(
        log_b, offsets, startprob, transmat, kernel=kernels.log_forward_loglik
    )


def forward_backward_for(implementation: str):
    """The forward-backward runner of an implementation (``"scaling"`` or ``"log"``)."""
    return run_log_forward_backward if implementation == "log" else kernels.run_forward_backward


def forward_for(implementation: str):
    """The forward-only runner of an implementation (``"scaling"`` or ``"log"``)."""
    return run_log_forward if implementation == "log" else kernels.run_forward
