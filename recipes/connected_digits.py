#!/usr/bin/env python
"""Connected-digit recognition and forced alignment on strings built from FSDD.

For each split the recipe builds Kaldi data folders of digit strings (2-7 recordings of
one speaker joined by 0-300 ms of that speaker's background noise, 150-400 ms at the
ends; deterministic by --seed, word spans known), trains word models (or, with
--units phone, phone models over the digits lexicon it writes) by embedded training,
decodes the test strings over a digit loop, scores them as HResults does and aligns them
to their transcripts. A word counts as aligned when it lies inside its recording
(+-20 ms) and covers at least 80 % of the recording's speech core.

By default the features are normalised per speaker (each coefficient's histogram
equalised to a standard normal over each speaker's strings, test speakers included, as
Kaldi's per-speaker CMVN; --no-equalise for CMVN), decoding keeps each string's first and
last 13 frames for sil (--edge-silence), training keeps the background out
of the word states (--background-penalty 5), the word penalty is chosen among
--tune-penalty's values on a development fold of the training side only (never on test
data), each test speaker is decoded four more times with MAP-adapted means (--adapt 10,
--adapt-rounds 4), and
the forced alignment is speaker-adapted: each test speaker's means are MAP-adapted to its
strings and their transcripts before realigning (--align-adapt 10), with the model of
--align-n-mix's Gaussians per state (2, 4 or 8, kept on the way of one training) that
aligns the most words of the training side's development fold.

Splits: `official` (strings of takes 5-49 to train, of takes 0-4 to test) and
`speaker:NAME` (leave that speaker out); `--splits loso` means every speaker in turn.

Outputs in --out: results.json, report.md, per_speaker_wer.png, alignment_example.png,
and per split the data folders, model, decoded text and alignment files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile

from hmmkit.speech import asr, corpus
from hmmkit.speech.asr_commands import margin_or_off, nonnegative, nonnegative_int, positive_int
from hmmkit.speech.ctm import write_ctm
from hmmkit.speech.digit_strings import DIGITS_LEXICON, alignment_accuracy, build_digit_strings
from hmmkit.speech.embedded import EmbeddedConfig
from hmmkit.speech.estep import MARK_PENALTY
from hmmkit.speech.features import MFCCConfig
from hmmkit.speech.lexicon import Lexicon
from hmmkit.speech.speaker_adaptation import (
    ADAPT_BACKGROUND_MARGIN,
    ADAPT_BACKGROUND_PENALTY,
    ADAPTATION_METHODS,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data" / "fsdd"
#: Word penalties --tune-penalty chooses among by default (see development_fold).
TUNING_PENALTIES = (-20.0, -30.0, -45.0, -60.0)
#: Gaussians per state the alignment model is chosen among (see tune_on_development).
ALIGNMENT_MIXTURES = (2, 4, 8)
#: How training may use the training strings' known times (see time_marks_file).
TIME_MARKS = ("none", "core", "core+gaps", "core+recording")
#: Frames at each end of a string that decoding keeps for sil (--edge-silence): the
#: strings start and end in 150-400 ms of background, and the windows (25 ms every 10
#: ms) of 13 frames end by 145 ms.
EDGE_SILENCE = 13
#: Gaussians of the test speaker's background model that decoded words must beat
#: (--background-mix).
BACKGROUND_MIX = 16


def build_parser() -> argparse.ArgumentParser:
    """The recipe's options."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data-dir", type=Path, default=None, help="FSDD folder (default: found)")
    p.add_argument("--out", type=Path, default=Path("connected_digits_out"))
    p.add_argument("--splits", default="official,loso", help="official, loso, speaker:NAME")
    p.add_argument("--units", choices=("word", "phone"), default="word")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-mix", type=int, default=2, help="Gaussians per state at the end")
    p.add_argument("--word-states", type=int, default=10)
    p.add_argument("--passes", type=int, default=4)
    p.add_argument("--word-penalty", type=float, default=-10.0)
    p.add_argument("--beam", type=float, default=250.0)
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument(
        "--tune-penalty",
        type=penalty_list,
        default=TUNING_PENALTIES,
        metavar="=P1,P2,...",
        help="choose the word penalty among these by WER on a development fold of the "
        "training side (an unseen training speaker, or the lowest training takes); "
        "--tune-penalty= (empty) uses --word-penalty",
    )
    p.add_argument(
        "--background-penalty",
        type=float,
        default=5.0,
        metavar="NATS",
        help="training: cost to word states of frames as quiet as the utterance's ends",
    )
    p.add_argument(
        "--background-margin",
        type=margin_or_off,
        default=None,
        metavar="NATS",
        help="training: a quiet frame is background only if its spectrum is the "
        "utterance ends' within NATS ('off', the default: every quiet frame)",
    )
    p.add_argument(
        "--adapt",
        type=nonnegative,
        default=10.0,
        metavar="TAU",
        help="unsupervised MAP adaptation of the means per test speaker (second pass); "
        "0 turns it off",
    )
    p.add_argument(
        "--adapt-method",
        choices=ADAPTATION_METHODS,
        default="map",
        help="with --adapt: MAP of the means, MLLR (a mean transform for sil's Gaussians "
        "and one for the words'), or MLLR then MAP; fmllr: a CMLLR feature transform per "
        "speaker (fmllr+map: then MAP of the means)",
    )
    p.add_argument(
        "--adapt-background",
        type=float,
        default=ADAPT_BACKGROUND_PENALTY,
        metavar="NATS",
        help="with --adapt: cost to the word states of each utterance's background frames",
    )
    p.add_argument(
        "--adapt-background-margin",
        type=margin_or_off,
        default=ADAPT_BACKGROUND_MARGIN,
        metavar="NATS",
        help="with --adapt: a quiet frame is background only if its spectrum is the "
        "utterance ends' within NATS ('off': every quiet frame)",
    )
    p.add_argument(
        "--adapt-rounds",
        type=positive_int,
        default=4,
        metavar="N",
        help="with --adapt: decode-adapt rounds per test speaker",
    )
    p.add_argument(
        "--edge-silence",
        type=nonnegative_int,
        default=EDGE_SILENCE,
        metavar="FRAMES",
        help="decoding: each utterance's first and last FRAMES frames are sil's (the "
        "strings start and end in at least 150 ms of background); 0 turns it off",
    )
    p.add_argument(
        "--background-mix",
        type=nonnegative_int,
        default=BACKGROUND_MIX,
        metavar="N",
        help="decoding: each test speaker's own background modelled by a mixture of N "
        "Gaussians fitted to the --edge-silence frames of its strings, and a decoded word "
        "kept only if it fits its frames better than that background by more than the "
        "word penalty's size; 0 turns it off",
    )
    p.add_argument(
        "--align-adapt",
        type=nonnegative,
        default=10.0,
        metavar="TAU",
        help="speaker-adapted forced alignment: each test speaker's means MAP-adapted to "
        "its strings and their transcripts before realigning; 0 turns it off",
    )
    p.add_argument(
        "--align-n-mix",
        type=count_list,
        default=ALIGNMENT_MIXTURES,
        metavar="N1,N2,...",
        help="Gaussians per state of the alignment model: the one of this list (counts "
        "the training passes on its way to the largest: 1, 2, 4, 8...) that aligns the "
        "most words of the development fold of the training side; one value: that one",
    )
    p.add_argument(
        "--time-marks",
        choices=TIME_MARKS,
        default="none",
        help="training from known times (asr train --word-times): each training word's "
        "speech core kept for that word's states; with core+gaps the frames between the "
        "cores kept for sil and sp (--silent-gaps), with core+recording those between "
        "the recordings",
    )
    p.add_argument(
        "--mark-penalty",
        type=positive_nats,
        default=MARK_PENALTY,
        metavar="NATS",
        help="with --time-marks: what a frame of a marked span costs the states it is not "
        "kept for (1000: the marks hold)",
    )
    p.add_argument(
        "--align-time-marks",
        choices=TIME_MARKS,
        default="core+gaps",
        help="the alignment model's training from known times, as --time-marks (when it "
        "differs from --time-marks or --align-mark-penalty from --mark-penalty, the "
        "alignment model is trained on its own)",
    )
    p.add_argument(
        "--align-mark-penalty",
        type=positive_nats,
        default=5.0,
        metavar="NATS",
        help="with --align-time-marks: what a marked frame costs the other states (a few "
        "nats lean the training towards the marks without holding it to them)",
    )
    p.add_argument(
        "--align-word-edges",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="the alignment model's words get an optional state of their own before their "
        "first state and after their last (word-edge states)",
    )
    p.add_argument(
        "--align-half-step",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="align over frames every 5 ms (the model's 10 ms analysis and the same 5 ms "
        "later, interleaved)",
    )
    p.add_argument(
        "--short-pause",
        choices=("middle", "silence"),
        default="silence",
        help="states of the tee model sp between words: sil's middle one (HTK's tutorial) "
        "or all of sil's (so that the frames next to a word have sil's edge states there too)",
    )
    p.add_argument(
        "--normalise",
        choices=("utterance", "speaker"),
        default="speaker",
        help="cepstral mean and variance normalisation per utterance or per speaker",
    )
    p.add_argument(
        "--equalise",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="histogram equalisation over --normalise's group (each coefficient mapped to "
        "a standard normal); --no-equalise: mean and variance normalisation (CMVN)",
    )
    p.add_argument("--takes", type=int, default=50, help="use only takes below this (quick)")
    return p


