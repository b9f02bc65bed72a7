"""nhmmer's windows on a long target: the byte and word scores its scanning filters share
(:mod:`.ssv`, :mod:`.viterbi`), and the windows built around their seeds from the model's
prefix/suffix lengths and maximum length, merged when they overlap
(p7_hmm_ScoreDataComputeRest, p7_pli_ExtendAndMergeWindows)."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from .. import dp
from ..plan7 import II, MI, ProfileHMM

LOG2 = math.log(2.0)
#: p7_DEFAULT_WINDOW_BETA: tail mass of the insert-length distributions.
WINDOW_BETA = 1e-7
#: HMMER's byte and word filter offsets (base_b, base_w) and scales.
BYTE_BASE, WORD_BASE = 190, 12000
BYTE_SCALE = np.float32(3.0) / np.float32(LOG2)
WORD_SCALE = np.float32(500.0 / LOG2)
#: Windows longer than this are cut into overlapping pieces before Forward.
MAX_WINDOW = 80000


def unbiased_byte(sc: float) -> int:
    """HMMER's unbiased_byteify: a log score as a cost in 1/3 bits, at most 255."""
    return int(min(255.0, -dp.roundf(BYTE_SCALE * np.float32(sc))))


def word(sc: float) -> int:
    """HMMER's wordify: a log score in 1/500 bits, saturated to int16."""
    return int(np.clip(dp.roundf(WORD_SCALE * np.float32(sc)), -32768, 32767))


def gumbel_invsurv(p: float, mu: float, lam: float) -> float:
    """esl_gumbel_invsurv: the score whose Gumbel survival is `p`."""
    log_part = math.log(p) if p < 5e-9 else math.log(-math.log(1.0 - p))
    return mu - log_part / lam


def stripe_order(M: int, lanes: int) -> np.ndarray:
    """Model positions 1..M in the order HMMER's striped vectors hold them (vector q,
    lane z: position q + Q*z + 1), Q = max(2, ceil(M / lanes))."""
    Q = max(2, (M - 1) // lanes + 1)
    order = [q + Q * z + 1 for q in range(Q) for z in range(lanes) if q + Q * z + 1 <= M]
    return np.array(order, dtype=np.int64)


def prefix_suffix_lengths(model: ProfileHMM) -> tuple[np.ndarray, np.ndarray]:
    """The fractions of the model's maximum length expected before and after each node
    (p7_hmm_ScoreDataComputeRest), float32 as HMMER keeps them."""
    M = model.M
    t = np.asarray(model.transitions, dtype=np.float32)
    prefix = np.zeros(M + 1, dtype=np.float32)
    total = np.float32(0.0)
    for i in range(1, M):
        span = math.log(WINDOW_BETA / float(t[i, MI])) / math.log(float(t[i, II]))
        prefix[i] = np.float32(2 + int(span))
        total = np.float32(total + prefix[i])
    prefix[1:M] = prefix[1:M] / total
    suffix = np.zeros(M + 1, dtype=np.float32)
    suffix[M] = prefix[M - 1]
    for i in range(M - 1, 0, -1):
        suffix[i] = np.float32(suffix[i + 1] + prefix[i - 1])
    for i in range(2, M):
        prefix[i] = np.float32(prefix[i] + prefix[i - 1])
    return prefix, suffix


@njit(cache=True, nogil=True)
def _extend_and_merge(seeds, prefix, suffix, max_length, L, pct_overlap):
    out = np.empty((seeds.shape[0], 2), dtype=np.int64)
    n_out = 0
    for s in range(seeds.shape[0]):
        n, k, length = seeds[s, 0], seeds[s, 1], seeds[s, 2]
        before = max_length * (0.1 + np.float64(prefix[k - length + 1]))
        after = max_length * (0.1 + np.float64(suffix[k]))
        start = int(max(1.0, n - before))
        end = int(min(np.float64(L), n + length + after))
        if n_out > 0:
            p0, p1 = out[n_out - 1, 0], out[n_out - 1, 1]
            lo, hi = max(p0, start), min(p0 + p1 - 1, end)
            if (hi - lo + 1) / min(p1, end - start + 1) > pct_overlap:
                first = min(p0, start)
                out[n_out - 1, 0] = first
                out[n_out - 1, 1] = max(p0 + p1 - 1, end) - first + 1
                continue
        out[n_out, 0] = start
        out[n_out, 1] = end - start + 1
        n_out += 1
    return out[:n_out]


def extend_and_merge(seeds, prefix, suffix, max_length: int, L: int,
                     pct_overlap: float) -> np.ndarray:  # fmt: skip
    """Windows (n, 2) of [start, length] (1-based) around seeds given as rows (target
    start, model end, diagonal length), extended by the model's prefix/suffix share of
    `max_length`, kept within 1..L, and merged in order where they overlap by more than
    `pct_overlap` of the shorter (p7_pli_ExtendAndMergeWindows)."""
    seeds = np.ascontiguousarray(np.asarray(seeds, dtype=np.int64).reshape(-1, 3))
    return _extend_and_merge(seeds, prefix, suffix, int(max_length), int(L), float(pct_overlap))


def split_long(windows: list[list[int]], max_length: int) -> list[list[int]]:
    """Windows longer than :data:`MAX_WINDOW` cut into pieces of at most that length, each
    overlapping the one before by min(40000, max_length), appended after the others as
    HMMER appends them."""
    overlap = min(40000, max_length)
    out = [list(w) for w in windows]
    for w in list(out):
        if w[1] > MAX_WINDOW:
            start, length = w
            w[1] = MAX_WINDOW
            while True:
                start += MAX_WINDOW - overlap
                length -= MAX_WINDOW - overlap
                out.append([start, min(MAX_WINDOW, length)])
                if length <= MAX_WINDOW:
                    break
    return out
