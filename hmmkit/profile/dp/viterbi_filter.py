"""HMMER's 16-bit Viterbi filter, reproduced exactly."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ...compiling import njit
from ..plan7 import BM as TBM
from ..plan7 import DD as TDD
from ..plan7 import DM as TDM
from ..plan7 import II as TII
from ..plan7 import IM as TIM
from ..plan7 import (
    LOOP,
    MOVE,
    XC,
    XE,
    XJ,
    XN,
)
from ..plan7 import MD as TMD
from ..plan7 import MI as TMI
from ..plan7 import MM as TMM
from .msv import roundf
from .striped_viterbi import NEG, StripedWords, delete_chain, match_insert_row, striped_words

# ======================================================================================
# HMMER's 16-bit Viterbi filter, reproduced exactly
# ======================================================================================

_WORD_MIN, _WORD_MAX = -32768, 32767


def _wordify(sc) -> np.ndarray:
    """HMMER's wordify(): scores in 1/500-bit units, rounded, saturated to int16."""
    scale = np.float32(500.0 / math.log(2.0))
    with np.errstate(invalid="ignore", over="ignore"):
        v = roundf(scale * np.asarray(sc, dtype=np.float32))
    v = np.where(np.isnan(v), _WORD_MIN, v)
    return np.clip(v, _WORD_MIN, _WORD_MAX).astype(np.int32)


