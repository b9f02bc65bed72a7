"""``hmmkit build``, ``hmmkit search`` and ``hmmkit align``: HMMER's hmmbuild, hmmsearch and
hmmalign on the command line."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import sys
from collections import Counter

from ..atomic import atomic_output


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the profile HMM subcommands to the ``hmmkit`` parser."""
    _register_build(subparsers)
    _register_search(subparsers)
    _register_phmmer(subparsers)
    _register_jackhmmer(subparsers)
    _register_scan(subparsers)
    _register_align(subparsers)
    _register_emit(subparsers)
    _register_fetch(subparsers)
    _register_stat(subparsers)


# --------------------------------------------------------------------------------------
# outputs: never onto an input, never half-written
# --------------------------------------------------------------------------------------


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (the same inode when both exist)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _check_outputs(outputs: dict[str, str | None], inputs: dict[str, str]) -> None:
    """ValueError when an output is an input, another output, a folder or in no folder.

    Runs before anything is read or opened for writing, so a refused command leaves every
    file as it was.
    """
    from_stdin = [label for label, path in inputs.items() if path == "-"]
    if len(from_stdin) > 1:
        raise ValueError(f"only one of {' and '.join(from_stdin)} can be '-' (standard input)")
    given = {label: path for label, path in outputs.items() if path}
    for n, (label, path) in enumerate(given.items()):
        if os.path.isdir(path):
            raise ValueError(f"{label} {path} is a folder, not a file")
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise ValueError(f"{label} {path}: folder {folder} does not exist")
        for in_label, in_path in inputs.items():
            if _same_file(path, in_path):
                raise ValueError(f"{label} {path} is the {in_label}; it would be overwritten")
        for other_label, other in list(given.items())[:n]:
            if _same_file(path, other):
                raise ValueError(f"{label} and {other_label} are the same file {path}")


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _output(path: str | None):
    """Standard output, or `path` written atomically (complete or not at all)."""
    if not path:
        yield sys.stdout
        return
    with atomic_output(path) as handle:
        yield handle


def _seed(seed: int) -> int:
    """HMMER's --seed: 0 asks for an arbitrary (one-time) seed."""
    return seed if seed != 0 else secrets.randbelow(2**31 - 1) + 1


def _exclusive_flags(parser, dest: str, flags: list[tuple[str, object, str]]):
    """Mutually exclusive ``--flag`` options, each storing its value in ``dest`` (as
    hmmbuild's --amino/--dna, --wpb/--wblosum, ...); returns the group."""
    group = parser.add_mutually_exclusive_group()
    for flag, value, label in flags:
        group.add_argument(f"--{flag}", action="store_const", const=value, dest=dest, help=label)
    return group


def _register_build(subparsers) -> None:
    p = subparsers.add_parser(
        "build",
        help="build a profile HMM from a multiple alignment (like hmmbuild)",
        description="Build a profile HMM from each alignment of a Stockholm, aligned FASTA or "
        "A2M file as HMMER's hmmbuild does, calibrate its E-values and write the models in "
        "HMMER3/f format.",
    )
    p.add_argument("hmmfile", metavar="OUT.hmm", help="output HMM file")
    p.add_argument("msafile", metavar="MSAFILE", help="input alignment")
    p.add_argument("-n", "--name", help="name the model NAME (default: the alignment's)")
    _exclusive_flags(p, "alphabet", [
        ("amino", "amino", "the alignment is protein"),
        ("dna", "dna", "the alignment is DNA"),
        ("rna", "rna", "the alignment is RNA"),
    ])  # fmt: skip
    p.add_argument(
        "--informat", choices=("stockholm", "afa", "a2m"), default=None,
        help="the alignment's format (default: from the file name and contents)",
    )  # fmt: skip
    p.add_argument("--hand", action="store_true", help="match columns from the #=GC RF line")
    p.add_argument("--symfrac", type=float, default=0.5, help="residue fraction for a match column")
    _add_model_options(p)
    p.add_argument(
        "--seed", type=int, default=42,
        help="random seed of the calibration (0: an arbitrary seed, as hmmbuild)",
    )  # fmt: skip
    p.set_defaults(func=_run_build)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """hmmbuild's options for weighting, effective sequence number, prior and fragments."""
    p.add_argument("--fragthresh", type=float, default=0.5, help="fragment threshold")
    _exclusive_flags(p, "weighting", [
        ("wpb", "pb", "position-based sequence weights (default)"),
        ("wblosum", "blosum", "BLOSUM-style cluster weights, at --wid identity"),
        ("wnone", "none", "no relative weights: every sequence weighs 1"),
    ])  # fmt: skip
    p.add_argument("--wid", type=float, default=0.62, help="identity cutoff of --wblosum")
    effn = _exclusive_flags(p, "effn", [
        ("eent", "entropy", "effective sequence number by relative entropy target (default)"),
        ("eclust", "clust", "effective sequence number = single-linkage clusters at --eid"),
        ("enone", "none", "effective sequence number = number of sequences"),
    ])  # fmt: skip
    effn.add_argument("--eset", type=float, metavar="X", help="set the effective number to X")
    p.add_argument("--ere", type=float, default=None, help="relative entropy target (bits)")
    p.add_argument("--esigma", type=float, default=45.0, help="sigma of the entropy target")
    p.add_argument("--eid", type=float, default=0.62, help="identity cutoff of --eclust")
    _exclusive_flags(p, "prior", [
        ("pnone", None, "no prior: counts only"),
        ("plaplace", "laplace", "Laplace +1 prior"),
    ])  # fmt: skip
    p.set_defaults(weighting="pb", effn="entropy", prior="default")


