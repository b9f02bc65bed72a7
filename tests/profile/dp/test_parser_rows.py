"""The batch parsers' vector node loops against the same recurrences written in numpy, lane
by lane, bit for bit: the odds gathered by permutes (rows of 32 codes on an AVX-512
machine) and lane by lane (other row widths)."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from hmmkit.profile.dp import parser_rows as pr

CASES = [(32, 178, 16), (29, 40, 32), (33, 7, 16), (32, 1, 48), (18, 2, 16)]


@numba.njit
def _forward(mp, ip, dp_, me_t, xs, insw, xB, inv, consts, M):
    mc, ic, dc = np.full((3, M + 1, mp.shape[1]), -1.0)
    mc, ic, dc = mc.copy(), ic.copy(), dc.copy()
    xE, tot = np.zeros(mp.shape[1]), np.zeros(mp.shape[1])
    pr.forward_cells(mp, ip, dp_, mc, ic, dc, me_t, xs, insw, xB, inv, xE, tot, consts, M)
    return mc, ic, dc, xE, tot


@numba.njit
def _backward(mn, inx, me_t, xs, insw, xE, inv, consts, M):
    W = mn.shape[1]
    er = np.full((M + 1, W), -1.0)
    mc, ic = np.full((M + 1, W), -1.0), np.full((M + 1, W), -1.0)
    xB = np.zeros(W)
    pr.backward_begin(mn, er, me_t, xs, xB, consts, M)
    pr.backward_cells(mn, inx, mc, ic, er, insw, xE, inv, consts, M)
    return er, xB, mc, ic


def forward_reference(mp, ip, dp_, me_t, xs, insw, xB, inv, c, M):
    """The Forward row of :func:`~hmmkit.profile.dp.forward_backward.forward_row`, all
    lanes at once in numpy (each elementwise operation rounds as the scalar one)."""
    mc, ic, dc = (np.full(mp.shape, -1.0) for _ in range(3))
    zero = np.zeros(mp.shape[1])
    m_prev, i_prev, d_prev, m_cur, d_cur, xE, tot = (zero.copy() for _ in range(7))
    for k in range(1, M + 1):
        mpk, ipk, dpk = mp[k] * inv, ip[k] * inv, dp_[k] * inv
        m = me_t[k, xs] * (m_prev * c[k, pr.F_MM] + i_prev * c[k, pr.F_IM]
                           + d_prev * c[k, pr.F_DM] + xB * c[k, pr.F_BM])  # fmt: skip
        i = insw * (mpk * c[k, pr.F_MI] + ipk * c[k, pr.F_II])
        d = m_cur * c[k, pr.F_MD] + d_cur * c[k, pr.F_DD]
        xE = xE + (m + d) * c[k, pr.F_ESC]
        tot = tot + (m + i + d)
        mc[k], ic[k], dc[k] = m, i, d
        m_prev, i_prev, d_prev, m_cur, d_cur = mpk, ipk, dpk, m, d
    return mc, ic, dc, xE, tot


def backward_reference(mn, inx, me_t, xs, insw, xE, inv, c, M):
    """The Backward row of :func:`~hmmkit.profile.dp.forward_backward.backward_row` (its
    B cell from the next row, its match and insert cells scaled), all lanes in numpy."""
    er = np.full(mn.shape, -1.0)
    er[1:] = me_t[1:, xs]
    xB = np.zeros(mn.shape[1])
    for k in range(1, M + 1):
        xB = xB + mn[k] * c[k, pr.B_BM] * er[k]
    mc, ic = np.full(mn.shape, -1.0), np.full(mn.shape, -1.0)
    mc[M], ic[M] = xE * inv, 0.0 * inv
    d = xE
    for k in range(M - 1, 0, -1):
        nk, ik = mn[k + 1] * er[k + 1], inx[k] * insw
        m = nk * c[k, pr.B_MM] + ik * c[k, pr.B_MI] + xE * c[k, pr.B_ESC] + d * c[k, pr.B_MD]
        i = nk * c[k, pr.B_IM] + ik * c[k, pr.B_II]
        d = nk * c[k, pr.B_DM] + d * c[k, pr.B_DD] + xE * c[k, pr.B_ESC]
        mc[k], ic[k] = m * inv, i * inv
    return er, xB, mc, ic


def _random_row(rng, codes, M, W):
    """Lane rows, odds by node and code, each lane's code (every code, the last among them),
    insert odds, B/E cells, scale factors and per-node constants, at random."""
    rows = [rng.random((M + 1, W)) for _ in range(3)]
    for row in rows:
        row[0] = 0.0
    me_t = rng.random((M + 1, codes)) * 3.0
    xs = rng.integers(0, codes, size=W).astype(np.int64)
    xs[: min(W, codes)] = np.arange(min(W, codes))[::-1]
    lanes = [rng.random(W) for _ in range(3)]
    consts = np.zeros((M + 1, pr.N_CONSTANTS))
    consts[:, :9] = rng.random((M + 1, 9))
    return rows, me_t, xs, lanes, consts


def _same(got, want):
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and np.array_equal(g.view(np.int64), w.view(np.int64))


@pytest.mark.parametrize(("codes", "M", "W"), CASES)
def test_forward_cells_are_the_recurrences_bit_for_bit(codes, M, W):
    rng = np.random.default_rng(codes * 1000 + M + W)
    (mp, ip, dp_), me_t, xs, (insw, xB, inv), consts = _random_row(rng, codes, M, W)
    got = _forward(mp, ip, dp_, me_t, xs, insw, xB, inv, consts, M)
    _same(got, forward_reference(mp, ip, dp_, me_t, xs, insw, xB, inv, consts, M))
    assert (got[0][0] == -1.0).all()  # node 0 is not written


@pytest.mark.parametrize(("codes", "M", "W"), CASES)
def test_backward_cells_are_the_recurrences_bit_for_bit(codes, M, W):
    rng = np.random.default_rng(codes * 1000 + M + W + 1)
    (mn, inx, _), me_t, xs, (insw, xE, inv), consts = _random_row(rng, codes, M, W)
    got = _backward(mn, inx, me_t, xs, insw, xE, inv, consts, M)
    _same(got, backward_reference(mn, inx, me_t, xs, insw, xE, inv, consts, M))


def test_the_kernels_refuse_what_they_cannot_read():
    @numba.njit
    def strided(a, M):
        xs = np.zeros(16, dtype=np.int64)
        lanes = np.zeros(16)
        pr.backward_begin(a[:, ::2], a[:, ::2], a, xs, lanes, a, M)

    with pytest.raises(numba.core.errors.TypingError):
        strided(np.zeros((3, 32)), 2)
