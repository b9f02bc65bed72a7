"""HMMER's domain definition (p7_domaindef_ByPosteriorHeuristics): regions from posterior
decoding, multi-domain regions split by clustering sampled paths (p7_spensemble), and each
envelope rescored with its null2 correction.

Posterior decoding runs in double precision; where a decision of the region logic falls
within :data:`NEAR_THRESHOLD` of its threshold, the sequence is decoded again in HMMER's
single precision (:mod:`hmmkit.profile.dp.float_decoding`) and the regions are cut from
that, so that they are HMMER's where the two precisions could disagree. Each envelope is
aligned and its null2 made in single precision, as HMMER's vector code does it
(:mod:`hmmkit.profile.dp.float_envelope`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ...compiling import njit
from .. import dp
from ..config import SearchProfile, special_scores
from ..digital import code_table
from ..dp.float_decoding import hmmer_domain_posteriors
from ..dp.float_envelope import (
    FloatEnvelopeProfile,
    domain_correction,
    float_align_envelope,
    null2_scores,
)
from ..dp.float_sampling import (
    float_forward,
    float_profile,
    float_stochastic_trace_reversed,
    sampling_memo,
    sampling_memo_size,
    special_odds,
)
from .hits import Domain

#: HMMER's domain definition thresholds (p7_domaindef_Create).
RT1, RT2, RT3 = 0.25, 0.10, 0.20
NSAMPLES = 200
MIN_OVERLAP, OF_SMALLER, MAX_DIAGDIFF = 0.8, True, 4
MIN_POSTERIOR, MIN_ENDPOINTP = 0.25, 0.02
#: A region decision whose posterior lies this close to its threshold is made again on
#: HMMER's single-precision decoding (the two precisions' decision values differ by at
#: most 7.3e-6 on the proteome with PF02826 and Pkinase, worst on its longest protein).
NEAR_THRESHOLD = 1e-4


@njit(cache=True, nogil=True)
def _trace_ensemble(seed, nsamples, sub, ireg, tv, xf, ev, degeneracy, mx, ix, dx, xmx, scale,
                    work):  # fmt: skip
    """Sample `nsamples` paths of a region from its single-precision Forward matrices
    (striped rows, :mod:`hmmkit.profile.dp.float_sampling`; `work` holds their memo, of
    at least :func:`~hmmkit.profile.dp.float_sampling.sampling_memo_size` cells); returns
    (segments, n2sc).

    segments: (n, 5) rows (sample, i, j, k, m) in sequence coordinates; n2sc: the region's
    null2 scores (float32, [0] unused), as region_trace_ensemble() makes them in single
    precision: each sampled domain's null2 odds by p7_Null2_ByTrace (the match odds `ev`
    weighted by the domain's node uses, summed in HMMER's four lanes; degenerate codes
    the mean of their residues' odds by `degeneracy`), summed per residue over the
    samples (1 outside domains), then ``logf`` of the mean.
    """
    f32 = np.float32
    state = dp.rng_state(seed)
    Lr = sub.shape[0]
    M = tv.shape[1] - 1
    Q = max(2, (M - 1) // 4 + 1)
    Kp, K = degeneracy.shape
    n2sum = np.zeros(Lr + 1, dtype=np.float32)
    segs = np.zeros((nsamples * 4 + 16, 5), dtype=np.int64)
    nseg = 0
    counts = np.zeros(M + 1, dtype=np.float32)
    lanes = np.zeros((4, K), dtype=np.float32)
    null2 = np.ones(Kp, dtype=np.float32)
    ev_t = np.ascontiguousarray(ev[:K].T)  # (M+1, K): a node's odds of every residue side by side
    finite = np.all(np.isfinite(ev_t))
    nbuf = 2 * (Lr + M) + 8
    st = np.zeros(nbuf, dtype=np.int32)
    kk = np.zeros(nbuf, dtype=np.int32)
    ii = np.zeros(nbuf, dtype=np.int32)
    klo, khi = 1, M  # the nodes with nonzero counts lie in klo..khi
    memo = sampling_memo(mx, work)
    for t in range(nsamples):
        n = float_stochastic_trace_reversed(state, tv, xf, mx, ix, dx, xmx, scale, M, st, kk,
                                            ii, memo)  # fmt: skip
        pos = 1
        inside = False
        ld = 0
        sqfrom = sqto = hmmfrom = hmmto = 0
        for z in range(n - 1, -1, -1):  # path order
            s = st[z]
            if s == dp.ST_B:
                inside = True
                counts[klo : khi + 1] = 0.0
                klo, khi = M + 1, 0
                ld = 0
                sqfrom = sqto = hmmfrom = hmmto = 0
                continue
            if not inside:
                continue
            if ii[z] > 0:  # null2 by trace: M and I uses, both counted at the match
                ld += 1
                if kk[z] > 0:
                    counts[kk[z]] += 1.0
                    klo = min(klo, kk[z])
                    khi = max(khi, kk[z])
            if s == dp.ST_M:
                if sqfrom == 0:
                    sqfrom = ii[z]
                if hmmfrom == 0:
                    hmmfrom = kk[z]
                sqto = ii[z]
                hmmto = kk[z]
            elif s == dp.ST_E:
                inside = False
                if nseg >= segs.shape[0]:
                    bigger = np.zeros((segs.shape[0] * 2, 5), dtype=np.int64)
                    bigger[:nseg] = segs[:nseg]
                    segs = bigger
                segs[nseg, 0] = t
                segs[nseg, 1] = sqfrom + ireg - 1
                segs[nseg, 2] = sqto + ireg - 1
                segs[nseg, 3] = hmmfrom
                segs[nseg, 4] = hmmto
                nseg += 1
                # p7_Null2_ByTrace: lane r sums its nodes r*Q+1.. in order, counts times
                # 1/ld times the odds, then the lanes as HMMER adds them; a zero count adds
                # +0 to a sum that is >= +0 when the odds are finite, so it is skipped then
                # (and so are the nodes outside klo..khi)
                norm = f32(1.0 / float(f32(ld)))
                lanes[:] = 0.0
                for r in range(4):
                    first_k, last_k = r * Q + 1, min(r * Q + Q, M)
                    if finite:
                        first_k, last_k = max(first_k, klo), min(last_k, khi)
                    for k in range(first_k, last_k + 1):
                        if counts[k] == 0.0 and finite:
                            continue
                        w = f32(counts[k] * norm)
                        row = ev_t[k]
                        lane = lanes[r]
                        for x in range(K):
                            lane[x] = f32(lane[x] + f32(w * row[x]))
                for x in range(K):
                    null2[x] = f32(f32(lanes[0, x] + lanes[1, x]) + f32(lanes[2, x] + lanes[3, x]))
                for x in range(K + 1, Kp - 2):  # degenerate codes: their residues' mean
                    total, nd = f32(0.0), 0
                    for y in range(K):
                        if degeneracy[x, y]:
                            total = f32(total + null2[y])
                            nd += 1
                    null2[x] = f32(total / f32(nd)) if nd > 0 else f32(0.0)
                while pos <= sqfrom:
                    n2sum[pos] = f32(n2sum[pos] + f32(1.0))
                    pos += 1
                while pos <= sqto:
                    n2sum[pos] = f32(n2sum[pos] + null2[sub[pos - 1]])
                    pos += 1
        while pos <= Lr:
            n2sum[pos] = f32(n2sum[pos] + f32(1.0))
            pos += 1
    n2sc = np.zeros(Lr + 1, dtype=np.float32)
    for pos in range(1, Lr + 1):
        n2sc[pos] = math.log(f32(n2sum[pos] / f32(nsamples)))
    return segs[:nseg], n2sc


@njit(cache=True, nogil=True, inline="always")
def _root(parent, a):
    """The root of `a` in the union-find forest `parent`, halving the path on the way."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@njit(cache=True, nogil=True)