def _model_options(args: argparse.Namespace) -> dict:
    """The :func:`~.build.build` arguments that :func:`_add_model_options` set."""
    return dict(
        fragthresh=args.fragthresh, weighting=args.weighting, wid=args.wid, ere=args.ere,
        effn=args.effn if args.eset is None else args.eset, esigma=args.esigma, eid=args.eid,
        prior=args.prior,
    )  # fmt: skip


def _run_build(args: argparse.Namespace) -> int:
    from ..textfiles import file_stem, is_stdin
    from .build import build
    from .calibrate import calibrate
    from .io.alignments import read_alignments
    from .io.hmmer3 import write_hmmer

    _check_outputs({"OUT.hmm": args.hmmfile}, {"input alignment MSAFILE": args.msafile})
    alignments = read_alignments(
        args.msafile, args.alphabet, format=args.informat, name_from_file=False
    )
    if len(alignments) > 1:  # as hmmbuild: every model is named by its own alignment
        if args.name:
            raise ValueError(
                f"-n/--name names one model, but {args.msafile} holds {len(alignments)} "
                "alignments (each model takes its alignment's name)"
            )
        unnamed = [i + 1 for i, msa in enumerate(alignments) if not msa.name]
        if unnamed:
            raise ValueError(
                f"{args.msafile} holds {len(alignments)} alignments, and alignment "
                f"#{unnamed[0]} has no name (#=GF ID): each needs one to name its model"
            )
    models = []
    for msa in alignments:
        if not (args.name or msa.name) and is_stdin(args.msafile):
            raise ValueError("the alignment read from standard input has no name: pass -n NAME")
        name = args.name or msa.name or file_stem(args.msafile)
        if not (args.name or msa.name) and any(c.isspace() for c in name):
            raise ValueError(
                f"the alignment has no name, and the file name {name!r} that would name the "
                "model has a space: pass -n NAME"
            )
        model = build(
            msa, name=name, symfrac=args.symfrac, architecture="hand" if args.hand else "fast",
            **_model_options(args),
        )  # fmt: skip
        models.append(calibrate(model, seed=_seed(args.seed), in_place=True))
    with atomic_output(args.hmmfile) as handle:  # all models, or no file at all
        write_hmmer(models, handle)
    for model in models:
        print(f"# {model.name}: {model.M} match states, written to {args.hmmfile}")
    return 0


# --------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------


def _add_database_options(p: argparse.ArgumentParser) -> None:
    """The target database and -A of the commands that search one (search, phmmer)."""
    p.add_argument("seqdb", metavar="SEQDB", help="target sequence database (FASTA)")
    p.add_argument(
        "-A",
        metavar="FILE",
        dest="alignment",
        help="save a Stockholm alignment of the included domains of each query to FILE",
    )


