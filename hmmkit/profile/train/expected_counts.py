"""Compiled expected counts of a profile HMM's core parameters (the Baum-Welch E-step).

Forward and Backward run over one sequence at a time in probability space, every row
divided by its sum (the Backward rows by the Forward pass's factors), so the results are
exact sums over all paths with no log/exp in the inner loops. Two path models are
available; both use the core probabilities of a
:class:`~hmmkit.profile.plan7.ProfileHMM` (HMMER indexing, see
:mod:`hmmkit.profile.plan7`) and treat a degenerate residue as the observation "one of
the residues it stands for" (its emission probability is the sum over that set).

``glocal`` -- the core model as a generative model of whole sequences (uni-hit, no
flanking states). A path starts at B (= M0), ends at E, and emits the whole sequence:

* B -> M1 (``t[0,MM]``), B -> I0 (``t[0,MI]``), B -> D1 (``t[0,MD]``);
* for k = 1..M-1: M_k -> M_k+1 / I_k / D_k+1 (MM, MI, MD), I_k -> M_k+1 / I_k (IM, II),
  D_k -> M_k+1 / D_k+1 (DM, DD); I0 -> M1 / I0 (``t[0,IM]``, ``t[0,II]``);
* node M: M_M -> E / I_M (``t[M,MM]``, ``t[M,MI]``), I_M -> E / I_M (``t[M,IM]``,
  ``t[M,II]``), D_M -> E (``t[M,DM]`` = 1);
* M_k emits ``match_emissions[k]``, I_k (k = 0..M) emits ``insert_emissions[k]``.

I0 and I_M absorb residues before the first and after the last match state.

``local`` -- HMMER's local, uni-hit alignment model with a uniform entry distribution:
S -> N, N emits residues of the background ``bg`` and loops with probability
L/(L+2) (L the sequence's length) or moves to B with 2/(L+2); B -> M_k with probability
2/(M(M+1)) for every k = 1..M; inside the model the core transitions of nodes 1..M-1
(no I0, no I_M, no entry into D states); every M_k and D_k (k = 1..M) exits to E with
weight 1, as in HMMER's local profile; E -> C; C emits background residues, loops with
L/(L+2) and ends with 2/(L+2). Only nodes 1..M-1's transitions, match emissions 1..M and
insert emissions 1..M-1 receive counts. The weights are not normalised (as HMMER's), but
they are constants, so EM on them is still exact.

Sequences are digital codes as :func:`hmmkit.profile.digital.digitize` gives
them. Emission tables are per code: ``me[x, k]`` is the probability that M_k emits code
x (summed over the residues a degenerate code stands for), ``ie[x, k]`` the same for
I_k. The kernels return expected counts of each code per state; :func:`code_to_residue_counts`
splits those of degenerate codes over residues in proportion to their emission
probabilities (the E-step for the unobserved residue).
"""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from ...training.parallel import map_shards
from ..digital import pack
from ..plan7 import DD, DM, II, IM, MD, MI, MM

MODES = ("glocal", "local")

#: The options of every kernel here (FMA contraction allowed, as in the sums they make);
#: the small per-row steps are inlined into the two path-model kernels.
_kernel = njit(cache=True, nogil=True, fastmath={"contract"})
_row_step = njit(cache=True, nogil=True, fastmath={"contract"}, inline="always")


@_kernel
def _by_type(tt):
    """The seven transition rows of ``tt`` (7, M+1): MM, MI, MD, IM, II, DM, DD."""
    return tt[MM], tt[MI], tt[MD], tt[IM], tt[II], tt[DM], tt[DD]


@_kernel
def _clear_row(fm, fi, fd, i):
    for k in range(fm.shape[1]):
        fm[i, k] = 0.0
        fi[i, k] = 0.0
        fd[i, k] = 0.0


@_row_step
def _open_deletes(mc, dc, tmd, tdd, first):
    """Forward's delete chain of a row: D_k = M_k-1 t(MD) + D_k-1 t(DD), for k >= first."""
    d = 0.0
    for k in range(first, mc.shape[0]):
        d = mc[k - 1] * tmd[k - 1] + d * tdd[k - 1]
        dc[k] = d


@_row_step
def _scale_row(mc, ic, dc, inv):
    for k in range(mc.shape[0]):
        mc[k] *= inv
        ic[k] *= inv
        dc[k] *= inv


