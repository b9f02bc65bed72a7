"""Continuous speech: embedded training and decoding speed on connected FSDD digits.

    python benchmarks/continuous_speech.py            # official split
    python benchmarks/continuous_speech.py --takes 10 # a quick look

Builds the connected-digit strings of the official split (training strings from takes
5-49, test strings from takes 0-4; see recipes/connected_digits.py), computes features
once outside the timings, and times, in CPU seconds of this process:
- embedded training of word models (`hmmkit asr train`'s schedule) on the training
  strings, with one thread;
- the isolated-word recognizer's training (its HTK schedule, 5 x 3 word models) on the
  same recordings cut as isolated words, with one thread;
- decoding the test strings over the digit loop, one core, as a multiple of real time.
Each side first runs once on a few utterances, so that loading the compiled kernels
(the first-run cost benchmarks/startup.py measures) falls outside the timings of both.
Prints a Markdown table, and where embedded training's time goes stage by stage (the
first pass's time includes the flat start and building the utterance graphs).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "recipes"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--takes", type=int, default=50, help="use takes below this")
    parser.add_argument("--n-mix", type=int, default=4)
    args = parser.parse_args(argv)

    from connected_digits import find_data

    from hmmkit.speech import corpus
    from hmmkit.speech.data_folder import folder_features, read_data_folder
    from hmmkit.speech.decoder import decode, recognizer_graph
    from hmmkit.speech.digit_strings import build_digit_strings
    from hmmkit.speech.embedded import EmbeddedConfig, train_embedded
    from hmmkit.speech.features import MFCCConfig, extract
    from hmmkit.speech.recognizer import TrainingConfig, WordRecognizer

    utts = [u for u in corpus.list_recordings(find_data(args.data_dir)) if u.index < args.takes]
    train_recs, test_recs = corpus.split(utts, "official")
    front_end = MFCCConfig()
    with tempfile.TemporaryDirectory() as tmp:
        build_digit_strings(train_recs, Path(tmp) / "train", seed=0)
        build_digit_strings(test_recs, Path(tmp) / "test", seed=1)
        train = read_data_folder(Path(tmp) / "train", need_text=True)
        test = read_data_folder(Path(tmp) / "test", need_text=True)
        train_feats = folder_features(train, front_end)
        test_feats = folder_features(test, front_end)
        test_audio = sum(soundfile.info(str(u.source)).duration for u in test.utterances)
    iso_feats = extract([u.path for u in train_recs], front_end)
    iso_labels = [u.label for u in train_recs]

    config = EmbeddedConfig(n_mix=args.n_mix, passes=4, n_jobs=1)
    utt_ids = [u.utt for u in train.utterances]
    texts = [u.words for u in train.utterances]
    iso_config = TrainingConfig(n_states=5, n_mix=3)
    few = min(40, len(utt_ids))
    train_embedded(utt_ids[:few], train_feats[:few], texts[:few], config, front_end=front_end)
    WordRecognizer(iso_config, n_jobs=1).fit(iso_feats[: 8 * few], iso_labels[: 8 * few])

    marks: list[tuple[str, float]] = []
    start = train_start = time.process_time()
    model, _ = train_embedded(
        utt_ids,
        train_feats,
        texts,
        config,
        front_end=front_end,
        report=lambda line: marks.append((line.split(":")[0], time.process_time())),
    )
    embedded_cpu = time.process_time() - start

    start = time.process_time()
    WordRecognizer(iso_config, n_jobs=1).fit(iso_feats, iso_labels)
    isolated_cpu = time.process_time() - start

    graph = recognizer_graph(model, insertion_penalty=-10.0)
    decode(model, graph, "warm-up", test_feats[0], 250.0)
    start = time.process_time()
    errors = 0
    for entry, X in zip(test.utterances, test_feats, strict=True):
        words = [s.token for s in decode(model, graph, entry.utt, X, 250.0).words]
        errors += words != list(entry.words)
    decode_cpu = time.process_time() - start

    frames = sum(len(x) for x in train_feats)
    iso_frames = sum(len(x) for x in iso_feats)
    print(
        f"### Connected digits, official split: {len(train.utterances)} training strings "
        f"({frames} frames; the isolated recordings hold {iso_frames}), "
        f"{len(test.utterances)} test strings ({test_audio:.0f} s of audio)\n"
    )
    print(f"{platform.python_implementation()} {platform.python_version()}; CPU seconds.\n")
    print("| task | CPU s | measure |")
    print("|---|---:|---:|")
    print(
        f"| embedded training, {len(model.units)} word models x {args.n_mix} Gaussians, 1 thread"
        f" | {embedded_cpu:.1f} | {embedded_cpu / isolated_cpu:.1f}x isolated-word training |"
    )
    print(f"| isolated-word training (recognizer, 5 x 3), 1 thread | {isolated_cpu:.1f} | 1.0x |")
    print(
        f"| decoding the test strings (digit loop, beam 250), 1 core | {decode_cpu:.2f} | "
        f"{test_audio / decode_cpu:.0f}x real time, {errors} strings wrong |"
    )
    stages: dict[str, list[float]] = {}
    before = train_start
    for stage, at in marks:
        stages.setdefault(stage, []).append(at - before)
        before = at
    print(
        "\nEmbedded training stage by stage (CPU s: the stage's passes, the first pass's "
        "time in brackets): "
        + "; ".join(
            f"{stage} {sum(times):.2f} ({len(times)} passes, first {times[0]:.2f})"
            for stage, times in stages.items()
        )
        + "."
    )
    ratio = embedded_cpu / isolated_cpu
    per_frame = ratio * iso_frames / frames
    print(
        f"\nTargets: embedded training <= 2x isolated-word training on the same audio "
        f"({'met' if ratio <= 2 else 'not met'}: {ratio:.1f}x in CPU time; the strings hold "
        f"{frames / iso_frames:.2f}x the frames of the isolated recordings, for the noise "
        f"between and around the words: {per_frame:.1f}x per frame); decoding >= 20x faster "
        f"than real time on one core ({'met' if test_audio / decode_cpu >= 20 else 'not met'})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
