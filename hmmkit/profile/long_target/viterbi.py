"""nhmmer's 16-bit Viterbi filter over windows of a long target
(p7_ViterbiFilter_longtarget), in HMMER's word scores exactly: striped rows of match,
insert and delete cells updated in place with vector saturating arithmetic, the delete
chain evaluated lazily as HMMER does (only when it could matter, then pass by pass
until no cell improves); each row where E reaches the threshold names its best model
positions, and the DP restarts after it."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from ..dp.striped_viterbi import LANES, NEG, delete_chain, match_insert_row, striped_words
from .windows import LOG2, WORD_BASE, WORD_SCALE, gumbel_invsurv, stripe_order, word


@njit(cache=True, nogil=True)
def _viterbi_rows(dsq, lo, L, Q, emissions, trans, node_at, dd_bound, e_move, e_loop, n_move,
                  j_move, sc_thresh, order, w, out, n, mmx, imx, dmx):  # fmt: skip
    """p7_ViterbiFilter_longtarget on ``dsq[lo:lo+L]``: rows (window `w`, position, model
    position) where the 16-bit Viterbi score of reaching E attains `sc_thresh` are added
    to `out` from row `n`; the DP restarts after each. Returns (out, n)."""
    neg = np.int16(NEG)
    mmx[:] = neg
    imx[:] = neg
    dmx[:] = neg
    xN = WORD_BASE
    xB = max(-32768, min(32767, xN + n_move))
    xJ = NEG
    xC = NEG
    for i in range(L):
        xE = match_insert_row(mmx, imx, dmx, emissions, dsq[lo + i], trans, Q, np.int16(xB))
        if xE >= sc_thresh:
            for k in order:
                if mmx[node_at[k]] == xE:
                    if n >= out.shape[0]:
                        bigger = np.zeros((out.shape[0] * 2, 3), dtype=np.int64)
                        bigger[:n] = out[:n]
                        out = bigger
                    out[n, 0] = w
                    out[n, 1] = i + 1
                    out[n, 2] = k
                    n += 1
            mmx[:] = neg
            imx[:] = neg
            dmx[:] = neg
        else:
            xC = max(xC, max(-32768, min(32767, xE + e_move)))
            xJ = max(xJ, max(-32768, min(32767, xE + e_loop)))
            xB = max(max(-32768, min(32767, xJ + j_move)), max(-32768, min(32767, xN + n_move)))
            delete_chain(dmx, trans, Q, np.int16(xB), dd_bound)
    return out, n


@njit(cache=True, nogil=True)
def _viterbi_windows(dsq, starts, lengths, Q, emissions, trans, node_at, dd_bound, e_move,
                     e_loop, n_moves, j_moves, thresholds, order):  # fmt: skip
    out = np.zeros((64, 3), dtype=np.int64)
    n = 0
    width = emissions.shape[1]
    mmx = np.empty(width, dtype=np.int16)
    imx = np.empty(width, dtype=np.int16)
    dmx = np.empty(width, dtype=np.int16)
    for w in range(starts.shape[0]):
        out, n = _viterbi_rows(dsq, starts[w], lengths[w], Q, emissions, trans, node_at,
                               dd_bound, e_move, e_loop, n_moves[w], j_moves[w], thresholds[w],
                               order, w, out, n, mmx, imx, dmx)  # fmt: skip
    return out[:n]


class ViterbiSeeder:
    """The Viterbi filter's seeds in many windows of a block at once, for one model."""

    def __init__(self, word_profile, vit_stats: tuple[float, float], F2: float):
        rwv, twv = word_profile
        M = rwv.shape[1] - 1
        self.Q, self.emissions, self.trans, self.dd_bound = striped_words(rwv, twv)
        node = np.arange(1, M + 1)
        self.node_at = np.zeros(M + 1, dtype=np.int64)  # node k's cell in a striped row
        self.node_at[1:] = ((node - 1) % self.Q) * LANES + (node - 1) // self.Q
        self.order = stripe_order(M, 8)  # HMMER's 8-lane order decides between equal cells
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
        lengths_used, which = np.unique(np.asarray(model_lengths), return_inverse=True)
        moves = np.array([self.move(int(m)) for m in lengths_used], dtype=np.int64)[which]
        scaled = (np.asarray(filterscs) + LOG2 * self.inv + 3.0) * float(WORD_SCALE)
        thresholds = np.ceil(scaled - self.e_move - moves + WORD_BASE).astype(np.int64)
        return _viterbi_windows(np.ascontiguousarray(dsq, dtype=np.uint8),
                                np.asarray(starts, dtype=np.int64),
                                np.asarray(lengths, dtype=np.int64), self.Q, self.emissions,
                                self.trans, self.node_at, self.dd_bound, self.e_move, self.e_loop,
                                moves, moves, thresholds, self.order)  # fmt: skip
