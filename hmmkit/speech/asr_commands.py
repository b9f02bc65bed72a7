"""`hmmkit asr train|align|decode|score`: continuous speech on Kaldi data folders.

Only argparse is imported here; the speech modules load when a subcommand runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _stage_dirs(pairs: list[list[str]] | None) -> dict[int, Path]:
    """``--stage-dir N DIR`` pairs as Gaussians per state -> folder."""
    out = {}
    for count, folder in pairs or []:
        try:
            out[positive_int(count)] = Path(folder)
        except argparse.ArgumentTypeError as exc:
            raise ValueError(f"--stage-dir: {exc}") from None
    return out


def _train(args: argparse.Namespace) -> int:
    from .asr import train
    from .embedded import EmbeddedConfig
    from .features import MFCCConfig

    config = EmbeddedConfig(
        units=args.units,
        word_states=args.word_states,
        phone_states=args.phone_states,
        n_mix=args.n_mix,
        passes=args.passes,
        beam=args.beam,
        hard=args.viterbi,
        n_jobs=args.jobs,
        short_pause=args.short_pause,
        silent_gaps=args.silent_gaps,
        mark_penalty=args.mark_penalty,
    )
    front_end = MFCCConfig(
        samplerate=args.samplerate,
        normalise=args.normalise,
        variance=args.normalise != "none",
        equalise=args.equalise,
    )
    report = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    model = train(
        args.data_dir,
        args.model_dir,
        args.lexicon,
        config,
        front_end,
        report,
        word_times=args.word_times,
        stage_dirs=_stage_dirs(args.stage_dir),
        sat_rounds=args.sat,
    )
    print(
        f"trained {len(model.units)} {args.units} models ({model.mixtures.n_groups} states, "
        f"{model.mixtures.n_mix} mixtures each) -> {args.model_dir}"
    )
    return 0


def _adaptation(args: argparse.Namespace) -> dict:
    """The speaker-adaptation options of `align` and `decode` as keyword arguments."""
    return {
        "adapt_tau": args.adapt,
        "adapt_method": args.adapt_method,
        "adapt_background": args.adapt_background,
    }


def _align(args: argparse.Namespace) -> int:
    from .asr import align_folder

    out = align_folder(
        args.model_dir,
        args.data_dir,
        args.out_dir,
        args.beam,
        half_step=args.half_step,
        **_adaptation(args),
    )
    print(f"aligned {len(out)} utterances -> {args.out_dir / 'alignment.ctm'}")
    return 0


def _decode(args: argparse.Namespace) -> int:
    from .asr import decode_folder

    out = decode_folder(
        args.model_dir,
        args.data_dir,
        args.out_dir,
        args.grammar,
        args.lm,
        args.lm_scale,
        args.word_penalty,
        args.beam,
        adapt_rounds=args.adapt_rounds,
        adapt_background_margin=args.adapt_background_margin,
        edge_silence=args.edge_silence,
        background_mix=args.background_mix,
        **_adaptation(args),
    )
    print(f"decoded {len(out)} utterances -> {args.out_dir / 'text'}")
    return 0


def _score(args: argparse.Namespace) -> int:
    import json

    from .asr import score_files

    report = score_files(args.ref_text, args.hyp_text, args.utt2spk)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.text(str(args.ref_text), str(args.hyp_text), not args.no_pairs))
    return 0


#: speaker_adaptation.ADAPTATION_METHODS (not imported: this module loads argparse only).
ADAPTATION_METHOD_NAMES = ("map", "mllr", "mllr+map", "fmllr", "fmllr+map")


def nonnegative(text: str) -> float:
    """An option's number that must be >= 0 (a cost in nats, a prior weight)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def margin_or_off(text: str) -> float | None:
    """A margin in nats (>= 0), or 'off' (None)."""
    return None if text == "off" else nonnegative(text)


def _whole_number(text: str, minimum: int) -> int:
    """An option's whole number that must be at least ``minimum``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
    return value


def nonnegative_int(text: str) -> int:
    """An option's whole number that must be >= 0 (a count of rounds that may be none)."""
    return _whole_number(text, 0)


def positive_int(text: str) -> int:
    """An option's whole number that must be at least 1 (a count of rounds)."""
    return _whole_number(text, 1)


def _beam(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"the beam must be positive, got {text}")
    return value