def positive_nats(text: str) -> float:
    """A positive cost in nats."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def count_list(text: str) -> tuple[int, ...]:
    """Parse '2,4,8' into Gaussians per state (at least one, each at least 1)."""
    counts = tuple(positive_int(v) for v in text.split(",") if v.strip())
    if not counts:
        raise argparse.ArgumentTypeError("give at least one count")
    return counts


def penalty_list(text: str) -> tuple[float, ...]:
    """Parse '-10,-20' into word penalties."""
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"penalties must be numbers, got {text!r}") from None


def find_data(data_dir: Path | None) -> Path:
    """The FSDD folder: --data-dir, else fsdd under $HMMKIT_DATA, else the repository's."""
    return corpus.locate(data_dir, fallback=DEFAULT_DATA_DIR)


def split_names(text: str, utts) -> list[str]:
    """Expand `loso` into one `speaker:NAME` split per speaker."""
    names = []
    for part in text.split(","):
        part = part.strip()
        if part == "loso":
            names += [f"speaker:{s}" for s in corpus.speakers(utts)]
        elif part:
            names.append(part)
    return names


def development_fold(name: str, train_recs) -> tuple[list, list]:
    """(inner training, development) recordings, both from a split's training side: the
    first training speaker (alphabetically) for a speaker split (so the development
    speaker is unseen, as the test speaker), else the five lowest training takes."""
    if name.startswith("speaker:"):
        held = corpus.speakers(train_recs)[0]
        return [u for u in train_recs if u.speaker != held], [
            u for u in train_recs if u.speaker == held
        ]
    takes = sorted({u.index for u in train_recs})[:5]
    return [u for u in train_recs if u.index not in takes], [
        u for u in train_recs if u.index in takes
    ]


