"""One envelope of domain definition aligned in single precision, as HMMER's vectorized
code aligns it (p7_domaindef's rescore_isolated_domain): p7_Forward and p7_Backward with
full striped matrices and sparse scale factors, p7_Decoding, p7_OptimalAccuracy,
p7_OATrace and p7_Null2_ByExpectation, operation by operation.

Matrices are striped as :mod:`.float_sampling` stripes them (lane r of vector q holds node
``r*Q + q + 1``, at column :func:`~.float_sampling.striped_column`; the Forward's rows start
with a head vector), so the Forward and Backward rows are the LLVM vector kernels of
:mod:`.striped_rows`, and an optimal accuracy row is one of :mod:`.oa_rows`. Its quirks
are HMMER's: a transition that is impossible contributes 0.0 (not -inf) to a maximum,
and the match cell gates the delete predecessor by the I->M transition and the insert
predecessor by the D->M transition (as p7_OptimalAccuracy's vector code does; its
traceback pairs them the other way).
"""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from .float_decoding import float_backward_rows, striped_tables
from .float_sampling import (
    CL,
    CM,
    EL,
    EM,
    HEAD,
    JL,
    JM,
    NL,
    NM,
    TBM,
    TDD,
    TDM,
    TII,
    TIM,
    TMD,
    TMI,
    TMM,
    float_forward,
    striped_column,
)
from .oa_rows import oa_row
from .paths import trace_domains
from .simd import FLUSH_TO_ZERO, exchange_mxcsr
from .viterbi import begin_traceback, reverse_trace

F32 = np.float32
F64 = np.float64
_ZERO = F32(0.0)
_NEG_INF = F32(-np.inf)


