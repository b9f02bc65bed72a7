"""The striped single-precision Forward and Backward (four lanes per LLVM vector) against
HMMER's operations written out one lane and one node at a time in plain Python: the same
floats, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force import random_model

from hmmkit.profile import DNA
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize
from hmmkit.profile.dp.float_decoding import float_backward_parser
from hmmkit.profile.dp.float_sampling import (
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
    float_profile,
    special_odds,
    striped_column,
)

F = np.float32
Z = F(0.0)


def _tables(tv, ev, W):
    t = np.zeros((8, W + 2), dtype=F)
    t[:, : tv.shape[1]] = tv
    e = np.zeros((ev.shape[0], W + 2), dtype=F)
    e[:, : ev.shape[1]] = ev
    return t, e


def reference_forward(dsq, tv, ev, xf):
    """p7_Forward's cells (by node) and specials, one lane and node at a time."""
    L, M = len(dsq), tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    W = 4 * Q
    t, e = _tables(tv, ev, W)
    mx, ix, dx = (np.zeros((L + 1, W + 1), dtype=F) for _ in range(3))
    xmx = np.zeros((L + 1, 5), dtype=F)
    xN, xB, xJ, xC = F(1.0), xf[NM], Z, Z
    xmx[0, :2] = xN, xB
    for i in range(1, L + 1):
        er = e[dsq[i - 1]]
        mp, ip, dp, mc, ic, dc = mx[i - 1], ix[i - 1], dx[i - 1], mx[i], ix[i], dx[i]
        esum, d = [Z] * 4, [Z] * 4
        for q in range(Q):
            for r in range(4):
                k = r * Q + q + 1
                sv = F(xB * t[TBM, k])
                sv = F(sv + F(mp[k - 1] * t[TMM, k]))
                sv = F(sv + F(ip[k - 1] * t[TIM, k]))
                sv = F(sv + F(dp[k - 1] * t[TDM, k]))
                sv = F(sv * er[k])
                mc[k], dc[k] = sv, d[r]
                ic[k] = F(F(mp[k] * t[TMI, k]) + F(ip[k] * t[TII, k]))
                d[r] = F(sv * t[TMD, k])
                esum[r] = F(esum[r] + sv)
        d = [Z, d[0], d[1], d[2]]
        for r in range(4):
            dc[r * Q + 1] = Z
        for q in range(Q):
            for r in range(4):
                k = r * Q + q + 1
                dc[k] = F(d[r] + dc[k])
                d[r] = F(dc[k] * t[TDD, k])
        for _ in range(3):
            d = [Z, d[0], d[1], d[2]]
            changed = False
            for q in range(Q):
                for r in range(4):
                    k = r * Q + q + 1
                    sv = F(d[r] + dc[k])
                    changed = changed or sv > dc[k]
                    dc[k] = sv
                    d[r] = F(d[r] * t[TDD, k])
            if M >= 100 and not changed:
                break
        for q in range(Q):
            for r in range(4):
                esum[r] = F(dc[r * Q + q + 1] + esum[r])
        xE = F(F(esum[0] + esum[1]) + F(esum[2] + esum[3]))
        xN = F(xN * xf[NL])
        xC = F(F(xC * xf[CL]) + F(xE * xf[EM]))
        xJ = F(F(xJ * xf[JL]) + F(xE * xf[EL]))
        xB = F(F(xJ * xf[JM]) + F(xN * xf[NM]))
        if xE > 1.0e4:
            xN, xC, xJ, xB = F(xN / xE), F(xC / xE), F(xJ / xE), F(xB / xE)
            inv = F(1.0 / float(xE))
            mc[1:] = (mc[1:] * inv).astype(F)
            dc[1:] = (dc[1:] * inv).astype(F)
            ic[1:] = (ic[1:] * inv).astype(F)
            xE = F(1.0)
        xmx[i] = [xN, xB, xE, xC, xJ]
    return mx, ix, dx, xmx


