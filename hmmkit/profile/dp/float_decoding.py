"""Domain posteriors in single precision, step for step as HMMER's vectorized code.

Domain definition cuts a sequence into regions where the posterior probabilities of the
domain states cross fixed thresholds. HMMER computes those posteriors in single precision
(p7_ForwardParser, p7_BackwardParser and p7_DomainDecoding: a 4-lane striped Backward
with the Forward pass's sparse scale factors, and running sums in single precision); a
double-precision decoding differs from it by ~1e-6, which decides a threshold the other
way when a posterior falls right on it (two domains that touch, with no linker between
them). This module reproduces HMMER's arithmetic operation by operation, on the single
precision profile and Forward matrix of :mod:`hmmkit.profile.dp.float_sampling`. The
Backward's rows are striped (lane r of vector q holds node ``r*Q + q + 1``, at float
``4q + r``), each vector's four lanes computed side by side as LLVM vector code
(:mod:`.striped_rows`).
"""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from .float_sampling import (
    CL,
    CM,
    EL,
    EM,
    JL,
    JM,
    NL,
    NM,
    TBM,
    TDM,
    TIM,
    TMM,
    float_forward,
)
from .striped_rows import backward_striped_cells, backward_striped_deletes

F32 = np.float32
_ZERO = F32(0.0)


@njit(cache=True, nogil=True, inline="always")
def _rescale(mc, ic, dc, xE, xN, xJ, xB, xC, scale):
    """Divide a row by `scale` (> 1) as HMMER does: the specials (returned) by division,
    the cells by the single-precision reciprocal."""
    inv = F32(1.0 / float(scale))
    for k in range(mc.shape[0]):
        mc[k] = F32(mc[k] * inv)
        dc[k] = F32(dc[k] * inv)
        ic[k] = F32(ic[k] * inv)
    return (F32(xE / scale), F32(xN / scale), F32(xJ / scale), F32(xB / scale),
            F32(xC / scale))  # fmt: skip


@njit(cache=True, nogil=True)
def striped_tables(tv, ev, Q):
    """The transitions (8, 4Q), those of the node after (I->M, D->M, M->M; (3, 4Q)) and
    the match odds (codes, 4Q) striped: lane r of vector q (float 4q + r) holds node
    ``r*Q + q + 1``, 0 past node M (and past the last node for the node after)."""
    M = tv.shape[1] - 1
    t = np.zeros((8, 4 * Q), dtype=np.float32)
    tn = np.zeros((3, 4 * Q), dtype=np.float32)
    e = np.zeros((ev.shape[0], 4 * Q), dtype=np.float32)
    for q in range(Q):
        for r in range(4):
            k = r * Q + q + 1
            at = 4 * q + r
            if k <= M:
                t[:, at] = tv[:, k]
                e[:, at] = ev[:, k]
            if k + 1 <= M:
                tn[0, at] = tv[TIM, k + 1]
                tn[1, at] = tv[TDM, k + 1]
                tn[2, at] = tv[TMM, k + 1]
    return t, tn, e


@njit(cache=True, nogil=True)
def float_backward_rows(dsq, t, tn, e, xf, fscale, mrows, irows, drows):
    """HMMER's vectorized Backward (p7_Backward, p7_BackwardParser) in single precision,
    with the Forward pass's scale factors `fscale`, on the striped tables of
    :func:`striped_tables` (``t, tn, e``): (xmx, scale, own_scales). Row i's cells go to
    row ``i % R`` of ``mrows, irows, drows`` ((R, 4Q) float32): R = L + 1 keeps the whole
    matrix (p7_Backward), R = 2 two rows (the parser). ``xmx`` rows hold N B E C J;
    ``own_scales`` is True when the pass switched to its own scale factors (a row's B
    above 1e16), ``scale`` the factors it used."""
    L = dsq.shape[0]
    Q = t.shape[1] // 4
    R = mrows.shape[0]
    xmx = np.zeros((L + 1, 5), dtype=np.float32)
    scale = np.ones(L + 1, dtype=np.float32)
    own = False
    # row L: E<-C<-T, the D->D paths, then M->D
    mn, inx, dn = mrows[L % R], irows[L % R], drows[L % R]
    xC = xf[CM]
    xE = F32(xC * xf[EM])
    xN = xJ = xB = _ZERO
    mn[:] = xE
    dn[:] = xE
    inx[:] = _ZERO
    backward_striped_deletes(mn, dn, t, xE, Q, False)
    scale[L] = fscale[L]
    if fscale[L] > 1.0:
        xE, xN, xJ, xB, xC = _rescale(mn, inx, dn, xE, xN, xJ, xB, xC, fscale[L])
    xmx[L, p7.SE], xmx[L, p7.SN], xmx[L, p7.SJ], xmx[L, p7.SB], xmx[L, p7.SC] = xE, xN, xJ, xB, xC
    for i in range(L - 1, 0, -1):
        mn, inx = mrows[(i + 1) % R], irows[(i + 1) % R]
        mc, ic, dc = mrows[i % R], irows[i % R], drows[i % R]
        xB = backward_striped_cells(mn, inx, mc, ic, dc, t, tn, e[dsq[i]], Q)  # residue i+1
        xC = F32(xC * xf[CL])
        xJ = F32(F32(xB * xf[JM]) + F32(xJ * xf[JL]))
        xN = F32(F32(xB * xf[NM]) + F32(xN * xf[NL]))
        xE = F32(F32(xC * xf[EM]) + F32(xJ * xf[EL]))
        backward_striped_deletes(mc, dc, t, xE, Q, True)
        if xB > 1.0e16:
            own = True
        s = (xB if xB > 1.0e4 else F32(1.0)) if own else fscale[i]
        scale[i] = s
        if s > 1.0:
            xE, xN, xJ, xB, xC = _rescale(mc, ic, dc, xE, xN, xJ, xB, xC, s)
        xmx[i, p7.SE], xmx[i, p7.SN], xmx[i, p7.SJ], xmx[i, p7.SB], xmx[i, p7.SC] = (
            xE, xN, xJ, xB, xC)  # fmt: skip
    mn = mrows[1 % R]
    er = e[dsq[0]]
    b0 = b1 = b2 = b3 = _ZERO
    for q in range(Q):
        at = 4 * q
        b0 = F32(b0 + F32(F32(mn[at] * er[at]) * t[TBM, at]))
        b1 = F32(b1 + F32(F32(mn[at + 1] * er[at + 1]) * t[TBM, at + 1]))
        b2 = F32(b2 + F32(F32(mn[at + 2] * er[at + 2]) * t[TBM, at + 2]))
        b3 = F32(b3 + F32(F32(mn[at + 3] * er[at + 3]) * t[TBM, at + 3]))
    xB = F32(F32(b0 + b1) + F32(b2 + b3))
    xmx[0, p7.SB] = xB
    xmx[0, p7.SN] = F32(F32(xB * xf[NM]) + F32(xN * xf[NL]))
    return xmx, scale, own


