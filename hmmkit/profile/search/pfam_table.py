"""HMMER's ``--pfamtblout``: the Pfam-style table of a query's hits
(p7_tophits_TabularXfam for protein searches): the reported sequences, then their
reported domains ranked on their own."""

from __future__ import annotations

from typing import IO


def _domain_rank(by_evalue: bool):
    """Sort key of the domain list: best E-value (or, with bit score inclusion
    thresholds, best score) first, then target name."""
    if by_evalue:
        return lambda row: (row[1].lnP, row[0].name)
    return lambda row: (-row[1].score, row[0].name)


def write_pfamtblout(handle: IO[str], results) -> None:
    """Write one query's reported hits of `results` (:class:`~.hits.SearchResults`) in
    HMMER's Pfam table layout: a "Sequence scores" block (score, E-value, domains, expected
    domains, bias) and a "Domain scores" block (each reported domain with its ordinal in
    its target, envelope, alignment and model coordinates)."""
    options = results.pipeline.options
    hits = results.reported()
    tnamew = max([20] + [len(h.name) for h in results.hits])
    handle.write("# Sequence scores\n# ---------------\n#\n")
    handle.write("# %-*s %6s %9s %3s %5s %5s    %s\n"  # noqa: UP031
                 % (tnamew - 1, "name", " bits", "  E-value", "n", "exp", " bias",
                    "description"))  # fmt: skip
    handle.write("# %*s %6s %9s %3s %5s %5s    %s\n"  # noqa: UP031
                 % (tnamew - 1, "-" * 19, "-" * 6, "-" * 9, "-" * 3, "-" * 5, "-" * 5,
                    "-" * 21))  # fmt: skip
    for h in hits:
        handle.write("%-*s  %6.1f %9.2g %3d %5.1f %5.1f    %s\n"  # noqa: UP031
                     % (tnamew, h.name, h.score, h.evalue, len(h.domains), h.nexpected,
                        h.bias, h.description or "-"))  # fmt: skip
    handle.write("\n")
    rows = [
        (h, d, n)
        for h in hits
        for n, d in enumerate((d for d in h.domains if d.reported), start=1)
    ]
    by_evalue = options.incT is None and options.cutoffs is None
    rows.sort(key=_domain_rank(by_evalue))
    handle.write("# Domain scores\n# -------------\n#\n")
    handle.write("# %-*s %6s %9s %5s %5s %6s %6s %6s %6s %6s %6s     %s\n"  # noqa: UP031
                 % (tnamew - 1, " name", "bits", "E-value", "hit", "bias", "env-st", "env-en",
                    "ali-st", "ali-en", "hmm-st", "hmm-en", "description"))  # fmt: skip
    handle.write("# %*s %6s %9s %5s %5s %6s %6s %6s %6s %6s %6s      %s\n"  # noqa: UP031
                 % (tnamew - 1, "-" * 19, "-" * 6, "-" * 9, "-" * 5, "-" * 5, *["-" * 6] * 6,
                    "-" * 21))  # fmt: skip
    for h, d, n in rows:
        handle.write("%-*s  %6.1f %9.2g %5d %5.1f %6d %6d %6d %6d %6d %6d     %s\n"  # noqa: UP031
                     % (tnamew, h.name, d.score, d.evalue, n, d.bias, d.env_from, d.env_to,
                        d.ali_from, d.ali_to, d.hmm_from, d.hmm_to,
                        h.description or "-"))  # fmt: skip
