"""One envelope of domain definition aligned in one compiled call: Forward, Backward fused
with posterior decoding, optimal accuracy alignment and its traceback (the DP part of
p7_domaindef's rescore_isolated_domain), on matrices kept from one envelope to the next.

The cells are computed by the same row kernels and in the same order as
:func:`~.forward_backward.forward_matrix`, :func:`~.forward_backward.backward_matrix`,
:func:`~.decoding.posterior_matrix` and :func:`~.optimal_accuracy.optimal_accuracy`, so the
results are theirs bit for bit; what changes is the memory: the Forward match and insert
matrices become the posteriors in place, Backward keeps two rows, and nothing is allocated
per envelope but the trace.
"""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from .forward_backward import backward_last_row, backward_row, forward_final_score, forward_row
from .optimal_accuracy import oa_borders, oa_trace, optimal_accuracy_into
from .paths import trace_domains

#: Node rows (M+1 each) an envelope's alignment uses beside its matrices.
_NODE_ROWS = 9


def workspace_size(L: int, M: int) -> int:
    """float64 cells :func:`align_envelope` needs for an envelope of `L` residues and a
    model of `M` nodes."""
    return 5 * (L + 1) * (M + 1) + 21 * (L + 1) + _NODE_ROWS * (M + 1)


class EnvelopeWorkspace:
    """The matrices of :func:`align_envelope`, grown to the longest envelope seen (one per
    thread: a call overwrites them)."""

    def __init__(self) -> None:
        self.cells = np.zeros(0)

    def reserve(self, L: int, M: int) -> np.ndarray:
        """The workspace, large enough for `L` residues and `M` nodes."""
        need = workspace_size(L, M)
        if self.cells.shape[0] < need:
            self.cells = np.zeros(max(need, 2 * self.cells.shape[0]))
        return self.cells


@njit(cache=True, nogil=True, inline="always")
def _matrix(work, start, rows, cols):
    """A (rows, cols) C-ordered view of `work` from `start`, and the cell after it."""
    end = start + rows * cols
    return work[start:end].reshape(rows, cols), end