@_kernel
def _log_likelihood(pend, rowsum, L):
    """log P(x): the end probability of the scaled rows times every row's scale factor."""
    loglik = math.log(pend)
    for i in range(L + 1):
        loglik += math.log(rowsum[i])
    return loglik


@_kernel
def _backward_scratch(M):
    """Two Backward rows of M, I, D (bm/bi current, bm1/bi1 the next row), the next row's
    M and I values times their emissions (nm, ni), and the transition sums ``a``."""
    bm = np.zeros(M + 2)
    bi = np.zeros(M + 2)
    bd = np.zeros(M + 2)
    bm1 = np.zeros(M + 2)
    bi1 = np.zeros(M + 2)
    nm = np.zeros(M + 1)
    ni = np.zeros(M + 1)
    a = np.zeros((7, M + 1))
    return bm, bi, bd, bm1, bi1, nm, ni, a


@_row_step
def _add_moves_to_next_row(a, mrow, irow, drow, nm, ni, lo, hi):
    """Add, for k in [lo, hi), the posterior weight of the moves into row i+1's M and I."""
    for k in range(lo, hi):
        a[MM, k] += mrow[k] * nm[k]
        a[IM, k] += irow[k] * nm[k]
        a[DM, k] += drow[k] * nm[k]
        a[MI, k] += mrow[k] * ni[k]
        a[II, k] += irow[k] * ni[k]


@_row_step
def _add_moves_to_deletes(a, mrow, drow, bd, lo, hi):
    """Add, for k in [lo, hi), the posterior weight of M_k -> D_k+1 and D_k -> D_k+1."""
    for k in range(lo, hi):
        a[MD, k] += mrow[k] * bd[k + 1]
        a[DD, k] += drow[k] * bd[k + 1]


@_row_step
def _add_emissions(count, forward, backward, scale, lo, hi):
    for k in range(lo, hi):
        count[k] += forward[k] * backward[k] * scale


@_kernel
def _add_transitions(acc, a, tt, scale, lo, hi):
    """acc += the transition sums ``a`` of nodes [lo, hi) times their probabilities."""
    for s in range(7):
        for k in range(lo, hi):
            acc[s, k] += a[s, k] * tt[s, k] * scale


