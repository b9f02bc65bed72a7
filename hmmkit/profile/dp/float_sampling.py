"""Stochastic tracebacks in single precision, step for step as HMMER's vectorized code.

Domain definition clusters 200 paths sampled from a region's Forward matrix. Each choice
compares a uniform deviate with cumulative path probabilities, and one choice that goes
the other way shifts every later draw; in a long or weak multi-domain region, envelopes
then move. HMMER computes that Forward matrix in single precision with its 4-lane striped
kernel (parameters through a polynomial exp, sparse rescaling) and samples in single
precision; a double-precision matrix differs from it by ~1e-6 and the ensemble sometimes
follows another path. This module reproduces HMMER's arithmetic operation by operation:
the profile's single-precision odds (:func:`float_profile`), the Forward matrix
(:func:`float_forward`) and the sampled path (:func:`float_stochastic_trace_reversed`).
The Forward matrix's rows are striped as HMMER's vectors (lane r of vector q holds node
``r*Q + q + 1``; :func:`striped_column`), and each vector's four lanes are computed side
by side as LLVM vector code (:mod:`.striped_rows`).
"""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from .. import plan7 as p7
from ..digital import code_table
from .rng import rng_uniform
from .striped_rows import forward_striped_row

F32 = np.float32
F64 = np.float64  # numba types float() of a float32 as float32
# Node-vector rows of the transition table (HMMER's per-vector order, then D->D).
TBM, TMM, TIM, TDM, TMD, TMI, TII, TDD = range(8)
NL, NM, EL, EM, CL, CM, JL, JM = range(8)  # specials: N/E/C/J loop and move

_P = np.array([1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
               1.6666665459e-1, 5.0000001201e-1], dtype=np.float32)  # fmt: skip
_C0, _C1 = F32(0.693359375), F32(-2.12194440e-4)
_MAXLOGF, _MINLOGF = F32(88.3762626647949), F32(-88.3762626647949)
_LOG2R = F32(1.44269504088896341)
_HALF, _ONE, _ZERO = F32(0.5), F32(1.0), F32(0.0)
_RESCALE = F32(1.0e4)


@njit(cache=True, nogil=True)
def polynomial_expf(x):
    """exp(x) of a float32 by the Cephes polynomial of HMMER's vector code (esl_sse_expf),
    to the last bit."""
    if x > _MAXLOGF:
        return F32(np.inf)
    if not x > _MINLOGF:  # also -inf
        return _ZERO
    fx = F32(F32(x * _LOG2R) + _HALF)
    tmp = F32(int(fx))
    if tmp > fx:
        tmp = F32(tmp - _ONE)
    k = int(tmp)
    x = F32(F32(x - F32(tmp * _C0)) - F32(tmp * _C1))
    z = F32(x * x)
    y = _P[0]
    for c in range(1, 6):
        y = F32(F32(y * x) + _P[c])
    y = F32(F32(F32(y * z) + x) + _ONE)
    if k + 127 <= 0:
        return _ZERO
    return F32(y * F32(2.0**k))


@njit(cache=True, nogil=True)
def _expf_array(scores):
    out = np.empty(scores.shape, dtype=np.float32)
    flat, res = scores.ravel(), out.ravel()
    for n in range(flat.shape[0]):
        res[n] = polynomial_expf(flat[n])
    return out


def entry_odds(hmm) -> np.ndarray:
    """Local-mode B->M_k odds (M+1,) as HMMER computes them: match occupancy in single
    precision (its recurrence mixes one double term), normalized, logged in double, and
    exponentiated by :func:`polynomial_expf`."""
    t = np.asarray(hmm.transitions, dtype=np.float32)
    M = hmm.M
    occ = np.zeros(M + 1, dtype=np.float32)
    occ[1] = t[0, 1] + t[0, 0]
    for k in range(2, M + 1):
        kept = F32(occ[k - 1] * F32(t[k - 1, 0] + t[k - 1, 1]))
        occ[k] = F32(float(kept) + (1.0 - float(occ[k - 1])) * float(t[k - 1, 5]))
    z = F32(0.0)
    for k in range(1, M + 1):
        z = F32(z + F32(occ[k] * F32(M - k + 1)))
    with np.errstate(divide="ignore"):
        scores = np.log((occ / z).astype(np.float32).astype(np.float64)).astype(np.float32)
    out = _expf_array(scores)
    out[0] = 0.0
    return out


