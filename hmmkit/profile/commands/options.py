"""What the profile subcommands share: outputs that never overwrite an input, the model,
database and pipeline options, thresholds and the hit tables of a run."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import secrets
import sys

from ...atomic import atomic_output
from ..search.options import CUTOFF_FIELDS, DEFAULT_TEXTW, PipelineOptions


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (the same inode when both exist)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def check_outputs(outputs: dict[str, str | None], inputs: dict[str, str]) -> None:
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
            if same_file(path, in_path):
                raise ValueError(f"{label} {path} is the {in_label}; it would be overwritten")
        for other_label, other in list(given.items())[:n]:
            if same_file(path, other):
                raise ValueError(f"{label} and {other_label} are the same file {path}")


@contextlib.contextmanager
def output(path: str | None):
    """Standard output, or `path` written atomically (complete or not at all)."""
    if not path:
        yield sys.stdout
        return
    with atomic_output(path) as handle:
        yield handle


def seed(seed: int) -> int:
    """HMMER's --seed: 0 asks for an arbitrary (one-time) seed."""
    return seed if seed != 0 else secrets.randbelow(2**31 - 1) + 1


def exclusive_flags(parser, dest: str, flags: list[tuple[str, object, str]]):
    """Mutually exclusive ``--flag`` options, each storing its value in ``dest`` (as
    hmmbuild's --amino/--dna, --wpb/--wblosum, ...); returns the group."""
    group = parser.add_mutually_exclusive_group()
    for flag, value, label in flags:
        group.add_argument(f"--{flag}", action="store_const", const=value, dest=dest, help=label)
    return group


def add_model_options(p: argparse.ArgumentParser) -> None:
    """hmmbuild's options for weighting, effective sequence number, prior and fragments."""
    p.add_argument("--fragthresh", type=float, default=0.5, help="fragment threshold")
    exclusive_flags(p, "weighting", [
        ("wpb", "pb", "position-based sequence weights (default)"),
        ("wblosum", "blosum", "BLOSUM-style cluster weights, at --wid identity"),
        ("wnone", "none", "no relative weights: every sequence weighs 1"),
    ])  # fmt: skip
    p.add_argument("--wid", type=float, default=0.62, help="identity cutoff of --wblosum")
    effn = exclusive_flags(p, "effn", [
        ("eent", "entropy", "effective sequence number by relative entropy target (default)"),
        ("eclust", "clust", "effective sequence number = single-linkage clusters at --eid"),
        ("enone", "none", "effective sequence number = number of sequences"),
    ])  # fmt: skip
    effn.add_argument("--eset", type=float, metavar="X", help="set the effective number to X")
    p.add_argument("--ere", type=float, default=None, help="relative entropy target (bits)")
    p.add_argument("--esigma", type=float, default=45.0, help="sigma of the entropy target")
    p.add_argument("--eid", type=float, default=0.62, help="identity cutoff of --eclust")
    exclusive_flags(p, "prior", [
        ("pnone", None, "no prior: counts only"),
        ("plaplace", "laplace", "Laplace +1 prior"),
    ])  # fmt: skip
    p.set_defaults(weighting="pb", effn="entropy", prior="default")


def model_options(args: argparse.Namespace) -> dict:
    """The :func:`~.build.build` arguments that :func:`add_model_options` set."""
    return dict(
        fragthresh=args.fragthresh, weighting=args.weighting, wid=args.wid, ere=args.ere,
        effn=args.effn if args.eset is None else args.eset, esigma=args.esigma, eid=args.eid,
        prior=args.prior,
    )  # fmt: skip


def add_database_options(p: argparse.ArgumentParser) -> None:
    """The target database and -A of the commands that search one (search, phmmer)."""
    from ..io.sequence_files import FORMATS

    p.add_argument("seqdb", metavar="SEQDB", help="target sequence database (FASTA, or --tformat)")
    p.add_argument(
        "--tformat", choices=FORMATS, metavar="FMT", default=None,
        help=f"format of SEQDB, one of {', '.join(FORMATS)} (default: guessed)",
    )  # fmt: skip
    p.add_argument(
        "-A",
        metavar="FILE",
        dest="alignment",
        help="save a Stockholm alignment of the included domains of each query to FILE",
    )


def read_targets(args: argparse.Namespace) -> list:
    """The target sequences of SEQDB in its --tformat (guessed when not given; standard
    input is FASTA unless told); ValueError when it holds none."""
    from ...textfiles import is_stdin
    from ..io.fasta import read_fasta
    from ..io.sequence_files import read_sequences

    if args.tformat is None and is_stdin(args.seqdb):
        records = read_fasta(args.seqdb)
    else:
        records = read_sequences(args.seqdb, args.tformat)
    if not records:
        raise ValueError(f"{args.seqdb}: the sequence file is empty (no sequence records)")
    return records