@_kernel
def _glocal_counts(dsq, start, L, tt, me, ie, fm, fi, fd, rowsum, acc, mcount, icount, weight):
    """Add ``weight`` x the expected counts of ``dsq[start:start+L]``; returns log P(x).

    ``tt`` (7, M+1) are the transitions by type. ``acc`` (7, M+1) receives expected
    transition uses, ``mcount``/``icount`` (Kp, M+1) expected emissions of each code.
    ``fm/fi/fd`` (>= L+1, M+1) and ``rowsum`` (>= L+1, the row scale factors) are scratch.
    """
    M = tt.shape[1] - 1
    tmm, tmi, tmd, tim, tii, tdm, tdd = _by_type(tt)
    # ---- Forward, row 0: B and the delete chain it opens
    _clear_row(fm, fi, fd, 0)
    fm[0, 0] = 1.0
    tot = 1.0
    fd[0, 1] = tmd[0]
    tot += fd[0, 1]
    for k in range(2, M + 1):
        fd[0, k] = fd[0, k - 1] * tdd[k - 1]
        tot += fd[0, k]
    _scale_row(fm[0], fi[0], fd[0], 1.0 / tot)
    rowsum[0] = tot
    for i in range(1, L + 1):
        x = dsq[start + i - 1]
        erow, irow = me[x], ie[x]
        mp, ip, dp = fm[i - 1], fi[i - 1], fd[i - 1]
        mc, ic, dc = fm[i], fi[i], fd[i]
        mc[0] = 0.0
        dc[0] = 0.0
        for k in range(1, M + 1):
            mc[k] = erow[k] * (mp[k - 1] * tmm[k - 1] + ip[k - 1] * tim[k - 1]
                               + dp[k - 1] * tdm[k - 1])  # fmt: skip
        for k in range(M + 1):
            ic[k] = irow[k] * (mp[k] * tmi[k] + ip[k] * tii[k])
        _open_deletes(mc, dc, tmd, tdd, 1)
        tot = 0.0
        for k in range(M + 1):
            tot += mc[k] + ic[k] + dc[k]
        if tot <= 0.0:
            return -np.inf
        _scale_row(mc, ic, dc, 1.0 / tot)
        rowsum[i] = tot
    pend = fm[L, M] * tmm[M] + fi[L, M] * tim[M] + fd[L, M] * tdm[M]
    if pend <= 0.0:
        return -np.inf
    loglik = _log_likelihood(pend, rowsum, L)

    # ---- Backward (two rows) with the accumulation of posteriors
    bm, bi, bd, bm1, bi1, nm, ni, a = _backward_scratch(M)
    # row L: transitions into E
    bm[M] = tmm[M]
    bi[M] = tim[M]
    bd[M] = tdm[M]
    for k in range(M - 1, 0, -1):
        bd[k] = tdd[k] * bd[k + 1]
    for k in range(M):
        bm[k] = tmd[k] * bd[k + 1]
        bi[k] = 0.0
    a[MM, M] += fm[L, M]
    a[IM, M] += fi[L, M]
    a[DM, M] += fd[L, M]
    scale = weight / pend
    for i in range(L, -1, -1):
        mrow, irow_f, drow = fm[i], fi[i], fd[i]
        if i < L:
            y = dsq[start + i]  # residue i+1
            inv = 1.0 / rowsum[i + 1]
            erow = me[y]
            eirow = ie[y]
            for k in range(M):
                nm[k] = erow[k + 1] * bm1[k + 1] * inv
            for k in range(M + 1):
                ni[k] = eirow[k] * bi1[k] * inv
            nm[M] = 0.0
            d = 0.0
            for k in range(M - 1, 0, -1):
                d = tdm[k] * nm[k] + tdd[k] * d
                bd[k] = d
            bd[M] = 0.0
            bd[0] = 0.0
            for k in range(M + 1):
                bm[k] = tmm[k] * nm[k] + tmi[k] * ni[k] + tmd[k] * bd[k + 1]
                bi[k] = tim[k] * nm[k] + tii[k] * ni[k]
            _add_moves_to_next_row(a, mrow, irow_f, drow, nm, ni, 0, M + 1)
        _add_moves_to_deletes(a, mrow, drow, bd, 0, M)
        if i >= 1:
            x = dsq[start + i - 1]
            _add_emissions(mcount[x], mrow, bm, scale, 1, M + 1)
            _add_emissions(icount[x], irow_f, bi, scale, 0, M + 1)
        bm, bm1 = bm1, bm
        bi, bi1 = bi1, bi
    _add_transitions(acc, a, tt, scale, 0, M + 1)
    return loglik


