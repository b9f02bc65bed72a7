"""HMMER's biased-composition filter: the null model of p7_bg_SetFilter / p7_bg_FilterScore."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from ..config import SearchProfile
from ..digital import code_table


@njit(cache=True, nogil=True)
def _filter_forward(dsq, odds1, p1, t10, t11):
    L = dsq.shape[0]
    a0 = 0.999
    a1 = 0.001 * odds1[dsq[0]]
    logsc = 0.0
    mx = max(a0, a1)
    a0 /= mx
    a1 /= mx
    logsc += math.log(mx)
    for i in range(1, L):
        x = dsq[i]
        n0 = a0 * p1 + a1 * t10
        n1 = (a0 * (1.0 - p1) + a1 * t11) * odds1[x]
        mx = max(n0, n1)
        a0 = n0 / mx
        a1 = n1 / mx
        logsc += math.log(mx)
    return logsc + math.log(a0 + a1)


@njit(cache=True, nogil=True)
def filter_null_batch(dsq, offsets, lengths, odds1, p1s, t10, t11, out):
    """:func:`filter_null_scores` into `out` (left as it is for an empty sequence), from
    the :func:`loop_probabilities` `p1s` and the :func:`biased_transitions` t10/t11."""
    for s in range(len(offsets)):
        L, p1 = lengths[s], p1s[s]
        if L == 0:
            continue
        sc = _filter_forward(dsq[offsets[s] : offsets[s] + L], odds1, p1, t10, t11)
        out[s] = sc + L * math.log(p1) + math.log(np.float32(1.0 - p1))


def filter_null_scores(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    composition_odds: np.ndarray,
    M: int,
) -> np.ndarray:
    """HMMER's bias-filter null scores (nats) of packed sequences: a two-state background
    HMM whose second state emits the model's own composition, with the null1 length model
    (empty sequences: -inf; they are never scored)."""  # fmt: skip
    lengths = np.asarray(lengths, dtype=np.int64)
    out = np.full(len(lengths), -np.inf)
    filter_null_batch(dsq, np.asarray(offsets, dtype=np.int64), lengths, composition_odds,
                      loop_probabilities(lengths), *biased_transitions(M), out)  # fmt: skip
    return out


def loop_probabilities(lengths: np.ndarray) -> np.ndarray:
    """The null1 length model's loop probability L/(L+1) (in single precision, as HMMER
    keeps it) of every length."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return (lengths.astype(np.float32) / (lengths + 1).astype(np.float32)).astype(np.float64)


def biased_transitions(M: int) -> tuple[float, float]:
    """The biased state's leave and stay probabilities (t10, t11) of a model of M nodes
    (its expected stay: M/8 residues)."""
    L1 = np.float32(M) / np.float32(8.0)
    return float(np.float32(1.0) / (L1 + np.float32(1.0))), float(L1 / (L1 + np.float32(1.0)))


def composition_odds(profile: SearchProfile) -> np.ndarray:
    """Odds of the model composition against the background for every digital code.

    A model without a COMPO line has a zero composition in HMMER, which silences the
    biased state of the filter; that is reproduced here.
    """
    table = code_table(profile.alphabet)
    f = profile.background.frequencies
    compo = profile.composition if profile.composition is not None else np.zeros(len(f))
    odds = np.ones(table.Kp)  # '*' (and the gap and '~', which no sequence holds): 1
    residues = table.ndegen > 0
    degen = table.degeneracy[residues]
    odds[residues] = (degen @ compo) / (degen @ f)
    return odds
