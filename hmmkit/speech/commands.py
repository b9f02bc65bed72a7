"""`hmmkit recognize`: train word models on a spoken-word folder, test them, recognise WAV files."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .feature_cache import FeatureCache, default_cache_dir
from .features import NORMALISATIONS, WINDOWS, MFCCConfig, extract, sample_rate
from .recognizer import TrainingConfig, WordRecognizer

if TYPE_CHECKING:
    from . import corpus


def add_feature_arguments(parser: argparse.ArgumentParser, defaults: MFCCConfig) -> None:
    """Front-end options (MFCC, deltas, normalisation, cache)."""
    g = parser.add_argument_group("features")
    g.add_argument("--numcep", type=int, default=defaults.numcep, help="cepstra per frame")
    g.add_argument("--nfilt", type=int, default=defaults.nfilt, help="mel filters")
    g.add_argument("--ceplifter", type=int, default=defaults.ceplifter, help="cepstral lifter")
    g.add_argument("--window", choices=sorted(WINDOWS), default=defaults.window)
    g.add_argument("--preemph", type=float, default=defaults.preemph, help="pre-emphasis")
    g.add_argument(
        "--samplerate", type=int, default=defaults.samplerate, help="resample audio to this rate"
    )
    g.add_argument("--deltas", type=int, choices=(0, 1, 2), default=defaults.deltas)
    g.add_argument(
        "--normalise",
        choices=NORMALISATIONS,
        default=defaults.normalise,
        help="cepstral mean normalisation per utterance, per speaker, or none",
    )
    g.add_argument(
        "--variance",
        action=argparse.BooleanOptionalAction,
        default=defaults.variance,
        help="also normalise the variance (CMVN)",
    )
    g.add_argument(
        "--energy-normalise",
        action=argparse.BooleanOptionalAction,
        default=defaults.energy_normalise,
        help="subtract each utterance's peak log-energy from c0",
    )
    g.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"feature cache folder (default {default_cache_dir()})",
    )
    g.add_argument("--no-cache", action="store_true", help="do not read or write the cache")


def feature_config_from_args(args: argparse.Namespace) -> MFCCConfig:
    """The MFCCConfig the feature options describe."""
    return MFCCConfig(
        numcep=args.numcep,
        nfilt=args.nfilt,
        ceplifter=args.ceplifter,
        window=args.window,
        preemph=args.preemph,
        samplerate=args.samplerate,
        deltas=args.deltas,
        normalise=args.normalise,
        variance=args.variance,
        energy_normalise=args.energy_normalise,
    )


def feature_cache_from_args(args: argparse.Namespace) -> FeatureCache | None:
    """The feature cache the options ask for (None with --no-cache)."""
    return None if args.no_cache else FeatureCache(args.cache_dir or default_cache_dir())


def add_training_arguments(parser: argparse.ArgumentParser, defaults: TrainingConfig) -> None:
    """Word-model options (states, mixtures, schedule, floors)."""
    g = parser.add_argument_group("word models")
    g.add_argument("--states", type=int, default=defaults.n_states, help="emitting states")
    g.add_argument("--mix", type=int, default=defaults.n_mix, help="Gaussians per state")
    g.add_argument("--init", choices=("segmental", "flat", "kmeans"), default=defaults.init)
    g.add_argument(
        "--iters", type=int, default=defaults.n_iter, help="Baum-Welch iterations at one Gaussian"
    )
    g.add_argument(
        "--split-iters",
        type=int,
        default=defaults.n_iter_split,
        help="Baum-Welch iterations after each mixture split",
    )
    g.add_argument(
        "--var-floor",
        type=float,
        default=defaults.var_floor,
        help="variance floor as a fraction of the global variance",
    )
    g.add_argument(
        "--min-covar",
        type=float,
        default=defaults.min_covar,
        help="absolute variance floor (lower it for features on a small scale)",
    )
    g.add_argument(
        "--max-jump", type=int, default=defaults.max_jump, help="largest forward state jump"
    )
    g.add_argument("--seed", type=int, default=defaults.random_state, help="random seed")
    g.add_argument("--n-jobs", type=int, default=None, help="E-step threads (default: all cores)")


def training_config_from_args(args: argparse.Namespace) -> TrainingConfig:
    """The TrainingConfig the word-model options describe."""
    return TrainingConfig(
        n_states=args.states,
        n_mix=args.mix,
        init=args.init,
        n_iter=args.iters,
        n_iter_split=args.split_iters,
        var_floor=args.var_floor,
        min_covar=args.min_covar,
        max_jump=args.max_jump,
        random_state=args.seed,
    )


def _features_for(utts: Sequence[corpus.Utterance], config: MFCCConfig, args) -> list[np.ndarray]:
    from tqdm import tqdm

    def progress(items):
        return tqdm(items, desc="features", unit="file", disable=True if args.quiet else None)

    return extract(
        [u.path for u in utts],
        config,
        speakers=[u.speaker for u in utts],
        cache=feature_cache_from_args(args),
        progress=progress,
    )


def _with_training_rate(config: MFCCConfig, utts: Sequence[corpus.Utterance]) -> MFCCConfig:
    """``config`` with the training recordings' sample rate fixed in it (when not given), so
    that recognition resamples other rates to it instead of analysing them differently."""
    if config.samplerate is not None:
        return config
    rates = sorted({sample_rate(u.path) for u in utts})
    if len(rates) > 1:
        raise ValueError(
            f"the training recordings have several sample rates {rates}: pass --samplerate "
            "to resample them all to one"
        )
    return dataclasses.replace(config, samplerate=int(rates[0]))


def _side(utts, split_name: str, side: str) -> list[corpus.Utterance]:
    from . import corpus

    if split_name == "all":
        return list(utts)
    train, test = corpus.split(utts, split_name)
    return train if side == "train" else test


def _train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import corpus

    utts = _side(corpus.list_recordings(args.data_dir), args.split, "train")
    fconfig = _with_training_rate(feature_config_from_args(args), utts)
    feats = _features_for(utts, fconfig, args)
    rec = WordRecognizer(
        training_config_from_args(args), n_jobs=args.n_jobs, feature_config=fconfig.to_dict()
    )
    rec.fit(
        feats,
        [u.label for u in utts],
        progress=lambda words: tqdm(
            words, desc="training", unit="word", disable=True if args.quiet else None
        ),
    )
    rec.save(args.models)
    print(f"trained {len(rec.words_)} word models on {len(utts)} recordings -> {args.models}")
    return 0


def _test(args: argparse.Namespace) -> int:
    from . import corpus

    rec = WordRecognizer.load(args.models)
    utts = _side(corpus.list_recordings(args.data_dir), args.split, "test")
    feats = _features_for(utts, MFCCConfig.from_dict(rec.feature_config or {}), args)
    predicted = rec.predict(feats)
    truth = [u.label for u in utts]
    correct = sum(p == t for p, t in zip(predicted, truth, strict=True))
    print(f"accuracy {correct / len(utts):.4f} ({correct}/{len(utts)}) on split {args.split}")
    short = [u.path.name for u, p in zip(utts, predicted, strict=True) if p is None]
    if short:
        print(
            f"{len(short)} recording(s) too short for every word model, counted as errors "
            f"(at least {rec.config.min_frames()} frames needed): {', '.join(short[:5])}"
        )
    return 0


def _recognise_files(args: argparse.Namespace) -> int:
    rec = WordRecognizer.load(args.models)
    config = MFCCConfig.from_dict(rec.feature_config or {})
    feats = extract(args.wavs, config, speakers=_speakers_of_files(args.wavs, config))
    need = rec.config.min_frames()
    for path, x in zip(args.wavs, feats, strict=True):
        if len(x) < need:
            raise ValueError(
                f"{path} is too short for the word models: {len(x)} frames, at least {need} needed"
            )
    for path, ranked in zip(args.wavs, rec.nbest(feats, args.nbest), strict=True):
        scores = "  ".join(f"{word}:{score:.2f}" for word, score in ranked)
        print(f"{path}\t{ranked[0][0]}\t{scores}")
    return 0


def _speakers_of_files(paths: Sequence[Path], config: MFCCConfig) -> list[str]:
    """Speaker groups for per-speaker normalisation: the speaker of each
    `{label}_{speaker}_{index}.wav` name, as in training; otherwise one group (with a note)."""
    from . import corpus

    matches = [corpus.FILENAME.match(Path(p).name) for p in paths]
    if all(matches):
        return [m["speaker"] for m in matches]
    if config.normalise == "speaker":
        print(
            "hmmkit recognize files: note: the models normalise cepstra per speaker, and the "
            "file names do not say the speaker ({label}_{speaker}_{index}.wav): all the files "
            "given are normalised as one speaker",
            file=sys.stderr,
        )
    return ["files"] * len(paths)


def register(subparsers) -> None:
    """Add `hmmkit recognize {train,test,files}` to the `hmmkit` command."""
    parser = subparsers.add_parser(
        "recognize",
        help="isolated-word recognition with GMM-HMM word models",
        description="Train, test and apply isolated-word GMM-HMM recognizers on WAV files "
        "named {label}_{speaker}_{index}.wav.",
    )
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    train = sub.add_parser("train", help="train one model per word on a recordings folder")
    train.add_argument("data_dir", type=Path, help="folder of {label}_{speaker}_{index}.wav")
    train.add_argument("--models", type=Path, required=True, help="output folder for the models")
    train.add_argument(
        "--split",
        default="official",
        help="train on the training side of 'official' or 'speaker:NAME', or on 'all' files",
    )
    add_feature_arguments(train, MFCCConfig())
    add_training_arguments(train, TrainingConfig())
    train.add_argument(
        "--quiet", action="store_true", help="no progress bars (none off a terminal either)"
    )
    train.set_defaults(func=_train)

    test = sub.add_parser("test", help="accuracy of saved models on a recordings folder")
    test.add_argument("data_dir", type=Path)
    test.add_argument("--models", type=Path, required=True, help="folder written by 'train'")
    test.add_argument(
        "--split", default="official", help="test side of 'official' or 'speaker:NAME', or 'all'"
    )
    test.add_argument("--cache-dir", type=Path, default=None, help="feature cache folder")
    test.add_argument("--no-cache", action="store_true", help="do not use the feature cache")
    test.add_argument("--quiet", action="store_true", help="no progress bars")
    test.set_defaults(func=_test)

    files = sub.add_parser("files", help="recognise WAV files with saved models (n-best)")
    files.add_argument("wavs", nargs="+", type=Path, help="WAV files")
    files.add_argument("--models", type=Path, required=True, help="folder written by 'train'")
    files.add_argument("--nbest", type=int, default=3, help="how many ranked words to print")
    files.set_defaults(func=_recognise_files)