@_kernel
def _local_counts(dsq, start, L, tt, me, ie, bg, fm, fi, fd, fx, rowsum, acc, mcount, icount,
                  weight):  # fmt: skip
    """Local uni-hit version of :func:`_glocal_counts`; ``bg[x]`` the flank emission of
    code x; ``fx`` (>= L+1, 4) scratch for the N, B, E, C states."""
    M = tt.shape[1] - 1
    tmm, tmi, tmd, tim, tii, tdm, tdd = _by_type(tt)
    pmove = 2.0 / (L + 2.0)
    ploop = L / (L + 2.0)
    entry = 2.0 / (M * (M + 1.0))
    XN, XB, XE, XC = 0, 1, 2, 3
    _clear_row(fm, fi, fd, 0)
    fx[0, XN] = 1.0
    fx[0, XB] = pmove
    fx[0, XE] = 0.0
    fx[0, XC] = 0.0
    rowsum[0] = 1.0
    for i in range(1, L + 1):
        x = dsq[start + i - 1]
        erow, irow = me[x], ie[x]
        mp, ip, dp = fm[i - 1], fi[i - 1], fd[i - 1]
        mc, ic, dc = fm[i], fi[i], fd[i]
        xb = fx[i - 1, XB] * entry
        mc[0] = 0.0
        ic[0] = 0.0
        dc[0] = 0.0
        dc[1] = 0.0
        mc[1] = erow[1] * xb
        for k in range(2, M + 1):
            mc[k] = erow[k] * (xb + mp[k - 1] * tmm[k - 1] + ip[k - 1] * tim[k - 1]
                               + dp[k - 1] * tdm[k - 1])  # fmt: skip
        for k in range(1, M):
            ic[k] = irow[k] * (mp[k] * tmi[k] + ip[k] * tii[k])
        ic[M] = 0.0
        _open_deletes(mc, dc, tmd, tdd, 2)
        xe = 0.0
        tot = 0.0
        for k in range(1, M + 1):
            xe += mc[k] + dc[k]
            tot += mc[k] + ic[k] + dc[k]
        xn = fx[i - 1, XN] * ploop * bg[x]
        xc = fx[i - 1, XC] * ploop * bg[x] + xe
        tot += xn + xc
        if tot <= 0.0:
            return -np.inf
        inv = 1.0 / tot
        _scale_row(mc, ic, dc, inv)
        fx[i, XN] = xn * inv
        fx[i, XB] = xn * pmove * inv
        fx[i, XE] = xe * inv
        fx[i, XC] = xc * inv
        rowsum[i] = tot
    pend = fx[L, XC] * pmove
    if pend <= 0.0:
        return -np.inf
    loglik = _log_likelihood(pend, rowsum, L)

    bm, bi, bd, bm1, bi1, nm, ni, a = _backward_scratch(M)
    bc = pmove
    scale = weight / pend
    for i in range(L, 0, -1):
        mrow, irow_f, drow = fm[i], fi[i], fd[i]
        if i < L:
            y = dsq[start + i]
            inv = 1.0 / rowsum[i + 1]
            bc = bc * ploop * bg[y] * inv
            erow = me[y]
            eirow = ie[y]
            for k in range(1, M):
                nm[k] = erow[k + 1] * bm1[k + 1] * inv
                ni[k] = eirow[k] * bi1[k] * inv
        be = bc
        bm[M] = be
        bd[M] = be
        bi[M] = 0.0
        d = be
        for k in range(M - 1, 0, -1):
            d = tdm[k] * nm[k] + tdd[k] * d + be
            bd[k] = d
        for k in range(1, M):
            bm[k] = tmm[k] * nm[k] + tmi[k] * ni[k] + tmd[k] * bd[k + 1] + be
            bi[k] = tim[k] * nm[k] + tii[k] * ni[k]
        _add_moves_to_next_row(a, mrow, irow_f, drow, nm, ni, 1, M)
        _add_moves_to_deletes(a, mrow, drow, bd, 1, M)
        x = dsq[start + i - 1]
        _add_emissions(mcount[x], mrow, bm, scale, 1, M + 1)
        _add_emissions(icount[x], irow_f, bi, scale, 1, M)
        bm, bm1 = bm1, bm
        bi, bi1 = bi1, bi
    _add_transitions(acc, a, tt, scale, 1, M)
    return loglik


@njit(cache=True, nogil=True)
def batch_counts(dsq, offsets, lengths, weights, tt, me, ie, bg, local, acc, mcount, icount,
                 loglik):  # fmt: skip
    """Expected counts of a batch of sequences (packed codes, offsets, lengths).

    ``tt`` (7, M+1) are the transitions by type (the transpose of a ProfileHMM's).
    Adds ``weights[s]`` x the counts of sequence s into ``acc`` (7, M+1), ``mcount`` and
    ``icount`` (Kp, M+1), and writes each sequence's log-likelihood (nats) to ``loglik``.
    """
    M = tt.shape[1] - 1
    n = offsets.shape[0]
    Lmax = 0
    for s in range(n):
        Lmax = max(Lmax, lengths[s])
    fm = np.empty((Lmax + 1, M + 1))
    fi = np.empty((Lmax + 1, M + 1))
    fd = np.empty((Lmax + 1, M + 1))
    fx = np.empty((Lmax + 1, 4))
    rowsum = np.empty(Lmax + 1)
    for s in range(n):
        if local:
            loglik[s] = _local_counts(dsq, offsets[s], lengths[s], tt, me, ie, bg, fm, fi, fd,
                                      fx, rowsum, acc, mcount, icount, weights[s])  # fmt: skip
        else:
            loglik[s] = _glocal_counts(dsq, offsets[s], lengths[s], tt, me, ie, fm, fi, fd,
                                       rowsum, acc, mcount, icount, weights[s])  # fmt: skip


