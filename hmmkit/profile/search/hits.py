"""Search results: domains, hits and a query's top hits (HMMER's P7_DOMAIN, P7_HIT,
P7_TOPHITS), with the alignment of the included domains as ``hmmsearch -A`` saves it and
the ``--tblout``/``--domtblout`` tables (p7_tophits.c)."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from ...atomic import write_text_to
from ..align import Alignment, decode_posterior, encode_posterior, traces_to_alignment
from ..io.fasta import Sequence
from ..plan7 import ST_B, ST_C, ST_D, ST_E, ST_N, ST_S, ST_T


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