def _single_linkage(segs, min_overlap, of_smaller, max_diagdiff):
    """Connected components of HMMER's segment linkage rule; returns cluster labels."""
    n = segs.shape[0]
    parent = np.arange(n)
    for a in range(n):  # segments are sorted by start: later ones starting past j_a can't link
        ia, ja, ka, ma = segs[a, 1], segs[a, 2], segs[a, 3], segs[a, 4]
        for b in range(a + 1, n):
            ib, jb, kb, mb = segs[b, 1], segs[b, 2], segs[b, 3], segs[b, 4]
            if ib > ja:
                break
            # the rule's three tests, the cheap one first (all must pass for a link)
            if (
                abs((ia - ka) - (ib - kb)) > max_diagdiff
                and abs((ja - ma) - (jb - mb)) > max_diagdiff
            ):
                continue
            ra = _root(parent, a)
            rb = _root(parent, b)
            if ra == rb:  # already linked: the rule cannot change the components
                continue
            nov = min(ja, jb) - max(ia, ib) + 1
            la = ja - ia + 1
            lb = jb - ib + 1
            nn = min(la, lb) if of_smaller else max(la, lb)
            if nov / nn < min_overlap:
                continue
            nov = min(ma, mb) - max(ka, kb)
            la = ma - ka + 1
            lb = mb - kb + 1
            nn = min(la, lb) if of_smaller else max(la, lb)
            if nov / nn < min_overlap:
                continue
            parent[max(ra, rb)] = min(ra, rb)
    labels = np.empty(n, dtype=np.int64)
    nc = 0
    root_label = np.full(n, -1, dtype=np.int64)
    for a in range(n):
        r = _root(parent, a)
        if root_label[r] < 0:
            root_label[r] = nc
            nc += 1
        labels[a] = root_label[r]
    return labels, nc