def decode_and_score(model: Path, data: Path, out: Path, penalty: float, args):
    """Decode a data folder (with the run's adaptation) and score it."""
    asr.decode_folder(
        model,
        data,
        out,
        insertion_penalty=penalty,
        beam=args.beam,
        adapt_tau=args.adapt or None,
        adapt_background=args.adapt_background,
        adapt_method=args.adapt_method,
        adapt_rounds=args.adapt_rounds,
        adapt_background_margin=args.adapt_background_margin,
        edge_silence=args.edge_silence,
        background_mix=args.background_mix if args.edge_silence else 0,
    )
    return asr.score_files(data / "text", out / "text", data / "utt2spk")


def training_strings(recordings, folder: Path, args) -> None:
    """Build the training strings in ``folder``, with the CTM of their known times for
    each of --time-marks and --align-time-marks (see :func:`time_marks_file`)."""
    spans = build_digit_strings(recordings, folder, seed=args.seed)
    for mode in sorted({args.time_marks, args.align_time_marks} - {"none"}):
        by_utt: dict[str, list] = {}
        ends: dict[str, float] = {}
        for s in spans:
            marks = by_utt.setdefault(s.utt, [])
            if mode == "core+recording":
                marks.append(("sil", ends.get(s.utt, 0.0), s.start))
            marks.append((s.word, s.core_start, s.core_end))
            ends[s.utt] = s.end
        if mode == "core+recording":
            for utt, marks in by_utt.items():
                duration = soundfile.info(str(folder / "wav" / f"{utt}.wav")).duration
                marks.append(("sil", ends[utt], duration))
        write_ctm(time_marks_file(folder, mode), by_utt.items())