@njit(cache=True, nogil=True)
def float_backward_parser(dsq, tv, ev, xf, fscale):
    """HMMER's vectorized Backward parser (p7_BackwardParser) in single precision, with the
    Forward pass's scale factors `fscale`: (xmx, scale, own_scales), as
    :func:`float_backward_rows` on two rows."""
    M = tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    t, tn, e = striped_tables(tv, ev, Q)
    mrows = np.zeros((2, 4 * Q), dtype=np.float32)
    irows = np.zeros((2, 4 * Q), dtype=np.float32)
    drows = np.zeros((2, 4 * Q), dtype=np.float32)
    return float_backward_rows(dsq, t, tn, e, xf, fscale, mrows, irows, drows)


@njit(cache=True, nogil=True)
def float_domain_posteriors(fx, fscale, bx, bscale, own_scales, xf):
    """HMMER's p7_DomainDecoding in single precision from the parsers' special rows and
    scales: (mocc, btot, etot), float32, each (L+1,)."""
    L = fx.shape[0] - 1
    mocc = np.zeros(L + 1, dtype=np.float32)
    btot = np.zeros(L + 1, dtype=np.float32)
    etot = np.zeros(L + 1, dtype=np.float32)
    sp = F32(1.0 / float(bx[0, p7.SN]))
    for i in range(1, L + 1):
        b = F32(F32(F32(fx[i - 1, p7.SB] * bx[i - 1, p7.SB]) * fscale[i - 1]) * sp)
        btot[i] = F32(btot[i - 1] + b)
        if own_scales:
            sp = F32(sp * F32(fscale[i - 1] / bscale[i - 1]))
        e = F32(F32(F32(fx[i, p7.SE] * bx[i, p7.SE]) * fscale[i]) * sp)
        etot[i] = F32(etot[i - 1] + e)
        njcp = F32(F32(F32(fx[i - 1, p7.SN] * bx[i, p7.SN]) * xf[NL]) * sp)
        njcp = F32(njcp + F32(F32(F32(fx[i - 1, p7.SJ] * bx[i, p7.SJ]) * xf[JL]) * sp))
        njcp = F32(njcp + F32(F32(F32(fx[i - 1, p7.SC] * bx[i, p7.SC]) * xf[CL]) * sp))
        mocc[i] = F32(1.0 - float(njcp))
    return mocc, btot, etot


def hmmer_domain_posteriors(dsq, tv, ev, xf):
    """(mocc, btot, etot) of `dsq` as HMMER's pipeline decodes them: its single-precision
    Forward and Backward parsers (profile odds ``tv, ev`` of
    :func:`~hmmkit.profile.dp.float_sampling.float_profile`, specials ``xf`` of the
    multi-hit profile set to the sequence's length), then p7_DomainDecoding."""
    _, _, _, fx, fscale = float_forward(dsq, tv, ev, xf)
    bx, bscale, own = float_backward_parser(dsq, tv, ev, xf, fscale)
    return float_domain_posteriors(fx, fscale, bx, bscale, own, xf)
