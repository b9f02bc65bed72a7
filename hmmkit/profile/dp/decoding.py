"""Posterior decoding (p7_GDecoding, p7_GDomainDecoding) from Forward/Backward matrices."""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from .. import plan7 as p7


@njit(cache=True, nogil=True)
def posterior_matrix(fmx, fix, fxmx, bmx, bix, bxmx, xp, logscale):
    """Posterior probabilities that residue i is emitted by each state (p7_Decoding).

    Returns (pm, pi, px): pm/pi (L+1, M+1) for match/insert states; px (L+1, 5) with the
    N, J, C emission posteriors in columns SN, SJ, SC (other columns 0).
    """
    L = fmx.shape[0] - 1
    M = fmx.shape[1] - 1
    z = fxmx[L, p7.SC] * xp[p7.XC, p7.MOVE]
    pm = np.zeros((L + 1, M + 1))
    pi = np.zeros((L + 1, M + 1))
    px = np.zeros((L + 1, 5))
    if z <= 0.0:
        return pm, pi, px
    inv = 1.0 / z
    for i in range(1, L + 1):
        for k in range(1, M + 1):
            pm[i, k] = fmx[i, k] * bmx[i, k] * inv
            pi[i, k] = fix[i, k] * bix[i, k] * inv
        c = inv * math.exp(-logscale[i])
        px[i, p7.SN] = fxmx[i - 1, p7.SN] * bxmx[i, p7.SN] * xp[p7.XN, p7.LOOP] * c
        px[i, p7.SJ] = fxmx[i - 1, p7.SJ] * bxmx[i, p7.SJ] * xp[p7.XJ, p7.LOOP] * c
        px[i, p7.SC] = fxmx[i - 1, p7.SC] * bxmx[i, p7.SC] * xp[p7.XC, p7.LOOP] * c
    return pm, pi, px


@njit(cache=True, nogil=True)
def domain_posteriors(fxmx, bxmx, xp, logscale):
    """HMMER's p7_DomainDecoding: (mocc, btot, etot), each (L+1,).

    ``mocc[i]`` is the probability that residue i lies in a domain (not N, C, J);
    ``btot[i]``/``etot[i]`` the expected numbers of domain starts/ends at or before i.
    """
    L = fxmx.shape[0] - 1
    z = fxmx[L, p7.SC] * xp[p7.XC, p7.MOVE]
    mocc = np.zeros(L + 1)
    btot = np.zeros(L + 1)
    etot = np.zeros(L + 1)
    if z <= 0.0:
        return mocc, btot, etot
    inv = 1.0 / z
    for i in range(1, L + 1):
        btot[i] = btot[i - 1] + fxmx[i - 1, p7.SB] * bxmx[i - 1, p7.SB] * inv
        etot[i] = etot[i - 1] + fxmx[i, p7.SE] * bxmx[i, p7.SE] * inv
        c = inv * math.exp(-logscale[i])
        njc = (fxmx[i - 1, p7.SN] * bxmx[i, p7.SN] * xp[p7.XN, p7.LOOP]
               + fxmx[i - 1, p7.SJ] * bxmx[i, p7.SJ] * xp[p7.XJ, p7.LOOP]
               + fxmx[i - 1, p7.SC] * bxmx[i, p7.SC] * xp[p7.XC, p7.LOOP]) * c  # fmt: skip
        mocc[i] = 1.0 - njc
    return mocc, btot, etot