@njit(cache=True, nogil=True)
def _cluster_envelopes(segs, nsamples):
    """p7_spensemble_Cluster plus the removal of dominated clusters, on the segments of
    :func:`_trace_ensemble`: the envelopes as (n, 2) first/last residues, and their
    posterior probabilities."""
    segs = segs[np.argsort(segs[:, 1], kind="mergesort")]
    labels, nc = _single_linkage(segs, MIN_OVERLAP, OF_SMALLER, MAX_DIAGDIFF)
    # traces with at least one segment in each cluster
    seen = np.zeros((nc, nsamples), dtype=np.bool_)
    ninc = np.zeros(nc, dtype=np.int64)
    for a in range(segs.shape[0]):
        if not seen[labels[a], segs[a, 0]]:
            seen[labels[a], segs[a, 0]] = True
            ninc[labels[a]] += 1
    found = np.zeros((nc, 2), dtype=np.int64)
    prob = np.zeros(nc)
    nsig = 0
    best = np.zeros(4, dtype=np.int64)
    for c in range(nc):
        if ninc[c] < MIN_POSTERIOR * nsamples or ninc[c] / nsamples < MIN_POSTERIOR:
            continue
        members = segs[labels == c]
        threshold = math.ceil(np.float32(ninc[c]) * np.float32(MIN_ENDPOINTP))
        for n, col in enumerate((1, 3, 2, 4)):  # i and k leftmost, j and m rightmost
            values = members[:, col]
            lo = values.min()
            hist = np.bincount(values - lo)
            pick = -1
            for v in range(hist.shape[0]):
                if hist[v] >= threshold and (pick < 0 or n >= 2):
                    pick = v
            best[n] = lo + (pick if pick >= 0 else np.argmax(hist))
        if best[0] > best[2] or best[1] > best[3]:
            continue
        found[nsig, 0], found[nsig, 1] = best[0], best[2]
        prob[nsig] = ninc[c] / nsamples
        nsig += 1
    order = np.argsort(found[:nsig, 0], kind="mergesort")
    found, prob = found[order], prob[order]
    dominated = np.zeros(nsig, dtype=np.bool_)
    for d in range(nsig):
        for d2 in range(d + 1, nsig):
            nov = min(found[d, 1], found[d2, 1]) - max(found[d, 0], found[d2, 0]) + 1
            if nov == 0:
                break
            n = min(found[d, 1] - found[d, 0] + 1, found[d2, 1] - found[d2, 0] + 1)
            if nov / n >= 0.8:
                if prob[d] > prob[d2]:
                    dominated[d2] = True
                else:
                    dominated[d] = True
    keep = ~dominated
    return found[keep], prob[keep]


# --------------------------------------------------------------------------------------
# Domain definition (p7_domaindef_ByPosteriorHeuristics)
# --------------------------------------------------------------------------------------