def reference_backward(dsq, tv, ev, xf, fscale):
    """p7_BackwardParser's specials, one lane and node at a time (HMMER's scales)."""
    L, M = len(dsq), tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    W = 4 * Q
    t, e = _tables(tv, ev, W)
    xmx = np.zeros((L + 1, 5), dtype=F)
    node = [[r * Q + q + 1 for r in range(4)] for q in range(Q)]

    def heads(row):
        return [row[(r + 1) * Q + 1] for r in range(3)] + [Z]

    def deletes(mc, dc, xE, with_exit):
        dp = heads(dc)
        if with_exit:
            dp = [F(v + xE) for v in dp[:3]] + [Z]
        d = [Z] * 4
        for q in range(Q - 1, -1, -1):
            for r, k in enumerate(node[q]):
                d[r] = F(dp[r] * t[TDD, k])
                dc[k] = F(dc[k] + F(d[r] + xE)) if with_exit else F(dc[k] + d[r])
                dp[r] = dc[k]
                if with_exit:
                    mc[k] = F(mc[k] + xE)
        for _ in range(3):
            d = d[1:] + [Z]
            for q in range(Q - 1, -1, -1):
                for r, k in enumerate(node[q]):
                    d[r] = F(d[r] * t[TDD, k])
                    dc[k] = F(dc[k] + d[r])
        d = heads(dc)
        for q in range(Q - 1, -1, -1):
            for r, k in enumerate(node[q]):
                mc[k] = F(mc[k] + F(d[r] * t[TMD, k]))
                d[r] = dc[k]

    def rescale(rows, specials, s):
        inv = F(1.0 / float(s))
        for row in rows:
            row[1:] = (row[1:] * inv).astype(F)
        return [F(x / s) for x in specials]

    mn, inx, dn = (np.zeros(W + 2, dtype=F) for _ in range(3))
    xC = xf[CM]
    xE = F(xC * xf[EM])
    xN = xJ = xB = Z
    mn[1 : W + 1] = xE
    dn[1 : W + 1] = xE
    deletes(mn, dn, Z, False)
    if fscale[L] > 1.0:
        xE, xN, xJ, xB, xC = rescale((mn, inx, dn), (xE, xN, xJ, xB, xC), fscale[L])
    xmx[L] = [xN, xB, xE, xC, xJ]
    for i in range(L - 1, 0, -1):
        er = e[dsq[i]]
        mc, ic, dc = (np.zeros(W + 2, dtype=F) for _ in range(3))
        xb = [Z] * 4
        for q in range(Q - 1, -1, -1):
            for r, k in enumerate(node[q]):
                nxt = F(mn[k + 1] * er[k + 1])
                ic[k] = F(F(inx[k] * t[TII, k]) + F(nxt * t[TIM, k + 1]))
                dc[k] = F(nxt * t[TDM, k + 1])
                mc[k] = F(F(inx[k] * t[TMI, k]) + F(nxt * t[TMM, k + 1]))
                xb[r] = F(xb[r] + F(F(mn[k] * er[k]) * t[TBM, k]))
        xB = F(F(xb[0] + xb[1]) + F(xb[2] + xb[3]))
        xC = F(xC * xf[CL])
        xJ = F(F(xB * xf[JM]) + F(xJ * xf[JL]))
        xN = F(F(xB * xf[NM]) + F(xN * xf[NL]))
        xE = F(F(xC * xf[EM]) + F(xJ * xf[EL]))
        deletes(mc, dc, xE, True)
        if fscale[i] > 1.0:
            xE, xN, xJ, xB, xC = rescale((mc, ic, dc), (xE, xN, xJ, xB, xC), fscale[i])
        xmx[i] = [xN, xB, xE, xC, xJ]
        mn, inx, dn = mc, ic, dc
    er = e[dsq[0]]
    xb = [Z] * 4
    for q in range(Q):
        for r, k in enumerate(node[q]):
            xb[r] = F(xb[r] + F(F(mn[k] * er[k]) * t[TBM, k]))
    xB = F(F(xb[0] + xb[1]) + F(xb[2] + xb[3]))
    xmx[0, 1] = xB
    xmx[0, 0] = F(F(xB * xf[NM]) + F(xN * xf[NL]))
    return xmx


def _case(seed, M, L):
    rng = np.random.default_rng(seed)
    model = random_model(rng, M)
    match = model.match_emissions[1:]  # sharpened, so that long matches rescale rows
    match[:] = 0.15 * match + 0.85 * (match == match.max(axis=1, keepdims=True))
    consensus = "".join("ACGT"[int(np.argmax(row))] for row in model.match_emissions[1:])
    residues = "".join(rng.choice(list("ACGT"), size=3)) + (consensus * (L // M + 1))[:L]
    profile = configure(model, len(residues))
    tv, ev, _ = float_profile(profile)
    xf = special_odds(profile.kernel_arrays()[3])
    return digitize(residues, DNA), tv, ev, xf


def _bits(a):
    return np.asarray(a, dtype=F).view(np.uint32)


@pytest.mark.parametrize(("seed", "M", "L"), [(1, 1, 5), (2, 7, 30), (3, 12, 60), (4, 110, 40),
                                              (5, 9, 200)])  # fmt: skip
def test_striped_forward_and_backward_are_hmmer_lane_by_lane(seed, M, L):
    """Models of 1 to 110 nodes (up to three delete passes, and HMMER's early stop from
    100 nodes), consensus repeats long enough for rows to be rescaled: every cell of the
    striped Forward at its node's column, and every special of both passes, equal the
    scalar transcription bit for bit."""
    dsq, tv, ev, xf = _case(seed, M, L)
    mx, ix, dx, xmx, scale = float_forward(dsq, tv, ev, xf)
    rmx, rix, rdx, rxmx = reference_forward(dsq, tv, ev, xf)
    Q = max(2, (M - 1) // 4 + 1)
    columns = [striped_column(k, Q) for k in range(4 * Q + 1)]
    for ours, theirs in ((mx, rmx), (ix, rix), (dx, rdx), (xmx, rxmx)):
        cells = ours[:, columns] if ours.shape[1] != 5 else ours
        np.testing.assert_array_equal(_bits(cells), _bits(theirs))
    bx, bscale, own = float_backward_parser(dsq, tv, ev, xf, scale)
    assert not own
    np.testing.assert_array_equal(_bits(bx), _bits(reference_backward(dsq, tv, ev, xf, scale)))
    if L >= 40:
        assert (scale > 1.0).any(), "no row was rescaled"
