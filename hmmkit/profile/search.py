"""Search a sequence database with a profile HMM, as HMMER's hmmsearch does.

Every sequence is scored with the Forward algorithm (:func:`hmmkit.profile.dp.forward_scores`).
Sequences whose Forward P-value passes ``F3`` go through HMMER's domain definition
(p7_domaindef_ByPosteriorHeuristics): posterior decoding finds regions, regions that look
like several domains are split by clustering an ensemble of paths sampled in single
precision exactly as HMMER samples them (:mod:`hmmkit.profile.float_sampling`), and every
envelope is rescored on its own with a null2 (biased composition) correction. Scores,
E-values and reporting thresholds follow p7_pipeline.c and p7_tophits.c; the results can
be written in hmmsearch's ``--tblout`` layout.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from ..atomic import write_text_to
from ..compiling import njit
from ..training.parallel import map_shards
from . import dp
from .align import Alignment, decode_posterior, encode_posterior, traces_to_alignment
from .background import Background
from .config import SearchProfile, configure
from .digital import digitize_batch, pack, residue_letters
from .float_sampling import (
    entry_odds,
    float_forward,
    float_profile,
    float_stochastic_trace_reversed,
    special_odds,
)
from .io.fasta import Sequence, as_sequences
from .plan7 import ProfileHMM

if TYPE_CHECKING:
    from .alidisplay import DomainAlignment

LOG2 = math.log(2.0)

# HMMER's domain definition thresholds (p7_domaindef_Create).
RT1, RT2, RT3 = 0.25, 0.10, 0.20
NSAMPLES = 200
MIN_OVERLAP, OF_SMALLER, MAX_DIAGDIFF = 0.8, True, 4
MIN_POSTERIOR, MIN_ENDPOINTP = 0.25, 0.02
#: Scores this far (bits) below the MSV gate's edge are refused without the exact test.
EDGE_MARGIN_BITS = 1e-3


# --------------------------------------------------------------------------------------
# Score distributions
# --------------------------------------------------------------------------------------


def exp_logsurv(x: float, tau: float, lam: float) -> float:
    """log P(S >= x) for HMMER's exponential tail anchored at `tau` (esl_exp_logsurv)."""
    return 0.0 if x < tau else -lam * (x - tau)


def gumbel_logsurv(x: float, mu: float, lam: float) -> float:
    """log P(S >= x) under a Gumbel distribution (esl_gumbel_logsurv)."""
    y = lam * (x - mu)
    ey = -math.exp(-y)
    if abs(ey) < 1e-7:  # 1 - exp(ey) ~ -ey
        return -y
    return math.log(-math.expm1(ey))


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass
class Domain:
    """One domain of a hit: envelope, alignment coordinates, scores (HMMER's P7_DOMAIN).

    Coordinates are 1-based inclusive. `score` and `bias` are in bits; `env_score` and
    `correction` are HMMER's raw envsc and domcorrection (nats). `trace` holds the optimal
    accuracy alignment path as (states, k, i, posterior) arrays; `residues` the target's
    aligned stretch ``ali_from..ali_to`` as the alphabet's letters; `display` its
    alignment lines when they were made while the model was at hand (:func:`~.scan.scan`).
    """

    env_from: int
    env_to: int
    ali_from: int
    ali_to: int
    hmm_from: int
    hmm_to: int
    env_score: float
    correction: float
    accuracy: float
    score: float = 0.0
    bias: float = 0.0
    lnP: float = 0.0
    evalue: float = 0.0
    c_evalue: float = 0.0
    reported: bool = False
    included: bool = False
    trace: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = field(
        default=None, repr=False
    )
    residues: str = field(default="", repr=False)
    display: DomainAlignment | None = field(default=None, repr=False)

    @property
    def pvalue(self) -> float:
        """P-value of the domain score."""
        return math.exp(self.lnP)

    def aligned_states(self) -> slice:
        """Where the trace's match, insert and delete states lie (between its B and E)."""
        st = self.trace[0]
        begin = int(np.flatnonzero(st == dp.ST_B)[0])
        return slice(begin + 1, begin + int(np.flatnonzero(st[begin:] == dp.ST_E)[0]))


@dataclass
class Hit:
    """A target sequence reported by :func:`search` (HMMER's P7_HIT)."""

    name: str
    description: str
    length: int
    score: float
    bias: float
    pre_score: float
    sum_score: float
    lnP: float
    domains: list[Domain]
    best_domain: int
    nexpected: float
    nregions: int
    nclustered: int
    noverlaps: int
    nenvelopes: int
    accession: str | None = None
    evalue: float = 0.0
    reported: bool = False
    included: bool = False
    #: in an iterative search: included now but not in the round before (jackhmmer's ``+``)
    new: bool = False
    #: in an iterative search: included in the round before but not now (``-``)
    dropped: bool = False

    @property
    def pvalue(self) -> float:
        """P-value of the sequence score."""
        return math.exp(self.lnP)

    @property
    def nreported(self) -> int:
        """Number of reported domains."""
        return sum(d.reported for d in self.domains)

    @property
    def nincluded(self) -> int:
        """Number of included domains."""
        return sum(d.included for d in self.domains)


