"""hmmsearch's (and hmmscan's) text report of a query's hits: the ranked hit list, the
per-domain tables and alignments, and the pipeline statistics summary."""

from __future__ import annotations

from typing import IO

from .options import DEFAULT_TEXTW


def write_hit_list(
    out, results, target: str, accessions: bool = False, textw: int = DEFAULT_TEXTW
) -> None:
    """hmmsearch's ranked list: full-sequence and best-domain E-value, score and bias,
    expected and reported domains; a rule marks where the included hits end. With
    `accessions` (--acc), a target's accession stands for its name where it has one;
    with `textw` (--textw), descriptions are cut to fit lines of that width."""
    from .hits import shown_description

    names = [h.shown_name(accessions) for h in results]
    namew = max([8] + [len(name) for name in names])
    kind = "sequences" if target == "Sequence" else "sequence"  # as HMMER words both
    out.write(f"Scores for complete {kind} (score includes all domains):\n")
    out.write("  %22s  %22s  %8s\n" % (" --- full sequence ---", " --- best 1 domain ---",  # noqa: UP031
                                     "-#dom-"))  # fmt: skip
    row = "  %9s %6s %5s  %9s %6s %5s  %5s %2s  %-*s  %s\n"
    out.write(row % ("E-value", " score", " bias", "E-value", " score", " bias", "  exp", "N",
                     namew, target, "Description"))  # fmt: skip
    out.write(row % ("-------", "------", "-----", "-------", "------", "-----", " ----", "--",
                     namew, "-" * len(target), "-----------"))  # fmt: skip
    rule = False
    for h, name in zip(results, names, strict=True):
        if not h.included and not rule:
            out.write("  ------ inclusion threshold ------\n")
            rule = True
        d = h.domains[h.best_domain]
        mark = "+" if h.new else "-" if h.dropped else " "
        out.write("%c %9.2g %6.1f %5.1f  %9.2g %6.1f %5.1f  %5.1f %2d  %-*s  %s\n"  # noqa: UP031
                  % (mark, h.evalue, h.score, h.bias, d.evalue, d.score, d.bias, h.nexpected,
                     h.nreported, namew, name,
                     shown_description(h.description, textw, namew + 61)))  # fmt: skip


def write_query_report(
    out: IO[str], results, scanned: bool = False, display=None, alignments: bool = True,
    accessions: bool = False,
    textw: int = DEFAULT_TEXTW,
    statistics: bool = False,
) -> None:
    """A query's ranked hits as hmmsearch lists them, written to `out`; `scanned`: hits
    are models. With an :class:`~.alidisplay.AlignmentDisplay`, each hit's domain table (and, with
    `alignments`, its domain alignments) follows, as in hmmsearch's output. `accessions`
    (HMMER's --acc): hits and alignment rows show accessions where there are some;
    `textw` (--textw; 0 for --notextw): HMMER's line width for descriptions and alignment
    blocks, 120 as HMMER's default; `statistics`
    (--stats): the pipeline statistics summary closes the query's report."""
    if scanned:
        out.write(f"Query:       {results.query_name}  [L={results.M}]\n")
    else:
        out.write(f"Query:       {results.query_name}  [M={results.M}]\n")
    write_hit_sections(out, results, scanned, display, alignments, accessions, textw)
    if statistics:
        out.write("\n")
        write_pipeline_statistics(out, results)
    out.write("//\n")


def write_hit_sections(
    out, results, scanned: bool, display, alignments: bool, accessions: bool = False,
    textw: int = DEFAULT_TEXTW,
) -> None:
    """The targets searched, the ranked hit list and the domain annotation of one query
    (with `accessions`, HMMER's --acc: accessions shown for names where there are some;
    `textw`: the line width, as :func:`write_query_report`)."""
    if scanned:
        out.write(f"Target models: {results.nseqs}  ({results.nresidues} nodes); ")
    else:
        out.write(f"Target sequences: {results.nseqs}  ({results.nresidues} residues); ")
    out.write(f"passed the filters: {results.n_past_forward}\n\n")
    write_hit_list(out, results, "Model" if scanned else "Sequence", accessions, textw)
    if not len(results):
        out.write("   [No hits detected that satisfy reporting thresholds]\n")
    elif scanned or display is not None:
        kind = "model" if scanned else "sequence"
        out.write(f"\nDomain annotation for each {kind}{' (and alignments)' * alignments}:\n")
        for h in results:
            if display is not None:
                display.write_hit(out, h, alignments=alignments, accessions=accessions,
                                  textw=textw)  # fmt: skip
                continue
            from ..alidisplay import write_hit_domains  # deferred: the DP kernels load with it
            from .hits import shown_name

            shown = [d.display for d in h.domains if d.reported] if alignments else None
            query = shown_name(results.query_name, results.query_accession, accessions)
            write_hit_domains(out, h, h.shown_name(accessions), query, h.length, results.M,
                              shown, accessions=accessions, textw=textw)  # fmt: skip


def write_pipeline_statistics(out: IO[str], results) -> None:
    """HMMER's "Internal pipeline statistics summary" of one query (p7_pli_Statistics,
    without its timing lines): the comparisons made, how many passed each filter against
    how many the filter's P-value threshold lets through by chance, and the search space
    sizes behind the E-values."""
    pipeline = results.pipeline
    options = pipeline.options
    n = pipeline.n_targets
    out.write("Internal pipeline statistics summary:\n-------------------------------------\n")
    if pipeline.mode == "search":
        out.write("%-31s%15d  (%d nodes)\n" % ("Query model(s):", pipeline.n_models,  # noqa: UP031
                                               pipeline.n_nodes))  # fmt: skip
        out.write("%-31s%15d  (%d residues searched)\n"  # noqa: UP031
                  % ("Target sequences:", pipeline.n_sequences, pipeline.n_residues))
    else:
        out.write("%-29s%15d  (%d residues searched)\n"  # noqa: UP031
                  % ("Query sequence(s):", pipeline.n_sequences, pipeline.n_residues))
        out.write("%-29s%15d  (%d nodes)\n" % ("Target model(s):", pipeline.n_models,  # noqa: UP031
                                               pipeline.n_nodes))  # fmt: skip
    for label, passed, threshold in (
        ("MSV", pipeline.n_past_msv, options.F1),
        ("bias", pipeline.n_past_bias, options.F1),
        ("Vit", pipeline.n_past_vit, options.F2),
        ("Fwd", pipeline.n_past_fwd, options.F3),
    ):
        out.write("%-29s%15d  (%.6g); expected %.1f (%.6g)\n"  # noqa: UP031
                  % (f"Passed {label} filter:", passed, passed / n if n else 0.0,
                     threshold * n, threshold))  # fmt: skip
    z_by = "[as set by --Z on cmdline]" if options.Z is not None else "[actual number of targets]"
    domz_by = ("[as set by --domZ on cmdline]" if options.domZ is not None
               else "[number of targets reported over threshold]")  # fmt: skip
    out.write("%-29s%15.0f  %s\n" % ("Initial search space (Z):", results.Z, z_by))  # noqa: UP031
    out.write("%-29s%15.0f  %s\n" % ("Domain search space  (domZ):", results.domZ, domz_by))  # noqa: UP031
