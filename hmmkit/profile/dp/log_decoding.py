"""Posterior decoding in log space, for sequences beyond the range of scaled decoding.

The scaled Forward/Backward of :mod:`hmmkit.profile.dp` keep each row within a double's
range by dividing it by one factor; paths whose prefix (or suffix) lies more than ~700 nats
below the best one at that row then vanish. In a uni-hit alignment of a sequence with two
strong hits (each hundreds of nats), the path that skips the first hit is such a path, and
scaled decoding loses it (posteriors that do not sum to one, or an overflowing Backward).
These kernels compute the same posteriors with every cell in log space, for any length
and score; :func:`posteriors` picks the scaled kernels when they are exact enough.
"""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from ...numeric import log_add as _lse
from .. import plan7 as p7
from .decoding import posterior_matrix
from .forward_backward import backward_matrix, forward_matrix, node_vectors

NEG_INF = -np.inf

#: Largest deviation from 1 of a residue's posterior total that scaled decoding may show.
ROW_TOLERANCE = 1e-6


@njit(cache=True, nogil=True)
def _empty_log_matrices(L, M):
    """Match, insert, delete (L+1, M+1) and special (L+1, 5) matrices of log(0)."""
    cells = np.full((3, L + 1, M + 1), NEG_INF)
    return cells[0], cells[1], cells[2], np.full((L + 1, 5), NEG_INF)


@njit(cache=True, nogil=True)
def log_forward(dsq, into, out, esc, me, ie, xp):
    """Log-space Forward matrices (mx, ix, dx, xmx) and the total log odds."""
    L = dsq.shape[0]
    M = into.shape[1] - 1
    mx, ix, dx, xmx = _empty_log_matrices(L, M)
    xmx[0, p7.SN] = 0.0
    xmx[0, p7.SB] = xp[p7.XN, p7.MOVE]
    for i in range(1, L + 1):
        x = dsq[i - 1]
        xB = xmx[i - 1, p7.SB]
        mx[i, 1] = me[x, 1] + xB + into[3, 1]
        for k in range(2, M + 1):
            s = _lse(mx[i - 1, k - 1] + into[0, k], ix[i - 1, k - 1] + into[1, k])
            s = _lse(s, dx[i - 1, k - 1] + into[2, k])
            mx[i, k] = me[x, k] + _lse(s, xB + into[3, k])
        for k in range(1, M):
            ix[i, k] = ie[x, k] + _lse(mx[i - 1, k] + out[p7.MI, k], ix[i - 1, k] + out[p7.II, k])
        for k in range(2, M + 1):
            dx[i, k] = _lse(mx[i, k - 1] + out[p7.MD, k - 1], dx[i, k - 1] + out[p7.DD, k - 1])
        xE = NEG_INF
        for k in range(1, M + 1):
            xE = _lse(xE, _lse(mx[i, k], dx[i, k]) + esc[k])
        xmx[i, p7.SE] = xE
        xmx[i, p7.SJ] = _lse(xmx[i - 1, p7.SJ] + xp[p7.XJ, p7.LOOP], xE + xp[p7.XE, p7.LOOP])
        xmx[i, p7.SC] = _lse(xmx[i - 1, p7.SC] + xp[p7.XC, p7.LOOP], xE + xp[p7.XE, p7.MOVE])
        xmx[i, p7.SN] = xmx[i - 1, p7.SN] + xp[p7.XN, p7.LOOP]
        xmx[i, p7.SB] = _lse(xmx[i, p7.SN] + xp[p7.XN, p7.MOVE], xmx[i, p7.SJ] + xp[p7.XJ, p7.MOVE])
    return mx, ix, dx, xmx, xmx[L, p7.SC] + xp[p7.XC, p7.MOVE]


