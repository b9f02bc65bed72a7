#!/usr/bin/env python
"""Spoken digits: isolated-word GMM-HMM recognition on the Free Spoken Digit Dataset.

From WAV files to an accuracy table: MFCC features (cached), one left-to-right GMM-HMM
per digit trained as HTK does (segmental initialisation, Baum-Welch, mixture splitting),
recognition by the best log-likelihood. Writes into --out:

  results.json     accuracy, per-class accuracy, confusion matrix, counts, timings, settings
  report.md        the same for people, with what gained accuracy (measured ablations)
  confusion.png    confusion matrix
  loglik.png       training log-likelihood per frame after each EM iteration

Examples:
  python recipes/spoken_digits.py                          # official split, default data
  python recipes/spoken_digits.py --split speaker:theo     # train on the others, test on theo
  python recipes/spoken_digits.py --split all-speakers     # every held-out speaker, and the mean
  python recipes/spoken_digits.py --split all-speakers --ablations   # also measure the ablations
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np

from hmmkit import DegenerateStateWarning
from hmmkit.speech import corpus
from hmmkit.speech.commands import (
    add_feature_arguments,
    add_training_arguments,
    feature_cache_from_args,
    feature_config_from_args,
    training_config_from_args,
)
from hmmkit.speech.features import MFCCConfig, extract
from hmmkit.speech.recognizer import TrainingConfig, WordRecognizer, select_warp

REPO_ROOT = Path(__file__).resolve().parent.parent
RECORDED_ABLATIONS = REPO_ROOT / "data" / "spoken_digits_ablations.json"
#: The recordings' manifest: checksums of the embedded FLAC files, address and checksums of
#: the published WAV files (for --download).
MANIFEST = REPO_ROOT / "data" / "fsdd" / "manifest.json"
#: The data folder used when neither --data-dir nor $HMMKIT_DATA says another: the
#: recordings shipped in the repository.
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "fsdd"

#: The recipe's defaults, chosen from the ablations (see the report; settings within a few
#: tenths of a point of them are as good, within the noise of the speaker splits).
DEFAULT_FEATURES = MFCCConfig(normalise="speaker", variance=True)
DEFAULT_TRAINING = TrainingConfig(n_states=8, n_mix=3, init="segmental", n_iter=10, n_iter_split=5)

#: Vocal-tract-length warps: training data at each of the first, and per test speaker the
#: maximum-likelihood one of the second.
DEFAULT_WARPS: tuple[tuple[float, ...], tuple[float, ...]] = ((1.0,), (1.0,))
#: Unsupervised adaptation to each test speaker (see WordRecognizer.adapted); None: off.
DEFAULT_ADAPTATION: dict | None = {
    "n_iter": 3,
    "params": "mw",
    "min_utterances": 10,
    "rounds": 1,
}


def _variant(
    name: str, change: str, features=None, training=None, warps=None, adaptation=None
) -> dict:
    """An ablation: changes to the features, training, warps or adaptation (False: off)."""
    return {
        "name": name,
        "change": change,
        "features": features or {},
        "training": training or {},
        "warps": warps,
        "adaptation": adaptation,
    }


#: Variants measured by --ablations: each changes one thing from the run's settings.
ABLATIONS: list[dict] = [
    _variant("default", "this run's settings"),
    _variant("no-adaptation", "no unsupervised speaker adaptation", adaptation=False),
    _variant(
        "adapt-all",
        "adaptation re-estimates every parameter, not only means and weights",
        adaptation={"n_iter": 3, "params": "stmcw", "min_utterances": 10, "rounds": 1},
    ),
    _variant(
        "cmn-utterance",
        "mean normalisation per utterance",
        {"normalise": "utterance", "variance": False},
    ),
    _variant(
        "cmvn-utterance",
        "mean and variance normalisation per utterance",
        {"normalise": "utterance", "variance": True},
    ),
    _variant(
        "cmn-speaker", "mean normalisation per speaker", {"normalise": "speaker", "variance": False}
    ),
    _variant(
        "rectangular-window", "rectangular instead of Hamming window", {"window": "rectangular"}
    ),
    _variant("40-filters", "40 instead of 26 mel filters", {"nfilt": 40}),
    _variant("no-deltas", "13 static cepstra only", {"deltas": 0}),
    _variant(
        "ml-test-warp",
        "each test speaker at its maximum-likelihood warp of 0.9-1.1",
        warps=((1.0,), (0.9, 0.95, 1.0, 1.05, 1.1)),
    ),
    _variant("5-states", "5 states per word", training={"n_states": 5}),
    _variant("1-mixture", "1 Gaussian per state", training={"n_mix": 1}),
    _variant("6-mixtures", "6 Gaussians per state", training={"n_mix": 6}),
    _variant("flat-start", "flat start instead of segmental init", training={"init": "flat"}),
    _variant("no-var-floor", "no relative variance floor", training={"var_floor": 0.0}),
]


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


class RecipeError(Exception):
    """A problem with the arguments or the data, reported in one line."""


def build_parser() -> argparse.ArgumentParser:
    """The recipe's command line."""
    parser = OneLineParser(
        prog="spoken_digits.py",
        description=__doc__.split("\n\n")[0],
        epilog="Data: --data-dir, else $HMMKIT_DATA/fsdd when HMMKIT_DATA is set (it names a "
        "folder laid out as the repository's data/), else the repository's data/fsdd: the "
        "2,500 recordings of five speakers shipped as FLAC. --download uses the published WAV "
        "files instead, fetched once into a cache ($HMMKIT_CACHE, else the user cache folder).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="FSDD folder (or recordings/)")
    parser.add_argument(
        "--split",
        default="official",
        help="'official' (takes 0-4 test), 'speaker:NAME' (hold out NAME) or 'all-speakers' "
        "(each speaker held out in turn; reports the mean)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out/spoken_digits"),
        help="output folder (default: out/spoken_digits, under the current folder)",
    )  # fmt: skip
    parser.add_argument(
        "--download",
        action="store_true",
        help="use the published WAV recordings, fetched into the cache (checked against "
        "data/fsdd/manifest.json), instead of the data folder's",
    )
    parser.add_argument(
        "--ablations",
        action="store_true",
        help="also train every ablation variant on the same split(s) and tabulate them",
    )
    parser.add_argument(
        "--train-warps",
        type=warp_list,
        default=DEFAULT_WARPS[0],
        help="comma-separated warp factors; the training data are used at each (default "
        f"{','.join(map(str, DEFAULT_WARPS[0]))})",
    )
    parser.add_argument(
        "--test-warps",
        type=warp_list,
        default=DEFAULT_WARPS[1],
        help="comma-separated warp factors; each test speaker is recognised at the one of "
        "highest likelihood (default "
        f"{','.join(map(str, DEFAULT_WARPS[1]))})",
    )
    adapt = DEFAULT_ADAPTATION or {
        "n_iter": 0,
        "params": "stmcw",
        "min_utterances": 10,
        "rounds": 1,
    }
    g = parser.add_argument_group("unsupervised speaker adaptation")
    g.add_argument(
        "--adapt-iters",
        type=int,
        default=adapt["n_iter"],
        help="Baum-Welch iterations adapting each word model to a test speaker's recordings "
        "recognised as that word (0: no adaptation)",
    )
    g.add_argument("--adapt-params", default=adapt["params"], help="parameter letters adapted")
    g.add_argument(
        "--adapt-min",
        type=int,
        default=adapt["min_utterances"],
        help="fewest recognised recordings a word needs to be adapted",
    )
    g.add_argument("--adapt-rounds", type=int, default=adapt["rounds"], help="adaptation rounds")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_feature_arguments(parser, DEFAULT_FEATURES)
    add_training_arguments(parser, DEFAULT_TRAINING)
    return parser