def add_pipeline_options(p: argparse.ArgumentParser, targets: str) -> None:
    """hmmsearch's and hmmscan's shared tables, thresholds, filters, seed and cores; each
    option's destination is the :class:`~..search.options.PipelineOptions` field it sets."""
    default = PipelineOptions()
    p.add_argument(
        "-o", metavar="FILE", dest="output", help="write the main output to FILE, not stdout"
    )
    p.add_argument(
        "--acc", action="store_true", help="show accessions, not names, where there are some"
    )
    width = p.add_mutually_exclusive_group()
    width.add_argument(
        "--textw", type=text_width, metavar="N", default=DEFAULT_TEXTW,
        help="lines of the main output N columns wide, N >= 120 (HMMER's layout of "
        "descriptions and alignment blocks)",
    )  # fmt: skip
    width.add_argument(
        "--notextw", action="store_const", const=0, dest="textw",
        help="unlimited line width: whole descriptions, each alignment in one block",
    )  # fmt: skip
    p.add_argument("--tblout", metavar="FILE", help="write the per-target hit table to FILE")
    p.add_argument("--domtblout", metavar="FILE", help="write the per-domain table to FILE")
    p.add_argument("--pfamtblout", metavar="FILE", help="write the Pfam-style hit table to FILE")
    p.add_argument(
        "--noali", action="store_true", help="leave the domain alignments out of the output"
    )
    p.add_argument(
        "--stats", action="store_true",
        help="close each query's report with the pipeline statistics summary: how many "
        "comparisons passed each filter, and the search spaces behind the E-values",
    )  # fmt: skip
    p.add_argument("-E", type=float, default=default.E, help=f"report {targets} with E-value <= E")
    p.add_argument("-T", type=float, default=None, help=f"report {targets} with bits >= T")
    p.add_argument("--domE", type=float, default=default.domE, help="report domains with E <= domE")
    p.add_argument("--domT", type=float, default=None, help="report domains with bits >= domT")
    p.add_argument("--incT", type=float, default=None, help=f"include {targets} with bits >= incT")
    p.add_argument(
        "--incdomT", type=float, default=None, help="include domains with bits >= incdomT"
    )
    p.add_argument("--domZ", type=float, default=None, help="number of hits for domain E-values")
    cut = p.add_mutually_exclusive_group()
    for kind, label in CUTOFF_FIELDS.items():
        cut.add_argument(
            f"--cut_{kind}", action="store_const", const=kind, dest="cutoffs",
            help=f"use each model's {label} ({kind.upper()}) bit score thresholds for reporting "
            "and inclusion",
        )  # fmt: skip
    p.add_argument(
        "--incE", type=float, default=default.incE, help=f"include {targets} with E <= incE"
    )
    p.add_argument(
        "--incdomE", type=float, default=default.incdomE, help="include domains with E <= this"
    )
    p.add_argument("-Z", type=float, default=None, help="number of comparisons for E-values")
    p.add_argument("--max", action="store_true", help="switch off all filters (as HMMER's --max)")
    p.add_argument("--F1", type=float, default=default.F1, help="MSV filter P-value threshold")
    p.add_argument("--F2", type=float, default=default.F2, help="Viterbi filter P-value threshold")
    p.add_argument("--F3", type=float, default=default.F3, help="Forward filter P-value threshold")
    p.add_argument("--nobias", action="store_false", dest="bias_filter",
                   help="switch off the composition filter")  # fmt: skip
    p.add_argument("--nonull2", action="store_false", dest="null2",
                   help="switch off null2 score corrections")  # fmt: skip
    p.add_argument(
        "--seed", type=int, default=default.seed,
        help="random seed of domain definition (0: an arbitrary seed, as hmmsearch)",
    )  # fmt: skip
    p.add_argument(
        "--cpu", type=int, default=1, help="cores for the Forward scan and domain definition"
    )


def output_files(args: argparse.Namespace) -> dict[str, str | None]:
    """The files a search writes, by option: -o, --tblout, --domtblout and (when the
    command has it) -A; for :func:`check_outputs`."""
    files = {"-o": args.output, "--tblout": args.tblout, "--domtblout": args.domtblout,
             "--pfamtblout": args.pfamtblout}  # fmt: skip
    return files | ({"-A": args.alignment} if "alignment" in args else {})


def text_width(text: str) -> int:
    """--textw's value: an integer of at least 120, as HMMER allows."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--textw takes an integer, got {text!r}") from None
    if value < 120:
        raise argparse.ArgumentTypeError(f"--textw must be at least 120, got {value}")
    return value


def pipeline_options(args: argparse.Namespace) -> PipelineOptions:
    """The :class:`~..search.options.PipelineOptions` given on the command line."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(PipelineOptions)}
    return PipelineOptions(**(given | {"seed": seed(args.seed)}))


class HitTables:
    """The --tblout, --domtblout and --pfamtblout files of a run: written atomically, a
    header before the first query's rows (each query's own in --pfamtblout) and HMMER's
    closing comment block at the end."""

    def __init__(self, outputs, args, program: str, query_file: str, target_file: str):
        from ..search.pfam_table import write_pfamtblout
        from ..search.tables import write_domtblout, write_tblout

        def pfam(handle, results, header, footer):
            write_pfamtblout(handle, results)

        writers = ((args.tblout, write_tblout), (args.domtblout, write_domtblout),
                   (args.pfamtblout, pfam))  # fmt: skip
        self.files = [
            (outputs.enter_context(atomic_output(path)), writer) for path, writer in writers if path
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


def save_alignment(handle, results, path: str, out) -> None:
    """hmmsearch -A: one Stockholm record per query, and a line saying so in the main
    output `out`."""
    from ... import __version__

    aln = results.alignment()
    if aln is None:
        out.write("# No hits satisfy inclusion thresholds; no alignment saved\n")
        return
    aln.annotation["AU"] = f"hmmkit search (hmmkit {__version__})"
    aln.write(handle, "stockholm")
    out.write(
        f"# Alignment of {len(aln)} hits satisfying inclusion thresholds saved to: {path}\n"
    )


def model_file_command(subparsers, name: str, help: str, description: str, output: bool):
    """A subcommand that reads the models of an HMMER3 file (and, with `output`, writes
    to -o FILE or standard output)."""
    p = subparsers.add_parser(name, help=help, description=description)
    p.add_argument("hmmfile", metavar="HMMFILE", help="profile HMM file (HMMER3)")
    if output:
        p.add_argument(
            "-o", metavar="FILE", dest="output", help="write to FILE, not standard output"
        )
    return p
