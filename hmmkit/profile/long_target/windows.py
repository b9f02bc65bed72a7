"""nhmmer's windows on a long target: the scanning Viterbi filter that reports where a
score threshold is reached (p7_ViterbiFilter_longtarget; the SSV filter is in :mod:`.ssv`),
the byte and word scores both filters share, and the windows built around those seeds from the model's prefix/suffix lengths and
maximum length, merged when they overlap (p7_hmm_ScoreDataComputeRest,
p7_pli_ExtendAndMergeWindows). Scores are HMMER's 8-bit and 16-bit integers, exactly.
"""

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


@njit(cache=True, nogil=True, inline="always")
def _add(a, b):
    """Signed 16-bit saturated addition."""
    return np.int16(max(-32768, min(32767, np.int32(a) + np.int32(b))))


@njit(cache=True, nogil=True, inline="always")
def _vit_row(mp, ip, dp_, mc, ic, rw, xB, t_bm, t_mm, t_im, t_dm, t_mi, t_ii, M):
    """Match and insert cells of one 16-bit Viterbi row; returns the best match score."""
    xE = np.int16(-32768)
    for k in range(1, M + 1):
        a = max(_add(xB, t_bm[k]), _add(mp[k - 1], t_mm[k]))
        b = max(_add(ip[k - 1], t_im[k]), _add(dp_[k - 1], t_dm[k]))
        sv = _add(max(a, b), rw[k])
        mc[k] = sv
        xE = max(xE, sv)
    for k in range(1, M + 1):
        ic[k] = max(_add(mp[k], t_mi[k]), _add(ip[k], t_ii[k]))
    return xE


@njit(cache=True, nogil=True, inline="always")
def _vit_deletes(mc, dc, t_md, t_dd, M, xB, dd_bound):
    """Delete cells of one row from its match cells: M->D, then the D->D chain only when
    it could raise a match cell of the next row above its B entry (`dd_bound` bounds
    D->D...->D->M against B->M), as HMMER's lazy evaluation; match cells are exact."""
    dc[1] = np.int16(-32768)
    dmax = np.int32(-32768)
    for k in range(2, M + 1):
        v = _add(mc[k - 1], t_md[k - 1])
        dc[k] = v
        dmax = max(dmax, np.int32(v))
    if dmax + dd_bound > xB:
        for k in range(2, M + 1):
            dc[k] = max(dc[k], _add(dc[k - 1], t_dd[k - 1]))


@njit(cache=True, nogil=True)
def _viterbi_rows(dsq, lo, L, M, rwv, twv, dd_bound, e_move, e_loop, n_move, j_move, sc_thresh,
                  order, w, out, n):  # fmt: skip
    """p7_ViterbiFilter_longtarget on ``dsq[lo:lo+L]``: rows (window `w`, position, model
    position) where the 16-bit Viterbi score of reaching E attains `sc_thresh` are added
    to `out` from row `n`; the DP restarts after each. Returns (out, n). (`M` comes as
    an argument: derived from the array's shape here, the rows ran 1.5x slower.)"""
    NEG = np.int16(-32768)
    mp = np.full(M + 1, NEG, dtype=np.int16)
    ip = np.full(M + 1, NEG, dtype=np.int16)
    dp_ = np.full(M + 1, NEG, dtype=np.int16)
    mc = np.full(M + 1, NEG, dtype=np.int16)
    ic = np.full(M + 1, NEG, dtype=np.int16)
    dc = np.full(M + 1, NEG, dtype=np.int16)
    t_bm, t_mm, t_im, t_dm = twv[0], twv[1], twv[2], twv[3]
    t_md, t_mi, t_ii, t_dd = twv[4], twv[5], twv[6], twv[7]
    xN = np.int16(WORD_BASE)
    xB = _add(xN, n_move)
    xJ = NEG
    xC = NEG
    for i in range(L):
        xE = _vit_row(mp, ip, dp_, mc, ic, rwv[dsq[lo + i]], xB, t_bm, t_mm, t_im, t_dm, t_mi,
                      t_ii, M)  # fmt: skip
        if xE >= sc_thresh:
            for k in order:
                if mc[k] == xE:
                    if n >= out.shape[0]:
                        bigger = np.zeros((out.shape[0] * 2, 3), dtype=np.int64)
                        bigger[:n] = out[:n]
                        out = bigger
                    out[n, 0] = w
                    out[n, 1] = i + 1
                    out[n, 2] = k
                    n += 1
            mc[:] = NEG
            ic[:] = NEG
            dc[:] = NEG
        else:
            xC = max(xC, _add(xE, e_move))
            xJ = max(xJ, _add(xE, e_loop))
            xB = max(_add(xJ, j_move), _add(xN, n_move))
            _vit_deletes(mc, dc, t_md, t_dd, M, xB, dd_bound)
        mp, mc = mc, mp
        ip, ic = ic, ip
        dp_, dc = dc, dp_
    return out, n