def float_profile(profile, entry=None):
    """HMMER's single-precision odds of a search profile: (tv, ev, xf); ``entry`` the
    local B->M odds from :func:`entry_odds` (else taken from the profile's scores).

    ``tv`` (8, M+1): per node k the transitions into k (B->M, M->M, I->M, D->M from node
    k-1) and out of k (M->D, M->I, I->I, D->D), 0 where there is none; ``ev`` (codes, M+1)
    match emission odds by digital code; ``xf`` (8,) the special loop/move probabilities.
    """
    M = profile.M
    tsc = profile.tsc.astype(np.float32)
    tv = np.full((8, M + 1), -np.inf, dtype=np.float32)
    cols = {TBM: p7.BM, TMM: p7.MM, TIM: p7.IM, TDM: p7.DM}
    for row, col in cols.items():
        tv[row, 1:] = tsc[:M, col]
    for row, col in {TMD: p7.MD, TMI: p7.MI, TII: p7.II, TDD: p7.DD}.items():
        tv[row, 1:M] = tsc[1:M, col]
    tv = _expf_array(tv)
    tv[:, 0] = 0.0
    if entry is not None:
        tv[TBM] = entry
    ev = _expf_array(_float_match_scores(profile))
    ev[:, 0] = 0.0
    with np.errstate(over="ignore"):
        return tv, ev, special_odds(np.exp(profile.xsc))


def special_odds(xp) -> np.ndarray:
    """The (8,) single-precision N/E/C/J loop and move probabilities of (4, 2) ``xp``."""
    xp = xp.astype(np.float32)
    return np.array([xp[p7.XN, p7.LOOP], xp[p7.XN, p7.MOVE], xp[p7.XE, p7.LOOP],
                     xp[p7.XE, p7.MOVE], xp[p7.XC, p7.LOOP], xp[p7.XC, p7.MOVE],
                     xp[p7.XJ, p7.LOOP], xp[p7.XJ, p7.MOVE]], dtype=np.float32)  # fmt: skip


def _float_match_scores(profile) -> np.ndarray:
    """Match log-odds as HMMER stores them: computed in double, kept in single precision;
    degenerate codes the background-weighted mean in single precision."""
    K = profile.alphabet.size
    bgf = np.asarray(profile.background.frequencies, dtype=np.float32)
    sc = profile.msc[:K].astype(np.float32)  # log(p / f) in double, stored in single
    out = np.full(profile.msc.shape, -np.inf, dtype=np.float32)
    out[:K] = sc
    table = code_table(profile.alphabet)
    degen = table.degeneracy
    for code in range(K + 1, table.nonresidue):
        result = np.zeros(sc.shape[1], dtype=np.float32)
        denom = F32(0.0)
        for i in np.flatnonzero(degen[code]):
            result = (result + sc[i] * bgf[i]).astype(np.float32)
            denom = F32(denom + bgf[i])
        out[code] = (result / denom).astype(np.float32)
    out[:, 0] = -np.inf
    return out


#: Columns of a striped row before its cells: the right shift of its last vector (lane r
#: holds lane r-1's last cell, lane 0 a zero), so that every vector's "node before" is the
#: vector before it in the row. Column 0 stays 0: the cell of node 0.
HEAD = 4


@njit(cache=True, nogil=True, inline="always")
def striped_column(k, Q):
    """The column of node `k` in a striped row of :func:`float_forward` (Q vectors of four
    lanes; lane r of vector q holds node ``r*Q + q + 1``): 0 for node 0."""
    if k == 0:
        return 0
    return HEAD + 4 * ((k - 1) % Q) + (k - 1) // Q


@njit(cache=True, nogil=True)
def _striped(values, Q):
    """Rows of node values (n, M+1) as striped rows (n, HEAD + 4Q), 0 past node M."""
    out = np.zeros((values.shape[0], HEAD + 4 * Q), dtype=np.float32)
    for k in range(1, values.shape[1]):
        c = striped_column(k, Q)
        for n in range(values.shape[0]):
            out[n, c] = values[n, k]
    return out


@njit(cache=True, nogil=True, inline="always")
def _shift_in(row, Q):
    """Fill `row`'s head with the right shift of its last vector."""
    last = HEAD + 4 * (Q - 1)
    row[1] = row[last]
    row[2] = row[last + 1]
    row[3] = row[last + 2]