@dataclass
class DomainDefinition:
    """Outcome of domain definition on one sequence."""

    domains: list[Domain]
    n2sc: np.ndarray
    nexpected: float
    nregions: int
    nclustered: int
    noverlaps: int
    nenvelopes: int


@njit(cache=True, nogil=True)
def _regions(mocc, btot, etot, rt1, rt2, near):
    """Regions i..j of probable domain occupancy (the trigger logic of domain definition),
    and whether a decision the regions depend on compared a value within `near` of its
    threshold: a start (occupancy less the expected starts against rt2) after the last
    clear one before a region's trigger, a trigger (occupancy against rt1), an end
    (occupancy less the expected ends against rt2)."""
    L = mocc.shape[0] - 1
    out = np.zeros((L + 1, 2), dtype=np.int64)
    n = 0
    i = -1
    triggered = False
    close = False  # a decision the regions depend on was near its threshold
    start_close = False  # a start decision since the last clear start was near
    for j in range(1, L + 1):
        if not triggered:
            start = mocc[j] - (btot[j] - btot[j - 1])
            if start < rt2:
                if i != -1:
                    start_close = abs(start - rt2) < near
                i = j
            elif i == -1:
                i = j
            elif abs(start - rt2) < near:
                start_close = True
            close = close or abs(mocc[j] - rt1) < near
            if mocc[j] >= rt1:
                triggered = True
                close = close or start_close
        else:
            end = mocc[j] - (etot[j] - etot[j - 1])
            close = close or abs(end - rt2) < near
            if end < rt2:
                out[n, 0] = i
                out[n, 1] = j
                n += 1
                i = -1
                triggered = False
                start_close = False
    return out[:n], close


@njit(cache=True, nogil=True)
def _multidomain_evidence(btot, etot, regions):
    """For each region i..j of `regions`, the largest expected number of domain ends before
    and starts after one of its residues (HMMER's is_multidomain_region; the region holds
    several domains when it reaches RT3), in the precision of `btot`."""
    out = np.zeros(regions.shape[0], dtype=btot.dtype)
    for r in range(regions.shape[0]):
        i, j = regions[r, 0], regions[r, 1]
        best = min(etot[i] - etot[i - 1], btot[j] - btot[i - 1])
        for z in range(i + 1, j + 1):
            best = max(best, min(etot[z] - etot[i - 1], btot[j] - btot[z - 1]))
        out[r] = best
    return out