def emission_tables(
    match: np.ndarray, insert: np.ndarray, degeneracy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-code emission probabilities (Kp, M+1) of match and insert states.

    ``degeneracy`` (Kp, K) is 1 where a code denotes a canonical residue (its row for
    ``*`` is all zero: no state emits it). Match column 0 (no state) is zero.
    """
    me = np.ascontiguousarray(degeneracy @ np.asarray(match, dtype=np.float64).T)
    me[:, 0] = 0.0
    ie = np.ascontiguousarray(degeneracy @ np.asarray(insert, dtype=np.float64).T)
    return me, ie


def code_to_residue_counts(
    code_counts: np.ndarray, emissions: np.ndarray, table: np.ndarray, degeneracy: np.ndarray
) -> np.ndarray:
    """Expected residue counts (M+1, K) from expected code counts (M+1, Kp).

    A code's count at state k is split over the residues it stands for in proportion
    to the state's emission probabilities ``emissions[k]`` (``table`` is the per-code
    table of :func:`emission_tables`).
    """
    per_code = np.zeros_like(code_counts)
    np.divide(code_counts, table.T, out=per_code, where=table.T > 0)
    return (per_code @ degeneracy) * emissions


#: Number of shards a batch is cut into: fixed, so that sums do not depend on n_jobs.
N_SHARDS = 32


def expected_counts(
    transitions: np.ndarray,
    match: np.ndarray,
    insert: np.ndarray,
    codes: list[np.ndarray],
    degeneracy: np.ndarray,
    *,
    mode: str = "glocal",
    weights: np.ndarray | None = None,
    background: np.ndarray | None = None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expected transition, match and insert counts of ``codes`` under a core model.

    ``codes`` are digital sequences (at least one residue each, no ``*``);
    ``degeneracy`` (Kp, K) says which residues each code denotes; ``background`` (K,)
    are the flank residue frequencies of ``mode="local"``. Returns (transitions (M+1, 7),
    match (M+1, K), insert (M+1, K), per-sequence log-likelihoods in nats), each
    sequence's counts multiplied by its weight (default 1). Sequences are processed in
    a fixed number of shards on ``n_jobs`` threads (None: all cores).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    t = np.asarray(transitions, dtype=np.float64)
    tt = np.ascontiguousarray(t.T)
    match = np.asarray(match, dtype=np.float64)
    insert = np.asarray(insert, dtype=np.float64)
    degeneracy = np.asarray(degeneracy, dtype=np.float64)
    M = t.shape[0] - 1
    n = len(codes)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    me, ie = emission_tables(match, insert, degeneracy)
    kp = degeneracy.shape[0]
    if background is None:
        background = np.full(degeneracy.shape[1], 1.0 / degeneracy.shape[1])
    bg = np.ascontiguousarray(degeneracy @ np.asarray(background, dtype=np.float64))
    local = mode == "local"
    batch = pack(codes)
    dsq, offsets, lengths = batch.X, batch.starts, batch.lengths
    bounds = np.linspace(0, n, min(n, N_SHARDS) + 1).astype(np.int64)
    shards = [(int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]

    def run(shard):
        lo, hi = shard
        acc = np.zeros((7, M + 1))
        mc = np.zeros((kp, M + 1))
        ic = np.zeros((kp, M + 1))
        ll = np.zeros(hi - lo)
        batch_counts(dsq, offsets[lo:hi], lengths[lo:hi], w[lo:hi], tt, me, ie, bg, local,
                     acc, mc, ic, ll)  # fmt: skip
        return acc, mc, ic, ll

    parts = map_shards(run, shards, n_jobs)
    acc = np.zeros((7, M + 1))
    mc = np.zeros((kp, M + 1))
    ic = np.zeros((kp, M + 1))
    for pa, pm, pi, _ in parts:
        acc += pa
        mc += pm
        ic += pi
    loglik = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0)
    mat = code_to_residue_counts(mc.T, match, me, degeneracy)
    ins = code_to_residue_counts(ic.T, insert, ie, degeneracy)
    acc = np.ascontiguousarray(acc.T)
    return acc, mat, ins, loglik


__all__ = [
    "MODES",
    "batch_counts",
    "code_to_residue_counts",
    "emission_tables",
    "expected_counts",
]