def time_marks_file(folder: Path, mode: str) -> Path | None:
    """The CTM of the training strings' known times for a --time-marks mode (None for
    none): each word's speech core and, for core+recording, ``sil`` from each
    recording's end to the next one's start."""
    if mode == "none":
        return None
    return folder / f"word_times_{mode.replace('+', '_')}.ctm"


def train_stages(data: Path, root: Path, counts, args, lexicon, config, front_end, marks, name):
    """Train once up to the largest of ``counts`` (Gaussians per state), keeping the model
    of each smaller count on the way, with ``marks`` = (--time-marks mode, mark penalty);
    returns count -> model folder (``root/NAME_Nmix``, ``root/model`` for --n-mix)."""
    mode, penalty = marks
    folders = {
        m: root / ("model" if (name, m) == ("model", args.n_mix) else f"{name}_{m}mix")
        for m in counts
    }
    top = max(counts)
    asr.train(
        data,
        folders[top],
        lexicon,
        replace(config, n_mix=top, silent_gaps=mode == "core+gaps", mark_penalty=penalty),
        front_end,
        word_times=time_marks_file(data, mode),
        stage_dirs={m: folders[m] for m in counts if m != top},
    )
    return folders


def train_models(data: Path, root: Path, align_counts, args, lexicon, config, front_end):
    """The decoding model (--n-mix Gaussians, --time-marks) and the alignment models
    (``align_counts`` Gaussians, --align-time-marks, with --align-word-edges): one
    training when both are the same, else two; returns (decoding model folder, count ->
    alignment model folder)."""
    decoding = (args.time_marks, args.mark_penalty)
    aligning = (args.align_time_marks, args.align_mark_penalty)
    setting = (args, lexicon, config, front_end)
    same_marks = aligning == decoding or args.align_time_marks == args.time_marks == "none"
    if same_marks and not args.align_word_edges:
        counts = {args.n_mix, *align_counts}
        folders = train_stages(data, root, counts, *setting, decoding, "model")
        return folders[args.n_mix], {m: folders[m] for m in align_counts}
    model = train_stages(data, root, {args.n_mix}, *setting, decoding, "model")
    if args.align_word_edges:
        setting = (args, lexicon, replace(config, word_edges=True), front_end)
    align = train_stages(data, root, set(align_counts), *setting, aligning, "align_model")
    return model[args.n_mix], align


def align_and_measure(model: Path, data: Path, out: Path, spans, args) -> tuple[dict, float]:
    """Forced alignment with the run's settings; returns it and the words aligned."""
    aligned = asr.align_folder(
        model, data, out, adapt_tau=args.align_adapt or None, half_step=args.align_half_step
    )
    return aligned, alignment_accuracy(spans, aligned)


def tune_on_development(name: str, train_recs, work: Path, args, lexicon, config, front_end):
    """The word penalty of --tune-penalty's grid with the lowest WER, and the Gaussians
    per state of --align-n-mix's list with the most words aligned, on the development
    fold of the training side (models trained on the rest); returns both and the
    development figures."""
    inner, dev = development_fold(name, train_recs)
    tune = work / "tune"
    training_strings(inner, tune / "train", args)
    dev_spans = build_digit_strings(dev, tune / "dev", seed=args.seed + 2)
    model, align_models = train_models(
        tune / "train", tune, args.align_n_mix, args, lexicon, config, front_end
    )
    wers = {}
    for penalty in args.tune_penalty:
        report = decode_and_score(model, tune / "dev", tune / "decode", penalty, args)
        wers[penalty] = report.overall.summary()["wer"]
    best = args.word_penalty
    if wers:
        best = min(wers, key=lambda p: (wers[p], abs(p - args.word_penalty)))
    aligned = {}
    if len(args.align_n_mix) > 1:
        for m in args.align_n_mix:
            out = tune / f"align_{m}mix"
            aligned[m] = align_and_measure(align_models[m], tune / "dev", out, dev_spans, args)[1]
    align_mix = max(aligned, key=lambda m: (aligned[m], -m)) if aligned else args.align_n_mix[0]
    return best, wers or None, align_mix, aligned or None