def _register_search(subparsers) -> None:
    p = subparsers.add_parser(
        "search",
        help="search a sequence database with profile HMMs (like hmmsearch)",
        description="Search every sequence of a FASTA database with each model of an HMMER3 "
        "file; hits are listed on standard output and, with --tblout/--domtblout, written in "
        "hmmsearch's per-target/per-domain table layouts.",
    )
    p.add_argument("hmmfile", metavar="HMMFILE", help="query profile HMM file (HMMER3)")
    _add_database_options(p)
    _add_pipeline_options(p, "sequences")
    p.set_defaults(func=_run_search)


def _add_pipeline_options(p: argparse.ArgumentParser, targets: str) -> None:
    """hmmsearch's and hmmscan's shared tables, thresholds, filters, seed and cores."""
    p.add_argument("--tblout", metavar="FILE", help="write the per-target hit table to FILE")
    p.add_argument("--domtblout", metavar="FILE", help="write the per-domain table to FILE")
    p.add_argument(
        "--noali", action="store_true", help="leave the domain alignments out of the output"
    )
    p.add_argument("-E", type=float, default=10.0, help=f"report {targets} with E-value <= E")
    p.add_argument("-T", type=float, default=None, help=f"report {targets} with bits >= T")
    p.add_argument("--domE", type=float, default=10.0, help="report domains with E <= domE")
    p.add_argument("--domT", type=float, default=None, help="report domains with bits >= domT")
    p.add_argument("--incT", type=float, default=None, help=f"include {targets} with bits >= incT")
    p.add_argument(
        "--incdomT", type=float, default=None, help="include domains with bits >= incdomT"
    )
    p.add_argument("--domZ", type=float, default=None, help="number of hits for domain E-values")
    cut = p.add_mutually_exclusive_group()
    for flag, label in (("ga", "gathering (GA)"), ("tc", "trusted (TC)"), ("nc", "noise (NC)")):
        cut.add_argument(
            f"--cut_{flag}", action="store_true",
            help=f"use each model's {label} bit score thresholds for reporting and inclusion",
        )  # fmt: skip
    p.add_argument("--incE", type=float, default=0.01, help=f"include {targets} with E <= incE")
    p.add_argument("--incdomE", type=float, default=0.01, help="include domains with E <= this")
    p.add_argument("-Z", type=float, default=None, help="number of comparisons for E-values")
    p.add_argument("--max", action="store_true", help="switch off all filters (as HMMER's --max)")
    p.add_argument("--F1", type=float, default=0.02, help="MSV filter P-value threshold")
    p.add_argument("--F2", type=float, default=1e-3, help="Viterbi filter P-value threshold")
    p.add_argument("--F3", type=float, default=1e-5, help="Forward filter P-value threshold")
    p.add_argument("--nobias", action="store_true", help="switch off the composition filter")
    p.add_argument("--nonull2", action="store_true", help="switch off null2 score corrections")
    p.add_argument(
        "--seed", type=int, default=42,
        help="random seed of domain definition (0: an arbitrary seed, as hmmsearch)",
    )  # fmt: skip
    p.add_argument(
        "--cpu", type=int, default=1, help="cores for the Forward scan and domain definition"
    )


def _register_scan(subparsers) -> None:
    p = subparsers.add_parser(
        "scan",
        help="search sequences against a database of profile HMMs (like hmmscan)",
        description="Compare every sequence of a FASTA file with each model of an HMMER3 "
        "file (a Pfam database, say); each sequence's hits are the models, listed on standard "
        "output and, with --tblout/--domtblout, written in hmmscan's table layouts.",
    )
    p.add_argument("hmmdb", metavar="HMMDB", help="profile HMM database (HMMER3 file)")
    p.add_argument("seqfile", metavar="SEQFILE", help="query sequences (FASTA)")
    _add_pipeline_options(p, "models")
    p.set_defaults(func=_run_scan)


