"""Protein families: build profile HMMs, search a proteome, cross-validate, next to HMMER.

python recipes/protein_families.py [FAMILY ...] [--database FASTA] [--out DIR] [--refine]

For each family (a Stockholm or aligned FASTA alignment) the recipe

1. builds a profile HMM as hmmbuild does and calibrates its E-values; with --refine also
   refines that model by Baum-Welch on the family's sequences (hmmbuild's weights);
2. searches the sequence database and keeps the hits at E <= --evalue (0.01);
3. cross-validates: the family's sequences are split into --folds folds; a model built
   (and refined) from the other folds scores the held-out members (ungapped) against
   decoys, the database plus --shuffles shuffled copies of every held-out member (same
   residue composition); it reports the sensitivity at E <= --evalue and the ROC AUC;
4. where pyhmmer is installed (and unless --no-hmmer), does the same with HMMER (same
   alignments, same folds, same targets) and puts both side by side: hit overlap,
   bit-score correlation, sensitivity, AUC and time.

A family given as unaligned FASTA is first aligned: a profile HMM is trained on its
sequences by Baum-Welch, from the build of a --seed-alignment or from a uniform model,
every sequence is aligned to it (FAMILY.aligned.sto), and that alignment goes through the
steps above for every tool.

Searches run HMMER's default pipeline (its MSV, Viterbi and Forward filters): targets a
filter stops get no score and rank below every scored target, tied with each other;
--max switches the filters off in the cross-validation so every target is scored.

Output under --out: results.json, report.md, the models (FAMILY.hmm, FAMILY.hmmer.hmm,
FAMILY.refined.hmm), hit tables in hmmsearch --tblout layout (FAMILY.tbl, ...) and plots
(FAMILY_scores.png, FAMILY_roc.png). Inputs are never overwritten.

Defaults: the protein families shipped in the repository's data/protein (globins4, fn3,
Pkinase, LuxC) and its 2,100-protein proteome; $HMMKIT_DATA, when set, names another data
folder laid out as data/. MADE1 (a DNA family) is not a default: a family must
have the database's alphabet, so MADE1 given with the protein proteome is refused with a
one-line reason; give it with a DNA database instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import hmmkit
from hmmkit import datasets
from hmmkit.profile import (
    DigitalMSA,
    ProfileHMM,
    align,
    build,
    calibrate,
    read_alignment,
    write_hmmer,
)
from hmmkit.profile.build.weights import position_based_weights
from hmmkit.profile.evaluation import (
    hit_agreement,
    kfold_indices,
    pearson,
    roc_auc,
    roc_curve,
    sensitivity,
    shuffle_residues,
    subset_alignment,
    ungapped_sequences,
)
from hmmkit.profile.io.fasta import Sequence, read_fasta
from hmmkit.profile.msa import from_text, guess_alphabet
from hmmkit.profile.search import search
from hmmkit.profile.train import train

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FAMILIES = (
    "protein/tutorial/globins4.sto",
    "protein/tutorial/fn3.sto",
    "protein/tutorial/Pkinase.sto",
    "protein/pyhmmer/LuxC.sto",
)
DEFAULT_DATABASE = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
PROG = "protein_families.py"


class RecipeError(Exception):
    """A problem with the arguments or the input data, reported in one line."""


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def default_data_dir() -> Path:
    """$HMMKIT_DATA (a folder laid out as the repository's data/), else data/."""
    return datasets.data_root(REPO / "data")


def shown_path(path: Path, data_dir: Path) -> str:
    """A path for reports: relative to the data folder (as ``DATA/...``) when inside it."""
    try:
        return "DATA/" + path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def data_dir_label(args) -> str:
    """The data folder used (DATA in reports)."""
    return str(args.data_root)


def resolve_input(name: str, data_dir: Path, what: str) -> Path:
    """A path as given if it exists, else relative to the data folder."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if not path.is_absolute() and (data_dir / path).is_file():
        return data_dir / path
    where = f" (nor under the data folder {data_dir})" if not path.is_absolute() else ""
    raise RecipeError(f"{what} {name} not found{where}")


@dataclass
class Family:
    """One family to benchmark: its alignment (or, before training, unaligned sequences)."""

    key: str
    source: Path
    alphabet: str
    msa: DigitalMSA | None = None
    sequences: list[Sequence] | None = None  # unaligned input, aligned by Baum-Welch
    seed: Path | None = None  # seed alignment that starts the training
    training: dict = field(default_factory=dict)

    @property
    def nseq(self) -> int:
        """Number of sequences."""
        return self.msa.nseq if self.msa is not None else len(self.sequences or [])


def _unique_key(name: str, taken: set[str]) -> str:
    key = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    taken.add(key)
    return key


def is_unaligned_fasta(path: Path) -> bool:
    """FASTA whose sequences differ in length and hold no gap characters."""
    try:
        with open(path) as handle:
            head = handle.read(1 << 16).lstrip()
    except (OSError, UnicodeDecodeError):
        return False
    if not head.startswith(">"):
        return False
    records = read_fasta(path)
    if any(c in r.residues for r in records for c in "-."):
        return False
    return len({len(r.residues) for r in records}) > 1


def load_family(path: Path, taken: set[str]) -> Family:
    """Read an alignment, or unaligned FASTA sequences; the key (output file stem) is the
    family's name, made unique."""
    try:
        if is_unaligned_fasta(path):
            records = read_fasta(path)
            alphabet = guess_alphabet([r.residues for r in records]).name
            return Family(_unique_key(path.stem, taken), path, alphabet, sequences=records)
        msa = read_alignment(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RecipeError(f"cannot read family {path}: {reason}") from exc
    return Family(_unique_key(msa.name or path.stem, taken), path, msa.alphabet.name, msa=msa)


def load_database(path: Path) -> tuple[list[Sequence], str]:
    """The target sequences and their alphabet name."""
    try:
        records = read_fasta(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise RecipeError(f"cannot read database {path}: {exc}") from exc
    if not records:
        raise RecipeError(f"database {path} holds no sequences")
    try:
        alphabet = guess_alphabet([r.residues for r in records[:500]])
    except ValueError as exc:
        raise RecipeError(f"cannot tell the alphabet of database {path}") from exc
    names = [r.name for r in records]
    if len(set(names)) != len(names):
        raise RecipeError(f"database {path} repeats sequence names")
    return records, alphabet.name


# --------------------------------------------------------------------------------------
# The two tools behind one interface
# --------------------------------------------------------------------------------------


@dataclass
class Scored:
    """Reported targets of one search: name -> (bits, E-value), and the tool's own result."""

    hits: dict[str, tuple[float, float]]
    native: object


class HmmkitTool:
    """hmmkit: build (hmmbuild's pipeline), calibrate, search (hmmsearch's pipeline)."""

    label = "hmmkit"
    suffix = ""

    def __init__(self, cpu: int):
        self.cpu = cpu

    def build(self, msa: DigitalMSA) -> ProfileHMM:
        """A calibrated model of `msa`."""
        return calibrate(build(msa))

    def prepare(self, records: list[Sequence]) -> list[Sequence]:
        """Targets in the tool's own form."""
        return records

    def extend(self, base: list[Sequence], extra: list[Sequence]) -> list[Sequence]:
        """Prepared targets plus more records."""
        return base + extra

    def search(
        self, model: ProfileHMM, targets: list[Sequence], E: float, no_filters: bool = False
    ) -> Scored:
        """Search `targets`; every reported hit (E-value <= `E`). `no_filters`: --max."""
        res = search(model, targets, E=E, max=no_filters, n_jobs=self.cpu)
        return Scored({h.name: (h.score, h.evalue) for h in res.hits if h.reported}, res)

    def write_model(self, model: ProfileHMM, path: Path) -> None:
        """Write the model in HMMER3/f format."""
        write_hmmer(model, path)

    def write_tblout(self, scored: Scored, path: Path) -> None:
        """Write the hits in hmmsearch's --tblout layout."""
        scored.native.write_tblout(path)

    def model_summary(self, model: ProfileHMM) -> dict:
        """Length and effective sequence number of a model."""
        return {"M": model.M, "effn": model.effn}


def refine(
    model: ProfileHMM, msa: DigitalMSA, *, mode: str, n_iter: int, cpu: int
) -> tuple[ProfileHMM, dict]:
    """Baum-Welch refinement of `model` on the alignment's sequences, ungapped.

    Each sequence counts with its hmmbuild weight (position-based, scaled to the model's
    effective sequence number), so data and priors keep the balance hmmbuild gave them.
    """
    weights = position_based_weights(msa)
    if model.effn:
        weights = weights * (model.effn / weights.sum())
    pairs = ungapped_sequences(msa)
    keep = [i for i, (_, residues) in enumerate(pairs) if residues]
    refined, monitor = train(
        model, [pairs[i] for i in keep], weights=weights[keep], mode=mode, n_iter=n_iter,
        n_jobs=cpu,
    )  # fmt: skip
    refined.name = model.name
    return refined, {
        "mode": mode,
        "iterations": monitor.iter,
        "converged": bool(monitor.converged),
        "objective_first": monitor.history[0],
        "objective_last": monitor.history[-1],
        "log_likelihood_first": monitor.log_likelihoods[0],
        "log_likelihood_last": monitor.log_likelihoods[-1],
    }


class RefinedHmmkitTool(HmmkitTool):
    """hmmkit's build, refined by Baum-Welch on the alignment's own sequences."""

    label = "hmmkit+BW"
    suffix = ".refined"

    def __init__(self, cpu: int, mode: str, n_iter: int):
        super().__init__(cpu)
        self.mode = mode
        self.n_iter = n_iter
        self.last_training: dict = {}

    def build(self, msa: DigitalMSA) -> ProfileHMM:
        """A refined, calibrated model of `msa`; the training record in `last_training`."""
        model, self.last_training = refine(
            build(msa), msa, mode=self.mode, n_iter=self.n_iter, cpu=self.cpu
        )
        return calibrate(model)


class HmmerTool:
    """HMMER 3 through pyhmmer: hmmbuild's Builder and hmmsearch."""

    label = "HMMER"
    suffix = ".hmmer"

    def __init__(self, cpu: int, alphabet: str):
        import pyhmmer
        from pyhmmer import easel, plan7

        self.pyhmmer, self.easel, self.plan7 = pyhmmer, easel, plan7
        self.cpu = cpu
        self.abc = {"amino": easel.Alphabet.amino, "DNA": easel.Alphabet.dna}.get(
            alphabet, easel.Alphabet.rna
        )()
        self.version = f"pyhmmer {pyhmmer.__version__}"

    def build(self, msa: DigitalMSA):
        """hmmbuild with its defaults (calibration included) on the same alignment rows."""
        easel, plan7 = self.easel, self.plan7
        rows = [
            easel.TextSequence(name=n, sequence=s)
            for n, s in zip(msa.names, msa.text(), strict=True)
        ]
        digital = easel.TextMSA(name=msa.name, sequences=rows).digitize(self.abc)
        builder = plan7.Builder(self.abc)
        hmm, _, _ = builder.build_msa(digital, plan7.Background(self.abc))
        return hmm

    def prepare(self, records: list[Sequence]):
        """Digital sequences."""
        seqs = [
            self.easel.TextSequence(name=r.name, sequence=r.residues).digitize(self.abc)
            for r in records
        ]
        return self.easel.DigitalSequenceBlock(self.abc, seqs)

    def extend(self, base, extra: list[Sequence]):
        """Prepared targets plus more records."""
        return self.easel.DigitalSequenceBlock(self.abc, list(base) + list(self.prepare(extra)))

    def search(self, model, targets, E: float, no_filters: bool = False) -> Scored:
        """hmmsearch `targets`; every reported hit (E-value <= `E`). `no_filters`: --max."""
        filters = dict(F1=1.0, F2=1.0, F3=1.0, bias_filter=False) if no_filters else {}
        hits = next(iter(self.pyhmmer.hmmsearch([model], targets, cpus=self.cpu, E=E, **filters)))
        return Scored({h.name: (h.score, h.evalue) for h in hits if h.reported}, hits)

    def write_model(self, model, path: Path) -> None:
        """Write the model as hmmbuild does."""
        with open(path, "wb") as handle:
            model.write(handle)

    def write_tblout(self, scored: Scored, path: Path) -> None:
        """Write the hits in hmmsearch's --tblout layout."""
        with open(path, "wb") as handle:
            scored.native.write(handle, format="targets", header=True)

    def model_summary(self, model) -> dict:
        """Length and effective sequence number of a model."""
        return {"M": model.M, "effn": float(model.nseq_effective)}


def hmmer_tool(cpu: int, alphabet: str) -> tuple[HmmerTool | None, str | None]:
    """HMMER when pyhmmer is installed, else (None, reason)."""
    try:
        return HmmerTool(cpu, alphabet), None
    except ImportError:
        return None, "pyhmmer is not installed"


# --------------------------------------------------------------------------------------
# One family
# --------------------------------------------------------------------------------------


@dataclass
class FoldScores:
    """One tool's scores of one fold's targets (bits; -inf where the pipeline gave none)."""

    member_names: list[str]
    member: np.ndarray
    member_evalue: np.ndarray
    proteome: np.ndarray
    shuffled: np.ndarray
    decoy_evalue: np.ndarray
    scored: dict[str, float]
    positives: set[str]
    seconds: float


@dataclass
class ToolRun:
    """Everything one tool produced for one family."""

    summary: dict = field(default_factory=dict)
    proteome_hits: dict[str, tuple[float, float]] = field(default_factory=dict)
    folds: list[FoldScores] = field(default_factory=list)


def _scores_of(scored: Scored, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    bits = np.array([scored.hits[n][0] if n in scored.hits else -np.inf for n in names])
    evalues = np.array([scored.hits[n][1] if n in scored.hits else np.inf for n in names])
    return bits, evalues


def search_database(tool, family: Family, targets, out: Path, evalue: float) -> ToolRun:
    """Build, calibrate, write the model, search the database, write the hit table."""
    run = ToolRun()
    start = time.perf_counter()
    model = tool.build(family.msa)
    built = time.perf_counter()
    scored = tool.search(model, targets, E=10.0)
    searched = time.perf_counter()
    model_path = out / f"{family.key}{tool.suffix}.hmm"
    table_path = out / f"{family.key}{tool.suffix}.tbl"
    tool.write_model(model, model_path)
    tool.write_tblout(scored, table_path)
    run.proteome_hits = dict(scored.hits)
    run.summary = {
        **tool.model_summary(model),
        "model_file": model_path.name,
        "tblout": table_path.name,
        "build_seconds": built - start,
        "search_seconds": searched - built,
        "n_reported": len(scored.hits),
        "hits": [
            {"name": n, "bits": b, "evalue": e}
            for n, (b, e) in sorted(scored.hits.items(), key=lambda kv: kv[1][1])
            if e <= evalue
        ],
    }
    return run


def fold_targets(
    family: Family, held_out: np.ndarray, shuffles: int, rng: np.random.Generator
) -> tuple[list[Sequence], list[str], list[str]]:
    """Held-out members (ungapped) and their shuffles, named apart from the database."""
    members, shuffled = [], []
    for name, residues in ungapped_sequences(family.msa, held_out):
        if not residues:
            continue
        members.append(Sequence(f"member|{name}", residues))
        for j in range(shuffles):
            shuffled.append(Sequence(f"shuffled{j + 1}|{name}", shuffle_residues(residues, rng)))
    return members + shuffled, [m.name for m in members], [s.name for s in shuffled]


@dataclass(frozen=True)
class CVSettings:
    """How to cross-validate: folds, decoy shuffles, seed, E-value threshold, filters."""

    folds: int
    shuffles: int
    seed: int
    evalue: float
    no_filters: bool = False


def cross_validate(
    tools: list,
    family: Family,
    prepared: dict[str, object],
    database: list[Sequence],
    cv: CVSettings,
    progress,
) -> dict[str, list[FoldScores]]:
    """k-fold cross-validation of every tool on the same folds and the same decoys."""
    rng = np.random.default_rng(cv.seed)
    parts = kfold_indices(family.msa.nseq, min(cv.folds, family.msa.nseq), rng)
    result: dict[str, list[FoldScores]] = {tool.label: [] for tool in tools}
    proteome_names = [r.name for r in database]
    for held in parts:
        training_rows = np.setdiff1d(np.arange(family.msa.nseq), held)
        extra, members, shuffled = fold_targets(family, held, cv.shuffles, rng)
        training = subset_alignment(family.msa, training_rows)
        E_report = 10.0 * (len(database) + len(extra))  # report every scored target
        for tool in tools:
            start = time.perf_counter()
            model = tool.build(training)
            targets = tool.extend(prepared[tool.label], extra)
            scored = tool.search(model, targets, E=E_report, no_filters=cv.no_filters)
            seconds = time.perf_counter() - start
            mbits, meval = _scores_of(scored, members)
            pbits, peval = _scores_of(scored, proteome_names)
            sbits, seval = _scores_of(scored, shuffled)
            result[tool.label].append(
                FoldScores(
                    member_names=[m.split("|", 1)[1] for m in members],
                    member=mbits,
                    member_evalue=meval,
                    proteome=pbits,
                    shuffled=sbits,
                    decoy_evalue=np.concatenate([peval, seval]),
                    scored={n: b for n, (b, _) in scored.hits.items()},
                    positives={n for n, (_, e) in scored.hits.items() if e <= cv.evalue},
                    seconds=seconds,
                )
            )
        progress.update(1)
    return result


def summarize_cv(folds: list[FoldScores], evalue: float) -> dict:
    """Sensitivity, false positives and ROC AUC of one tool over the folds."""
    members = np.concatenate([f.member_evalue for f in folds])
    fp_proteome = sum(int(np.sum(f.decoy_evalue[: f.proteome.size] <= evalue)) for f in folds)
    fp_shuffled = sum(int(np.sum(f.decoy_evalue[f.proteome.size :] <= evalue)) for f in folds)
    aucs = [roc_auc(f.member, np.concatenate([f.proteome, f.shuffled])) for f in folds]
    pooled_pos = np.concatenate([-np.log10(f.member_evalue) for f in folds])
    pooled_neg = np.concatenate([-np.log10(f.decoy_evalue) for f in folds])
    return {
        "folds": len(folds),
        "members": int(members.size),
        "members_found": int(np.sum(members <= evalue)),
        "sensitivity": sensitivity(members, evalue),
        "sensitivity_per_fold": [sensitivity(f.member_evalue, evalue) for f in folds],
        "auc": float(np.mean(aucs)),
        "auc_per_fold": aucs,
        "auc_pooled": roc_auc(pooled_pos, pooled_neg),
        "decoys_per_fold": int(folds[0].proteome.size + folds[0].shuffled.size),
        "false_positives_proteome": fp_proteome,
        "false_positives_shuffled": fp_shuffled,
        "seconds": float(sum(f.seconds for f in folds)),
        "member_evalues": [float(e) for e in members],
        "members_missed": {
            name: float(e)
            for f in folds
            for name, e in zip(f.member_names, f.member_evalue, strict=True)
            if not e <= evalue
        },
    }


def compare(first: ToolRun, second: ToolRun, evalue: float) -> dict:
    """hmmkit against HMMER on one family: hit sets, bit scores, CV figures."""

    def hits_at(run: ToolRun) -> dict[str, float]:
        return {n: b for n, (b, e) in run.proteome_hits.items() if e <= evalue}

    strict = hit_agreement(hits_at(first), hits_at(second))
    reported = hit_agreement(
        {n: b for n, (b, _) in first.proteome_hits.items()},
        {n: b for n, (b, _) in second.proteome_hits.items()},
    )
    cv_a, cv_b = [], []
    same_folds = 0
    for fa, fb in zip(first.folds, second.folds, strict=True):
        shared = sorted(set(fa.scored) & set(fb.scored))
        cv_a += [fa.scored[n] for n in shared]
        cv_b += [fb.scored[n] for n in shared]
        same_folds += fa.positives == fb.positives
    out = {
        "hits_identical": strict.identical,
        "hits_shared": strict.shared,
        "hits_only_hmmkit": strict.only_first,
        "hits_only_hmmer": strict.only_second,
        "hit_jaccard": strict.jaccard,
        "reported_shared": len(reported.shared),
        "bits_correlation_reported": reported.correlation,
        "bits_max_difference_reported": reported.max_abs_difference,
        "cv_scored_by_both": len(cv_a),
        "cv_bits_correlation": pearson(cv_a, cv_b),
        "cv_bits_max_difference": float(np.max(np.abs(np.subtract(cv_a, cv_b)))) if cv_a else None,
        "cv_folds_with_identical_hits": int(same_folds),
    }
    a, b = first.summary.get("cv"), second.summary.get("cv")
    if a and b:
        out["sensitivity_difference_points"] = 100.0 * (a["sensitivity"] - b["sensitivity"])
        out["auc_difference"] = a["auc"] - b["auc"]
        out["sensitivity_within_2_points"] = abs(out["sensitivity_difference_points"]) <= 2.0
        out["auc_within_0.01"] = abs(out["auc_difference"]) <= 0.01
    return out


# --------------------------------------------------------------------------------------
# Plots and report
# --------------------------------------------------------------------------------------


def plot_scores(path: Path, key: str, runs: dict[str, ToolRun]) -> None:
    """Histograms of cross-validated bit scores: members vs decoys, one panel per tool."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(5.5 * len(runs), 4), squeeze=False)
    for ax, (label, run) in zip(axes[0], runs.items(), strict=True):
        groups = {
            "held-out members": np.concatenate([f.member for f in run.folds]),
            "shuffled members": np.concatenate([f.shuffled for f in run.folds]),
            "proteome": np.concatenate([f.proteome for f in run.folds]),
        }
        finite = np.concatenate([g[np.isfinite(g)] for g in groups.values()])
        bins = np.linspace(finite.min(), finite.max(), 40) if finite.size > 1 else 10
        for name, values in groups.items():
            shown = values[np.isfinite(values)]
            label_text = f"{name} ({shown.size}/{values.size} scored)"
            ax.hist(shown, bins=bins, alpha=0.55, label=label_text)
        ax.set_yscale("log")
        ax.set_xlabel("bit score")
        ax.set_ylabel("targets")
        ax.set_title(f"{key}: {label}, cross-validated")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_roc(path: Path, key: str, runs: dict[str, ToolRun]) -> None:
    """ROC curves of every tool, folds pooled by E-value, false-positive rate on a log axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for (label, run), style in zip(runs.items(), ("-", "--", ":"), strict=False):
        pos = np.concatenate([-np.log10(f.member_evalue) for f in run.folds])
        neg = np.concatenate([-np.log10(f.decoy_evalue) for f in run.folds])
        fpr, tpr = roc_curve(pos, neg)
        floor = 0.5 / neg.size
        auc = roc_auc(pos, neg)
        ax.plot(np.maximum(fpr, floor), tpr, style, lw=1.6, label=f"{label} (pooled AUC {auc:.4f})")
    ax.set_xscale("log")
    ax.set_xlabel("false-positive rate (decoys)")
    ax.set_ylabel("sensitivity (held-out members)")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{key}: cross-validated ROC")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(value, spec: str = ".3f") -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return format(value, spec)


def write_report(path: Path, results: dict) -> None:
    """The Markdown report."""
    s = results["settings"]
    lines = [
        "# Protein families: hmmkit side by side with HMMER",
        "",
        f"Data folder (DATA): `{s['data_dir']}`. "
        f"Database: `{s['database']}` ({s['database_sequences']} sequences, {s['alphabet']}). "
        f"{s['folds']}-fold cross-validation (seed {s['seed']}), {s['shuffles']} shuffled "
        f"copies of every held-out member as extra decoys; hits counted at E ≤ {s['evalue']}. "
        f"HMMER: {s['hmmer']}. Cores: {s['cpu']}. Total time {results['total_seconds']:.1f} s.",
        "",
        "Searches use HMMER's default pipeline; targets stopped by its filters have no score and "
        "rank below every scored target (ties count one half in the AUC). AUC is the mean over "
        "folds of the ROC AUC of held-out members against the fold's decoys (database + shuffled "
        "members); the plots pool the folds by E-value.",
        "",
        "| family | tool | M | hits E≤thr | same hits | CV sensitivity | CV AUC | "
        "FP (proteome/shuffled) | build+search s | CV s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fam in results["families"]:
        for label, run in fam["tools"].items():
            cv = run.get("cv") or {}
            same = fam.get("comparison", {}).get("hits_identical") if label == "hmmkit" else None
            lines.append(
                f"| {fam['name']} | {label} | {run['M']} | {len(run['hits'])} | "
                f"{'' if same is None else ('yes' if same else 'NO')} | "
                f"{_fmt(cv.get('sensitivity'), '.3f')} ({cv.get('members_found', '–')}/"
                f"{cv.get('members', '–')}) | {_fmt(cv.get('auc'), '.4f')} | "
                f"{cv.get('false_positives_proteome', '–')}/{cv.get('false_positives_shuffled', '–')} | "  # noqa: E501
                f"{run['build_seconds'] + run['search_seconds']:.2f} | {_fmt(cv.get('seconds'), '.1f')} |"  # noqa: E501
            )
    totals: dict[str, float] = {}
    for fam in results["families"]:
        for label, run in fam["tools"].items():
            cv_seconds = (run.get("cv") or {}).get("seconds", 0.0)
            spent = run["build_seconds"] + run["search_seconds"] + cv_seconds
            totals[label] = totals.get(label, 0.0) + spent
    lines += [
        "",
        "Time in each tool's build, search and cross-validation, all families: "
        + ", ".join(f"{label} {sec:.1f} s" for label, sec in totals.items())
        + ".",
    ]
    if results.get("targets"):
        t = results["targets"]
        lines += ["", "## Targets", ""]
        for name, ok in t.items():
            lines.append(f"- {name}: {'met' if ok else 'NOT met'}")
    for fam in results["families"]:
        lines += [
            "",
            f"## {fam['name']}",
            "",
            f"Source: `{fam['source']}`; {fam['nseq']} "
            f"sequences, {fam['alen']} columns, alphabet {fam['alphabet']}.",
        ]
        if fam.get("note"):
            lines += ["", fam["note"]]
        tr = fam.get("alignment_training")
        if tr:
            lines += [
                "",
                "Unaligned sequences: aligned to a profile HMM trained by Baum-Welch "
                f"({tr['mode']}) from {tr['start']}: M={tr['M']}, {tr['iterations']} iterations "
                f"(converged: {tr['converged']}), objective {tr['objective_first']:.1f} → "
                f"{tr['objective_last']:.1f} nats, {tr['seconds']:.1f} s; alignment in "
                f"`{tr['alignment_file']}`. Every tool then builds from that alignment; its "
                "training saw all the sequences, held-out ones included.",
            ]
        refined = fam["tools"].get("hmmkit+BW", {}).get("training")
        if refined:
            lines += [
                "",
                f"Baum-Welch refinement of the hmmkit build ({refined['mode']}): "
                f"{refined['iterations']} iterations (converged: {refined['converged']}), "
                f"objective {refined['objective_first']:.1f} → {refined['objective_last']:.1f} "
                "nats.",
            ]
        n_db = len(fam["tools"]["hmmkit"]["hits"])
        if n_db and fam["tools"]["hmmkit"].get("cv"):
            lines += [
                "",
                f"{n_db} database sequence(s) are hits of the full family model at E ≤ "
                f"{s['evalue']} and probably true homologs; the cross-validation counts them "
                "as decoys for both tools (they are the false positives on the database).",
            ]
        cmp = fam.get("comparison")
        if cmp:
            lines += [
                "",
                f"- Hits at E ≤ {s['evalue']}: shared {len(cmp['hits_shared'])}, only hmmkit "
                f"{cmp['hits_only_hmmkit'] or 'none'}, only HMMER {cmp['hits_only_hmmer'] or 'none'}.",  # noqa: E501
                f"- Reported on the database by both: {cmp['reported_shared']}; bit-score "
                f"correlation {_fmt(cmp['bits_correlation_reported'], '.5f')}, largest difference "
                f"{_fmt(cmp['bits_max_difference_reported'], '.2f')} bits.",
                f"- Cross-validation targets scored by both: {cmp['cv_scored_by_both']}; bit-score "
                f"correlation {_fmt(cmp['cv_bits_correlation'], '.5f')}, largest difference "
                f"{_fmt(cmp['cv_bits_max_difference'], '.2f')} bits; folds with identical hit "
                f"sets at E ≤ {s['evalue']}: {cmp['cv_folds_with_identical_hits']}/"
                f"{fam['tools']['hmmkit'].get('cv', {}).get('folds', 0)}.",
            ]
            if "sensitivity_difference_points" in cmp:
                lines.append(
                    f"- hmmkit − HMMER: sensitivity {cmp['sensitivity_difference_points']:+.2f} "
                    f"points, AUC {cmp['auc_difference']:+.4f}."
                )
            ref = fam.get("comparison_refined") or {}
            if "sensitivity_difference_points" in ref:
                lines.append(
                    f"- hmmkit+BW − HMMER: sensitivity {ref['sensitivity_difference_points']:+.2f} "
                    f"points, AUC {ref['auc_difference']:+.4f}; database hits at E ≤ "
                    f"{s['evalue']} identical: {'yes' if ref['hits_identical'] else 'no'}."
                )
        for label, run in fam["tools"].items():
            missed = (run.get("cv") or {}).get("members_missed")
            if missed:
                shown = ", ".join(
                    f"{n} (E={e:.2g})" if e is not None else f"{n} (not scored)"
                    for n, e in missed.items()
                )
                lines.append(f"- Held-out members {label} missed at E ≤ {s['evalue']}: {shown}.")
        hits = {}
        for label, run in fam["tools"].items():
            for h in run["hits"]:
                hits.setdefault(h["name"], {})[label] = h
        if hits:
            labels = list(fam["tools"])
            lines += [
                "",
                "| target | " + " | ".join(f"{lb} bits (E)" for lb in labels) + " |",
                "|---|" + "---|" * len(labels),
            ]
            for name, per in sorted(hits.items()):
                cells = [
                    f"{per[lb]['bits']:.1f} ({per[lb]['evalue']:.2g})" if lb in per else "–"
                    for lb in labels
                ]
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
        for plot in fam.get("plots", []):
            lines += ["", f"![{plot}]({plot})"]
    path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------


def align_by_training(family: Family, args) -> None:
    """Align an unaligned family: train a profile HMM on its sequences by Baum-Welch (from
    the build of its seed alignment, or from a uniform model), align every sequence to it
    and keep that alignment (written as FAMILY.aligned.sto)."""
    records = family.sequences
    if family.seed is not None:
        try:
            seed = read_alignment(family.seed, family.alphabet)
        except (OSError, ValueError) as exc:
            raise RecipeError(f"cannot read seed alignment {family.seed}: {exc}") from exc
        start: ProfileHMM | int = build(seed, name=family.key)
        origin = (
            f"the build of seed alignment {shown_path(family.seed, args.data_root)} (M={start.M})"
        )
    else:
        start = args.model_length or round(float(np.median([len(r) for r in records])))
        origin = f"a uniform model of length {start}"
    began = time.perf_counter()
    try:
        model, monitor = train(
            start, records, alphabet=family.alphabet, mode=args.bw_mode, n_iter=args.bw_iter,
            n_jobs=args.cpu, name=family.key,
        )  # fmt: skip
    except ValueError as exc:
        raise RecipeError(f"cannot train on {family.source}: {exc}") from exc
    alignment = align(model, records)
    alignment.name = family.key
    alignment.write(args.out / f"{family.key}.aligned.sto")
    family.msa = from_text(
        alignment.names, alignment.rows, family.alphabet, name=family.key,
        reference=alignment.reference,
    )  # fmt: skip
    family.training = {
        "start": origin,
        "mode": args.bw_mode,
        "M": model.M,
        "iterations": monitor.iter,
        "converged": bool(monitor.converged),
        "objective_first": monitor.history[0],
        "objective_last": monitor.history[-1],
        "seconds": time.perf_counter() - began,
        "alignment_file": f"{family.key}.aligned.sto",
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.split("\n\n")[0].splitlines()[0],
        epilog="\n\n".join(__doc__.split("\n\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "families",
        nargs="*",
        metavar="FAMILY",
        help="family alignments (Stockholm or aligned FASTA) or unaligned FASTA families; "
        "relative paths are also looked up under the data folder (default: the four protein "
        "families of the data folder)",
    )
    parser.add_argument(
        "--database",
        "-d",
        metavar="FASTA",
        help=f"sequence database to search (default: {DEFAULT_DATABASE} under the data folder)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="data folder laid out as the repository's data/ (default: $HMMKIT_DATA when set, "
        "else the repository's data/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out/protein_families"),
        help="output folder (default: out/protein_families)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=5,
        help="cross-validation folds (default 5; families with fewer sequences use leave-one-out)",
    )
    parser.add_argument(
        "--shuffles", type=int, default=10, help="shuffled decoys per held-out member (default 10)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of fold split and shuffles")
    parser.add_argument(
        "--evalue",
        type=float,
        default=0.01,
        help="E-value threshold of hits and sensitivity (default 0.01)",
    )
    parser.add_argument(
        "--cpu", type=int, default=os.cpu_count() or 1, help="cores for searches (default: all)"
    )
    parser.add_argument(
        "--max",
        action="store_true",
        help="cross-validation searches with "
        "every filter off (hmmsearch --max): every target scored; much slower",
    )
    parser.add_argument(
        "--refine",
        action="store_true",
        help="also refine every hmmkit model by Baum-Welch on its family's sequences (weighted "
        "as hmmbuild weights them) and evaluate the refined models the same way",
    )
    parser.add_argument(
        "--seed-alignment",
        action="append",
        default=[],
        metavar="ALIGNMENT",
        help="seed alignment that starts the Baum-Welch training of an unaligned FASTA family "
        "(repeatable: the i-th seeds the i-th unaligned family; default: a uniform model)",
    )
    parser.add_argument(
        "--model-length",
        type=int,
        default=None,
        help="length of the uniform starting model of unaligned families without a seed "
        "(default: the median sequence length)",
    )
    parser.add_argument(
        "--bw-mode",
        choices=("glocal", "local"),
        default="glocal",
        help="path model of Baum-Welch training (default glocal)",
    )
    parser.add_argument(
        "--bw-iter", type=int, default=100, help="most Baum-Welch iterations (default 100)"
    )
    parser.add_argument("--no-hmmer", action="store_true", help="skip the HMMER side")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error(f"--folds must be at least 2, got {args.folds}")
    if args.shuffles < 0:
        parser.error(f"--shuffles must be >= 0, got {args.shuffles}")
    if not args.evalue > 0:
        parser.error(f"--evalue must be > 0, got {args.evalue}")
    if args.cpu < 1:
        parser.error(f"--cpu must be >= 1, got {args.cpu}")
    if args.bw_iter < 1:
        parser.error(f"--bw-iter must be >= 1, got {args.bw_iter}")
    if args.model_length is not None and args.model_length < 1:
        parser.error(f"--model-length must be >= 1, got {args.model_length}")
    return args


def prepare_inputs(args) -> tuple[list[Family], list[Sequence], Path, str]:
    """Resolve and read families and database; refuse unusable combinations."""
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    args.data_root = data_dir
    if (not args.families or args.database is None) and not data_dir.is_dir():
        raise RecipeError(
            f"data folder {data_dir} is missing; set HMMKIT_DATA or --data-dir to a folder laid "
            "out as the repository's data/, "
            "or give the families and --database explicitly"
        )
    names = args.families or list(DEFAULT_FAMILIES)
    paths = [resolve_input(n, data_dir, "family") for n in names]
    db_path = resolve_input(args.database or DEFAULT_DATABASE, data_dir, "database")
    seeds = [resolve_input(n, data_dir, "seed alignment") for n in args.seed_alignment]
    taken: set[str] = set()
    families = [load_family(p, taken) for p in paths]
    database, db_alphabet = load_database(db_path)
    for fam in families:
        if fam.alphabet != db_alphabet:
            raise RecipeError(
                f"family {fam.key} ({fam.source}) is {fam.alphabet} but the database "
                f"{db_path} is {db_alphabet}; give a {fam.alphabet} database or leave "
                "the family out"
            )
    unaligned = [f for f in families if f.msa is None]
    if len(seeds) > len(unaligned):
        raise RecipeError(
            f"{len(seeds)} --seed-alignment given but only {len(unaligned)} unaligned FASTA "
            "famil(ies) to seed"
        )
    for fam, seed in zip(unaligned, seeds, strict=False):
        fam.seed = seed
    check_outputs(args.out, families, paths + seeds + [db_path], args.refine)
    return families, database, db_path, db_alphabet


def output_names(family: Family, refine: bool) -> list[str]:
    """Files the recipe writes for one family."""
    suffixes = ("", ".hmmer", ".refined") if refine else ("", ".hmmer")
    names = [f"{family.key}{s}.{ext}" for s in suffixes for ext in ("hmm", "tbl")]
    names += [f"{family.key}_scores.png", f"{family.key}_roc.png"]
    if family.msa is None:
        names.append(f"{family.key}.aligned.sto")
    return names


def check_outputs(out: Path, families: list[Family], inputs: list[Path], refine: bool) -> None:
    """Refuse an --out that is a file or would overwrite an input."""
    if out.exists() and not out.is_dir():
        raise RecipeError(f"--out {out} exists and is not a folder")
    planned = {out / "results.json", out / "report.md"}
    for fam in families:
        planned.update(out / n for n in output_names(fam, refine))
    resolved = {p.resolve() for p in planned}
    for path in inputs:
        if path.resolve() in resolved:
            raise RecipeError(f"--out {out} would overwrite the input {path}")


def run(args) -> dict:
    """The whole recipe; returns the results written to results.json."""
    from tqdm import tqdm

    t_start = time.perf_counter()
    families, database, db_path, alphabet = prepare_inputs(args)
    args.out.mkdir(parents=True, exist_ok=True)
    tools: list = [HmmkitTool(args.cpu)]
    if args.refine:
        tools.append(RefinedHmmkitTool(args.cpu, args.bw_mode, args.bw_iter))
    hmmer_note = "skipped (--no-hmmer)"
    if not args.no_hmmer:
        hmmer, reason = hmmer_tool(args.cpu, alphabet)
        if hmmer is not None:
            tools.append(hmmer)
            hmmer_note = hmmer.version
        else:
            hmmer_note = f"skipped ({reason})"
    prepared = {tool.label: tool.prepare(database) for tool in tools}

    cv = CVSettings(args.folds, args.shuffles, args.seed, args.evalue, args.max)
    n_steps = sum(
        (2 if f.msa is None else 1) + min(args.folds, f.nseq) * (f.nseq >= 2) for f in families
    )
    progress = tqdm(total=n_steps, unit="step", disable=args.no_progress, file=sys.stderr)
    results_families = []
    for fam in families:
        if fam.msa is None:
            progress.set_description(f"{fam.key}: Baum-Welch alignment")
            align_by_training(fam, args)
            progress.update(1)
        progress.set_description(f"{fam.key}: build and search")
        entry: dict = {
            "name": fam.key,
            "source": shown_path(fam.source, args.data_root),
            "alphabet": fam.alphabet,
            "nseq": fam.msa.nseq,
            "alen": fam.msa.alen,
            "tools": {},
        }
        if fam.training:
            entry["alignment_training"] = fam.training
        runs = {}
        for tool in tools:
            runs[tool.label] = search_database(
                tool, fam, prepared[tool.label], args.out, args.evalue
            )
            if isinstance(tool, RefinedHmmkitTool):
                runs[tool.label].summary["training"] = tool.last_training
        progress.update(1)
        if fam.msa.nseq >= 2:
            progress.set_description(f"{fam.key}: cross-validation")
            k = min(args.folds, fam.msa.nseq)
            if k < args.folds:
                entry["note"] = f"{fam.msa.nseq} sequences: leave-one-out ({k} folds)."
            per_tool = cross_validate(tools, fam, prepared, database, cv, progress)
            for label, folds in per_tool.items():
                runs[label].folds = folds
                runs[label].summary["cv"] = summarize_cv(folds, args.evalue)
            entry["plots"] = [f"{fam.key}_scores.png", f"{fam.key}_roc.png"]
            plot_scores(args.out / entry["plots"][0], fam.key, runs)
            plot_roc(args.out / entry["plots"][1], fam.key, runs)
        else:
            entry["note"] = "a single sequence: no cross-validation."
        entry["tools"] = {label: r.summary for label, r in runs.items()}
        if "HMMER" in runs:
            entry["comparison"] = compare(runs["hmmkit"], runs["HMMER"], args.evalue)
            if "hmmkit+BW" in runs:
                entry["comparison_refined"] = compare(runs["hmmkit+BW"], runs["HMMER"], args.evalue)
        results_families.append(entry)
    progress.close()

    results = {
        "settings": {
            "data_dir": data_dir_label(args),
            "families": [shown_path(f.source, args.data_root) for f in families],
            "database": shown_path(db_path, args.data_root),
            "database_sequences": len(database),
            "alphabet": alphabet,
            "folds": args.folds,
            "shuffles": args.shuffles,
            "seed": args.seed,
            "evalue": args.evalue,
            "cv_filters": "off (--max)" if args.max else "HMMER's defaults",
            "refine": {"mode": args.bw_mode, "max_iterations": args.bw_iter}
            if args.refine
            else None,
            "cpu": args.cpu,
            "hmmer": hmmer_note,
            "hmmkit": hmmkit.__version__,
            "python": platform.python_version(),
        },
        "families": results_families,
        "targets": targets(results_families),
        "total_seconds": time.perf_counter() - t_start,
    }
    results = _finite(results)
    text = json.dumps(results, indent=2, default=_json, allow_nan=False)
    (args.out / "results.json").write_text(text + "\n")
    write_report(args.out / "report.md", results)
    return results


def targets(families: list[dict]) -> dict[str, bool]:
    """Issue targets over all families (empty without the HMMER side)."""
    comparisons = [f["comparison"] for f in families if "comparison" in f]
    if not comparisons:
        return {}
    out = {"hit sets identical to HMMER's": all(c["hits_identical"] for c in comparisons)}
    cv = [c for c in comparisons if "sensitivity_within_2_points" in c]
    if cv:
        out["CV sensitivity within 2 points of HMMER's"] = all(
            c["sensitivity_within_2_points"] for c in cv
        )
        out["CV ROC AUC within 0.01 of HMMER's"] = all(c["auc_within_0.01"] for c in cv)
    return out


def _finite(value):
    """The results with every infinite or NaN float (a target never scored) as None."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return value


def _json(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        results = run(args)
    except RecipeError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    for fam in results["families"]:
        parts = [fam["name"]]
        for label, r in fam["tools"].items():
            cv = r.get("cv") or {}
            parts.append(
                f"{label}: {len(r['hits'])} hits, CV sensitivity {_fmt(cv.get('sensitivity'))} "
                f"AUC {_fmt(cv.get('auc'), '.4f')}"
            )
        if "comparison" in fam:
            parts.append("same hits" if fam["comparison"]["hits_identical"] else "HITS DIFFER")
        print(" | ".join(parts))
    for name, ok in results["targets"].items():
        print(f"target {name}: {'met' if ok else 'NOT met'}")
    print(f"{results['total_seconds']:.1f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
