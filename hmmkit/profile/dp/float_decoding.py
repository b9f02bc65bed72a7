"""Domain posteriors in single precision, step for step as HMMER's vectorized code.

Domain definition cuts a sequence into regions where the posterior probabilities of the
domain states cross fixed thresholds. HMMER computes those posteriors in single precision
(p7_ForwardParser, p7_BackwardParser and p7_DomainDecoding: a 4-lane striped Backward
with the Forward pass's sparse scale factors, and running sums in single precision); a
double-precision decoding differs from it by ~1e-6, which decides a threshold the other
way when a posterior falls right on it (two domains that touch, with no linker between
them). This module reproduces HMMER's arithmetic operation by operation, on the single
precision profile and Forward matrix of :mod:`hmmkit.profile.dp.float_sampling`; cells
are stored by node k, a lane r of vector q holding node ``r*Q + q + 1``.
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
    TDD,
    TDM,
    TII,
    TIM,
    TMD,
    TMI,
    TMM,
    float_forward,
)

F32 = np.float32
_ZERO = F32(0.0)


@njit(cache=True, nogil=True, inline="always")
def _leftshift(v):
    """Lane r takes lane r+1's value, the last lane 0 (HMMER's move_ss + shuffle)."""
    for r in range(3):
        v[r] = v[r + 1]
    v[3] = _ZERO


@njit(cache=True, nogil=True, inline="always")
def _lane_sum(v):
    """HMMER's horizontal sum of a 4-lane vector."""
    return F32(F32(v[0] + v[1]) + F32(v[2] + v[3]))


@njit(cache=True, nogil=True, inline="always")
def _next_lane_heads(row, Q, out):
    """``out[r]`` = the cell of node ``(r+1)*Q + 1`` (the first node of the next lane), 0 for
    the last lane: a vector of row's first segment, shifted left."""
    for r in range(3):
        out[r] = row[(r + 1) * Q + 1]
    out[3] = _ZERO


@njit(cache=True, nogil=True, inline="always")
def _delete_passes(dc, t, Q, dcv, n):
    """`n` further passes of the D->D paths along the segments (dcv carried in)."""
    for _ in range(n):
        _leftshift(dcv)
        for q in range(Q - 1, -1, -1):
            for r in range(4):
                k = r * Q + q + 1
                dcv[r] = F32(dcv[r] * t[TDD, k])
                dc[k] = F32(dc[k] + dcv[r])


@njit(cache=True, nogil=True, inline="always")
def _add_match_to_delete(mc, dc, t, Q, dcv):
    """M(k) += D(k+1) * t(M_k -> D_k+1), with the final D cells."""
    _next_lane_heads(dc, Q, dcv)
    for q in range(Q - 1, -1, -1):
        for r in range(4):
            k = r * Q + q + 1
            mc[k] = F32(mc[k] + F32(dcv[r] * t[TMD, k]))
            dcv[r] = dc[k]


@njit(cache=True, nogil=True, inline="always")
def _rescale(mc, ic, dc, xE, xN, xJ, xB, xC, scale):
    """Divide a row by `scale` (> 1) as HMMER does: the specials (returned) by division,
    the cells by the single-precision reciprocal."""
    inv = F32(1.0 / float(scale))
    for k in range(1, mc.shape[0]):
        mc[k] = F32(mc[k] * inv)
        dc[k] = F32(dc[k] * inv)
        ic[k] = F32(ic[k] * inv)
    return (F32(xE / scale), F32(xN / scale), F32(xJ / scale), F32(xB / scale),
            F32(xC / scale))  # fmt: skip