@njit(cache=True, nogil=True)
def float_forward(dsq, tv, ev, xf):
    """HMMER's vectorized Forward (p7_Forward) in single precision: (mx, ix, dx, xmx,
    scale). ``mx, ix, dx`` rows are striped as HMMER's vectors (node k in column
    :func:`striped_column`); ``xmx`` rows hold N B E C J; ``scale[i]`` is row i's sparse
    rescaling factor (1 where the row was not rescaled). Each vector's four lanes are
    computed side by side, every lane's operations those of HMMER's code."""
    L = dsq.shape[0]
    M = tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    C = HEAD + 4 * Q
    mx = np.zeros((L + 1, C), dtype=np.float32)
    ix = np.zeros((L + 1, C), dtype=np.float32)
    dx = np.zeros((L + 1, C), dtype=np.float32)
    xmx = np.zeros((L + 1, 5), dtype=np.float32)
    scale = np.ones(L + 1, dtype=np.float32)
    t = _striped(tv, Q)
    e = _striped(ev, Q)
    xN, xB, xJ, xC = _ONE, xf[NM], _ZERO, _ZERO
    xmx[0, p7.SN], xmx[0, p7.SB] = xN, xB
    for i in range(1, L + 1):
        mp, ip, dpv = mx[i - 1], ix[i - 1], dx[i - 1]
        _shift_in(mp, Q)
        _shift_in(ip, Q)
        _shift_in(dpv, Q)
        xE = forward_striped_row(mp, ip, dpv, mx[i], ix[i], dx[i], t, e[dsq[i - 1]], xB, Q,
                                 M >= 100)  # fmt: skip
        xN = F32(xN * xf[NL])
        xC = F32(F32(xC * xf[CL]) + F32(xE * xf[EM]))
        xJ = F32(F32(xJ * xf[JL]) + F32(xE * xf[EL]))
        xB = F32(F32(xJ * xf[JM]) + F32(xN * xf[NM]))
        if xE > _RESCALE:
            xN, xC, xJ, xB = F32(xN / xE), F32(xC / xE), F32(xJ / xE), F32(xB / xE)
            inv = F32(1.0 / float(xE))
            mc, ic, dc = mx[i], ix[i], dx[i]
            for j in range(HEAD, C):
                mc[j] = F32(mc[j] * inv)
                dc[j] = F32(dc[j] * inv)
                ic[j] = F32(ic[j] * inv)
            scale[i] = xE
            xE = _ONE
        xmx[i, p7.SN], xmx[i, p7.SB], xmx[i, p7.SE] = xN, xB, xE
        xmx[i, p7.SC], xmx[i, p7.SJ] = xC, xJ
    for i in range(L + 1):
        for row in (mx[i], ix[i], dx[i]):
            row[1] = row[2] = row[3] = _ZERO
    return mx, ix, dx, xmx, scale


@njit(cache=True, nogil=True, inline="always")
def _kahan_add(s, c, p):
    """One step of esl_vec_FNorm's Kahan sum: (sum, compensation) after adding `p`."""
    y = F32(p - c)
    t = F32(s + y)
    return t, F32(F32(t - s) - y)


@njit(cache=True, nogil=True, inline="always")
def _normalized(p, s, n):
    """Weight `p` divided by the Kahan sum `s` of `n` weights (1/n when `s` is zero)."""
    return F32(p / s) if s != _ZERO else F32(_ONE / F32(n))


@njit(cache=True, nogil=True)
def _threshold2(p0, p1):
    """esl_vec_FNorm (Kahan-summed) then esl_rnd_FChoose on two weights: a deviate below
    the returned threshold picks the first, any other the second."""
    s, c = _kahan_add(_ZERO, _ZERO, p0)
    s, c = _kahan_add(s, c, p1)
    q0, q1 = _normalized(p0, s, 2), _normalized(p1, s, 2)
    return F64(q0) / (F64(q0) + F64(q1))


@njit(cache=True, nogil=True)
def _thresholds4(p0, p1, p2, p3):
    """As :func:`_threshold2` for four weights: the deviate picks the first weight whose
    threshold exceeds it, the fourth when none of the three does."""
    s, c = _kahan_add(_ZERO, _ZERO, p0)
    s, c = _kahan_add(s, c, p1)
    s, c = _kahan_add(s, c, p2)
    s, c = _kahan_add(s, c, p3)
    q0, q1 = _normalized(p0, s, 4), _normalized(p1, s, 4)
    q2, q3 = _normalized(p2, s, 4), _normalized(p3, s, 4)
    norm = F64(q0) + F64(q1) + F64(q2) + F64(q3)
    acc0 = F64(q0)
    acc1 = acc0 + F64(q1)
    acc2 = acc1 + F64(q2)
    return acc0 / norm, acc1 / norm, acc2 / norm