def _run_scan(args: argparse.Namespace) -> int:
    from .io.fasta import read_fasta
    from .scan import scan

    _check_outputs(
        {"--tblout": args.tblout, "--domtblout": args.domtblout},
        {"model database HMMDB": args.hmmdb, "query SEQFILE": args.seqfile},
    )
    records = read_fasta(args.seqfile)
    if not records:
        raise ValueError(f"{args.seqfile}: the sequence file is empty (no FASTA records)")
    results = scan(
        args.hmmdb, records, **_thresholds(args), cutoffs=_cutoff_kind(args),
        **_pipeline_settings(args),
    )  # fmt: skip
    with contextlib.ExitStack() as outputs:
        tables = _HitTables(outputs, args, "hmmkit scan", args.seqfile, args.hmmdb)
        for result in results:
            _print_hits(result, scanned=True, alignments=not args.noali)
            tables.add(result)
        tables.close()
    return 0


def _run_search(args: argparse.Namespace) -> int:
    from .io.hmmer3 import iter_hmmer

    return _search_each(args, iter_hmmer(args.hmmfile), "hmmkit search", args.hmmfile)


def _search_each(args: argparse.Namespace, models, program: str, query_file: str) -> int:
    """Search the database SEQDB with each query model in turn (read one at a time):
    hits and domains on standard output, tables and -A alignments to their files."""
    from .alidisplay import AlignmentDisplay
    from .io.fasta import read_fasta
    from .search import check_query_model, search

    _check_outputs(
        {"--tblout": args.tblout, "--domtblout": args.domtblout, "-A": args.alignment},
        {"query file": query_file, "target database SEQDB": args.seqdb},
    )
    records = read_fasta(args.seqdb)
    if not records:
        raise ValueError(f"{args.seqdb}: the sequence file is empty (no FASTA records)")
    first = None
    with contextlib.ExitStack() as outputs:
        tables = _HitTables(outputs, args, program, query_file, args.seqdb)
        ali = outputs.enter_context(atomic_output(args.alignment)) if args.alignment else None
        for model in models:
            try:
                check_query_model(model, first, query_file)
            except ValueError as err:  # as hmmsearch: one alphabet
                raise ValueError(f"{err}; search the models of each alphabet separately (no "
                                 "table was written)") from None  # fmt: skip
            first = first or model
            thresholds = _thresholds(args) | _model_cutoffs(model, args)
            results = search(model, records, **thresholds, **_pipeline_settings(args))
            _print_hits(results, display=AlignmentDisplay(model), alignments=not args.noali)
            if ali is not None:
                _save_alignment(ali, results, args.alignment)
            tables.add(results)
        tables.close()
    return 0


def _register_phmmer(subparsers) -> None:
    p = subparsers.add_parser(
        "phmmer",
        help="search a sequence database with protein sequences (like phmmer)",
        description="Build phmmer's model of each protein of QUERYFILE (BLOSUM62 conditional "
        "probabilities, gap open and extend probabilities) and search SEQDB with it; output "
        "as hmmkit search's.",
    )
    p.add_argument("queryfile", metavar="QUERYFILE", help="query protein sequences (FASTA)")
    _add_database_options(p)
    p.add_argument("--popen", type=float, default=0.02, help="gap open probability")
    p.add_argument("--pextend", type=float, default=0.4, help="gap extend probability")
    _add_pipeline_options(p, "sequences")
    p.set_defaults(func=_run_phmmer)


def _run_phmmer(args: argparse.Namespace) -> int:
    from .io.fasta import read_fasta
    from .seqmodel import from_sequence

    queries = read_fasta(args.queryfile)
    if not queries:
        raise ValueError(f"{args.queryfile}: the query file is empty (no FASTA records)")
    models = (
        from_sequence(q.name, q.residues, popen=args.popen, pextend=args.pextend) for q in queries
    )
    return _search_each(args, models, "hmmkit phmmer", args.queryfile)


def _register_jackhmmer(subparsers) -> None:
    p = subparsers.add_parser(
        "jackhmmer",
        help="search a protein database iteratively from each query (like jackhmmer)",
        description="Search SEQDB with phmmer's model of each protein of QUERYFILE, then "
        "with models built from the alignment of the query and the included domains, round "
        "after round, until a round includes nothing new or -N rounds are done. Each round's "
        "hits are printed; the tables and -A hold the last round's.",
    )
    p.add_argument("queryfile", metavar="QUERYFILE", help="query protein sequences (FASTA)")
    _add_database_options(p)
    p.add_argument("-N", type=int, default=5, dest="rounds", help="at most N rounds")
    p.add_argument("--popen", type=float, default=0.02, help="gap open probability (round 1)")
    p.add_argument("--pextend", type=float, default=0.4, help="gap extend probability (round 1)")
    p.add_argument("--chkhmm", metavar="PREFIX", help="save each round's model to PREFIX-<n>.hmm")
    p.add_argument(
        "--chkali", metavar="PREFIX", help="save each round's alignment to PREFIX-<n>.sto"
    )
    _add_model_options(p)
    _add_pipeline_options(p, "sequences")
    p.set_defaults(func=_run_jackhmmer, incE=0.001, incdomE=0.001)