def run_split(name: str, utts, args, data_dir: Path) -> dict:
    """Build, train, (tune,) decode, score and align one split; returns its results."""
    work = args.out / name.replace(":", "_")
    train_recs, test_recs = corpus.split(utts, name)
    training_strings(train_recs, work / "train", args)
    test_spans = build_digit_strings(test_recs, work / "test", seed=args.seed + 1)
    lexicon = None
    if args.units == "phone":
        lexicon = work / "lexicon.txt"
        Lexicon(DIGITS_LEXICON).write(lexicon)
    config = EmbeddedConfig(
        units=args.units,
        word_states=args.word_states,
        n_mix=args.n_mix,
        passes=args.passes,
        n_jobs=args.jobs,
        background_penalty=args.background_penalty,
        background_margin=args.background_margin,
        short_pause=args.short_pause,
    )
    front_end = MFCCConfig(normalise=args.normalise, variance=True, equalise=args.equalise)
    penalty, tuning, align_mix, align_tuning = args.word_penalty, None, args.align_n_mix[0], None
    if args.tune_penalty or len(args.align_n_mix) > 1:
        penalty, tuning, align_mix, align_tuning = tune_on_development(
            name, train_recs, work, args, lexicon, config, front_end
        )
    start = time.process_time()
    model, align_models = train_models(
        work / "train", work, (align_mix,), args, lexicon, config, front_end
    )
    train_cpu = time.process_time() - start
    start = time.process_time()
    report = decode_and_score(model, work / "test", work / "decode", penalty, args)
    decode_cpu = time.process_time() - start
    (work / "decode" / "report.txt").write_text(report.text("reference", "decoded"))
    _, accuracy = align_and_measure(
        align_models[align_mix], work / "test", work / "align", test_spans, args
    )
    audio = sum(soundfile.info(str(p)).duration for p in (work / "test" / "wav").iterdir())
    overall = report.overall.summary()
    print(f"{name}: WER {overall['wer']:.2f} %, alignment {100 * accuracy:.1f} %", file=sys.stderr)
    return {
        "split": name,
        "train_recordings": len(train_recs),
        "test_recordings": len(test_recs),
        "wer": overall["wer"],
        "counts": overall,
        "per_speaker_wer": {s: c.summary()["wer"] for s, c in report.speakers.items()},
        "alignment_accuracy": accuracy,
        "word_penalty": penalty,
        "tuning_wer": tuning,
        "align_n_mix": align_mix,
        "tuning_alignment": align_tuning,
        "train_cpu_s": train_cpu,
        "decode_cpu_s": decode_cpu,
        "test_audio_s": audio,
        "work": str(work),
    }


