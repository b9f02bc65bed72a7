"""Connected-digit corpora built from isolated spoken digits, with exact word spans.

Each string joins 2-7 recordings of one speaker (every recording used once), with 0-300
ms of that speaker's own background noise between words and 150-400 ms at the ends. The
noise is cut from the quiet starts and ends of the speaker's recordings. Everything is
deterministic given the seed. Besides the Kaldi data folder (``wav.scp``, ``text``,
``utt2spk``, ``spk2utt``) a ``word_spans`` file records, per word, where its recording lies
in the string and its speech core (the 10 ms frames above 10 % of the recording's peak
frame RMS), in seconds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from ..atomic import atomic_output
from .corpus import Utterance
from .data_folder import read_table
from .features import PCM16_FULL_SCALE, read_audio

#: Digit pronunciations (ARPAbet as in CMUdict, stress removed); zero has two.
DIGITS_LEXICON = {
    "0": [("z", "ih", "r", "ow"), ("z", "iy", "r", "ow")],
    "1": [("w", "ah", "n")],
    "2": [("t", "uw")],
    "3": [("th", "r", "iy")],
    "4": [("f", "ao", "r")],
    "5": [("f", "ay", "v")],
    "6": [("s", "ih", "k", "s")],
    "7": [("s", "eh", "v", "ah", "n")],
    "8": [("ey", "t")],
    "9": [("n", "ay", "n")],
}

CORE_FRAME = 0.010
CORE_THRESHOLD = 0.10


@dataclass(frozen=True)
class WordSpan:
    """Where one word's recording lies in its string, and its speech core (seconds)."""

    utt: str
    word: str
    start: float
    end: float
    core_start: float
    core_end: float


def frame_rms(signal: np.ndarray, rate: int, frame: float = CORE_FRAME) -> np.ndarray:
    """RMS of consecutive non-overlapping frames."""
    size = max(1, int(round(frame * rate)))
    n = len(signal) // size
    if n == 0:
        return np.array([np.sqrt(np.mean(signal**2))]) if len(signal) else np.zeros(1)
    return np.sqrt(np.mean(signal[: n * size].reshape(n, size) ** 2, axis=1))


def speech_core(signal: np.ndarray, rate: int) -> tuple[float, float]:
    """First and last 10 ms frame above 10 % of the peak frame RMS, in seconds."""
    rms = frame_rms(signal, rate)
    loud = np.flatnonzero(rms > CORE_THRESHOLD * rms.max())
    size = CORE_FRAME
    return float(loud[0] * size), float(min((loud[-1] + 1) * size, len(signal) / rate))


def _quiet_edges(signal: np.ndarray, rate: int) -> np.ndarray:
    """The samples before and after the speech core (the recording's background)."""
    start, end = speech_core(signal, rate)
    return np.concatenate([signal[: int(start * rate)], signal[int(end * rate) :]])


