"""HMMER's tabular outputs of top hits: hmmsearch's ``--tblout`` (one line per reported
target) and ``--domtblout`` (one line per reported domain), p7_tophits_TabularTargets and
p7_tophits_TabularDomains."""

from __future__ import annotations

from typing import IO, Protocol


class TopHits(Protocol):
    """What the tables read of a query's results (:class:`~.hits.SearchResults`)."""

    query_name: str
    query_accession: str | None
    M: int
    nseqs: int
    nresidues: int

    def reported(self) -> list: ...


def _layout(results: TopHits) -> tuple[list, str, str, tuple[int, int, int, int]]:
    """The reported hits, query name and accession, and the widths of the target name,
    target accession, query name and query accession columns of HMMER's tables (at least
    20, 10, 20 and 10 characters)."""
    hits = results.reported()
    qname = results.query_name
    qacc = results.query_accession or "-"
    tnamew = max([20] + [len(h.name) for h in hits])
    taccw = max([10] + [len(h.accession or "-") for h in hits])
    return hits, qname, qacc, (tnamew, taccw, max(20, len(qname)), max(10, len(qacc)))


def _write_footer(handle: IO[str], results: TopHits) -> None:
    """The closing comment block of a table written for one query."""
    handle.write("#\n# Program:         hmmkit search\n")
    handle.write(f"# Query:           {results.query_name}  [M={results.M}]\n")
    handle.write(f"# Target sequences: {results.nseqs}  ({results.nresidues} residues)\n")
    handle.write("# [ok]\n")


def write_tblout(
    handle: IO[str], results: TopHits, *, header: bool = True, footer: bool = True
) -> None:
    """Write `results` in HMMER's tabular per-target format (p7_tophits_TabularTargets).

    `header` writes the three column-title lines, `footer` the closing comment block.
    """
    hits, qname, qacc, (tnamew, taccw, qnamew, qaccw) = _layout(results)
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
        _write_footer(handle, results)


def write_domtblout(
    handle: IO[str], results: TopHits, *, header: bool = True, footer: bool = True
) -> None:
    """Write the reported domains in HMMER's per-domain table (p7_tophits_TabularDomains)."""
    hits, qname, qacc, (tnamew, taccw, qnamew, qaccw) = _layout(results)
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
        _write_footer(handle, results)