@dataclass
class SearchResults:
    """Hits of one query against a database, best first (HMMER's P7_TOPHITS).

    Iterating yields the reported hits; `hits` holds every sequence that passed the
    Forward filter and domain definition. `Z` is the number of sequences searched.
    """

    query_name: str
    query_accession: str | None
    M: int
    hits: list[Hit]
    Z: float
    domZ: float
    nseqs: int
    nresidues: int
    n_past_forward: int
    query_description: str | None = None

    def reported(self) -> list[Hit]:
        """The hits that pass the reporting threshold."""
        return [h for h in self.hits if h.reported]

    def included(self) -> list[Hit]:
        """The hits that pass the inclusion threshold."""
        return [h for h in self.hits if h.included]

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.reported())

    def __len__(self) -> int:
        return len(self.reported())

    def write_tblout(self, out: str | Path | IO[str], *, header: bool = True) -> None:
        """Write the reported hits in hmmsearch's ``--tblout`` per-sequence layout."""
        write_text_to(out, lambda handle: write_tblout(handle, self, header=header, footer=header))

    def tblout(self) -> str:
        """The ``--tblout`` table as a string."""
        buf = io.StringIO()
        self.write_tblout(buf)
        return buf.getvalue()

    def write_domtblout(self, out: str | Path | IO[str], *, header: bool = True) -> None:
        """Write the reported domains in hmmsearch's ``--domtblout`` layout."""
        write_text_to(
            out, lambda handle: write_domtblout(handle, self, header=header, footer=header)
        )

    def alignment(self, *, all_consensus_columns: bool = True) -> Alignment | None:
        """The multiple alignment of every included domain of the included hits, as
        ``hmmsearch -A`` saves it (None when no domain is included).

        Rows are named ``<sequence>/<ali_from>-<ali_to>`` and described as
        ``[subseq from] <description, else name>``, in hit rank order; each row is the
        domain's optimal accuracy alignment, its posterior probabilities rounded to the
        one-character codes hmmsearch keeps. `all_consensus_columns` keeps a column for
        every match state, as hmmsearch does.
        """
        rows = self.included_domains()
        if not rows:
            return None
        records, traces = zip(*rows, strict=True)
        aln = traces_to_alignment(
            list(records), list(traces), self.M, all_consensus_columns=all_consensus_columns,
            name=self.query_name,
        )  # fmt: skip
        aln.annotation = {"ID": self.query_name}
        if self.query_accession:
            aln.annotation["AC"] = self.query_accession
        if self.query_description:
            aln.annotation["DE"] = self.query_description
        return aln

    def included_domains(self) -> list[tuple[Sequence, tuple]]:
        """Each included domain of the included hits, in rank order, as the rows of
        :meth:`alignment`: (the aligned stretch as a named :class:`Sequence`, its path)."""
        return [
            (
                Sequence(
                    name=f"{hit.name}/{d.ali_from}-{d.ali_to}",
                    residues=d.residues,
                    description=f"[subseq from] {hit.description or hit.name}",
                ),
                _aligned_stretch_trace(d),
            )  # fmt: skip
            for hit in self.included()
            for d in hit.domains
            if d.included
        ]


def _aligned_stretch_trace(d: Domain) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The path of a domain's aligned stretch alone (S N B, its M/D/I states, E C T), with
    residue positions counted from ali_from and posteriors rounded to their display codes
    (p7_alidisplay_Backconvert)."""
    st, kk, ii, pp = d.trace
    core = d.aligned_states()
    core_st = st[core]
    emits = core_st != dp.ST_D
    core_ii = np.where(emits, ii[core] - d.ali_from + 1, 0)
    codes = [decode_posterior(encode_posterior(p)) for p in pp[core]]
    core_pp = np.where(emits, np.array(codes, dtype=np.float32), 0.0)  # HMMER keeps floats
    head = np.array([dp.ST_S, dp.ST_N, dp.ST_B])
    tail = np.array([dp.ST_E, dp.ST_C, dp.ST_T])
    zeros = np.zeros(3)
    return (
        np.concatenate([head, core_st, tail]).astype(st.dtype),
        np.concatenate([zeros, kk[core], zeros]).astype(kk.dtype),
        np.concatenate([zeros, core_ii, zeros]).astype(ii.dtype),
        np.concatenate([zeros, core_pp, zeros]),
    )


def _column_widths(hits, qname: str, qacc: str) -> tuple[int, int, int, int]:
    """Widths of the target name, target accession, query name and query accession
    columns of HMMER's tables (at least 20, 10, 20 and 10 characters)."""
    tnamew = max([20] + [len(h.name) for h in hits])
    taccw = max([10] + [len(h.accession or "-") for h in hits])
    return tnamew, taccw, max(20, len(qname)), max(10, len(qacc))


def write_tblout(
    handle: IO[str], results: SearchResults, *, header: bool = True, footer: bool = True
) -> None:
    """Write `results` in HMMER's tabular per-target format (p7_tophits_TabularTargets).

    `header` writes the three column-title lines, `footer` the closing comment block.
    """
    hits = results.reported()
    qname = results.query_name
    qacc = results.query_accession or "-"
    tnamew, taccw, qnamew, qaccw = _column_widths(hits, qname, qacc)
    if header:
        handle.write(
            "#%*s %22s %22s %33s\n"  # noqa: UP031
            % (tnamew + qnamew + taccw + qaccw + 2, "", "--- full sequence ----",
               "--- best 1 domain ----", "--- domain number estimation ----")
        )  # fmt: skip
        handle.write(
            "#%-*s %-*s %-*s %-*s %9s %6s %5s %9s %6s %5s %5s %3s %3s %3s %3s %3s %3s %3s %s\n"  # noqa: UP031,E501
            % (tnamew - 1, " target name", taccw, "accession", qnamew, "query name", qaccw,
               "accession", "  E-value", " score", " bias", "  E-value", " score", " bias",
               "exp", "reg", "clu", " ov", "env", "dom", "rep", "inc",
               "description of target")
        )  # fmt: skip
        handle.write(
            "#%*s %*s %*s %*s %9s %6s %5s %9s %6s %5s %5s %3s %3s %3s %3s %3s %3s %3s %s\n"  # noqa: UP031
            % (tnamew - 1, "-------------------", taccw, "----------", qnamew,
               "--------------------", qaccw, "----------", "---------", "------", "-----",
               "---------", "------", "-----", "---", "---", "---", "---", "---", "---",
               "---", "---", "---------------------")
        )  # fmt: skip
    for h in hits:
        d = h.domains[h.best_domain]
        handle.write(
            "%-*s %-*s %-*s %-*s %9.2g %6.1f %5.1f %9.2g %6.1f %5.1f %5.1f %3d %3d %3d %3d %3d %3d %3d %s\n"  # noqa: E501,UP031
            % (tnamew, h.name, taccw, h.accession or "-", qnamew, qname, qaccw, qacc,
               h.evalue, h.score, h.bias, d.evalue, d.score, d.bias, h.nexpected,
               h.nregions, h.nclustered, h.noverlaps, h.nenvelopes, len(h.domains),
               h.nreported, h.nincluded, h.description or "-")
        )  # fmt: skip
    if footer:
        handle.write("#\n# Program:         hmmkit search\n")
        handle.write(f"# Query:           {qname}  [M={results.M}]\n")
        handle.write(f"# Target sequences: {results.nseqs}  ({results.nresidues} residues)\n")
        handle.write("# [ok]\n")