def _noise(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if n == 0:
        return np.zeros(0)
    if len(pool) == 0:
        return np.zeros(n)
    offset = int(rng.integers(len(pool)))
    return np.resize(np.roll(pool, -offset), n)


def build_digit_strings(
    recordings: Sequence[Utterance],
    out_dir: str | os.PathLike,
    seed: int = 0,
    min_words: int = 2,
    max_words: int = 7,
    prefix: str = "",
) -> list[WordSpan]:
    """Write a connected-digit data folder at ``out_dir`` (audio in ``out_dir/wav``);
    returns the word spans (also written to ``out_dir/word_spans``)."""
    if not recordings:
        raise ValueError("no recordings to build strings from")
    out = Path(out_dir)
    (out / "wav").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    by_speaker: dict[str, list[Utterance]] = {}
    for rec in recordings:
        by_speaker.setdefault(rec.speaker, []).append(rec)
    spans: list[WordSpan] = []
    lines = {"wav.scp": [], "text": [], "utt2spk": []}
    for speaker in sorted(by_speaker):
        recs = by_speaker[speaker]
        audio = []
        rate = None
        for rec in recs:
            signal, r = read_audio(rec.path)
            if rate is not None and r != rate:
                raise ValueError(f"{rec.path}: sample rate {r} Hz differs from {rate} Hz")
            rate = r
            audio.append(signal)
        pool = np.concatenate([_quiet_edges(s, rate) for s in audio])
        order = rng.permutation(len(recs))
        position, k = 0, 0
        while position < len(order):
            size = int(rng.integers(min_words, max_words + 1))
            chosen = order[position : position + size]
            position += size
            utt = f"{prefix}{speaker}-{k:04d}"
            k += 1
            pieces = [_noise(pool, int(rng.uniform(0.15, 0.40) * rate), rng)]
            cursor = len(pieces[0])
            for i, index in enumerate(chosen):
                if i > 0:
                    gap = _noise(pool, int(rng.uniform(0.0, 0.30) * rate), rng)
                    pieces.append(gap)
                    cursor += len(gap)
                signal = audio[index]
                core_start, core_end = speech_core(signal, rate)
                start = cursor / rate
                spans.append(
                    WordSpan(
                        utt,
                        recs[index].label,
                        start,
                        start + len(signal) / rate,
                        start + core_start,
                        start + core_end,
                    )
                )
                pieces.append(signal)
                cursor += len(signal)
            pieces.append(_noise(pool, int(rng.uniform(0.15, 0.40) * rate), rng))
            wav = out / "wav" / f"{utt}.wav"
            samples = np.clip(np.concatenate(pieces) / PCM16_FULL_SCALE, -1.0, 32767 / 32768)
            with atomic_output(wav, "wb") as fh:
                soundfile.write(fh, samples, rate, subtype="PCM_16", format="WAV")
            lines["wav.scp"].append(f"{utt} wav/{utt}.wav")
            lines["text"].append(f"{utt} " + " ".join(recs[i].label for i in chosen))
            lines["utt2spk"].append(f"{utt} {speaker}")
    for name, rows in lines.items():
        with atomic_output(out / name) as fh:
            fh.write("".join(r + "\n" for r in rows))
    write_word_spans(out / "word_spans", spans)
    return spans


def write_word_spans(path: str | os.PathLike, spans: Sequence[WordSpan]) -> None:
    """``utt word start end core_start core_end`` lines (seconds)."""
    with atomic_output(path) as fh:
        for s in spans:
            fh.write(
                f"{s.utt} {s.word} {s.start:.4f} {s.end:.4f} {s.core_start:.4f} {s.core_end:.4f}\n"
            )


def read_word_spans(path: str | os.PathLike) -> list[WordSpan]:
    """Inverse of :func:`write_word_spans`."""
    spans = []
    for number, fields in read_table(Path(path), 6, 6):
        try:
            spans.append(WordSpan(fields[0], fields[1], *map(float, fields[2:])))
        except ValueError:
            raise ValueError(f"{path}:{number}: times must be numbers") from None
    return spans


def alignment_accuracy(
    spans: Sequence[WordSpan],
    aligned: dict[str, list[tuple[str, float, float]]],
    tolerance: float = 0.020,
    coverage: float = 0.80,
) -> float:
    """Fraction of words aligned inside their recording (within ``tolerance``) and
    covering at least ``coverage`` of its speech core. ``aligned``: utt -> [(word, start,
    end)] in order, matched to the spans of that utterance by position."""
    by_utt: dict[str, list[WordSpan]] = {}
    for s in spans:
        by_utt.setdefault(s.utt, []).append(s)
    good = total = 0
    for utt, refs in by_utt.items():
        hyps = aligned.get(utt, [])
        for i, ref in enumerate(refs):
            total += 1
            if i >= len(hyps) or hyps[i][0] != ref.word:
                continue
            _, start, end = hyps[i]
            inside = start >= ref.start - tolerance and end <= ref.end + tolerance
            overlap = max(0.0, min(end, ref.core_end) - max(start, ref.core_start))
            core = max(ref.core_end - ref.core_start, 1e-9)
            good += inside and overlap / core >= coverage
    return good / total if total else float("nan")