def plot_results(results: list[dict], out: Path) -> None:
    """Per-speaker WER bars and one test utterance's spectrogram with boundaries."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hmmkit.speech.ctm import read_ctm
    from hmmkit.speech.digit_strings import read_word_spans
    from hmmkit.speech.features import read_audio

    fig, ax = plt.subplots(figsize=(7, 3.5))
    labels, values = [], []
    for r in results:
        for speaker, wer in sorted(r["per_speaker_wer"].items()):
            labels.append(f"{r['split']}\n{speaker}")
            values.append(wer)
    ax.bar(range(len(values)), values)
    ax.set_xticks(range(len(values)), labels, rotation=90, fontsize=6)
    ax.set_ylabel("WER (%)")
    ax.set_title("Connected digits: WER per test speaker and split")
    fig.tight_layout()
    fig.savefig(out / "per_speaker_wer.png", dpi=120)
    plt.close(fig)

    work = Path(results[0]["work"])
    spans = read_word_spans(work / "test" / "word_spans")
    utt = spans[0].utt
    signal, rate = read_audio(work / "test" / "wav" / f"{utt}.wav")
    aligned = read_ctm(work / "align" / "alignment.ctm")[utt]
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.specgram(signal, NFFT=256, Fs=rate, noverlap=176, cmap="magma")
    for s in (s for s in spans if s.utt == utt):
        ax.axvspan(s.core_start, s.core_end, color="white", alpha=0.15)
        ax.axvline(s.start, color="cyan", lw=1)
        ax.axvline(s.end, color="cyan", lw=1, ls=":")
    for word, a, b in aligned:
        ax.axvline(a, color="lime", lw=1.5)
        ax.axvline(b, color="lime", lw=1.5, ls="--")
        ax.text((a + b) / 2, rate * 0.45, word, color="lime", ha="center", fontsize=12)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("Hz")
    ax.set_title(f"{utt}: recordings (cyan), speech cores (shaded), alignment (green)")
    fig.tight_layout()
    fig.savefig(out / "alignment_example.png", dpi=120)
    plt.close(fig)


def _marks(mode: str, penalty: float) -> str:
    """A --time-marks setting as the report shows it."""
    return mode if mode == "none" else f"{mode} at {penalty:g} nats"


def _margin(value: float | None) -> str:
    """A spectral margin as the report shows it."""
    return "off" if value is None else f"{value:g} nats"


def write_report(results: list[dict], args, out: Path) -> None:
    """report.md: one row per split and the means."""
    lines = [
        "# Connected digits",
        "",
        f"Units: {args.units}; {args.n_mix} Gaussians per state; word penalty "
        + (
            f"tuned among {list(args.tune_penalty)}"
            if args.tune_penalty
            else str(args.word_penalty)
        )
        + f"; seed {args.seed}.",
        "",
        "Test-speaker adaptation: "
        + (
            f"{args.adapt_method} (tau {args.adapt:g}), {args.adapt_rounds} decode-adapt rounds, "
            f"background penalty {args.adapt_background:g} nats, spectral margin "
            + _margin(args.adapt_background_margin)
            if args.adapt
            else "none"
        )
        + f"; frames kept for sil at each end in decoding: {args.edge_silence}"
        + f"; words tested against a background model of {args.background_mix} Gaussians"
        + ("; features histogram-equalised" if args.equalise else "")
        + "; training background margin: "
        + _margin(args.background_margin)
        + ".",
        "",
        "Alignment model: time marks "
        + _marks(args.align_time_marks, args.align_mark_penalty)
        + (" (decoding model: " + _marks(args.time_marks, args.mark_penalty) + ")")
        + ("; aligned every 5 ms" if args.align_half_step else "")
        + ".",
        "",
        "| split | test words | word penalty | WER % | %Corr | %Acc | alignment % | "
        "alignment Gaussians | train CPU s (all models) | decode x real time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r["counts"]
        speed = r["test_audio_s"] / max(r["decode_cpu_s"], 1e-9)
        lines.append(
            f"| {r['split']} | {c['n_words']} | {r['word_penalty']:g} | {r['wer']:.2f} "
            f"| {c['corr']:.2f} | {c['acc']:.2f} "
            f"| {100 * r['alignment_accuracy']:.1f} | {r['align_n_mix']} "
            f"| {r['train_cpu_s']:.0f} | {speed:.0f} |"
        )
    loso = [r for r in results if r["split"].startswith("speaker:")]
    if loso:
        lines += ["", f"Leave-one-speaker-out mean WER: {np.mean([r['wer'] for r in loso]):.2f} %"]
    lines += [
        "",
        "![per-speaker WER](per_speaker_wer.png)",
        "",
        "![alignment](alignment_example.png)",
        "",
    ]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the recipe; exit code 0 on success, 1 on bad data or arguments."""
    args = build_parser().parse_args(argv)
    try:
        data_dir = find_data(args.data_dir)
        utts = [u for u in corpus.list_recordings(data_dir) if u.index < args.takes]
        args.out.mkdir(parents=True, exist_ok=True)
        results = [run_split(name, utts, args, data_dir) for name in split_names(args.splits, utts)]
    except (OSError, ValueError, KeyError) as exc:
        print(f"connected_digits.py: error: {exc}", file=sys.stderr)
        return 1
    loso = [r["wer"] for r in results if r["split"].startswith("speaker:")]
    summary = {
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "splits": results,
        "loso_mean_wer": float(np.mean(loso)) if loso else None,
    }
    (args.out / "results.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    write_report(results, args, args.out)
    plot_results(results, args.out)
    print(f"wrote {args.out / 'results.json'} and {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