@njit(cache=True, nogil=True, inline="always")
def _pick4(roll, t0, t1, t2):
    """The choice of :func:`_thresholds4`'s thresholds for deviate `roll`."""
    if roll < t0:
        return 0
    if roll < t1:
        return 1
    return 2 if roll < t2 else 3


@njit(cache=True, nogil=True)
def _exit_in_vector(row, q, Q, norm, roll, total):
    """Add vector q's four cells of ``row`` (times ``norm``) to ``total`` until it passes
    ``roll``: (total, node chosen or 0)."""
    for r in range(4):
        total = F32(total + F32(row[HEAD + 4 * q + r] * norm))
        if roll < total:
            return total, r * Q + q + 1
    return total, 0


#: Bits of a sampling memo's flags: which of a cell's or row's choices are known.
_M_KNOWN, _D_KNOWN, _I_KNOWN = 1, 2, 4
_C_KNOWN, _J_KNOWN, _B_KNOWN, _E_KNOWN = 1, 2, 4, 8


def sampling_memo_size(L: int, M: int) -> int:
    """float64 cells :func:`sampling_memo` needs for `L` residues and `M` nodes."""
    W = 4 * max(2, (M - 1) // 4 + 1)
    return (L + 1) * (W + 1) * 5 + (L + 1) * 3 + (L + 1) * W


@njit(cache=True, nogil=True)
def sampling_memo(mx, work):
    """Memo of the choices of :func:`float_stochastic_trace_reversed` on matrices shaped
    as `mx`, in `work` (at least :func:`sampling_memo_size` cells, reused between
    regions): each choice depends on its cell alone, so paths sampled from one matrix
    share its thresholds (and the exit choice its running totals), computed the first
    time a path needs them."""
    L = mx.shape[0] - 1
    W = mx.shape[1] - HEAD  # nodes of the striped rows
    end = (L + 1) * (W + 1) * 5
    cells = work[:end].reshape(L + 1, W + 1, 5)  # M's three thresholds, D's, I's
    rows = work[end : end + (L + 1) * 3].reshape(L + 1, 3)  # C's, J's and B's thresholds
    start = end + (L + 1) * 3
    exits = work[start : start + (L + 1) * W].view(np.float32).reshape(L + 1, 2 * W)  # E's
    cell_known = np.zeros((L + 1, W + 1), dtype=np.uint8)
    row_known = np.zeros(L + 1, dtype=np.uint8)
    return cells, cell_known, rows, exits, row_known


@njit(cache=True, nogil=True)
def _exit_totals(mxi, dxi, norm, Q, out):
    """The running total of E's choice over a row, in its order (vector by vector, the
    match cells then the delete cells): the choice is the first whose total exceeds the
    deviate. The totals never decrease (each adds a value >= 0, or NaN to the end)."""
    total = _ZERO
    for q in range(Q):
        for r in range(4):
            total = F32(total + F32(mxi[HEAD + 4 * q + r] * norm))
            out[8 * q + r] = total
        for r in range(4):
            total = F32(total + F32(dxi[HEAD + 4 * q + r] * norm))
            out[8 * q + 4 + r] = total


@njit(cache=True, nogil=True)
def _exit_choice(state, mxi, dxi, norm, Q, M, totals):
    """E's choice of the node it leaves from: (state, node), from the row's running
    totals (a binary search for the first above the deviate); past the last total, as
    HMMER's loop does, which adds the row again to the total."""
    roll = F32(rng_uniform(state))
    last = totals.shape[0] - 1
    if roll < totals[last]:
        lo, hi = 0, last
        while lo < hi:
            mid = (lo + hi) // 2
            if roll < totals[mid]:
                hi = mid
            else:
                lo = mid + 1
        q, j = lo // 8, lo % 8
        return (p7.ST_M if j < 4 else p7.ST_D), (j % 4) * Q + q + 1
    total = _ZERO
    while True:
        for q in range(Q):
            total, k = _exit_in_vector(mxi, q, Q, norm, roll, total)
            if k > 0:
                return p7.ST_M, k
            total, k = _exit_in_vector(dxi, q, Q, norm, roll, total)
            if k > 0:
                return p7.ST_D, k
        if total < F32(0.99):
            return p7.ST_M, M  # unnormalized: HMMER would stop with an error


@njit(cache=True, nogil=True)
def float_stochastic_trace_reversed(state, tv, xf, mx, ix, dx, xmx, scale, M, st, kk, ii, memo):
    """Sample a path (p7_StochasticTrace) from :func:`float_forward`'s matrices into the
    caller's buffers, T first; returns its length (as plan7.stochastic_trace_reversed).
    `memo` is :func:`sampling_memo` of these matrices (filled as paths need it)."""
    L = mx.shape[0] - 1
    Q = (mx.shape[1] - HEAD) // 4
    cells, cell_known, rows, exits, row_known = memo
    st[0], kk[0], ii[0] = p7.ST_T, 0, 0
    st[1], kk[1], ii[1] = p7.ST_C, 0, 0
    n = 2
    i, k, s = L, 0, p7.ST_C
    while s != p7.ST_S:
        if s == p7.ST_C or s == p7.ST_J:
            loop, eout, sx = (CL, EM, p7.SC) if s == p7.ST_C else (JL, EL, p7.SJ)
            col, bit = (0, _C_KNOWN) if s == p7.ST_C else (1, _J_KNOWN)
            if not row_known[i] & bit:
                stay = F32(xmx[i - 1, sx] * xf[loop]) if i > 0 else _ZERO
                leave = F32(F32(xmx[i, p7.SE] * xf[eout]) * scale[i])
                rows[i, col] = _threshold2(stay, leave)
                row_known[i] |= bit
            if rng_uniform(state) < rows[i, col]:
                ii[n - 1] = i
                i -= 1
            else:
                s = p7.ST_E
        elif s == p7.ST_N:
            if i == 0:
                s = p7.ST_S
            else:  # N emitted residue i
                ii[n - 1] = i
                i -= 1
        elif s == p7.ST_E:
            norm = F32(1.0 / float(xmx[i, p7.SE]))
            if not row_known[i] & _E_KNOWN:
                _exit_totals(mx[i], dx[i], norm, Q, exits[i])
                row_known[i] |= _E_KNOWN
            s, k = _exit_choice(state, mx[i], dx[i], norm, Q, M, exits[i])
        elif s == p7.ST_B:
            if not row_known[i] & _B_KNOWN:
                from_n = F32(xmx[i, p7.SN] * xf[NM])
                from_j = F32(xmx[i, p7.SJ] * xf[JM])
                rows[i, 2] = _threshold2(from_n, from_j)
                row_known[i] |= _B_KNOWN
            s = p7.ST_N if rng_uniform(state) < rows[i, 2] else p7.ST_J
        elif s == p7.ST_M:
            memo_cell = cells[i, k]
            if not cell_known[i, k] & _M_KNOWN:
                before = striped_column(k - 1, Q)
                t0, t1, t2 = _thresholds4(
                    F32(xmx[i - 1, p7.SB] * tv[TBM, k]),
                    F32(mx[i - 1, before] * tv[TMM, k]),
                    F32(ix[i - 1, before] * tv[TIM, k]),
                    F32(dx[i - 1, before] * tv[TDM, k]),
                )
                memo_cell[0], memo_cell[1], memo_cell[2] = t0, t1, t2
                cell_known[i, k] |= _M_KNOWN
            c = _pick4(rng_uniform(state), memo_cell[0], memo_cell[1], memo_cell[2])
            s = p7.ST_B if c == 0 else (p7.ST_M if c == 1 else (p7.ST_I if c == 2 else p7.ST_D))
            i -= 1
            k -= 1
        elif s == p7.ST_D:
            if not cell_known[i, k] & _D_KNOWN:
                before = striped_column(k - 1, Q)
                from_m = F32(mx[i, before] * tv[TMD, k - 1])
                from_d = F32(dx[i, before] * tv[TDD, k - 1])
                cells[i, k, 3] = _threshold2(from_m, from_d)
                cell_known[i, k] |= _D_KNOWN
            s = p7.ST_M if rng_uniform(state) < cells[i, k, 3] else p7.ST_D
            k -= 1
        elif s == p7.ST_I:
            if not cell_known[i, k] & _I_KNOWN:
                here = striped_column(k, Q)
                from_m = F32(mx[i - 1, here] * tv[TMI, k])
                from_i = F32(ix[i - 1, here] * tv[TII, k])
                cells[i, k, 4] = _threshold2(from_m, from_i)
                cell_known[i, k] |= _I_KNOWN
            s = p7.ST_M if rng_uniform(state) < cells[i, k, 4] else p7.ST_I
            i -= 1
        st[n] = s
        kk[n] = k if (s == p7.ST_M or s == p7.ST_D or s == p7.ST_I) else 0
        ii[n] = i if (s == p7.ST_M or s == p7.ST_I) else 0
        n += 1
    return n