@njit(cache=True, nogil=True)
def log_backward(dsq, into, out, esc, me, ie, xp):
    """Log-space Backward matrices (mx, ix, dx, xmx)."""
    L = dsq.shape[0]
    M = into.shape[1] - 1
    mx, ix, dx, xmx = _empty_log_matrices(L, M)
    xE = xp[p7.XC, p7.MOVE] + xp[p7.XE, p7.MOVE]
    xmx[L, p7.SC] = xp[p7.XC, p7.MOVE]
    xmx[L, p7.SE] = xE
    mx[L, M] = dx[L, M] = xE
    for k in range(M - 1, 0, -1):
        mx[L, k] = _lse(xE + esc[k], dx[L, k + 1] + out[p7.MD, k])
        dx[L, k] = _lse(xE + esc[k], dx[L, k + 1] + out[p7.DD, k])
    nxt = np.empty(M + 1)
    for i in range(L - 1, -1, -1):
        x = dsq[i]
        xB = NEG_INF
        for k in range(1, M + 1):
            xB = _lse(xB, mx[i + 1, k] + into[3, k] + me[x, k])
        xJ = _lse(xmx[i + 1, p7.SJ] + xp[p7.XJ, p7.LOOP], xB + xp[p7.XJ, p7.MOVE])
        xC = xmx[i + 1, p7.SC] + xp[p7.XC, p7.LOOP]
        xE = _lse(xJ + xp[p7.XE, p7.LOOP], xC + xp[p7.XE, p7.MOVE])
        xmx[i, p7.SN] = _lse(xmx[i + 1, p7.SN] + xp[p7.XN, p7.LOOP], xB + xp[p7.XN, p7.MOVE])
        xmx[i, p7.SB], xmx[i, p7.SE], xmx[i, p7.SC], xmx[i, p7.SJ] = xB, xE, xC, xJ
        for k in range(1, M):
            nxt[k] = mx[i + 1, k + 1] + me[x, k + 1]
        dx[i, M] = mx[i, M] = xE
        for k in range(M - 1, 0, -1):
            insn = ix[i + 1, k] + ie[x, k]
            d = _lse(nxt[k] + out[p7.DM, k], dx[i, k + 1] + out[p7.DD, k])
            dx[i, k] = _lse(d, xE + esc[k])
            m = _lse(nxt[k] + out[p7.MM, k], insn + out[p7.MI, k])
            m = _lse(m, xE + esc[k])
            mx[i, k] = _lse(m, dx[i, k + 1] + out[p7.MD, k])
            ix[i, k] = _lse(nxt[k] + out[p7.IM, k], insn + out[p7.II, k])
    return mx, ix, dx, xmx


@njit(cache=True, nogil=True)
def log_posterior_matrix(fmx, fix, fxmx, bmx, bix, bxmx, xp, total):
    """(pm, pi, px) as :func:`hmmkit.profile.dp.posterior_matrix`, from log matrices."""
    L = fmx.shape[0] - 1
    M = fmx.shape[1] - 1
    pm = np.zeros((L + 1, M + 1))
    pi = np.zeros((L + 1, M + 1))
    px = np.zeros((L + 1, 5))
    if total == NEG_INF:
        return pm, pi, px
    for i in range(1, L + 1):
        for k in range(1, M + 1):
            pm[i, k] = math.exp(fmx[i, k] + bmx[i, k] - total)
            pi[i, k] = math.exp(fix[i, k] + bix[i, k] - total)
        px[i, p7.SN] = math.exp(fxmx[i - 1, p7.SN] + bxmx[i, p7.SN] + xp[p7.XN, p7.LOOP] - total)
        px[i, p7.SJ] = math.exp(fxmx[i - 1, p7.SJ] + bxmx[i, p7.SJ] + xp[p7.XJ, p7.LOOP] - total)
        px[i, p7.SC] = math.exp(fxmx[i - 1, p7.SC] + bxmx[i, p7.SC] + xp[p7.XC, p7.LOOP] - total)
    return pm, pi, px


def log_posteriors(dsq, tp, me, ie, xp, local):
    """Posteriors (pm, pi, px) computed in log space throughout."""
    into, out, esc = node_vectors(tp, local)
    with np.errstate(divide="ignore"):
        logs = [np.log(a) for a in (into, out, esc, me, ie, xp)]
    fm, fi, _, fx, total = log_forward(dsq, *logs)
    bm, bi, _, bx = log_backward(dsq, *logs)
    return log_posterior_matrix(fm, fi, fx, bm, bi, bx, logs[5], total)


def scaled_decoding_holds(pm, pi, px) -> bool:
    """Whether every residue's posteriors are finite and sum to one (within
    :data:`ROW_TOLERANCE`), as they do unless scaled decoding lost or overflowed paths."""
    rows = pm[1:].sum(axis=1) + pi[1:].sum(axis=1) + px[1:].sum(axis=1)
    return bool(np.all(np.abs(rows - 1.0) <= ROW_TOLERANCE))


def posteriors(dsq, tp, me, ie, xp, local):
    """Posterior decoding (pm, pi, px) of ``dsq``: scaled (HMMER's way) where that is exact,
    else in log space."""
    fm, fi, _, fx, ls, _ = forward_matrix(dsq, tp, me, ie, xp, local)
    with np.errstate(over="ignore", invalid="ignore"):
        bm, bi, _, bx = backward_matrix(dsq, tp, me, ie, xp, local, ls)
        pm, pi, px = posterior_matrix(fm, fi, fx, bm, bi, bx, xp, ls)
        if scaled_decoding_holds(pm, pi, px):
            return pm, pi, px
    return log_posteriors(dsq, tp, me, ie, xp, local)