def _run_jackhmmer(args: argparse.Namespace) -> int:
    from .alidisplay import AlignmentDisplay
    from .io.fasta import read_fasta
    from .io.hmmer3 import format_hmmer
    from .iterate import iterative_search

    if args.rounds < 1:
        raise ValueError(f"-N must be at least 1, got {args.rounds}")
    if _cutoff_kind(args):
        raise ValueError(
            f"--cut_{_cutoff_kind(args)}: the models jackhmmer builds have no Pfam score "
            "cutoffs; set thresholds with -E/-T/--incE/--incT"
        )
    _check_outputs(
        {"--tblout": args.tblout, "--domtblout": args.domtblout, "-A": args.alignment},
        {"query file": args.queryfile, "target database SEQDB": args.seqdb},
    )
    queries = read_fasta(args.queryfile)
    if not queries:
        raise ValueError(f"{args.queryfile}: the query file is empty (no FASTA records)")
    records = read_fasta(args.seqdb)
    if not records:
        raise ValueError(f"{args.seqdb}: the sequence file is empty (no FASTA records)")
    for prefix in (args.chkhmm, args.chkali):
        if prefix and not os.path.isdir(os.path.dirname(prefix) or "."):
            raise ValueError(f"checkpoint prefix {prefix}: folder does not exist")
    out = sys.stdout
    checkpoints: dict[str, list[str]] = {}  # file -> one text per query, as HMMER appends
    with contextlib.ExitStack() as outputs:
        tables = _HitTables(outputs, args, "hmmkit jackhmmer", args.queryfile, args.seqdb)
        ali = outputs.enter_context(atomic_output(args.alignment)) if args.alignment else None
        for query in queries:
            rounds = iterative_search(
                query, records, max_rounds=args.rounds, popen=args.popen,
                pextend=args.pextend, build_options=_model_options(args),
                **_thresholds(args), **_pipeline_settings(args),
            )  # fmt: skip
            last = None
            for r in rounds:
                if last is None:  # the query is checked: a refused one prints nothing
                    out.write(f"Query:       {query.name}  [L={r.model.M}]\n")
                    if query.description:
                        out.write(f"Description: {query.description}\n")
                    out.write("\n")
                else:
                    _print_round_header(out, r, last)
                if args.chkhmm:
                    checkpoints.setdefault(f"{args.chkhmm}-{r.number}.hmm", []).append(
                        format_hmmer(r.model)
                    )
                if args.chkali:
                    checkpoints.setdefault(f"{args.chkali}-{r.number}.sto", []).append(
                        r.alignment.to_stockholm()
                    )
                display = AlignmentDisplay(r.model)
                _print_hit_sections(out, r.hits, False, display, not args.noali)
                _print_round_footer(out, r, last, args.rounds)
                last = r
            # the tables name the query sequence, not the last round's model
            tables.add(dataclasses.replace(last.hits, query_name=query.name))
            if ali is not None:
                last.alignment.write(ali, "stockholm")
                out.write(f"# Alignment of {len(last.alignment)} hits satisfying inclusion "
                          f"thresholds saved to: {args.alignment}\n")  # fmt: skip
            out.write("//\n")
        tables.close()
    for path, texts in checkpoints.items():
        with atomic_output(path) as handle:
            handle.write("".join(texts))
    return 0


def _print_round_header(out, r, last) -> None:
    """jackhmmer's block opening a round after the first: the alignment behind its model."""
    targets = len(last.hits.included())
    n = len(last.alignment)
    out.write(f"@@\n@@ Round:                  {r.number}\n")
    out.write(f"@@ Included in MSA:        {n} subsequences (query + {n - 1} subseqs from "
              f"{targets} targets)\n")  # fmt: skip
    out.write(f"@@ Model size:             {r.model.M} positions\n@@\n\n")