@lru_cache(maxsize=16384)
def special_odds_of_length(L: int, multihit: bool) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, 1.0 where one is nonzero) of the special states of a profile set to
    `multihit` and length `L` (they depend on nothing else); shared, never to be written
    (writeable all the same: the kernels take them with their other arrays' type)."""
    with np.errstate(over="ignore"):
        xp = np.exp(special_scores(multihit, L))
    return xp, (xp > 0).astype(np.float64)


@lru_cache(maxsize=16384)
def float_unihit_odds_of_length(L: int) -> np.ndarray:
    """The (8,) special odds of HMMER's vector profile in unihit mode, set to length `L`
    (p7_oprofile_ReconfigUnihit: E->C 1, E->J 0; the N, C, J loops and moves computed in
    single precision as p7_oprofile_ReconfigLength computes them)."""
    f32 = np.float32
    move = f32(f32(2.0) / f32(f32(L) + f32(2.0)))
    loop = f32(f32(1.0) - move)
    xf = np.array([loop, move, 0.0, 1.0, loop, move, loop, move], dtype=np.float32)
    xf.setflags(write=False)
    return xf


@lru_cache(maxsize=16384)
def float_special_odds_of_length(L: int) -> np.ndarray:
    """:func:`~..dp.float_sampling.special_odds` of a multihit profile set to length `L`
    (shared, never to be written)."""
    return special_odds(special_odds_of_length(L, True)[0])


class DomainDefiner:
    """Reusable per-query state for domain definition."""

    def __init__(self, profile: SearchProfile, seed: int, null2: bool, entry=None):
        self.profile = profile.copy()
        self.tv, self.ev, _ = float_profile(self.profile, entry)
        self.seed = seed
        self.null2 = null2
        tp, me, ie, _, local = self.profile.kernel_arrays()
        self.tp, self.me, self.ie, self.local = tp, me, ie, local
        self.K = profile.alphabet.size
        self.envelope_tables = FloatEnvelopeProfile(
            self.tv, self.ev, code_table(profile.alphabet).degeneracy, self.K).arrays
        self.memo = np.zeros(0)  # the sampled paths' memo, reused

    def define(self, dsq: np.ndarray, decoded=None) -> DomainDefinition:
        """Domain definition of one sequence; `decoded` may hold its precomputed Forward and
        Backward special-state rows and row scales (from :func:`dp.domain_decoding_batch`)."""
        L = len(dsq)
        tp, me, ie, local = self.tp, self.me, self.ie, self.local
        mxp = special_odds_of_length(L, True)[0]
        uxp, uxmask = special_odds_of_length(L, False)
        if decoded is None:
            fx, ls, _ = dp.forward_parser(dsq, tp, me, ie, mxp, local)
            bx = dp.backward_parser(dsq, tp, me, ie, mxp, local, ls)
        else:
            fx, bx, ls = decoded
        mocc, btot, etot = dp.domain_posteriors(fx, bx, mxp, ls)
        regions, close = _regions(mocc, btot, etot, RT1, RT2, NEAR_THRESHOLD)
        evidence = _multidomain_evidence(btot, etot, regions)
        if close or any(abs(value - RT3) < NEAR_THRESHOLD for value in evidence):
            xf = float_special_odds_of_length(L)
            mocc, btot, etot = hmmer_domain_posteriors(dsq, self.tv, self.ev, xf)
            f32 = np.float32
            regions, _ = _regions(mocc, btot, etot, f32(RT1), f32(RT2), f32(0.0))
            evidence = _multidomain_evidence(btot, etot, regions)
        n2sc = np.zeros(L + 1)
        result = DomainDefinition([], n2sc, float(btot[L]), 0, 0, 0, 0)
        uarrays = (tp, me, ie, uxp, uxmask, local)
        for (i, j), multidomain in zip(regions, evidence, strict=True):
            result.nregions += 1
            if multidomain >= RT3:
                result.nclustered += 1
                sub = dsq[i - 1 : j]
                xf = float_special_odds_of_length(L)
                rm, ri, rd, rx, scale = float_forward(sub, self.tv, self.ev, xf)
                need = sampling_memo_size(j - i + 1, self.profile.M)
                if self.memo.shape[0] < need:
                    self.memo = np.zeros(max(need, 2 * self.memo.shape[0]))
                segs, region_n2sc = _trace_ensemble(
                    self.seed, NSAMPLES, sub, i, self.tv, xf, self.ev,
                    self.envelope_tables[6], rm, ri, rd, rx, scale, self.memo,
                )  # fmt: skip
                n2sc[i : j + 1] = region_n2sc[1:]
                last_j2 = 0
                for i2, j2 in _cluster_envelopes(segs, NSAMPLES)[0]:
                    if i2 <= last_j2:
                        result.noverlaps += 1
                    result.nenvelopes += 1
                    if self._rescore(dsq, i2, j2, True, uarrays, result):
                        last_j2 = j2
            else:
                result.nenvelopes += 1
                self._rescore(dsq, i, j, False, uarrays, result)
        return result

    def _rescore(self, dsq, i, j, null2_done, uarrays, result) -> bool:
        sub = dsq[i - 1 : j]
        xf = float_unihit_odds_of_length(len(dsq))
        envsc, oasc, trace, segs, null2 = float_align_envelope(sub, i, self.envelope_tables, xf)
        if not np.isfinite(envsc) or len(segs) == 0:
            return False
        st, kk, ii, pp = trace
        ali_from, ali_to, hmm_from, hmm_to = segs[0, 2:6].tolist()
        if not null2_done:
            null2_scores(null2, sub, result.n2sc, i)
        correction = float(domain_correction(result.n2sc, i, j))
        result.domains.append(
            Domain(
                env_from=int(i), env_to=int(j), ali_from=int(ali_from), ali_to=int(ali_to),
                hmm_from=int(hmm_from), hmm_to=int(hmm_to), env_score=float(envsc),
                correction=correction,
                accuracy=float(oasc), trace=(st, kk, ii, pp),
            )
        )  # fmt: skip
        return True


# --------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------