def warp_list(text: str) -> tuple[float, ...]:
    """Parse '0.9,1.0,1.1' into warp factors."""
    try:
        values = tuple(sorted({float(v) for v in text.split(",") if v.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not values or not all(0.5 <= v <= 2.0 for v in values):
        raise argparse.ArgumentTypeError(f"warps must be numbers in [0.5, 2], got {text!r}")
    return values


def split_names(split: str, speakers: list[str]) -> list[str]:
    """The concrete splits a --split value stands for."""
    if split == "all-speakers":
        if len(speakers) < 2:
            raise RecipeError(f"all-speakers needs at least two speakers, found {speakers}")
        return [f"speaker:{s}" for s in speakers]
    if split == "official" or split.startswith("speaker:"):
        return [split]
    raise RecipeError(f"--split must be official, speaker:NAME or all-speakers, got {split!r}")


def _progress(desc: str, unit: str, quiet: bool):
    from tqdm import tqdm

    return lambda items: tqdm(items, desc=desc, unit=unit, disable=quiet, leave=False)


def compute_features(utts, config: MFCCConfig, args) -> tuple[dict, float]:
    """Features of every recording (through the cache), keyed by path; and the seconds taken."""
    start = time.perf_counter()
    feats = extract(
        [u.path for u in utts],
        config,
        speakers=[u.speaker for u in utts],
        cache=feature_cache_from_args(args),
        progress=_progress(f"features (warp {config.warp:g})", "file", args.quiet),
    )
    return {u.path: f for u, f in zip(utts, feats, strict=True)}, time.perf_counter() - start


def recognise(
    rec: WordRecognizer, test, feats: dict, test_warps, adaptation: dict | None
) -> tuple[np.ndarray, dict]:
    """Scores of the test utterances, speaker by speaker.

    With several test warps each speaker is recognised at its maximum-likelihood warp;
    with `adaptation` (keyword arguments of `WordRecognizer.adapted`) the models are first
    adapted, without labels, to that speaker's test recordings.
    """
    scores = np.empty((len(test), len(rec.words_)))
    chosen = {}
    for speaker in sorted({u.speaker for u in test}):
        rows = [i for i, u in enumerate(test) if u.speaker == speaker]
        warp = test_warps[0]
        if len(test_warps) > 1:
            by_warp = {w: [feats[w][test[i].path] for i in rows] for w in test_warps}
            warp, _ = select_warp(rec, by_warp)
            chosen[speaker] = warp
        own = [feats[warp][test[i].path] for i in rows]
        model = rec.adapted(own, **adaptation) if adaptation else rec
        scores[rows] = model.score(own)
    return scores, chosen


def run_split(
    utts, feats: dict, name: str, training: TrainingConfig, warps, adaptation, args, words
) -> dict:
    """Train on one split's training side, recognise its test side; the measured outcome.

    `feats` maps warp -> path -> features; `warps` is (training warps, test warps).
    """
    train_warps, test_warps = warps
    try:
        train, test = corpus.split(utts, name)
    except ValueError as exc:
        raise RecipeError(str(exc)) from exc
    rec = WordRecognizer(training, n_jobs=args.n_jobs)
    with warnings.catch_warnings(record=True) as caught:
        # Defunct mixture components are replaced (HTK's MINMIX); count them, quietly.
        warnings.simplefilter("always", DegenerateStateWarning)
        start = time.perf_counter()
        rec.fit(
            [feats[w][u.path] for w in train_warps for u in train],
            [u.label for _ in train_warps for u in train],
            progress=_progress(f"training {name}", "word", args.quiet),
        )
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        scores, chosen_warps = recognise(rec, test, feats, test_warps, adaptation)
        test_s = time.perf_counter() - start
    degenerate = [w for w in caught if issubclass(w.category, DegenerateStateWarning)]
    for other in caught:
        if other not in degenerate:
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    truth = [u.label for u in test]
    # a recording too short for every model has no best word: an error outside the matrix
    predicted = rec.best_words(scores)
    index = {w: i for i, w in enumerate(words)}
    confusion = np.zeros((len(words), len(words)), dtype=int)
    for t, p in zip(truth, predicted, strict=True):
        if p is not None:
            confusion[index[t], index[p]] += 1
    tested = {w: truth.count(w) for w in words}
    per_class = {
        w: float(confusion[i, i] / tested[w]) if tested[w] else None for w, i in index.items()
    }
    frames = {
        w: int(sum(len(feats[v][u.path]) for v in train_warps for u in train if u.label == w))
        for w in rec.words_
    }
    return {
        "split": name,
        "accuracy": float(np.mean(np.array(truth) == np.array(predicted))),
        "n_correct": int(sum(t == p for t, p in zip(truth, predicted, strict=True))),
        "n_train": len(train),
        "n_test": len(test),
        "n_unrecognised": predicted.count(None),
        "n_test_per_word": tested,
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
        "nan_or_inf_scores": int((~np.isfinite(scores)).sum()),
        "test_warps_chosen": chosen_warps,
        "degenerate_state_warnings": len(degenerate),
        "timings": {"training_s": train_s, "recognition_s": test_s},
        "loglik_per_frame": {
            w: [v / frames[w] for v in rec.traces_[w].history] for w in rec.words_
        },
        "mixture_splits_at": {w: rec.traces_[w].splits for w in rec.words_},
        "errors": [
            {"file": u.path.name, "truth": t, "predicted": p}
            for u, t, p in zip(test, truth, predicted, strict=True)
            if t != p
        ],
    }


def evaluate(
    utts, splits, features: MFCCConfig, training: TrainingConfig, warps, adaptation, args, words
) -> dict:
    """Features once per warp, then every split; the combined results."""
    feats, feature_s = {}, 0.0
    for warp in sorted(set(warps[0]) | set(warps[1])):
        feats[warp], seconds = compute_features(utts, features.with_(warp=warp), args)
        feature_s += seconds
    runs = [
        run_split(utts, feats, name, training, warps, adaptation, args, words) for name in splits
    ]
    confusion = np.sum([r["confusion_matrix"] for r in runs], axis=0)
    tested = {w: sum(r["n_test_per_word"][w] for r in runs) for w in words}
    return {
        "accuracy": float(np.mean([r["accuracy"] for r in runs])),
        "accuracy_pooled": float(np.trace(confusion) / sum(tested.values())),
        "per_class_accuracy": {  # None for a word with no test recording (not NaN)
            w: float(confusion[i, i] / tested[w]) if tested[w] else None
            for i, w in enumerate(words)
        },
        "n_unrecognised": int(sum(r["n_unrecognised"] for r in runs)),
        "confusion_matrix": confusion.tolist(),
        "n_train": int(sum(r["n_train"] for r in runs)),
        "n_test": int(sum(r["n_test"] for r in runs)),
        "nan_or_inf_scores": int(sum(r["nan_or_inf_scores"] for r in runs)),
        "degenerate_state_warnings": int(sum(r["degenerate_state_warnings"] for r in runs)),
        "timings": {
            "features_s": feature_s,
            "training_s": float(sum(r["timings"]["training_s"] for r in runs)),
            "recognition_s": float(sum(r["timings"]["recognition_s"] for r in runs)),
        },
        "splits": {r["split"]: r for r in runs},
    }


def run_ablations(
    utts, splits, args, words, base_f: MFCCConfig, base_t: TrainingConfig, warps, adaptation
):
    """Accuracy of each ablation variant on the same splits."""
    rows = []
    for variant in ABLATIONS:
        f = base_f.with_(**variant["features"])
        t = TrainingConfig(**{**asdict(base_t), **variant["training"]})
        w = variant["warps"] or warps
        a = adaptation if variant["adaptation"] is None else (variant["adaptation"] or None)
        result = evaluate(utts, splits, f, t, w, a, args, words)
        rows.append(
            {
                **{k: v for k, v in variant.items() if k not in ("warps", "adaptation")},
                "warps": {"train": list(w[0]), "test": list(w[1])},
                "adaptation": a,
                "accuracy": result["accuracy"],
                "per_split": {k: v["accuracy"] for k, v in result["splits"].items()},
                "training_s": result["timings"]["training_s"],
            }
        )
        if not args.quiet:
            print(f"ablation {variant['name']}: {100 * result['accuracy']:.2f} %", file=sys.stderr)
    return {
        "split": args.split,
        "splits": splits,
        "base_features": base_f.to_dict(),
        "base_training": asdict(base_t),
        "base_warps": {"train": list(warps[0]), "test": list(warps[1])},
        "base_adaptation": adaptation,
        "rows": rows,
    }


def plot_confusion(confusion, words, title: str, path: Path) -> None:
    """Confusion matrix as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(confusion)
    fig, ax = plt.subplots(figsize=(6, 5))
    image = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(words)), words)
    ax.set_yticks(range(len(words)), words)
    ax.set_xlabel("recognised")
    ax.set_ylabel("spoken")
    ax.set_title(title)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                colour = "white" if cm[i, j] > cm.max() / 2 else "black"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=colour, fontsize=8)
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_loglik(splits: dict, path: Path) -> None:
    """Training log-likelihood per frame after each EM iteration, one panel per split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(splits)
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4), squeeze=False, sharey=True)
    for ax, (name, run) in zip(axes[0], splits.items(), strict=True):
        for word, values in run["loglik_per_frame"].items():
            ax.plot(np.arange(1, len(values) + 1), values, label=word, linewidth=1)
        first = next(iter(run["mixture_splits_at"].values()), [])
        for at in first:
            ax.axvline(at + 0.5, color="grey", linestyle=":", linewidth=0.8)
        ax.set_title(name)
        ax.set_xlabel("EM iteration (dotted: mixture split)")
    axes[0][0].set_ylabel("log-likelihood per frame")
    axes[0][-1].legend(title="word", fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f} %"


def ablation_section(
    ablations: dict | None, source: str, results: dict | None = None, measured: bool = True
) -> list[str]:
    """The report's 'what gained accuracy' section.

    `measured`: the ablations were run now, on this run's settings (`--ablations`); else
    they are the recorded ones, whose base row is the recipe's defaults, and the section
    says when they were measured on another split or other settings than this run's.
    """
    lines = ["## What gained accuracy", ""]
    if not ablations:
        lines += ["No ablations recorded; run with `--ablations`.", ""]
        return lines
    rows = ablations["rows"]
    base = next((r for r in rows if r["name"] == "default"), rows[0])
    base_label = "this run's settings" if measured else "the recipe's defaults, as recorded"
    splits = ablations["splits"]
    lines += [source, ""]
    if not measured and results is not None:
        lines += _recorded_versus_run(ablations, results)
    header = "| variant | change from the defaults | mean accuracy | vs default | options |"
    lines += [header, "|---|---|---:|---:|---|"]
    for r in rows:
        delta = 100 * (r["accuracy"] - base["accuracy"])
        options = f"`{r['options']}`" if r.get("options") else ""
        change = base_label if r is base else r["change"]
        lines.append(
            f"| {r['name']} | {change} | {_pct(r['accuracy'])} | {delta:+.2f} | {options} |"
        )
    lines += ["", f"Splits: {', '.join(splits)}.", ""]
    others = sorted((r for r in rows if r is not base), key=lambda r: r["accuracy"])
    losses = [r for r in others if r["accuracy"] < base["accuracy"] - 0.0005]
    if losses:
        lines += ["What the defaults gain over each alternative, largest first:", ""]
        for r in losses:
            gain = 100 * (base["accuracy"] - r["accuracy"])
            lines.append(f"- {gain:.2f} points over {r['change']} (`{r['name']}`)")
        lines.append("")
    better = [r for r in others if r["accuracy"] > base["accuracy"] + 0.0005]
    if better:
        names = ", ".join(f"`{r['name']}` ({_pct(r['accuracy'])})" for r in better)
        lines += [f"Alternatives that scored higher here: {names}.", ""]
    for note in ablations.get("conclusions") or []:
        lines += [note, ""]
    return lines


def _recorded_versus_run(ablations: dict, results: dict) -> list[str]:
    """Lines saying how the recorded ablations' split and settings differ from this run's."""
    notes = []
    if ablations.get("split") != results["split"]:
        notes.append(
            f"split `{ablations.get('split')}` (this run: `{results['split']}`, "
            f"{_pct(results['accuracy'])})"
        )
    recorded = ablations.get("base_configuration") or {}
    ours = results["configuration"]
    differing = [
        k for k in ("features", "training", "warps", "adaptation") if recorded.get(k) != ours[k]
    ]
    if differing:
        notes.append(f"other {', '.join(differing)} settings than this run's")
    if not notes:
        return []
    return [
        f"These rows were measured on {' and '.join(notes)}: they are not this run's "
        "numbers. Rerun with `--ablations` to measure them on this run's split and settings.",
        "",
    ]


def write_report(
    results: dict, ablations: dict | None, ablation_source: str, out: Path, measured: bool = True
) -> None:
    """report.md from the results."""
    words = results["labels"]
    lines = [
        "# Spoken digits: GMM-HMM word models",
        "",
        f"Split **{results['split']}**: accuracy **{_pct(results['accuracy'])}** "
        f"({results['n_train']} training and {results['n_test']} test recordings"
        + (", mean over held-out speakers)" if len(results["splits"]) > 1 else ")"),
        "",
        "| split | train | test | accuracy | training s | test warp per speaker |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, run in results["splits"].items():
        chosen = ", ".join(f"{k} {v:g}" for k, v in run["test_warps_chosen"].items()) or "–"
        lines.append(
            f"| {name} | {run['n_train']} | {run['n_test']} | {_pct(run['accuracy'])} | "
            f"{run['timings']['training_s']:.1f} | {chosen} |"
        )
    t = results["timings"]
    adaptation = results["configuration"].get("adaptation")
    warps = results["configuration"].get("warps", {})
    lines += [
        "",
        "Word models are trained on the training speakers only. "
        + (
            "Each test speaker's recordings are then recognised by models adapted to that "
            "speaker without labels: a first pass labels the recordings, and each word model "
            f"is re-estimated for {adaptation['n_iter']} Baum-Welch iterations on the "
            "recordings recognised as that word (unsupervised self-training; "
            "`--adapt-iters 0` turns it off)."
            if adaptation
            else "No adaptation to the test speakers."
        )
        + (
            f" Test warps {warps['test']}: each test speaker is recognised at the warp of "
            "highest likelihood."
            if len(warps.get("test", [])) > 1
            else ""
        ),
        "",
        f"Features {t['features_s']:.1f} s, training {t['training_s']:.1f} s, recognition "
        f"{t['recognition_s']:.1f} s. Scores that were NaN or infinite: "
        f"{results['nan_or_inf_scores']}. Training rounds in which defunct mixture components "
        f"(weight below MINMIX) were replaced by splitting the heaviest one: "
        f"{results['degenerate_state_warnings']}.",
        "",
        "## Per-digit accuracy",
        "",
        "| " + " | ".join(words) + " |",
        "|" + "---:|" * len(words),
        "| " + " | ".join(_pct(results["per_class_accuracy"][w]) for w in words) + " |",
        "",
        "![confusion matrix](confusion.png)",
        "",
        "![log-likelihood per iteration](loglik.png)",
        "",
        "## Settings",
        "",
        "```json",
        json.dumps(results["configuration"], indent=1),
        "```",
        "",
        *ablation_section(ablations, ablation_source, results, measured),
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except RecipeError as exc:
        print(f"spoken_digits.py: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:  # missing or unreadable data, offline download
        print(f"spoken_digits.py: error: {exc}", file=sys.stderr)
        return 1


def find_data(args) -> Path:
    """The data folder the arguments name, else the default one (see ``--help``)."""
    return corpus.locate(
        args.data_dir,
        fallback=DEFAULT_DATA_DIR,
        manifest=MANIFEST,
        published=args.download,
        progress=not args.quiet,
    )


def _run(args) -> int:
    try:
        features = feature_config_from_args(args)
        training = training_config_from_args(args)
    except ValueError as exc:
        raise RecipeError(str(exc)) from exc
    data_dir = find_data(args)
    utts = corpus.list_recordings(data_dir)
    out = args.out.resolve()
    for option, folder in (("--out", args.out), ("--cache-dir", args.cache_dir)):
        where = folder.resolve() if folder is not None else None
        if where is not None and data_dir.resolve() in [where, *where.parents]:
            raise RecipeError(f"{option} {folder} is inside the data folder; choose another folder")
        if where is not None and where.exists() and not where.is_dir():
            raise RecipeError(f"{option} {folder} exists and is not a folder")
    splits = split_names(args.split, corpus.speakers(utts))
    words = corpus.labels(utts)

    warps = (tuple(args.train_warps), tuple(args.test_warps))
    if args.adapt_iters < 0 or args.adapt_min < 1 or args.adapt_rounds < 1:
        raise RecipeError("--adapt-iters must be >= 0, --adapt-min and --adapt-rounds >= 1")
    if not args.adapt_params or set(args.adapt_params) - set("stmcw"):
        raise RecipeError(f"--adapt-params must be letters of 'stmcw', got {args.adapt_params!r}")
    adaptation = None
    if args.adapt_iters > 0:
        adaptation = {
            "n_iter": args.adapt_iters,
            "params": args.adapt_params,
            "min_utterances": args.adapt_min,
            "rounds": args.adapt_rounds,
        }
    results = evaluate(utts, splits, features, training, warps, adaptation, args, words)
    results = {
        "split": args.split,
        "labels": words,
        **results,
        "configuration": {
            "data_dir": str(data_dir),
            "features": features.to_dict(),
            "training": asdict(training),
            "warps": {"train": list(warps[0]), "test": list(warps[1])},
            "adaptation": adaptation,
            "n_jobs": args.n_jobs,
            "python": platform.python_version(),
        },
    }
    if not np.isfinite(results["accuracy"]):
        raise RecipeError("accuracy is not finite")

    ablations, source = None, ""
    if args.ablations:
        ablations = run_ablations(utts, splits, args, words, features, training, warps, adaptation)
        source = f"Measured in this run on split `{args.split}`."
    elif RECORDED_ABLATIONS.is_file():
        ablations = json.loads(RECORDED_ABLATIONS.read_text(encoding="utf-8"))
        source = ablations.get("source") or (
            "Recorded earlier with `python recipes/spoken_digits.py --split "
            f"{ablations.get('split', 'all-speakers')} --ablations` "
            "(rerun that command to measure them on this machine and data)."
        )

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    if args.ablations:
        (out / "ablations.json").write_text(json.dumps(ablations, indent=1), encoding="utf-8")
    title = f"{args.split}: {_pct(results['accuracy'])}"
    plot_confusion(results["confusion_matrix"], words, title, out / "confusion.png")
    plot_loglik(results["splits"], out / "loglik.png")
    write_report(results, ablations, source, out, measured=args.ablations)
    for name, run in results["splits"].items():
        print(f"{name}: accuracy {_pct(run['accuracy'])} ({run['n_correct']}/{run['n_test']})")
    if len(splits) > 1:
        print(f"mean accuracy {_pct(results['accuracy'])} over {len(splits)} splits")
    print(f"wrote {out / 'results.json'} and {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