@njit(cache=True, nogil=True)
def _viterbi_windows(dsq, starts, lengths, rwv, twv, dd_bound, e_move, e_loop, n_moves, j_moves,
                     thresholds, order):  # fmt: skip
    out = np.zeros((64, 3), dtype=np.int64)
    n = 0
    for w in range(starts.shape[0]):
        out, n = _viterbi_rows(dsq, starts[w], lengths[w], rwv.shape[1] - 1, rwv, twv, dd_bound,
                               e_move, e_loop, n_moves[w], j_moves[w], thresholds[w], order, w,
                               out, n)  # fmt: skip
    return out[:n]


class ViterbiSeeder:
    """The Viterbi filter's seeds in many windows of a block at once, for one model."""

    def __init__(self, word_profile, vit_stats: tuple[float, float], F2: float):
        rwv, twv = word_profile
        self.rwv, self.twv = rwv.astype(np.int16), twv.astype(np.int16)
        M = rwv.shape[1] - 1
        self.order = stripe_order(M, 8)
        # bound of D(k-1)->D(k)...->M(k') against B->M(k'): the largest D->D step plus the
        # largest D->M less B->M (unsaturated, so never too small)
        dd = int(twv[7, 1:M].max()) if M > 1 else -32768
        self.dd_bound = dd + int((twv[3, 2:] - twv[0, 2:]).max()) if M > 1 else -65536
        self.e_move = self.e_loop = word(-LOG2)  # multi-hit E->C, E->J
        self.inv = float(np.float32(gumbel_invsurv(F2, *vit_stats)))
        self._moves: dict[int, int] = {}

    def move(self, length: int) -> int:
        """Word score of N->B (= C->T = J->B) for the multi-hit length model `length`."""
        if length not in self._moves:
            nj = np.float32(1.0)
            pmove = (np.float32(2.0) + nj) / (np.float32(length) + np.float32(2.0) + nj)
            self._moves[length] = word(math.log(pmove))
        return self._moves[length]

    def seeds(self, dsq: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
              model_lengths: np.ndarray, filterscs: np.ndarray) -> np.ndarray:  # fmt: skip
        """(n, 3) rows (window, 1-based position in the window, model position) of the
        windows ``dsq[starts[w]:starts[w]+lengths[w]]``, each scored with the length
        model `model_lengths[w]` and its filter null score `filterscs[w]`."""
        moves = np.array([self.move(int(m)) for m in model_lengths], dtype=np.int64)
        scaled = (np.asarray(filterscs) + LOG2 * self.inv + 3.0) * float(WORD_SCALE)
        thresholds = np.ceil(scaled - self.e_move - moves + WORD_BASE).astype(np.int64)
        return _viterbi_windows(np.ascontiguousarray(dsq, dtype=np.uint8),
                                np.asarray(starts, dtype=np.int64),
                                np.asarray(lengths, dtype=np.int64), self.rwv, self.twv,
                                self.dd_bound, self.e_move, self.e_loop, moves, moves, thresholds,
                                self.order)  # fmt: skip


def extend_and_merge(seeds, prefix, suffix, max_length: int, L: int,
                     pct_overlap: float) -> list[list[int]]:  # fmt: skip
    """Windows [start, length] (1-based) around seeds given as (target start, model end,
    diagonal length), extended by the model's prefix/suffix share of `max_length`, kept
    within 1..L, and merged in order where they overlap by more than `pct_overlap` of the
    shorter (p7_pli_ExtendAndMergeWindows)."""
    windows = []
    for n, k, length in seeds:
        before = max_length * (0.1 + float(prefix[k - length + 1]))
        after = max_length * (0.1 + float(suffix[k]))
        start = int(max(1.0, n - before))
        end = int(min(float(L), n + length + after))
        windows.append([start, end - start + 1])
    merged: list[list[int]] = []
    for w in windows:
        if merged:
            prev = merged[-1]
            lo, hi = max(prev[0], w[0]), min(prev[0] + prev[1] - 1, w[0] + w[1] - 1)
            if (hi - lo + 1) / min(prev[1], w[1]) > pct_overlap:
                start = min(prev[0], w[0])
                end = max(prev[0] + prev[1] - 1, w[0] + w[1] - 1)
                prev[0], prev[1] = start, end - start + 1
                continue
        merged.append(w)
    return merged


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