def _print_round_footer(out, r, last, max_rounds: int) -> None:
    """jackhmmer's lines closing a round: what is new, and whether the search goes on."""
    before = 1 if last is None else len(last.alignment)
    out.write(f"\n@@ New targets included:   {r.n_new}\n")
    out.write(f"@@ New alignment includes: {len(r.alignment)} subseqs (was {before}), "
              "including original query\n")  # fmt: skip
    if r.converged:
        out.write(f"@@\n@@ CONVERGED (in {r.number} rounds). \n@@\n\n")
    elif r.number < max_rounds:
        out.write("@@ Continuing to next round.\n\n")


def _thresholds(args: argparse.Namespace) -> dict:
    """Reporting and inclusion thresholds given on the command line."""
    return dict(
        E=args.E, T=args.T, domE=args.domE, domT=args.domT, incE=args.incE, incT=args.incT,
        incdomE=args.incdomE, incdomT=args.incdomT,
    )  # fmt: skip


def _pipeline_settings(args: argparse.Namespace) -> dict:
    """Filters, E-value sizes, null2, seed and cores given on the command line."""
    filters = dict(F1=args.F1, F2=args.F2, F3=args.F3, bias_filter=not args.nobias)
    if args.max:
        filters = dict(F1=1.0, F2=1.0, F3=1.0, bias_filter=False)
    return dict(
        Z=args.Z, domZ=args.domZ, null2=not args.nonull2, seed=_seed(args.seed),
        n_jobs=args.cpu, **filters,
    )  # fmt: skip


class _HitTables:
    """The --tblout and --domtblout files of a run: written atomically, a header before
    the first query's rows and HMMER's closing comment block at the end."""

    def __init__(self, outputs, args, program: str, query_file: str, target_file: str):
        from .hits import write_domtblout, write_tblout

        self.files = [
            (outputs.enter_context(atomic_output(path)), writer)
            for path, writer in ((args.tblout, write_tblout), (args.domtblout, write_domtblout))
            if path
        ]
        self.footer = (
            f"#\n# Program:         {program}\n# Query file:      {query_file}\n"
            f"# Target file:     {target_file}\n# [ok]\n"
        )
        self.n_queries = 0

    def add(self, results) -> None:
        """Append one query's reported hits."""
        for handle, writer in self.files:
            writer(handle, results, header=self.n_queries == 0, footer=False)
        self.n_queries += 1

    def close(self) -> None:
        """Write the closing comment block."""
        for handle, _ in self.files:
            handle.write(self.footer)


def _cutoff_kind(args: argparse.Namespace) -> str | None:
    """Which Pfam cutoffs --cut_ga/--cut_tc/--cut_nc asked for ("ga", "tc", "nc"), if any."""
    from .scan import CUTOFF_FIELDS

    return next((kind for kind in CUTOFF_FIELDS if getattr(args, f"cut_{kind}")), None)


def _model_cutoffs(model, args: argparse.Namespace) -> dict:
    """hmmsearch's --cut_ga/--cut_tc/--cut_nc: the model's own (sequence, domain) bit score
    thresholds for reporting and inclusion."""
    from .scan import CUTOFF_FIELDS

    kind = _cutoff_kind(args)
    if kind is None:
        return {}
    field = CUTOFF_FIELDS[kind]
    pair = getattr(model, field)
    if pair is None:
        raise ValueError(f"model {model.name} has no {field} thresholds for --cut_{kind}")
    seq, dom = pair
    return dict(T=seq, incT=seq, domT=dom, incdomT=dom)


def _save_alignment(handle, results, path: str) -> None:
    """hmmsearch -A: one Stockholm record per query, and a line saying so on stdout."""
    from .. import __version__

    aln = results.alignment()
    if aln is None:
        sys.stdout.write("# No hits satisfy inclusion thresholds; no alignment saved\n")
        return
    aln.annotation["AU"] = f"hmmkit search (hmmkit {__version__})"
    aln.write(handle, "stockholm")
    sys.stdout.write(
        f"# Alignment of {len(aln)} hits satisfying inclusion thresholds saved to: {path}\n"
    )