def register(subparsers) -> None:
    """Add `hmmkit asr {train,align,decode,score}` to the `hmmkit` command."""
    parser = subparsers.add_parser(
        "asr",
        help="continuous speech: embedded training, forced alignment, decoding, scoring",
        description="HTK/Kaldi-style continuous speech on Kaldi data folders "
        "(wav.scp, text, utt2spk, optional segments).",
    )
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    train = sub.add_parser("train", help="train unit models from transcribed utterances")
    train.add_argument("data_dir", type=Path)
    train.add_argument("model_dir", type=Path)
    train.add_argument("--lexicon", type=Path, default=None, help="WORD PH1 PH2 ... lines")
    train.add_argument("--units", choices=("word", "phone"), default="word")
    train.add_argument("--n-mix", type=int, default=4, help="Gaussians per state at the end")
    train.add_argument("--word-states", type=int, default=10, help="emitting states per word")
    train.add_argument("--phone-states", type=int, default=3, help="emitting states per phone")
    train.add_argument("--passes", type=int, default=4, help="Baum-Welch passes per stage")
    train.add_argument(
        "--beam",
        type=_beam,
        default=250.0,
        help="forward-backward beam (HERest -t: widened by 150 up to 1000 for an utterance "
        "no path fits)",
    )
    train.add_argument(
        "--viterbi",
        choices=("none", "single", "all"),
        default="single",
        help="stages trained by Viterbi passes instead of Baum-Welch (default: the "
        "single-Gaussian ones)",
    )
    train.add_argument(
        "--short-pause",
        choices=("middle", "silence"),
        default="middle",
        help="states of the tee model sp between words: sil's middle one (HTK's tutorial) "
        "or all of sil's",
    )
    train.add_argument(
        "--normalise",
        choices=("none", "utterance", "speaker"),
        default="utterance",
        help="cepstral mean and variance normalisation per utterance, per speaker (from "
        "utt2spk) or none",
    )
    train.add_argument(
        "--equalise",
        action="store_true",
        help="histogram equalisation (each coefficient mapped to a standard normal) over "
        "--normalise's group instead of mean and variance normalisation",
    )
    train.add_argument(
        "--word-times",
        type=Path,
        default=None,
        metavar="CTM",
        help="known word times (utt 1 start dur word): every pass keeps each marked span "
        "for its word's units (sil, sp and the other words pay on its frames)",
    )
    train.add_argument(
        "--stage-dir",
        nargs=2,
        action="append",
        metavar=("N", "DIR"),
        help="also save the model as it is at the end of the N-Gaussian stage in DIR "
        "(e.g. --n-mix 8 --stage-dir 2 DIR: the 2-Gaussian model too); repeatable",
    )
    train.add_argument(
        "--silent-gaps",
        action="store_true",
        help="with --word-times: the frames of a marked utterance outside its marked words "
        "are kept for sil and sp",
    )
    train.add_argument(
        "--mark-penalty",
        type=_beam,
        default=1000.0,  # estep.MARK_PENALTY
        metavar="NATS",
        help="with --word-times: what a frame of a marked span costs the states it is not "
        "kept for (default 1000: the marks hold; a few nats only lean training towards them)",
    )
    train.add_argument(
        "--sat",
        type=nonnegative_int,
        default=0,
        metavar="N",
        help="rounds of speaker-adaptive training (one CMLLR transform per utt2spk "
        "speaker; decode such models with --adapt-method fmllr); default 0: none",
    )
    train.add_argument("--samplerate", type=int, default=None, help="resample audio to this")
    train.add_argument("--jobs", type=int, default=None, help="threads (default: all cores)")
    train.add_argument("--quiet", action="store_true", help="no per-pass report")
    train.set_defaults(func=_train)

    align = sub.add_parser("align", help="forced alignment to CTM and TextGrid files")
    align.add_argument("model_dir", type=Path)
    align.add_argument("data_dir", type=Path)
    align.add_argument("out_dir", type=Path)
    align.add_argument("--beam", type=_beam, default=float("inf"), help="Viterbi beam")
    align.add_argument(
        "--adapt",
        type=_beam,
        default=None,
        metavar="TAU",
        help="speaker-adapted alignment: each speaker's (utt2spk) means adapted to its "
        "utterances and transcripts, then realigned (twice over); TAU frames of MAP prior "
        "weight (e.g. 10)",
    )
    align.add_argument(
        "--adapt-method",
        choices=ADAPTATION_METHOD_NAMES,
        default="map",
        help="with --adapt: MAP of the means, MLLR, or MLLR then MAP; fmllr: one CMLLR "
        "feature transform per speaker (fmllr+map: then MAP of the means)",
    )
    align.add_argument(
        "--adapt-background",
        type=nonnegative,
        default=0.0,
        metavar="NATS",
        help="with --adapt: cost to the word states of each utterance's background frames "
        "while adapting (default 0: none)",
    )
    align.add_argument(
        "--half-step",
        action="store_true",
        help="align over frames every half step (5 ms for 10 ms models: the model's own "
        "analysis, and the same half a step later, interleaved), for boundaries on a finer "
        "grid",
    )
    align.set_defaults(func=_align)

    decode = sub.add_parser("decode", help="connected-word recognition")
    decode.add_argument("model_dir", type=Path)
    decode.add_argument("data_dir", type=Path)
    decode.add_argument("out_dir", type=Path)
    which = decode.add_mutually_exclusive_group()
    which.add_argument("--grammar", type=Path, default=None, help="JSGF grammar (a subset)")
    which.add_argument("--lm", type=Path, default=None, help="bigram ARPA language model")
    decode.add_argument("--lm-scale", type=float, default=1.0, help="language model scale")
    decode.add_argument("--word-penalty", type=float, default=0.0, help="log-score added per word")
    decode.add_argument("--beam", type=_beam, default=250.0, help="Viterbi beam")
    decode.add_argument(
        "--edge-silence",
        type=nonnegative_int,
        default=0,
        metavar="FRAMES",
        help="keep each utterance's first and last FRAMES frames for sil (utterances start "
        "and end in background); default 0: off",
    )
    decode.add_argument(
        "--background-mix",
        type=nonnegative_int,
        default=0,
        metavar="N",
        help="with --edge-silence: fit each speaker's background (its utterances' edge "
        "frames) with N Gaussians and keep a decoded word only if it fits its frames "
        "better than that background by more than -WORD_PENALTY nats; default 0: off",
    )
    decode.add_argument(
        "--adapt",
        type=_beam,
        default=None,
        metavar="TAU",
        help="second pass with means MAP-adapted per speaker (utt2spk) to the first "
        "pass's words; TAU frames of prior weight (e.g. 10)",
    )
    decode.add_argument(
        "--adapt-background",
        type=nonnegative,
        default=20.0,  # speaker_adaptation.ADAPT_BACKGROUND_PENALTY
        metavar="NATS",
        help="with --adapt: cost to the word states of each utterance's background frames "
        "(as quiet as its ends) while adapting; 0 turns it off",
    )
    decode.add_argument(
        "--adapt-background-margin",
        type=margin_or_off,
        default=0.0,  # speaker_adaptation.ADAPT_BACKGROUND_MARGIN
        metavar="NATS",
        help="with --adapt: a quiet frame is background only if its spectrum (static "
        "cepstra) is as likely under a Gaussian of the utterance's ends as their least "
        "likely frame less NATS; 'off': every quiet frame",
    )
    decode.add_argument(
        "--adapt-method",
        choices=ADAPTATION_METHOD_NAMES,
        default="map",
        help="with --adapt: MAP of the means (TAU its prior weight), MLLR (one mean "
        "transform for sil's Gaussians, one for the words'), or MLLR then MAP; fmllr: one "
        "CMLLR feature transform per speaker (fmllr+map: then MAP of the means)",
    )
    decode.add_argument(
        "--adapt-rounds",
        type=positive_int,
        default=2,  # asr.ADAPTATION_ROUNDS
        metavar="N",
        help="with --adapt: decode-adapt rounds, each from the previous round's model and "
        "words (default 2)",
    )
    decode.set_defaults(func=_decode)

    score = sub.add_parser("score", help="word error rate as HResults/sclite")
    score.add_argument("ref_text", type=Path)
    score.add_argument("hyp_text", type=Path)
    score.add_argument("--utt2spk", type=Path, default=None, help="speakers of the utterances")
    score.add_argument("--json", action="store_true", help="machine-readable output")
    score.add_argument("--no-pairs", action="store_true", help="omit the aligned pairs")
    score.set_defaults(func=_score)
