"""Effective sequence number: how many independent observations the counts stand for.

hmmbuild scales the weighted counts to a total of Neff sequences before adding the
priors. By default (``--eent``) Neff is chosen so that the model's mean match relative
entropy is a target (:func:`entropy_target`, :func:`entropy_weighting`); ``--eclust``
counts single-linkage clusters, ``--enone`` keeps nseq and ``--eset`` takes a number
(:func:`effective_number` dispatches; :func:`scale_counts` applies the result).
"""

from __future__ import annotations

import math

import numpy as np

from ..alphabet import Alphabet
from ..background import mean_match_relative_entropy
from ..msa import DigitalMSA
from .priors import ProfilePrior, normalize_counts, relative_entropy_target
from .weights import single_linkage_clusters

_LOG2R = 1.44269504088896340736  # 1 / ln 2

#: The named rules of :func:`effective_number` (a positive number is the fourth way).
EFFN_RULES = ("entropy", "clust", "none")

Counts = tuple[np.ndarray, np.ndarray, np.ndarray]  # transitions, match, insert


def entropy_target(
    M: int, alphabet: Alphabet, *, esigma: float = 45.0, target: float | None = None
) -> float:
    """Relative entropy target per match state, in bits (hmmbuild's --ere/--esigma rule).

    max(target, (esigma - log2(2 / (M (M+1)))) / M): short models need more
    information per position to reach a total of about ``esigma`` bits.
    """
    base = relative_entropy_target(alphabet) if target is None else float(target)
    sigma_rule = (esigma - _LOG2R * math.log(2.0 / (M * (M + 1.0)))) / M
    return max(base, sigma_rule)


def entropy_weighting(
    match_counts: np.ndarray,
    nseq: int,
    prior: ProfilePrior | None,
    background: np.ndarray,
    etarget: float,
) -> float:
    """Effective sequence number giving mean match relative entropy ``etarget``.

    HMMER's p7_EntropyWeight: if the model built with all ``nseq`` sequences already
    carries no more than ``etarget`` bits per match state, Neff = nseq; otherwise
    Neff in (0, nseq) is found by bisection to an absolute tolerance of 0.01. Without
    a prior the counts are only normalised (as HMMER does with --pnone).
    """
    counts = np.asarray(match_counts, dtype=np.float32)
    bg = np.asarray(background, dtype=np.float32).astype(np.float64)

    def excess(neff: float) -> float:
        scaled = counts * np.float32(neff / nseq)
        rows = scaled[1:].astype(np.float64)
        mat = (
            normalize_counts(rows) if prior is None else prior.match_emissions.mean_posterior(rows)
        )
        mat = mat.astype(np.float32).astype(np.float64)
        full = np.vstack([np.zeros((1, mat.shape[1])), mat])
        return mean_match_relative_entropy(full, bg) - etarget

    if excess(float(nseq)) <= 0.0:
        return float(nseq)
    xl, xr = 0.0, float(nseq)
    fl, fr = excess(xl), excess(xr)
    if fl * fr >= 0.0:  # no bracket: HMMER gives up here; keep all sequences
        return float(nseq)
    x = xr
    for _ in range(100):
        x = (xl + xr) / 2.0
        fx = excess(x)
        xmag = 0.0 if (xl < 0.0 < xr) else x
        if fx == 0.0 or (xr - xl) < 0.01 + 1e-12 * xmag:
            break
        if (fl > 0.0) == (fx > 0.0):
            xl, fl = x, fx
        else:
            xr, fr = x, fx
    return x


def check_effn(effn: str | float) -> None:
    """ValueError unless ``effn`` is one of :data:`EFFN_RULES` or a positive number."""
    if isinstance(effn, str):
        if effn not in EFFN_RULES:
            raise ValueError(f"effn must be 'entropy', 'clust', 'none' or a number, got {effn!r}")
    elif isinstance(effn, int | float) and not isinstance(effn, bool):
        if effn <= 0:
            raise ValueError(f"effn must be positive, got {effn}")
    else:
        raise ValueError(f"effn must be 'entropy', 'clust', 'none' or a number, got {effn!r}")


def effective_number(
    effn: str | float,
    msa: DigitalMSA,
    match_counts: np.ndarray,
    prior: ProfilePrior | None,
    background: np.ndarray,
    *,
    ere: float | None = None,
    esigma: float = 45.0,
    eid: float = 0.62,
) -> float:
    """The step: Neff of ``msa`` (as read, before fragment marking) by rule ``effn``,
    rounded to single precision as HMMER keeps it.

    'entropy' bisects for the relative entropy target of ``ere`` and ``esigma`` over the
    match counts (M+1, K); 'clust' counts clusters at identity ``eid``; 'none' is nseq;
    a number is taken as it is.
    """
    check_effn(effn)
    nseq = msa.nseq
    if effn == "entropy":
        M = match_counts.shape[0] - 1
        etarget = entropy_target(M, msa.alphabet, esigma=esigma, target=ere)
        neff = entropy_weighting(match_counts, nseq, prior, background, etarget)
    elif effn == "none":
        neff = float(nseq)
    elif effn == "clust":
        neff = float(single_linkage_clusters(msa, eid).max() + 1)
    else:
        neff = float(effn)
    return float(np.float32(neff))


def scale_counts(counts: Counts, neff: float, nseq: int) -> Counts:
    """Counts of ``nseq`` weighted sequences scaled (in single precision) to total ``neff``."""
    scale = np.float32(neff / nseq)
    return tuple(c * scale for c in counts)  # type: ignore[return-value]


__all__ = [
    "EFFN_RULES",
    "check_effn",
    "effective_number",
    "entropy_target",
    "entropy_weighting",
    "scale_counts",
]