def _write_hit_list(out, results, target: str) -> None:
    """hmmsearch's ranked list: full-sequence and best-domain E-value, score and bias,
    expected and reported domains; a rule marks where the included hits end."""
    namew = max([8] + [len(h.name) for h in results])
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
    for h in results:
        if not h.included and not rule:
            out.write("  ------ inclusion threshold ------\n")
            rule = True
        d = h.domains[h.best_domain]
        mark = "+" if h.new else "-" if h.dropped else " "
        out.write("%c %9.2g %6.1f %5.1f  %9.2g %6.1f %5.1f  %5.1f %2d  %-*s  %s\n"  # noqa: UP031
                  % (mark, h.evalue, h.score, h.bias, d.evalue, d.score, d.bias, h.nexpected,
                     h.nreported, namew, h.name, h.description))  # fmt: skip


def _print_hits(results, scanned: bool = False, display=None, alignments: bool = True) -> None:
    """A query's ranked hits as hmmsearch lists them; `scanned`: hits are models.
    With an :class:`~.alidisplay.AlignmentDisplay`, each hit's domain table (and, with
    `alignments`, its domain alignments) follows, as in hmmsearch's output."""
    out = sys.stdout
    if scanned:
        out.write(f"Query:       {results.query_name}  [L={results.M}]\n")
    else:
        out.write(f"Query:       {results.query_name}  [M={results.M}]\n")
    _print_hit_sections(out, results, scanned, display, alignments)
    out.write("//\n")


def _print_hit_sections(out, results, scanned: bool, display, alignments: bool) -> None:
    """The targets searched, the ranked hit list and the domain annotation of one query."""
    if scanned:
        out.write(f"Target models: {results.nseqs}  ({results.nresidues} nodes); ")
    else:
        out.write(f"Target sequences: {results.nseqs}  ({results.nresidues} residues); ")
    out.write(f"passed the filters: {results.n_past_forward}\n\n")
    _write_hit_list(out, results, "Model" if scanned else "Sequence")
    if not len(results):
        out.write("   [No hits detected that satisfy reporting thresholds]\n")
    elif scanned or display is not None:
        kind = "model" if scanned else "sequence"
        out.write(f"\nDomain annotation for each {kind}{' (and alignments)' * alignments}:\n")
        for h in results:
            if display is not None:
                display.write_hit(out, h, alignments=alignments)
                continue
            from .alidisplay import write_hit_domains

            shown = [d.display for d in h.domains if d.reported] if alignments else None
            write_hit_domains(out, h, h.name, results.query_name, h.length, results.M, shown)


# --------------------------------------------------------------------------------------
# align
# --------------------------------------------------------------------------------------


def _register_align(subparsers) -> None:
    p = subparsers.add_parser(
        "align",
        help="align sequences to a profile HMM (like hmmalign)",
        description="Align the sequences of SEQFILE to the (first) model of HMMFILE and write "
        "the multiple alignment, as HMMER's hmmalign does.",
    )
    p.add_argument("hmmfile", metavar="HMMFILE", help="profile HMM file (HMMER3)")
    p.add_argument("seqfile", metavar="SEQFILE", help="sequences to align (FASTA)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the alignment here (stdout)")
    p.add_argument("--outformat", choices=("stockholm", "a2m"), default="stockholm")
    p.add_argument("--trim", action="store_true", help="leave out residues outside the model")
    p.add_argument("--viterbi", action="store_true", help="Viterbi instead of optimal accuracy")
    p.set_defaults(func=_run_align)


def _run_align(args: argparse.Namespace) -> int:
    from .align import align
    from .io.hmmer3 import read_hmmer

    _check_outputs({"-o": args.output}, {"HMMFILE": args.hmmfile, "SEQFILE": args.seqfile})
    model = read_hmmer(args.hmmfile)
    aln = align(model, args.seqfile, method="viterbi" if args.viterbi else "oa", trim=args.trim)
    repeated = sorted(n for n, count in Counter(aln.names).items() if count > 1)
    if repeated and args.outformat == "stockholm":
        print(
            f"hmmkit align: warning: {len(repeated)} sequence name(s) occur more than once "
            f"(e.g. {repeated[0]!r}); Stockholm needs unique names, so every name is written "
            "as <index>|<name>",
            file=sys.stderr,
        )
    with _output(args.output) as out:
        aln.write(out, args.outformat)
    return 0