@njit(cache=True, nogil=True)
def align_envelope(sub, first, nodes, me, ie, xp, local, tmask, xmask, work):
    """Align envelope `sub` (residues ``first..`` of its sequence) to the model.

    `nodes` = :func:`~.forward_backward.node_vectors` of the profile's transitions;
    `tmask`/`xmask` as :func:`~.optimal_accuracy.optimal_accuracy`; `work` at least
    :func:`workspace_size` cells. Returns (score, accuracy, (st, kk, ii, pp), segment,
    (pm, pi, px)): the Forward score in nats (-inf: nothing more is computed), the optimal
    accuracy, its trace with residue numbers of the whole sequence (int64), its domains
    as :func:`~.paths.trace_domains` gives them (no row when the trace has none), and
    the posteriors -- views of `work`, valid until its next use.
    """
    into, out, esc = nodes
    L = sub.shape[0]
    M = into.shape[1] - 1
    pm, at = _matrix(work, 0, L + 1, M + 1)  # Forward match cells, then their posteriors
    pi, at = _matrix(work, at, L + 1, M + 1)
    om, at = _matrix(work, at, L + 1, M + 1)
    oi, at = _matrix(work, at, L + 1, M + 1)
    od, at = _matrix(work, at, L + 1, M + 1)
    fx, at = _matrix(work, at, L + 1, 5)
    bx, at = _matrix(work, at, L + 1, 5)
    px, at = _matrix(work, at, L + 1, 5)
    ox, at = _matrix(work, at, L + 1, 5)
    logscale, at = _matrix(work, at, 1, L + 1)
    ls = logscale[0]
    rows, at = _matrix(work, at, _NODE_ROWS, M + 1)
    rows[:] = 0.0
    for k in range(M + 1):
        pm[0, k] = 0.0
        pi[0, k] = 0.0
    for c in range(5):
        fx[0, c] = 0.0
        bx[L, c] = 0.0
    ls[0] = 0.0
    # Forward: full match and insert matrices, delete cells on two rows
    fx[0, p7.SN] = 1.0
    fx[0, p7.SB] = xp[p7.XN, p7.MOVE]
    for i in range(1, L + 1):
        dprev, dcur = rows[(i - 1) % 2], rows[i % 2]
        ls[i] = forward_row(sub[i - 1], me, ie, xp, into, out, esc, pm[i - 1], pi[i - 1],
                             dprev, pm[i], pi[i], dcur, fx[i - 1], fx[i])  # fmt: skip
    score = forward_final_score(fx[L], xp, ls)
    empty = np.zeros(0, dtype=np.int32)
    no_segment = np.zeros((0, 6), dtype=np.int64)
    if not math.isfinite(score):
        nothing = (empty, empty, np.zeros(0, dtype=np.int64), np.zeros(0))
        return score, 0.0, nothing, no_segment, (pm, pi, px)
    # Backward on two rows, each row turned into posteriors as soon as it is known
    inv = 1.0 / (fx[L, p7.SC] * xp[p7.XC, p7.MOVE])
    mrow, irow = rows[2:4], rows[4:6]
    drow, nxt, insn = rows[6], rows[7], rows[8]
    backward_last_row(xp, out, esc, mrow[L % 2], irow[L % 2], drow, bx[L])
    for c in range(5):
        px[L, c] = 0.0
    _posterior_row(L, pm, pi, px, fx, bx, mrow[L % 2], irow[L % 2], xp, ls, inv)
    for i in range(L - 1, 0, -1):
        cur, nx = i % 2, (i + 1) % 2
        backward_row(sub[i], me, ie, xp, into, out, esc, mrow[nx], irow[nx], mrow[cur],
                      irow[cur], drow, bx[i + 1], bx[i], math.exp(-ls[i + 1]), nxt,
                      insn)  # fmt: skip
        for c in range(5):
            px[i, c] = 0.0
        _posterior_row(i, pm, pi, px, fx, bx, mrow[cur], irow[cur], xp, ls, inv)
    for i in range(L + 1):
        pm[i, 0] = 0.0
        pi[i, 0] = 0.0
    for c in range(5):
        px[0, c] = 0.0
    # optimal accuracy alignment
    oa_borders(om, oi, od, ox)
    accuracy = optimal_accuracy_into(pm, pi, px, tmask, xmask, local, om, oi, od, ox)
    st, kk, ii, pp = oa_trace(pm, pi, px, tmask, xmask, local, om, oi, od, ox)
    at = np.zeros(ii.shape[0], dtype=np.int64)  # residue numbers in the whole sequence
    for z in range(ii.shape[0]):
        if ii[z] > 0:
            at[z] = ii[z] + first - 1
    segments = trace_domains(st, kk, at) if st.shape[0] else no_segment
    return score, accuracy, (st, kk, at, pp), segments, (pm, pi, px)


@njit(cache=True, nogil=True, inline="always")
def _posterior_row(i, pm, pi, px, fx, bx, bm, bi, xp, ls, inv):
    """Row i of :func:`~.decoding.posterior_matrix`, over the Forward cells of that row."""
    M = pm.shape[1] - 1
    pmi, pii = pm[i], pi[i]
    for k in range(1, M + 1):
        pmi[k] = pmi[k] * bm[k] * inv
        pii[k] = pii[k] * bi[k] * inv
    c = inv * math.exp(-ls[i])
    px[i, p7.SN] = fx[i - 1, p7.SN] * bx[i, p7.SN] * xp[p7.XN, p7.LOOP] * c
    px[i, p7.SJ] = fx[i - 1, p7.SJ] * bx[i, p7.SJ] * xp[p7.XJ, p7.LOOP] * c
    px[i, p7.SC] = fx[i - 1, p7.SC] * bx[i, p7.SC] * xp[p7.XC, p7.LOOP] * c