def write_domtblout(
    handle: IO[str], results: SearchResults, *, header: bool = True, footer: bool = True
) -> None:
    """Write the reported domains in HMMER's per-domain table (p7_tophits_TabularDomains)."""
    hits = results.reported()
    qname = results.query_name
    qacc = results.query_accession or "-"
    tnamew, taccw, qnamew, qaccw = _column_widths(hits, qname, qacc)
    if header:
        handle.write(
            "#%*s %22s %40s %11s %11s %11s\n"  # noqa: UP031
            % (tnamew + qnamew - 1 + 15 + taccw + qaccw, "", "--- full sequence ---",
               "-------------- this domain -------------", "hmm coord", "ali coord",
               "env coord")
        )  # fmt: skip
        handle.write(
            "#%-*s %-*s %5s %-*s %-*s %5s %9s %6s %5s %3s %3s %9s %9s %6s %5s %5s %5s %5s %5s %5s %5s %4s %s\n"  # noqa: E501,UP031
            % (tnamew - 1, " target name", taccw, "accession", "tlen", qnamew, "query name",
               qaccw, "accession", "qlen", "E-value", "score", "bias", "#", "of", "c-Evalue",
               "i-Evalue", "score", "bias", "from", "to", "from", "to", "from", "to", "acc",
               "description of target")
        )  # fmt: skip
        handle.write(
            "#%*s %*s %5s %*s %*s %5s %9s %6s %5s %3s %3s %9s %9s %6s %5s %5s %5s %5s %5s %5s %5s %4s %s\n"  # noqa: E501,UP031
            % (tnamew - 1, "-------------------", taccw, "----------", "-----", qnamew,
               "--------------------", qaccw, "----------", "-----", "---------", "------",
               "-----", "---", "---", "---------", "---------", "------", "-----", "-----",
               "-----", "-----", "-----", "-----", "-----", "----", "---------------------")
        )  # fmt: skip
    for h in hits:
        nd = 0
        for d in h.domains:
            if not d.reported:
                continue
            nd += 1
            acc = d.accuracy / (1.0 + abs(float(d.env_to - d.env_from)))
            handle.write(
                "%-*s %-*s %5d %-*s %-*s %5d %9.2g %6.1f %5.1f %3d %3d %9.2g %9.2g %6.1f %5.1f %5d %5d %5d %5d %5d %5d %4.2f %s\n"  # noqa: E501,UP031
                % (tnamew, h.name, taccw, h.accession or "-", h.length, qnamew, qname, qaccw,
                   qacc, results.M, h.evalue, h.score, h.bias, nd, h.nreported, d.c_evalue,
                   d.evalue, d.score, d.bias, d.hmm_from, d.hmm_to, d.ali_from, d.ali_to,
                   d.env_from, d.env_to, acc, h.description or "-")
            )  # fmt: skip
    if footer:
        handle.write("#\n# Program:         hmmkit search\n")
        handle.write(f"# Query:           {qname}  [M={results.M}]\n")
        handle.write(f"# Target sequences: {results.nseqs}  ({results.nresidues} residues)\n")
        handle.write("# [ok]\n")


# --------------------------------------------------------------------------------------
# Biased-composition filter null model (p7_bg_SetFilter / p7_bg_FilterScore)
# --------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _filter_forward(dsq, odds1, p1, t10, t11):
    L = dsq.shape[0]
    a0 = 0.999
    a1 = 0.001 * odds1[dsq[0]]
    logsc = 0.0
    mx = max(a0, a1)
    a0 /= mx
    a1 /= mx
    logsc += math.log(mx)
    for i in range(1, L):
        x = dsq[i]
        n0 = a0 * p1 + a1 * t10
        n1 = (a0 * (1.0 - p1) + a1 * t11) * odds1[x]
        mx = max(n0, n1)
        a0 = n0 / mx
        a1 = n1 / mx
        logsc += math.log(mx)
    return logsc + math.log(a0 + a1)


@njit(cache=True, nogil=True)
def _filter_null_batch(dsq, offsets, lengths, odds1, p1s, t10, t11, out):
    for s in range(len(offsets)):
        L, p1 = lengths[s], p1s[s]
        if L == 0:
            continue
        sc = _filter_forward(dsq[offsets[s] : offsets[s] + L], odds1, p1, t10, t11)
        out[s] = sc + L * math.log(p1) + math.log(np.float32(1.0 - p1))