# --------------------------------------------------------------------------------------
# emit
# --------------------------------------------------------------------------------------


def _model_file_command(subparsers, name: str, help: str, description: str, output: bool):
    """A subcommand that reads the models of an HMMER3 file (and, with `output`, writes
    to -o FILE or standard output)."""
    p = subparsers.add_parser(name, help=help, description=description)
    p.add_argument("hmmfile", metavar="HMMFILE", help="profile HMM file (HMMER3)")
    if output:
        p.add_argument(
            "-o", metavar="FILE", dest="output", help="write to FILE, not standard output"
        )
    return p


def _register_emit(subparsers) -> None:
    p = _model_file_command(
        subparsers, "emit", "sample sequences from profile HMMs (like hmmemit)",
        "Write sequences sampled from the core model of each model of an HMMER3 file, or with "
        "-c its consensus, as FASTA.", output=True,
    )  # fmt: skip
    p.add_argument("-N", type=int, default=1, dest="n", help="number of sequences per model")
    p.add_argument("-c", action="store_true", dest="consensus",
                   help="write each model's plurality-rule consensus instead")  # fmt: skip
    p.add_argument("--seed", type=int, default=42, help="random seed (0: an arbitrary seed)")
    p.set_defaults(func=_run_emit)


def _run_emit(args: argparse.Namespace) -> int:
    import numpy as np

    from .emit import consensus_sequence, emit, write_fasta
    from .io.fasta import Sequence
    from .io.hmmer3 import iter_hmmer

    if args.output:
        _check_outputs({"-o": args.output}, {"HMMFILE": args.hmmfile})
    rng = np.random.default_rng(_seed(args.seed))  # one stream across the models, as hmmemit
    with _output(args.output) as out:
        for model in iter_hmmer(args.hmmfile):
            if args.consensus:
                records = [Sequence(f"{model.name}-consensus", consensus_sequence(model))]
            else:
                records = emit(model, args.n, random_state=rng)
            write_fasta(out, records)
    return 0


# --------------------------------------------------------------------------------------
# fetch
# --------------------------------------------------------------------------------------


def _register_fetch(subparsers) -> None:
    p = _model_file_command(
        subparsers, "fetch", "copy named models out of an HMMER3 file (like hmmfetch)",
        "Copy the models named (by NAME, or by ACC with or without its version) out of an "
        "HMMER3 file, as they are written there.", output=True,
    )  # fmt: skip
    p.add_argument("keys", metavar="KEY", nargs="+", help="model name or accession")
    p.set_defaults(func=_run_fetch)


def _run_fetch(args: argparse.Namespace) -> int:
    from .io.hmmer3 import iter_model_texts

    if args.output:
        _check_outputs({"-o": args.output}, {"HMMFILE": args.hmmfile})
    wanted = set(args.keys)
    found = {}
    for text, name, accession in iter_model_texts(args.hmmfile):
        keys = {name, accession, (accession or "").split(".")[0]} & wanted
        for key in keys:
            found.setdefault(key, text)
        if len(found) == len(wanted):
            break
    missing = [key for key in args.keys if key not in found]
    if missing:
        raise ValueError(f"{args.hmmfile} holds no model named {', '.join(missing)}")
    with _output(args.output) as out:
        for key in dict.fromkeys(args.keys):
            out.write(found[key])
    return 0


# --------------------------------------------------------------------------------------
# stat
# --------------------------------------------------------------------------------------


def _register_stat(subparsers) -> None:
    p = _model_file_command(
        subparsers, "stat", "summary statistics of the models of an HMMER3 file (like hmmstat)",
        "One line per model: name, accession, sequences, effective sequences, length and "
        "hmmstat's entropies (bits): mean match relative entropy, information, position "
        "relative entropy with gap costs, and the composition's KL divergence.", output=False,
    )  # fmt: skip
    p.set_defaults(func=_run_stat)


def _run_stat(args: argparse.Namespace) -> int:
    from .io.hmmer3 import iter_hmmer
    from .summary import summarize, write_summary_table

    write_summary_table(sys.stdout, [summarize(model) for model in iter_hmmer(args.hmmfile)])
    return 0
