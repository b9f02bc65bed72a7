"""Search results: domains, hits and a query's top hits (HMMER's P7_DOMAIN, P7_HIT,
P7_TOPHITS): ranking and thresholds, and the alignment of the included domains as
``hmmsearch -A`` saves it (p7_tophits.c)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np

from ...atomic import write_text_to
from ..align import Alignment, decode_posterior, encode_posterior, traces_to_alignment
from ..io.fasta import Sequence
from ..plan7 import ST_B, ST_C, ST_D, ST_E, ST_N, ST_S, ST_T
from .options import BitThresholds
from .pipeline import Pipeline
from .tables import write_domtblout, write_tblout


@dataclass(frozen=True)
class DomainAlignment:
    """The display lines of one domain and the model and target ranges they cover."""

    model: str
    match: str
    target: str
    posteriors: str
    hmm_from: int
    hmm_to: int
    target_from: int
    target_to: int


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
        begin = int(np.flatnonzero(st == ST_B)[0])
        return slice(begin + 1, begin + int(np.flatnonzero(st[begin:] == ST_E)[0]))


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

    def shown_name(self, accessions: bool = False) -> str:
        """The name the text report shows: with `accessions` (HMMER's --acc), the
        accession when the hit has one."""
        return shown_name(self.name, self.accession, accessions)


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
    _pipeline: Pipeline = field(repr=False)
    query_description: str | None = None
    _pending: Callable[[], int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def ranked(
        cls,
        query: tuple[str, str | None, int, str | None],
        hits: list[Hit],
        pipeline: Pipeline,
        limits: list[BitThresholds] | None = None,
        pending_viterbi: Callable[[], int] | None = None,
    ) -> SearchResults:
        """The top hits of one query (name, accession, size, description): `hits` ranked
        as HMMER ranks them, their E-values over ``Z`` (the pipeline's targets unless the
        options set it) and their reported/included flags set by the pipeline's options;
        `limits`, one per hit, replaces its bit score thresholds (Pfam cutoffs);
        `pending_viterbi` counts, when first asked, the Viterbi filter passes that the
        pipeline's n_past_vit still lacks."""
        name, accession, size, description = query
        order = sorted(range(len(hits)), key=lambda n: hit_rank(hits[n]))
        options = pipeline.options
        Z = float(options.Z if options.Z is not None else pipeline.n_targets)
        top = cls(name, accession, size, [hits[n] for n in order], Z, 0.0, pipeline,
                  description, pending_viterbi)  # fmt: skip
        if limits is None:
            limits = [options.bit_thresholds()] * len(hits)
        top._threshold([limits[n] for n in order])
        return top

    def _threshold(self, limits: list[BitThresholds]) -> None:
        """Set E-values and flag reported/included hits and domains (p7_tophits_Threshold)."""
        opts = self._pipeline.options
        for h, (hit_T, hit_incT, _, _) in zip(self.hits, limits, strict=True):
            h.evalue = math.exp(h.lnP) * self.Z
            h.reported = _passes(h.score, hit_T, h.evalue, opts.E)
            h.included = h.reported and _passes(h.score, hit_incT, h.evalue, opts.incE)
        reported = sum(h.reported for h in self.hits)
        self.domZ = float(opts.domZ if opts.domZ is not None else reported)
        for h, (_, _, dom_T, dom_incT) in zip(self.hits, limits, strict=True):
            for d in h.domains:
                d.evalue = math.exp(d.lnP) * self.Z
                d.c_evalue = math.exp(d.lnP) * self.domZ
                d.reported = h.reported and _passes(d.score, dom_T, d.c_evalue, opts.domE)
                d.included = h.included and _passes(d.score, dom_incT, d.c_evalue, opts.incdomE)

    @property
    def pipeline(self) -> Pipeline:
        """The search's options and stage counters (HMMER's P7_PIPELINE). Viterbi filter
        runs that decide no hit, only the n_past_vit count, are made when first read."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            vit = self._pipeline.n_past_vit + pending()
            self._pipeline = replace(self._pipeline, n_past_vit=vit)
        return self._pipeline

    @property
    def nseqs(self) -> int:
        """Number of targets searched (sequences; models in a scan)."""
        return self._pipeline.n_targets

    @property
    def nresidues(self) -> int:
        """Size of the targets searched (residues; model nodes in a scan)."""
        return self._pipeline.target_size

    @property
    def n_past_forward(self) -> int:
        """Number of targets that passed every filter."""
        return self._pipeline.n_past_fwd

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
                    accession=hit.accession or "",
                ),
                aligned_stretch_trace(d),
            )  # fmt: skip
            for hit in self.included()
            for d in hit.domains
            if d.included
        ]


def aligned_stretch_trace(d: Domain) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The path of a domain's aligned stretch alone (S N B, its M/D/I states, E C T), with
    residue positions counted from ali_from and posteriors rounded to their display codes
    (p7_alidisplay_Backconvert)."""
    st, kk, ii, pp = d.trace
    core = d.aligned_states()
    core_st = st[core]
    emits = core_st != ST_D
    core_ii = np.where(emits, ii[core] - d.ali_from + 1, 0)
    codes = [decode_posterior(encode_posterior(p)) for p in pp[core]]
    core_pp = np.where(emits, np.array(codes, dtype=np.float32), 0.0)  # HMMER keeps floats
    head = np.array([ST_S, ST_N, ST_B])
    tail = np.array([ST_E, ST_C, ST_T])
    zeros = np.zeros(3)
    return (
        np.concatenate([head, core_st, tail]).astype(st.dtype),
        np.concatenate([zeros, kk[core], zeros]).astype(kk.dtype),
        np.concatenate([zeros, core_ii, zeros]).astype(ii.dtype),
        np.concatenate([zeros, core_pp, zeros]),
    )


def shown_name(name: str, accession: str | None, accessions: bool) -> str:
    """`name`, or with `accessions` (HMMER's --acc) `accession` when it is not empty."""
    return accession if accessions and accession else name


def shown_description(description: str, textw: int, used: int) -> str:
    """`description` cut as HMMER cuts it in a line of `textw` columns of which `used`
    hold the rest: to ``max(32, textw - used)`` characters; whole when `textw` is 0
    (--notextw)."""
    return description[: max(32, textw - used)] if textw else description


def hit_rank(hit: Hit) -> tuple:
    """Sort key of HMMER's hit ranking: smallest P-value first, then higher score, name."""
    return (hit.lnP, -hit.score, hit.name)


def _passes(score: float, bits: float | None, evalue: float, max_evalue: float) -> bool:
    """A threshold test: the bit score threshold when one is set, else the E-value's."""
    return bool(score >= bits) if bits is not None else bool(evalue <= max_evalue)