def viterbi_word_profile(tsc: np.ndarray, msc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word (16-bit) emission and transition scores of HMMER's Viterbi filter.

    Returns (rwv (Kp, M+1), twv (9, M+1)) with twv rows BM MM IM DM (into node k from k-1),
    MD MI II DD (out of node k) and, as row 8, nothing (kept for alignment).
    """
    M = tsc.shape[0] - 1
    rwv = _wordify(msc)
    rwv[:, 0] = _WORD_MIN
    twv = np.full((9, M + 1), _WORD_MIN, dtype=np.int32)
    k = np.arange(1, M + 1)
    twv[0, 1:] = np.minimum(_wordify(tsc[k - 1, TBM]), 0)
    twv[1, 1:] = np.minimum(_wordify(tsc[k - 1, TMM]), 0)
    twv[2, 1:] = np.minimum(_wordify(tsc[k - 1, TIM]), 0)
    twv[3, 1:] = np.minimum(_wordify(tsc[k - 1, TDM]), 0)
    inner = np.arange(1, M)
    twv[4, inner] = np.minimum(_wordify(tsc[inner, TMD]), 0)
    twv[5, inner] = np.minimum(_wordify(tsc[inner, TMI]), 0)
    twv[6, inner] = np.minimum(_wordify(tsc[inner, TII]), -1)  # no zero-cost insert loops
    twv[7, inner] = np.minimum(_wordify(tsc[inner, TDD]), 0)
    twv[1:4, 1] = _WORD_MIN  # no M_0/I_0/D_0 in a profile
    return rwv, twv


@njit(cache=True, nogil=True, inline="always")
def _sat(v):
    return max(-32768, min(32767, v))


@njit(cache=True, nogil=True)
def _viterbi_filter(dsq, Q, emissions, trans, dd_bound, e_move, e_loop, n_move, c_move, j_move):
    """p7_ViterbiFilter on `dsq` with the striped words of :func:`.striped_viterbi.
    striped_words`: each row's match and insert cells and M->D entries in vector code, the
    D->D paths only where they could beat B's entry into the next row, as HMMER runs it."""
    L = dsq.shape[0]
    neg = np.int16(NEG)
    mmx = np.full(emissions.shape[1], neg, dtype=np.int16)
    imx = np.full(emissions.shape[1], neg, dtype=np.int16)
    dmx = np.full(emissions.shape[1], neg, dtype=np.int16)
    base = 12000
    xN = base
    xB = _sat(xN + n_move)
    xJ = _WORD_MIN
    xC = _WORD_MIN
    for i in range(L):
        xE = match_insert_row(mmx, imx, dmx, emissions, dsq[i], trans, Q, np.int16(xB))
        if xE >= _WORD_MAX:
            return np.inf
        xC = max(xC, _sat(xE + e_move))
        xJ = max(xJ, _sat(xE + e_loop))
        xB = max(_sat(xJ + j_move), _sat(xN + n_move))
        delete_chain(dmx, trans, Q, np.int16(xB), dd_bound)
    if xC <= _WORD_MIN:
        return -np.inf
    return (float(xC) + float(c_move) - float(base)) / np.float32(500.0 / math.log(2.0)) - 3.0


def viterbi_filter_exact(dsq: np.ndarray, tsc: np.ndarray, msc: np.ndarray, xsc: np.ndarray,
                         word_profile=None) -> float:  # fmt: skip
    """Viterbi score (nats) exactly as HMMER's 16-bit Viterbi filter computes it.

    `xsc` are the profile's special transitions for the target length (multi-hit); the
    N/C/J self-loops are scored 0 and 3 nats subtracted, as the filter does.
    `word_profile` may pass a precomputed :func:`viterbi_word_profile` result.
    """
    words = word_profile if word_profile is not None else viterbi_word_profile(tsc, msc)
    return viterbi_filter_of_words(dsq, words, xsc)


def viterbi_filter_of_words(dsq: np.ndarray, word_profile, xsc: np.ndarray) -> float:
    """:func:`viterbi_filter_exact` from a model's :func:`viterbi_word_profile` alone (what a
    pressed database keeps, as HMMER's ``.h3p``), or its
    :class:`~.striped_viterbi.StripedWords` (made once for many targets), and the special
    transitions `xsc`."""
    words = word_profile if isinstance(word_profile, StripedWords) else striped_words(
        *word_profile)  # fmt: skip
    return float(_viterbi_filter(np.ascontiguousarray(dsq, dtype=np.uint8), words.Q,
                                 words.emissions, words.trans, words.dd_bound,
                                 *special_words(xsc)))  # fmt: skip


def special_words(xsc: np.ndarray) -> tuple[np.int32, ...]:
    """The filter's words of the special transitions `xsc` (E move and loop, N, C and J
    moves), as :func:`viterbi_filter_scores` takes them, one row per target."""
    return _special_words(float(xsc[XE, MOVE]), float(xsc[XE, LOOP]), float(xsc[XN, MOVE]),
                          float(xsc[XC, MOVE]), float(xsc[XJ, MOVE]))  # fmt: skip


@njit(cache=True, nogil=True)
def _viterbi_filter_batch(dsq, offsets, lengths, Q, emissions, trans, dd_bound, specials, out):
    for n in range(offsets.shape[0]):
        w = specials[n]
        out[n] = _viterbi_filter(dsq[offsets[n] : offsets[n] + lengths[n]], Q, emissions,
                                 trans, dd_bound, w[0], w[1], w[2], w[3], w[4])  # fmt: skip


def viterbi_filter_scores(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    words: StripedWords,
    specials: np.ndarray,
) -> np.ndarray:
    """:func:`viterbi_filter_of_words` of packed targets in one compiled call: target n is
    ``dsq[offsets[n]:offsets[n] + lengths[n]]`` with the special words ``specials[n]``
    (int32 rows of :func:`special_words`)."""
    out = np.empty(len(lengths))
    _viterbi_filter_batch(np.ascontiguousarray(dsq, dtype=np.uint8),
                          np.ascontiguousarray(offsets, dtype=np.int64),
                          np.ascontiguousarray(lengths, dtype=np.int64), words.Q,
                          words.emissions, words.trans, words.dd_bound,
                          np.ascontiguousarray(specials, dtype=np.int32), out)  # fmt: skip
    return out


@lru_cache(maxsize=4096)
def _special_words(*scores: float) -> tuple[np.int32, ...]:
    """The words of special-state scores (a few target lengths recur, model after model)."""
    return tuple(_wordify(np.array(scores)))  # int32 words, as the kernel has always taken