@njit(cache=True, nogil=True)
def float_backward_parser(dsq, tv, ev, xf, fscale):
    """HMMER's vectorized Backward parser (p7_BackwardParser) in single precision, with the
    Forward pass's scale factors `fscale`: (xmx, scale, own_scales). ``xmx`` rows hold
    N B E C J; ``own_scales`` is True when the pass switched to its own scale factors (a
    row's B above 1e16), ``scale`` the factors it used."""
    L = dsq.shape[0]
    M = tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    W = 4 * Q
    t = np.zeros((8, W + 2), dtype=np.float32)  # node W+1: the zero shifted in
    t[:, : M + 1] = tv
    e = np.zeros((ev.shape[0], W + 2), dtype=np.float32)
    e[:, : M + 1] = ev
    mn, inx, dn, mc, ic, dc = np.zeros((6, W + 2), dtype=np.float32)
    nxt = np.zeros(W + 2, dtype=np.float32)
    xmx = np.zeros((L + 1, 5), dtype=np.float32)
    scale = np.ones(L + 1, dtype=np.float32)
    dcv = np.zeros(4, dtype=np.float32)
    dpv = np.zeros(4, dtype=np.float32)
    xBv = np.zeros(4, dtype=np.float32)
    own = False
    # row L: E<-C<-T, the D->D paths, then M->D
    xC = xf[CM]
    xE = F32(xC * xf[EM])
    xN = xJ = xB = _ZERO
    for k in range(1, W + 1):
        mn[k] = xE
        dn[k] = xE
    _next_lane_heads(dn, Q, dpv)
    for q in range(Q - 1, -1, -1):
        for r in range(4):
            k = r * Q + q + 1
            dcv[r] = F32(dpv[r] * t[TDD, k])
            dn[k] = F32(dn[k] + dcv[r])
            dpv[r] = dn[k]
    _delete_passes(dn, t, Q, dcv, 3)
    _add_match_to_delete(mn, dn, t, Q, dcv)
    scale[L] = fscale[L]
    if fscale[L] > 1.0:
        xE, xN, xJ, xB, xC = _rescale(mn, inx, dn, xE, xN, xJ, xB, xC, fscale[L])
    xmx[L, p7.SE], xmx[L, p7.SN], xmx[L, p7.SJ], xmx[L, p7.SB], xmx[L, p7.SC] = xE, xN, xJ, xB, xC
    for i in range(L - 1, 0, -1):
        er = e[dsq[i]]  # residue i+1
        for k in range(1, W + 1):
            nxt[k] = F32(mn[k + 1] * er[k + 1])  # M(i+1,k+1) e(k+1), 0 past the last lane
        xBv[:] = _ZERO
        for q in range(Q - 1, -1, -1):
            for r in range(4):
                k = r * Q + q + 1
                ipv = inx[k]
                ic[k] = F32(F32(ipv * t[TII, k]) + F32(nxt[k] * t[TIM, k + 1]))
                dc[k] = F32(nxt[k] * t[TDM, k + 1])
                mc[k] = F32(F32(ipv * t[TMI, k]) + F32(nxt[k] * t[TMM, k + 1]))
                xBv[r] = F32(xBv[r] + F32(F32(mn[k] * er[k]) * t[TBM, k]))
        xB = _lane_sum(xBv)
        xC = F32(xC * xf[CL])
        xJ = F32(F32(xB * xf[JM]) + F32(xJ * xf[JL]))
        xN = F32(F32(xB * xf[NM]) + F32(xN * xf[NL]))
        xE = F32(F32(xC * xf[EM]) + F32(xJ * xf[EL]))
        # {MD}->E and one segment of D->D, three more passes, then M->D
        _next_lane_heads(dc, Q, dpv)
        for r in range(3):
            dpv[r] = F32(dpv[r] + xE)
        for q in range(Q - 1, -1, -1):
            for r in range(4):
                k = r * Q + q + 1
                dcv[r] = F32(dpv[r] * t[TDD, k])
                dc[k] = F32(dc[k] + F32(dcv[r] + xE))
                dpv[r] = dc[k]
                mc[k] = F32(mc[k] + xE)
        _delete_passes(dc, t, Q, dcv, 3)
        _add_match_to_delete(mc, dc, t, Q, dcv)
        if xB > 1.0e16:
            own = True
        s = (xB if xB > 1.0e4 else F32(1.0)) if own else fscale[i]
        scale[i] = s
        if s > 1.0:
            xE, xN, xJ, xB, xC = _rescale(mc, ic, dc, xE, xN, xJ, xB, xC, s)
        xmx[i, p7.SE], xmx[i, p7.SN], xmx[i, p7.SJ], xmx[i, p7.SB], xmx[i, p7.SC] = (
            xE, xN, xJ, xB, xC)  # fmt: skip
        mn, mc = mc, mn
        inx, ic = ic, inx
        dn, dc = dc, dn
    er = e[dsq[0]]
    xBv[:] = _ZERO
    for q in range(Q):
        for r in range(4):
            k = r * Q + q + 1
            xBv[r] = F32(xBv[r] + F32(F32(mn[k] * er[k]) * t[TBM, k]))
    xB = _lane_sum(xBv)
    xmx[0, p7.SB] = xB
    xmx[0, p7.SN] = F32(F32(xB * xf[NM]) + F32(xN * xf[NL]))
    return xmx, scale, own


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