def filter_null_scores(
    dsq: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    composition_odds: np.ndarray,
    M: int,
) -> np.ndarray:
    """HMMER's bias-filter null scores (nats) of packed sequences: a two-state background
    HMM whose second state emits the model's own composition, with the null1 length model
    (empty sequences: -inf; they are never scored)."""  # fmt: skip
    lengths = np.asarray(lengths, dtype=np.int64)
    p1s = (lengths.astype(np.float32) / (lengths + 1).astype(np.float32)).astype(np.float64)
    L1 = np.float32(M) / np.float32(8.0)
    t10 = float(np.float32(1.0) / (L1 + np.float32(1.0)))
    t11 = float(L1 / (L1 + np.float32(1.0)))
    out = np.full(len(lengths), -np.inf)
    _filter_null_batch(dsq, np.asarray(offsets, dtype=np.int64), lengths, composition_odds,
                       p1s, t10, t11, out)  # fmt: skip
    return out


def _composition_odds(profile: SearchProfile) -> np.ndarray:
    """Odds of the model composition against the background for every digital code.

    A model without a COMPO line has a zero composition in HMMER, which silences the
    biased state of the filter; that is reproduced here.
    """
    alphabet = profile.alphabet
    _, degen = alphabet.degeneracy_matrix()
    f = profile.background.frequencies
    compo = profile.composition if profile.composition is not None else np.zeros(len(f))
    odds = (degen @ compo) / (degen @ f)
    return np.append(odds, 1.0)


# --------------------------------------------------------------------------------------
# Stochastic trace ensembles and their clustering (p7_spensemble)
# --------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _trace_ensemble(seed, nsamples, sub, ireg, tv, xf, me, avg, mx, ix, dx, xmx, scale):
    """Sample `nsamples` paths of a region from its single-precision Forward matrices
    (:mod:`hmmkit.profile.float_sampling`); returns (segments, n2sum).

    segments: (n, 5) rows (sample, i, j, k, m) in sequence coordinates; n2sum: summed null2
    odds per region position (before the log), as region_trace_ensemble() accumulates them.
    """
    state = dp.rng_state(seed)
    Lr = sub.shape[0]
    M = me.shape[1] - 1
    K = avg.shape[1]
    n2sum = np.zeros(Lr + 1)
    segs = np.zeros((nsamples * 4 + 16, 5), dtype=np.int64)
    nseg = 0
    counts = np.zeros(M + 1)
    null2 = np.zeros(K)
    nbuf = 2 * (Lr + M) + 8
    st = np.zeros(nbuf, dtype=np.int32)
    kk = np.zeros(nbuf, dtype=np.int32)
    ii = np.zeros(nbuf, dtype=np.int32)
    for t in range(nsamples):
        n = float_stochastic_trace_reversed(state, tv, xf, mx, ix, dx, xmx, scale, M, st, kk,
                                            ii)  # fmt: skip
        pos = 1
        inside = False
        ld = 0
        sqfrom = sqto = hmmfrom = hmmto = 0
        for z in range(n - 1, -1, -1):  # path order
            s = st[z]
            if s == dp.ST_B:
                inside = True
                counts[:] = 0.0
                ld = 0
                sqfrom = sqto = hmmfrom = hmmto = 0
                continue
            if not inside:
                continue
            if ii[z] > 0:  # null2 by trace: M and I uses, both counted at the match
                ld += 1
                if kk[z] > 0:
                    counts[kk[z]] += 1.0
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
                for x in range(K):
                    acc = 0.0
                    for k in range(1, M + 1):
                        acc += counts[k] * me[x, k]
                    null2[x] = acc / ld
                while pos <= sqfrom:
                    n2sum[pos] += 1.0
                    pos += 1
                while pos <= sqto:
                    x = sub[pos - 1]
                    v = 0.0
                    if x < K:
                        v = null2[x]
                    else:
                        wsum = 0.0
                        for y in range(K):
                            v += avg[x, y] * null2[y]
                            wsum += avg[x, y]
                        if wsum == 0.0:
                            v = 1.0
                    n2sum[pos] += v
                    pos += 1
        while pos <= Lr:
            n2sum[pos] += 1.0
            pos += 1
    return segs[:nseg], n2sum


@njit(cache=True, nogil=True)
def _single_linkage(segs, min_overlap, of_smaller, max_diagdiff):
    """Connected components of HMMER's segment linkage rule; returns cluster labels."""
    n = segs.shape[0]
    parent = np.arange(n)
    for a in range(n):  # segments are sorted by start: later ones starting past j_a can't link
        for b in range(a + 1, n):
            ia, ja, ka, ma = segs[a, 1], segs[a, 2], segs[a, 3], segs[a, 4]
            ib, jb, kb, mb = segs[b, 1], segs[b, 2], segs[b, 3], segs[b, 4]
            if ib > ja:
                break
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
            if (
                abs((ia - ka) - (ib - kb)) > max_diagdiff
                and abs((ja - ma) - (jb - mb)) > max_diagdiff
            ):
                continue
            ra = a
            while parent[ra] != ra:
                ra = parent[ra]
            rb = b
            while parent[rb] != rb:
                rb = parent[rb]
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    labels = np.empty(n, dtype=np.int64)
    nc = 0
    root_label = np.full(n, -1, dtype=np.int64)
    for a in range(n):
        r = a
        while parent[r] != r:
            r = parent[r]
        if root_label[r] < 0:
            root_label[r] = nc
            nc += 1
        labels[a] = root_label[r]
    return labels, nc