class FloatEnvelopeProfile:
    """A search profile's single-precision tables for :func:`float_align_envelope`: the
    odds ``tv, ev`` of :func:`~.float_sampling.float_profile`, the Backward's striped
    tables, the transitions' masks by striped column, and the degenerate codes' table."""

    def __init__(self, tv: np.ndarray, ev: np.ndarray, degeneracy: np.ndarray, K: int):
        M = tv.shape[1] - 1
        Q = max(2, (M - 1) // 4 + 1)
        self.tv, self.ev = tv, ev
        self.t, self.tn, self.e = striped_tables(tv, ev, Q)
        self.allowed = _allowed_columns(tv, Q)
        self.degeneracy = np.ascontiguousarray(degeneracy[:, :K] > 0)
        self.arrays = (self.tv, self.ev, self.t, self.tn, self.e, self.allowed,
                       self.degeneracy)  # fmt: skip


@njit(cache=True, nogil=True)
def _allowed_columns(tv, Q):
    """(8, HEAD + 4Q) float32: 1.0 where transition row n of node k is possible (odds > 0),
    at node k's striped column; 0.0 in the head and past node M."""
    M = tv.shape[1] - 1
    out = np.zeros((8, HEAD + 4 * Q), dtype=np.float32)
    for k in range(1, M + 1):
        c = striped_column(k, Q)
        for n in range(8):
            out[n, c] = F32(1.0) if tv[n, k] > 0.0 else _ZERO
    return out


@njit(cache=True, nogil=True)
def float_align_envelope(sub, first, tables, xf):
    """Align envelope `sub` (residues ``first..`` of its sequence) as rescore_isolated_domain
    does, on `tables` (:attr:`FloatEnvelopeProfile.arrays`) and the special odds `xf` (8,)
    of the unihit profile set to the whole sequence's length.

    Returns (score, accuracy, (st, kk, ii, pp), segments, null2): the Forward score in nats
    (float32; -inf when the Forward or the decoding failed: nothing more is computed), the
    optimal accuracy (float32), its trace with residue numbers of the whole sequence
    (int64) and posteriors (float32), its domains as :func:`~.paths.trace_domains` gives
    them, and the null2 odds of every digital code (float32).

    The DP runs with the processor's flush-to-zero mode on (results below the smallest
    normal float become 0): far from the alignment the cells underflow, and subnormal
    arithmetic is many times slower. HMMER through pyhmmer keeps subnormals; those cells
    are below 1e-38 of their row's, and on the comparison with pyhmmer
    (``benchmarks/profile_domain_agreement.py``) every field agreed as often with the mode
    on as off.
    """
    saved = exchange_mxcsr(0x1F80)  # (this thread's; restored below)
    exchange_mxcsr(saved | FLUSH_TO_ZERO)
    out = _align_envelope(sub, first, tables, xf)
    exchange_mxcsr(saved)
    return out


@njit(cache=True, nogil=True)
def _align_envelope(sub, first, tables, xf):
    """The body of :func:`float_align_envelope`."""
    tv, ev, t, tn, e, allowed, degeneracy = tables
    L = sub.shape[0]
    M = tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    W = 4 * Q
    empty = np.zeros(0, dtype=np.int32)
    no_segment = np.zeros((0, 6), dtype=np.int64)
    nothing = (empty, empty, np.zeros(0, dtype=np.int64), np.zeros(0))
    no_null2 = np.ones(degeneracy.shape[0], dtype=np.float32)
    # p7_Forward
    fm, fi, fd, fx, fscale = float_forward(sub, tv, ev, xf)
    totscale = _ZERO
    for i in range(1, L + 1):
        if fscale[i] != 1.0:
            totscale = F32(F64(totscale) + math.log(F64(fscale[i])))
    xc = F32(fx[L, p7.SC] * xf[CM])
    if not (xc > 0.0 and math.isfinite(xc)):
        return F32(-np.inf), _ZERO, nothing, no_segment, no_null2
    score = F32(F64(totscale) + math.log(F64(xc)))
    # p7_Backward, into the first cells of the buffers the optimal accuracy reuses
    C = HEAD + W
    bufm = np.empty((L + 1) * C, dtype=np.float32)
    bufi = np.empty((L + 1) * C, dtype=np.float32)
    bufd = np.empty((L + 1) * C, dtype=np.float32)
    n = (L + 1) * W
    bm, bi = bufm[:n].reshape(L + 1, W), bufi[:n].reshape(L + 1, W)
    bd = bufd[:n].reshape(L + 1, W)
    bx, bscale, own = float_backward_rows(sub, t, tn, e, xf, fscale, bm, bi, bd)
    # p7_Decoding: the posteriors, over the Forward's cells
    pm, pi = fm, fi
    px = np.zeros((L + 1, 5), dtype=np.float32)
    product = F32(1.0 / F64(bx[0, p7.SN]))
    for i in range(1, L + 1):
        totr = F32(product * fscale[i])
        pmi, pii, bmi, bii = pm[i], pi[i], bm[i], bi[i]
        for j in range(W):
            pmi[HEAD + j] = F32(F32(pmi[HEAD + j] * bmi[j]) * totr)
            pii[HEAD + j] = F32(F32(pii[HEAD + j] * bii[j]) * totr)
        px[i, p7.SN] = F32(F32(F32(fx[i - 1, p7.SN] * bx[i, p7.SN]) * xf[NL]) * product)
        px[i, p7.SJ] = F32(F32(F32(fx[i - 1, p7.SJ] * bx[i, p7.SJ]) * xf[JL]) * product)
        px[i, p7.SC] = F32(F32(F32(fx[i - 1, p7.SC] * bx[i, p7.SC]) * xf[CL]) * product)
        if own:
            product = F32(product * F32(fscale[i] / bscale[i]))
    if math.isinf(product):
        return F32(-np.inf), _ZERO, nothing, no_segment, no_null2
    for j in range(C):
        pm[0, j] = _ZERO
        pi[0, j] = _ZERO
    null2 = _null2_by_expectation(pm, pi, px, ev, degeneracy, Q, L)
    # p7_OptimalAccuracy into the Backward's matrices (no longer needed), then its trace
    om, oi, od = bufm.reshape(L + 1, C), bufi.reshape(L + 1, C), bufd.reshape(L + 1, C)
    ox = bx
    accuracy = _optimal_accuracy(pm, pi, px, allowed, xf, om, oi, od, ox, Q, M)
    st, kk, ii, pp = _oa_trace(pm, pi, px, tv, xf, om, oi, od, ox, Q, M)
    at = np.zeros(ii.shape[0], dtype=np.int64)  # residue numbers in the whole sequence
    for z in range(ii.shape[0]):
        if ii[z] > 0:
            at[z] = ii[z] + first - 1
    segments = trace_domains(st, kk, at) if st.shape[0] else no_segment
    return score, accuracy, (st, kk, at, pp), segments, null2


@njit(cache=True, nogil=True)
def _null2_by_expectation(pm, pi, px, ev, degeneracy, Q, L):
    """p7_Null2_ByExpectation: the null2 odds of every digital code (float32), from the
    posteriors (rows summed in order into row 0, which is overwritten)."""
    W = 4 * Q
    m0, i0 = pm[0], pi[0]
    for j in range(HEAD, HEAD + W):
        m0[j] = pm[1, j]
        i0[j] = pi[1, j]
    xn, xc, xj = px[1, p7.SN], px[1, p7.SC], px[1, p7.SJ]
    for i in range(2, L + 1):
        mi, ii = pm[i], pi[i]
        for j in range(HEAD, HEAD + W):
            m0[j] = F32(mi[j] + m0[j])
            i0[j] = F32(ii[j] + i0[j])
        xn = F32(xn + px[i, p7.SN])
        xc = F32(xc + px[i, p7.SC])
        xj = F32(xj + px[i, p7.SJ])
    norm = F32(1.0 / F64(F32(L)))
    for j in range(HEAD, HEAD + W):
        m0[j] = F32(m0[j] * norm)
        i0[j] = F32(i0[j] * norm)
    xfactor = F32(F32(F32(xn * norm) + F32(xc * norm)) + F32(xj * norm))
    Kp, K = degeneracy.shape
    null2 = np.ones(Kp, dtype=np.float32)
    for x in range(K):
        row = ev[x]
        lanes = np.zeros(4, dtype=np.float32)
        for q in range(Q):
            for r in range(4):
                c = HEAD + 4 * q + r
                k = r * Q + q + 1
                odds = row[k] if k < row.shape[0] else _ZERO
                lanes[r] = F32(lanes[r] + F32(m0[c] * odds))
                lanes[r] = F32(lanes[r] + i0[c])
        total = F32(F32(lanes[0] + lanes[1]) + F32(lanes[2] + lanes[3]))
        null2[x] = F32(total + xfactor)
    for x in range(K + 1, Kp - 2):  # degenerate codes: the mean of their residues' odds
        n = 0
        total = _ZERO
        for y in range(K):
            if degeneracy[x, y]:
                total = F32(total + null2[y])
                n += 1
        null2[x] = F32(total / F32(n)) if n > 0 else _ZERO
    return null2


@njit(cache=True, nogil=True)
def _optimal_accuracy(pm, pi, px, allowed, xf, om, oi, od, ox, Q, M):
    """p7_OptimalAccuracy on striped rows with head vectors (the head of a row holds its
    last vector shifted right, -inf in lane 0); returns the score (float32)."""
    L = pm.shape[0] - 1
    C = HEAD + 4 * Q
    last = HEAD + 4 * (Q - 1)
    for j in range(C):
        om[0, j] = _NEG_INF
        oi[0, j] = _NEG_INF
        od[0, j] = _NEG_INF
    ox[0, p7.SE] = _NEG_INF
    ox[0, p7.SN] = _ZERO
    ox[0, p7.SJ] = _NEG_INF
    ox[0, p7.SB] = _ZERO
    ox[0, p7.SC] = _NEG_INF
    for i in range(1, L + 1):
        mp, ip, dp_ = om[i - 1], oi[i - 1], od[i - 1]
        mc, ic, dc = om[i], oi[i], od[i]
        xe = oa_row(mp, ip, dp_, mc, ic, dc, pm[i], pi[i], allowed, ox[i - 1, p7.SB], Q)
        # the heads of this row, for the next: the last vector shifted right
        mc[0], ic[0], dc[0] = _NEG_INF, _NEG_INF, _NEG_INF
        for r in range(1, 4):
            mc[r], ic[r], dc[r] = mc[last + r - 1], ic[last + r - 1], dc[last + r - 1]
        ox[i, p7.SE] = xe
        t1 = _ZERO if xf[JL] == 0.0 else F32(ox[i - 1, p7.SJ] + px[i, p7.SJ])
        t2 = _ZERO if xf[EL] == 0.0 else xe
        ox[i, p7.SJ] = max(t1, t2)
        t1 = _ZERO if xf[CL] == 0.0 else F32(ox[i - 1, p7.SC] + px[i, p7.SC])
        t2 = _ZERO if xf[EM] == 0.0 else xe
        ox[i, p7.SC] = max(t1, t2)
        ox[i, p7.SN] = _ZERO if xf[NL] == 0.0 else F32(ox[i - 1, p7.SN] + px[i, p7.SN])
        t1 = _ZERO if xf[NM] == 0.0 else ox[i, p7.SN]
        t2 = _ZERO if xf[JM] == 0.0 else ox[i, p7.SJ]
        ox[i, p7.SB] = max(t1, t2)
    return ox[L, p7.SC]


@njit(cache=True, nogil=True, inline="always")
def _path(odds, value):
    """A traceback path's value: -inf where the transition's odds are 0."""
    return _NEG_INF if odds == 0.0 else value


@njit(cache=True, nogil=True, inline="always")
def _before(row, k, Q):
    """The cell of node k-1 in a striped OA row, as the traceback reads it (0.0 for node 0:
    HMMER shifts zeros in)."""
    return _ZERO if k == 1 else row[striped_column(k - 1, Q)]


@njit(cache=True, nogil=True)
def _oa_trace(pm, pi, px, tv, xf, om, oi, od, ox, Q, M):
    """p7_OATrace: (states, k, i, pp) in path order; empty when a choice fails."""
    L = pm.shape[0] - 1
    st, kk, ii, n = begin_traceback(L, 4 * Q)
    pp = np.zeros(st.shape[0], dtype=np.float32)
    i = L
    k = 0
    s = p7.ST_C
    while s != p7.ST_S:
        if s == p7.ST_C or s == p7.ST_J:
            col, loop, leave = (p7.SC, CL, EM) if s == p7.ST_C else (p7.SJ, JL, EL)
            a = _NEG_INF
            if i > 0 and xf[loop] != 0.0:
                a = F32(ox[i - 1, col] + px[i, col])
            b = _NEG_INF if xf[leave] == 0.0 else ox[i, p7.SE]
            if a > b:  # this C/J emitted residue i
                ii[n - 1] = i
                pp[n - 1] = px[i, col]
                i -= 1
            else:
                s = p7.ST_E
        elif s == p7.ST_N:
            if i > 0:
                ii[n - 1] = i
                pp[n - 1] = px[i, p7.SN]
                i -= 1
            else:
                s = p7.ST_S
        elif s == p7.ST_E:
            best = _NEG_INF
            s = -1
            for q in range(Q):
                for r in range(4):
                    if om[i, HEAD + 4 * q + r] >= best:
                        best, s, k = om[i, HEAD + 4 * q + r], p7.ST_M, r * Q + q + 1
                for r in range(4):
                    if od[i, HEAD + 4 * q + r] > best:
                        best, s, k = od[i, HEAD + 4 * q + r], p7.ST_D, r * Q + q + 1
        elif s == p7.ST_B:
            a = _NEG_INF if xf[NM] == 0.0 else ox[i, p7.SN]
            b = _NEG_INF if xf[JM] == 0.0 else ox[i, p7.SJ]
            s = p7.ST_N if a > b else p7.ST_J
        elif s == p7.ST_M:
            node = k if k <= M else 0
            b_path = _path(tv[TBM, node], ox[i - 1, p7.SB])
            m_path = _path(tv[TMM, node], _before(om[i - 1], k, Q))
            i_path = _path(tv[TIM, node], _before(oi[i - 1], k, Q))
            d_path = _path(tv[TDM, node], _before(od[i - 1], k, Q))
            s, best = p7.ST_M, m_path  # ties: M, I, D, B
            if i_path > best:
                s, best = p7.ST_I, i_path
            if d_path > best:
                s, best = p7.ST_D, d_path
            if b_path > best:
                s, best = p7.ST_B, b_path
            i -= 1
            k -= 1
        elif s == p7.ST_D:
            prev = k - 1 if k - 1 <= M else 0
            a = _NEG_INF if k == 1 else _path(tv[TMD, prev], om[i, striped_column(k - 1, Q)])
            b = _NEG_INF if k == 1 else _path(tv[TDD, prev], od[i, striped_column(k - 1, Q)])
            s = p7.ST_M if a >= b else p7.ST_D
            k -= 1
        elif s == p7.ST_I:
            node = k if k <= M else 0
            c = striped_column(k, Q)
            a = _path(tv[TMI, node], om[i - 1, c])
            b = _path(tv[TII, node], oi[i - 1, c])
            s = p7.ST_M if a >= b else p7.ST_I
            i -= 1
        if s < 0 or n >= st.shape[0]:
            return st[:0], kk[:0], ii[:0], np.zeros(0)
        st[n] = s
        if s == p7.ST_M or s == p7.ST_D or s == p7.ST_I:
            kk[n] = k
        if s == p7.ST_M:
            ii[n] = i
            pp[n] = pm[i, striped_column(k, Q)]
        elif s == p7.ST_I:
            ii[n] = i
            pp[n] = pi[i, striped_column(k, Q)]
        n += 1
    out_s, out_k, out_i = reverse_trace(st, kk, ii, n)
    out_pp = np.empty(n)  # (float64 holding the float32 values: HMMER codes them in double)
    for z in range(n):
        out_pp[z] = pp[n - 1 - z]
    return out_s, out_k, out_i, out_pp


@njit(cache=True, nogil=True)
def null2_scores(null2, sub, n2sc, first):
    """The null2 scores of an envelope's residues, ``logf`` of their odds, into
    ``n2sc[first:first + len(sub)]``."""
    for z in range(sub.shape[0]):
        n2sc[first + z] = math.log(null2[sub[z]])


@njit(cache=True, nogil=True)
def domain_correction(n2sc, i, j):
    """An envelope's null2 correction as HMMER sums it: residue by residue in single
    precision, over ``n2sc[i..j]``."""
    total = _ZERO
    for pos in range(i, j + 1):
        total = F32(total + F32(n2sc[pos]))
    return total