def _cluster_envelopes(segs: np.ndarray, nsamples: int) -> list[tuple[int, int, float]]:
    """p7_spensemble_Cluster plus the removal of dominated clusters: [(i, j, prob)]."""
    if len(segs) == 0:
        return []
    segs = segs[np.argsort(segs[:, 1], kind="stable")]
    labels, nc = _single_linkage(segs, MIN_OVERLAP, OF_SMALLER, MAX_DIAGDIFF)
    # traces with at least one segment in each cluster
    pairs = np.unique(labels * (nsamples + 1) + segs[:, 0])
    ninc_all = np.bincount(pairs // (nsamples + 1), minlength=nc)
    sig = []
    for c in np.nonzero(ninc_all >= MIN_POSTERIOR * nsamples)[0]:
        members = segs[labels == c]
        ninc = int(ninc_all[c])
        prob = ninc / nsamples
        if prob < MIN_POSTERIOR:
            continue
        threshold = math.ceil(np.float32(ninc) * np.float32(MIN_ENDPOINTP))
        best = []
        for col, leftmost in ((1, True), (3, True), (2, False), (4, False)):
            values = members[:, col]
            lo = values.min()
            hist = np.bincount(values - lo)
            ok = np.nonzero(hist >= threshold)[0]
            if len(ok):
                best.append(lo + (ok[0] if leftmost else ok[-1]))
            else:
                best.append(lo + int(np.argmax(hist)))
        bi, bk, bj, bm = best
        if bi > bj or bk > bm:
            continue
        sig.append((bi, bj, prob))
    sig.sort(key=lambda c: c[0])
    dominated = [False] * len(sig)
    for d in range(len(sig)):
        for d2 in range(d + 1, len(sig)):
            nov = min(sig[d][1], sig[d2][1]) - max(sig[d][0], sig[d2][0]) + 1
            if nov == 0:
                break
            n = min(sig[d][1] - sig[d][0] + 1, sig[d2][1] - sig[d2][0] + 1)
            if nov / n >= 0.8:
                if sig[d][2] > sig[d2][2]:
                    dominated[d2] = True
                else:
                    dominated[d] = True
    return [c for c, dom in zip(sig, dominated, strict=True) if not dom]


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
def _regions(mocc, btot, etot, rt1, rt2):
    """Regions i..j of probable domain occupancy (the trigger logic of domain definition)."""
    L = mocc.shape[0] - 1
    out = np.zeros((L + 1, 2), dtype=np.int64)
    n = 0
    i = -1
    triggered = False
    for j in range(1, L + 1):
        if not triggered:
            if mocc[j] - (btot[j] - btot[j - 1]) < rt2:
                i = j
            elif i == -1:
                i = j
            if mocc[j] >= rt1:
                triggered = True
        elif mocc[j] - (etot[j] - etot[j - 1]) < rt2:
            out[n, 0] = i
            out[n, 1] = j
            n += 1
            i = -1
            triggered = False
    return out[:n]


class _Definer:
    """Reusable per-query state for domain definition."""

    def __init__(self, profile: SearchProfile, seed: int, null2: bool, entry=None):
        self.profile = profile.copy()
        self.tv, self.ev, _ = float_profile(self.profile, entry)
        self.seed = seed
        self.null2 = null2
        tp, me, ie, _, local = self.profile.kernel_arrays()
        self.tp, self.me, self.ie, self.local = tp, me, ie, local
        self.tmask = (tp > 0).astype(np.float64)
        alphabet = profile.alphabet
        _, degen = alphabet.degeneracy_matrix()
        K = alphabet.size
        avg = np.zeros((degen.shape[0] + 1, K))
        avg[: degen.shape[0]] = degen / degen.sum(axis=1, keepdims=True)
        self.avg = avg  # null2 odds of code x = avg[x] . null2[:K]  ('*' row: 1 by rule)
        self.K = K

    def _xp(self, L: int, multihit: bool) -> np.ndarray:
        prof = self.profile.set_multihit(multihit, L)
        with np.errstate(over="ignore"):
            return np.exp(prof.xsc)

    def _null2_full(self, null2_canon: np.ndarray) -> np.ndarray:
        full = self.avg @ null2_canon
        full[-1] = 1.0
        return full

    def define(self, dsq: np.ndarray, decoded=None) -> DomainDefinition:
        """Domain definition of one sequence; `decoded` may hold its precomputed Forward and
        Backward special-state rows and row scales (from :func:`dp.domain_decoding_batch`)."""
        L = len(dsq)
        tp, me, ie, local = self.tp, self.me, self.ie, self.local
        mxp = self._xp(L, True)
        uxp = self._xp(L, False)
        if decoded is None:
            fx, ls, _ = dp.forward_parser(dsq, tp, me, ie, mxp, local)
            bx = dp.backward_parser(dsq, tp, me, ie, mxp, local, ls)
        else:
            fx, bx, ls = decoded
        mocc, btot, etot = dp.domain_posteriors(fx, bx, mxp, ls)
        n2sc = np.zeros(L + 1)
        result = DomainDefinition([], n2sc, float(btot[L]), 0, 0, 0, 0)
        uarrays = (tp, me, ie, uxp, local)
        for i, j in _regions(mocc, btot, etot, RT1, RT2):
            result.nregions += 1
            if self._is_multidomain(btot, etot, i, j):
                result.nclustered += 1
                sub = dsq[i - 1 : j]
                xf = special_odds(mxp)
                rm, ri, rd, rx, scale = float_forward(sub, self.tv, self.ev, xf)
                segs, n2sum = _trace_ensemble(
                    self.seed, NSAMPLES, sub, i, self.tv, xf, me[: self.K], self.avg,
                    rm, ri, rd, rx, scale,
                )  # fmt: skip
                with np.errstate(divide="ignore"):
                    n2sc[i : j + 1] = np.log(n2sum[1:] / NSAMPLES)
                last_j2 = 0
                for i2, j2, _ in _cluster_envelopes(segs, NSAMPLES):
                    if i2 <= last_j2:
                        result.noverlaps += 1
                    result.nenvelopes += 1
                    if self._rescore(dsq, i2, j2, True, uarrays, result):
                        last_j2 = j2
            else:
                result.nenvelopes += 1
                self._rescore(dsq, i, j, False, uarrays, result)
        return result

    @staticmethod
    def _is_multidomain(btot, etot, i, j) -> bool:
        z = np.arange(i, j + 1)
        expected = np.minimum(etot[z] - etot[i - 1], btot[j] - btot[z - 1])
        return bool(expected.max() >= RT3)

    def _rescore(self, dsq, i, j, null2_done, uarrays, result) -> bool:
        tp, me, ie, xp, local = uarrays
        sub = dsq[i - 1 : j]
        fm, fi, fd, fx, ls, envsc = dp.forward_matrix(sub, tp, me, ie, xp, local)
        if not np.isfinite(envsc):
            return False
        bm, bi, bd, bx = dp.backward_matrix(sub, tp, me, ie, xp, local, ls)
        pm, pi, px = dp.posterior_matrix(fm, fi, fx, bm, bi, bx, xp, ls)
        tmask = self.tmask
        xmask = (xp > 0).astype(np.float64)
        om, oi, od, ox, oasc = dp.optimal_accuracy(pm, pi, px, tmask, xmask, local)
        st, kk, ii, pp = dp.oa_trace(pm, pi, px, tmask, xmask, local, om, oi, od, ox)
        if len(st) == 0:
            return False
        ii = np.where(ii > 0, ii + i - 1, 0)
        segs = dp.trace_domains(st, kk, ii)
        if len(segs) == 0:
            return False
        ali_from, ali_to, hmm_from, hmm_to = (int(v) for v in segs[0, 2:6])
        if not null2_done:
            Ld = j - i + 1
            mfreq = pm[1:].sum(axis=0) / Ld
            ifreq = pi[1:].sum() / Ld
            xfactor = (px[1:, dp.SN].sum() + px[1:, dp.SC].sum() + px[1:, dp.SJ].sum()) / Ld
            null2 = me[: self.K, 1:] @ mfreq[1:] + ifreq + xfactor
            full = self._null2_full(null2)
            with np.errstate(divide="ignore"):
                result.n2sc[i : j + 1] = np.log(full[sub])
        correction = float(result.n2sc[i : j + 1].sum())
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


def _logaddexp0(x: float) -> float:
    return float(np.logaddexp(0.0, x))


def search(
    model: ProfileHMM,
    sequences: str | Path | Iterable[Sequence | tuple[str, str] | str],
    *,
    E: float = 10.0,
    T: float | None = None,
    domE: float = 10.0,
    domT: float | None = None,
    incE: float = 0.01,
    incT: float | None = None,
    incdomE: float = 0.01,
    incdomT: float | None = None,
    Z: float | None = None,
    domZ: float | None = None,
    F1: float = 0.02,
    F2: float = 1e-3,
    F3: float = 1e-5,
    bias_filter: bool = True,
    null2: bool = True,
    seed: int = 42,
    background: Background | None = None,
    n_jobs: int | None = 1,
) -> SearchResults:
    """Search `sequences` (a FASTA path or an iterable of sequences) with `model`.

    Mirrors hmmsearch: every sequence is scored with Forward; a sequence goes on to domain
    definition and null2-corrected scoring when it passes HMMER's three gates: MSV P-value
    <= `F1`, Viterbi P-value <= `F2` and Forward P-value <= `F3` (all against the
    bias-filter null when `bias_filter`; ``F1=F2=F3=1`` with ``bias_filter=False`` is
    hmmsearch's ``--max``). The MSV and Viterbi scores are computed exactly as HMMER's
    byte/word filters compute them, and only for sequences that pass the Forward gate. E-values use
    ``Z`` (default: the number of sequences searched) and the model's ``FORWARD``
    statistics (calibrated on the fly if the model has none). Reporting (`E`/`T`,
    `domE`/`domT`) and inclusion (`incE`/`incT`, `incdomE`/`incdomT`) thresholds are
    HMMER's defaults. `n_jobs` > 1 scores sequences and defines their domains on several
    cores (None: all cores), with the results of one core.
    """
    check_query_model(model)
    check_search_options(E=E, domE=domE, incE=incE, incdomE=incdomE, F1=F1, F2=F2, F3=F3, Z=Z,
                         domZ=domZ)  # fmt: skip
    records = as_sequences(sequences)
    if not records and isinstance(sequences, (str, Path)):
        raise ValueError(f"{sequences}: the sequence file is empty (no FASTA records)")
    scored, n_past = score_targets(
        model, records, F1=F1, F2=F2, F3=F3, bias_filter=bias_filter, null2=null2, seed=seed,
        background=background, n_jobs=n_jobs,
    )  # fmt: skip
    hits = sorted((hit for _, hit in scored), key=hit_rank)
    nseqs = len(records)
    results = SearchResults(
        model.name, model.accession, model.M, hits, float(Z if Z is not None else nseqs),
        0.0, nseqs, residue_count(records), n_past, model.description,
    )  # fmt: skip
    apply_thresholds(
        results, E=E, T=T, domE=domE, domT=domT, incE=incE, incT=incT, incdomE=incdomE,
        incdomT=incdomT, domZ=domZ,
    )  # fmt: skip
    return results


def residue_count(records: list[Sequence]) -> int:
    """Number of residues in `records` (whitespace inside a sequence is not a residue)."""
    return sum(len("".join(r.residues.split())) for r in records)


def hit_rank(hit: Hit) -> tuple:
    """Sort key of HMMER's hit ranking: smallest P-value first, then higher score, name."""
    return (hit.lnP, -hit.score, hit.name)


def check_query_model(model, first: ProfileHMM | None = None, source: str = "") -> None:
    """TypeError unless `model` is a ProfileHMM; ValueError when its alphabet is not that of
    `first`, an earlier model of the same `source` (HMMER searches one alphabet at a time)."""
    if not isinstance(model, ProfileHMM):
        raise TypeError(f"model must be a ProfileHMM, got {type(model).__name__}")
    if first is not None and model.alphabet.name != first.alphabet.name:
        raise ValueError(
            f"{source} mixes alphabets: {first.name} is {first.alphabet.name}, "
            f"{model.name} is {model.alphabet.name}"
        )


def check_search_options(*, E, domE, incE, incdomE, F1, F2, F3, Z, domZ) -> None:
    """ValueError naming a search argument that is out of range."""
    for label, value in (("E", E), ("domE", domE), ("incE", incE), ("incdomE", incdomE)):
        if not value > 0:
            raise ValueError(f"{label} must be > 0, got {value}")
    for label, value in (("F1", F1), ("F2", F2), ("F3", F3)):
        if not 0 < value <= 1:
            raise ValueError(f"{label} must be in (0, 1], got {value}")
    for label, value in (("Z", Z), ("domZ", domZ)):
        if value is not None and not 0 < value < math.inf:
            raise ValueError(f"{label} must be a positive number of comparisons, got {value}")


def score_targets(
    model: ProfileHMM,
    records: list[Sequence],
    *,
    F1: float,
    F2: float,
    F3: float,
    bias_filter: bool,
    null2: bool,
    seed: int,
    background: Background | None,
    n_jobs: int | None,
) -> tuple[list[tuple[int, Hit]], int]:
    """HMMER's pipeline for one model over `records`: ``([(record index, Hit)], number of
    sequences past the filters)``, the hits unranked and without E-values or flags."""
    if "FORWARD" not in model.stats:
        from .calibrate import calibrate

        model = calibrate(model, background=background)
    tau, lam = model.stats["FORWARD"]
    bg = background or Background.default(model.alphabet)
    profile = configure(model, 400, background=bg)
    batch = digitize_batch(records, model.alphabet)
    packed, offsets, lengths = batch.X, batch.starts, batch.lengths
    codes = list(batch)
    nullsc = null_scores(bg, lengths)
    # HMMER's gates: MSV (F1; against the null, then against the bias-filter null),
    # Viterbi (F2, run only when the MSV P-value is above F2), Forward (F3). The cheap MSV
    # runs first, the bias-filter null and Forward only on what it lets through.
    candidates = np.flatnonzero(lengths > 0)
    use_msv = "MSV" in model.stats and not (F1 >= 1.0 and F2 >= 1.0)
    if use_msv:
        mmu, mlam = model.stats["MSV"]
        usc = np.full(len(records), -np.inf)
        usc[candidates] = dp.msv_filter_scores(
            packed, offsets[candidates], lengths[candidates], profile.msc, model.alphabet.size
        )
        candidates = _gate(candidates, usc, nullsc, (mmu, mlam), F1)
    filtersc = nullsc.copy()
    if bias_filter and len(candidates):
        filtersc[candidates] = filter_null_scores(
            packed, offsets[candidates], lengths[candidates], _composition_odds(profile), model.M
        )
    msv_logP = np.zeros(len(records))
    if use_msv:
        candidates = _gate(candidates, usc, filtersc, (mmu, mlam), F1, msv_logP)
    jobs = os.cpu_count() if n_jobs is None else n_jobs
    fwd = np.full(len(records), -np.inf)
    fwd[candidates] = dp.forward_scores(
        profile, packed, offsets[candidates], lengths[candidates], n_jobs=jobs or 1
    )
    passed = []
    for idx in candidates:
        if exp_logsurv((fwd[idx] - filtersc[idx]) / LOG2, tau, lam) > math.log(F3):
            continue
        if F2 < 1.0 and msv_logP[idx] > math.log(F2) and "VITERBI" in model.stats:
            if not _passes_viterbi(profile, codes[idx], filtersc[idx], model.stats, F2):
                continue
        passed.append((int(idx), float(nullsc[idx])))

    letters = np.frombuffer(residue_letters(model.alphabet).encode(), dtype=np.uint8)
    entry = entry_odds(model) if profile.local else None

    def define_domains(part: list[tuple[int, float]]) -> list[tuple[int, Hit]]:
        definer = _Definer(profile, seed, null2, entry)  # own profile copy: threads share none
        decoded = {}
        if len(part) >= 2 * dp._PARSER_LANES:  # decode many sequences side by side
            sub_batch = pack([codes[idx] for idx, _ in part])
            sub, sub_off, sub_len = sub_batch.X, sub_batch.starts, sub_batch.lengths
            fx, bx, ls = dp.domain_decoding_batch(profile.copy().set_multihit(True), sub,
                                                  sub_off, sub_len)  # fmt: skip
            for n, (idx, _) in enumerate(part):
                r0 = sub_off[n] + n
                rows = slice(r0, r0 + sub_len[n] + 1)
                decoded[idx] = (fx[rows], bx[rows], ls[rows])
        found = []
        for idx, null in part:
            hit = _score_hit(records[idx], codes[idx], float(fwd[idx]), null, definer, bg, tau,
                             lam, null2, decoded.get(idx))  # fmt: skip
            if hit is not None:
                for d in hit.domains:
                    d.residues = letters[codes[idx][d.ali_from - 1 : d.ali_to]].tobytes().decode()
                found.append((idx, hit))
        return found

    # sequences are independent (domain definition reseeds per sequence), so parts of the
    # list can be defined on several threads with the same results
    n_parts = 1 if jobs <= 1 else min(4 * jobs, len(passed) // (2 * dp._PARSER_LANES) or 1)
    bounds = np.linspace(0, len(passed), n_parts + 1).astype(int)
    parts = [passed[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    hits = [hit for found in map_shards(define_domains, parts, jobs) for hit in found]
    return hits, len(passed)


def null_scores(bg: Background, lengths: np.ndarray) -> np.ndarray:
    """:meth:`Background.null_score` of every length (-inf for an empty sequence),
    computed once per distinct length."""
    distinct, where = np.unique(lengths, return_inverse=True)
    values = np.array([bg.null_score(int(L)) if L else -np.inf for L in distinct])
    return values[where.reshape(-1)]


def _gate(candidates, usc, nullsc, msv_stats, F1, logP=None) -> np.ndarray:
    """The candidates whose MSV P-value against `nullsc` is at most F1 (all when F1 >= 1);
    the log P-values go into `logP` when given (for the candidates kept, or for all when
    F1 >= 1)."""
    mu, lam = msv_stats
    if F1 < 1.0 and len(candidates):
        # The P-value falls as the score rises: only scores near or above the one where it
        # equals F1 can pass; the exact test below decides those.
        edge = mu - math.log(-math.log1p(-F1)) / lam
        bits = (usc[candidates] - nullsc[candidates]) / LOG2
        candidates = candidates[bits >= edge - EDGE_MARGIN_BITS]
    keep = []
    for idx in candidates:
        lp = gumbel_logsurv((usc[idx] - nullsc[idx]) / LOG2, mu, lam)
        if logP is not None:
            logP[idx] = lp
        if F1 >= 1.0 or lp <= math.log(F1):
            keep.append(idx)
    return np.array(keep, dtype=np.int64)


def _passes_viterbi(profile, dsq, filtersc, stats, F2) -> bool:
    """HMMER's Viterbi filter gate (F2), scored exactly as its 16-bit filter scores."""
    vmu, vlam = stats["VITERBI"]
    prof = profile.set_length(len(dsq))
    vsc = dp.viterbi_filter_exact(dsq, prof.tsc, prof.msc, prof.xsc)
    return gumbel_logsurv((vsc - filtersc) / LOG2, vmu, vlam) <= math.log(F2)


def _score_hit(rec, dsq, fwdsc, nullsc, definer, bg, tau, lam, null2, decoded) -> Hit | None:
    """Domain definition and the pipeline's per-sequence scoring (p7_Pipeline)."""
    L = len(dsq)
    dd = definer.define(dsq, decoded)
    if dd.nregions == 0 or dd.nenvelopes == 0 or not dd.domains:
        return None
    log_omega = math.log(bg.omega)
    seqbias = _logaddexp0(log_omega + float(dd.n2sc.sum())) if null2 else 0.0
    pre_score = (fwdsc - nullsc) / LOG2
    seq_score = (fwdsc - (nullsc + seqbias)) / LOG2

    sum_score, bias_sum, Ld = 0.0, 0.0, 0
    for d in dd.domains:
        keep = d.env_score - d.correction > 0.0 if null2 else d.env_score > 0.0
        if keep:
            sum_score += d.env_score
            Ld += d.env_to - d.env_from + 1
            bias_sum += d.correction
    seqbias2 = _logaddexp0(log_omega + bias_sum) if null2 else 0.0
    sum_score += (L - Ld) * math.log(np.float32(L) / np.float32(L + 3))
    pre2_score = (sum_score - nullsc) / LOG2
    sum_score = (sum_score - (nullsc + seqbias2)) / LOG2
    if Ld > 0 and sum_score > seq_score:
        seq_score, pre_score = sum_score, pre2_score

    lnP = exp_logsurv(seq_score, tau, lam)
    best = 0
    for idx, d in enumerate(dd.domains):
        Ld = d.env_to - d.env_from + 1
        raw = d.env_score + (L - Ld) * math.log(np.float32(L) / np.float32(L + 3))
        dombias = _logaddexp0(log_omega + d.correction) if null2 else 0.0
        d.score = (raw - (nullsc + dombias)) / LOG2
        d.bias = dombias / LOG2
        d.lnP = exp_logsurv(d.score, tau, lam)
        if d.score > dd.domains[best].score:
            best = idx
    return Hit(
        name=rec.name, description=rec.description, length=L, score=seq_score,
        bias=pre_score - seq_score, pre_score=pre_score, sum_score=sum_score, lnP=lnP,
        domains=dd.domains, best_domain=best, nexpected=dd.nexpected, nregions=dd.nregions,
        nclustered=dd.nclustered, noverlaps=dd.noverlaps, nenvelopes=dd.nenvelopes,
    )  # fmt: skip


def apply_thresholds(
    res: SearchResults, *, E, T, domE, domT, incE, incT, incdomE, incdomT, domZ, cutoffs=None
) -> None:
    """Set E-values and flag reported/included hits and domains (p7_tophits_Threshold).

    `cutoffs`, one ``(sequence, domain)`` bit score pair per hit (or None), replaces the
    reporting and inclusion thresholds hit by hit, as a scan with Pfam cutoffs does.
    """
    limits = [(T, incT, domT, incdomT)] * len(res.hits)
    if cutoffs is not None:
        limits = [(seq, seq, dom, dom) for seq, dom in cutoffs]
    for h, (hit_T, hit_incT, _, _) in zip(res.hits, limits, strict=True):
        h.evalue = math.exp(h.lnP) * res.Z
        h.reported = bool((h.score >= hit_T) if hit_T is not None else h.evalue <= E)
        h.included = h.reported and bool(
            (h.score >= hit_incT) if hit_incT is not None else h.evalue <= incE
        )
    res.domZ = float(domZ) if domZ is not None else float(sum(h.reported for h in res.hits))
    for h, (_, _, dom_T, dom_incT) in zip(res.hits, limits, strict=True):
        for d in h.domains:
            d.evalue = math.exp(d.lnP) * res.Z
            d.c_evalue = math.exp(d.lnP) * res.domZ
            d.reported = h.reported and bool(
                (d.score >= dom_T) if dom_T is not None else d.c_evalue <= domE
            )
            d.included = h.included and bool(
                (d.score >= dom_incT) if dom_incT is not None else d.c_evalue <= incdomE
            )
