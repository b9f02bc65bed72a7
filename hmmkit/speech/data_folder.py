"""Kaldi-style data folders: ``wav.scp``, ``text``, ``utt2spk``, optional ``segments``.

``wav.scp`` maps a recording id to an audio file (``id path``); a path that is not
absolute is taken relative to the data folder, else to the working directory. Piped
commands (``id sox ... |``) are refused. With ``segments`` (``utt recording start end``,
seconds) utterances are spans of recordings; without it every recording is one
utterance. An ``htk.scp`` (``utt path``) in place of ``wav.scp`` gives features already
computed, as HTK parameter files. ``utt2spk`` is optional (each utterance is then its own
speaker); ``text`` (``utt w1 w2 ...``) is needed for training and alignment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import MFCCConfig, add_deltas, mfcc, normalise, normalise_energy, read_audio
from .features import sample_rate as audio_sample_rate


@dataclass(frozen=True)
class UtteranceEntry:
    """One utterance of a data folder: where its audio or features are, and its words."""

    utt: str
    speaker: str
    source: Path
    start: float | None = None
    end: float | None = None
    words: tuple[str, ...] | None = None
    text_line: int | None = None
    is_htk: bool = False


@dataclass(frozen=True)
class DataFolder:
    """The utterances of a data folder, in ``text``/``wav.scp`` order."""

    path: Path
    utterances: tuple[UtteranceEntry, ...]

    @property
    def has_text(self) -> bool:
        """Whether every utterance has a transcript."""
        return all(u.words is not None for u in self.utterances)

    def transcripts(self) -> dict[str, tuple[str, ...]]:
        """utt -> words (only utterances with a transcript)."""
        return {u.utt: u.words for u in self.utterances if u.words is not None}


def read_table(path: Path, min_fields: int, max_fields: int | None = None):
    """(line number, fields) of every non-blank line; ValueError naming file:line."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < min_fields or (max_fields is not None and len(fields) > max_fields):
                want = f"{min_fields}" if max_fields == min_fields else f"at least {min_fields}"
                raise ValueError(f"{path}:{number}: expected {want} fields, got {len(fields)}")
            rows.append((number, fields))
    return rows


def _unique_map(path: Path, rows) -> dict[str, tuple[int, list[str]]]:
    out: dict[str, tuple[int, list[str]]] = {}
    for number, fields in rows:
        if fields[0] in out:
            raise ValueError(f"{path}:{number}: {fields[0]!r} is listed twice")
        out[fields[0]] = (number, fields[1:])
    return out


def _resolve(folder: Path, scp: Path, number: int, rest: list[str]) -> Path:
    joined = " ".join(rest)
    if joined.endswith("|") or joined.startswith("-"):
        raise ValueError(
            f"{scp}:{number}: piped commands are not supported; give the audio file's path"
        )
    path = Path(joined)
    if not path.is_absolute() and (folder / path).exists():
        path = folder / path
    if not path.is_file():
        raise FileNotFoundError(f"{scp}:{number}: no audio file at {joined}")
    return path


def read_data_folder(path: str | os.PathLike, need_text: bool = False) -> DataFolder:
    """Read a data folder; raises FileNotFoundError for missing files or audio, ValueError
    for malformed lines, and ValueError when an utterance lacks audio or a transcript."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"data folder {folder} does not exist")
    htk_scp, wav_scp = folder / "htk.scp", folder / "wav.scp"
    scp = htk_scp if htk_scp.is_file() else wav_scp
    if not scp.is_file():
        raise FileNotFoundError(f"{folder} has neither wav.scp nor htk.scp")
    sources = {
        key: (n, _resolve(folder, scp, n, rest))
        for key, (n, rest) in _unique_map(scp, read_table(scp, 2)).items()
    }
    text_file = folder / "text"
    if need_text and not text_file.is_file():
        raise FileNotFoundError(f"{folder} has no text file (transcripts are needed)")
    texts = _unique_map(text_file, read_table(text_file, 1)) if text_file.is_file() else {}
    spk_file = folder / "utt2spk"
    speakers = _unique_map(spk_file, read_table(spk_file, 2, 2)) if spk_file.is_file() else {}
    seg_file = folder / "segments"
    spans: dict[str, tuple[str, float, float]] = {}
    if seg_file.is_file() and scp is wav_scp:
        for utt, (n, (rec, start, end)) in _unique_map(
            seg_file, read_table(seg_file, 4, 4)
        ).items():
            if rec not in sources:
                raise ValueError(f"{seg_file}:{n}: recording {rec!r} is not in {scp.name}")
            try:
                a, b = float(start), float(end)
            except ValueError:
                raise ValueError(f"{seg_file}:{n}: start and end must be seconds") from None
            if not 0 <= a < b:
                raise ValueError(f"{seg_file}:{n}: need 0 <= start < end, got {a}, {b}")
            spans[utt] = (rec, a, b)
    order = list(spans) if spans else list(sources)
    if texts:
        missing = [u for u in texts if u not in (spans or sources)]
        if missing:
            n = texts[missing[0]][0]
            raise ValueError(
                f"{text_file}:{n}: utterance {missing[0]!r} has no audio in "
                f"{'segments' if spans else scp.name}"
            )
        order = list(texts)
    entries = []
    for utt in order:
        words = None
        line = None
        if utt in texts:
            line, words_list = texts[utt]
            words = tuple(words_list)
        elif need_text:
            raise ValueError(f"{text_file}: utterance {utt!r} has no transcript")
        speaker = speakers[utt][1][0] if utt in speakers else utt
        if utt in spans:
            rec, a, b = spans[utt]
            entries.append(UtteranceEntry(utt, speaker, sources[rec][1], a, b, words, line))
        else:
            src = sources[utt][1]
            entries.append(
                UtteranceEntry(utt, speaker, src, None, None, words, line, scp is htk_scp)
            )
    if not entries:
        raise ValueError(f"data folder {folder} lists no utterances")
    return DataFolder(folder, tuple(entries))


def check_sample_rates(data: DataFolder, expected: int | None = None) -> int | None:
    """The audio's common sample rate (None for HTK features); ValueError naming the first
    recording whose rate differs from ``expected`` (or from the first recording's)."""
    rate = expected
    for entry in data.utterances:
        if entry.is_htk:
            continue
        found = audio_sample_rate(entry.source)
        if rate is None:
            rate = found
        elif found != rate:
            raise ValueError(
                f"{entry.source}: sample rate {found} Hz differs from {rate} Hz "
                "(resample the audio, or set the front end's samplerate)"
            )
    return rate


def _static(entry: UtteranceEntry, config: MFCCConfig) -> np.ndarray:
    signal, rate = read_audio(entry.source, config.samplerate)
    if entry.start is not None:
        lo, hi = int(round(entry.start * rate)), int(round(entry.end * rate))
        if hi > len(signal):
            raise ValueError(
                f"utterance {entry.utt}: segment end {entry.end} s is past the end of "
                f"{entry.source} ({len(signal) / rate:.3f} s)"
            )
        signal = signal[lo:hi]
    try:
        return mfcc(signal, rate, config)
    except ValueError as exc:
        raise ValueError(f"utterance {entry.utt} ({entry.source}): {exc}") from exc


def folder_features(
    data: DataFolder, config: MFCCConfig, entries: Sequence[UtteranceEntry] | None = None
) -> list[np.ndarray]:
    """The front end's features of every utterance (HTK files are read as they are)."""
    from .htk import read_htk

    entries = list(data.utterances if entries is None else entries)
    feats = []
    for entry in entries:
        if entry.is_htk:
            feats.append(np.asarray(read_htk(entry.source).data, dtype=np.float64))
            continue
        static = _static(entry, config)
        if config.energy_normalise and config.append_energy:
            static = normalise_energy(static)
        feats.append(add_deltas(static, config.deltas, config.delta_window))
    if any(e.is_htk for e in entries):
        return feats
    speakers = [e.speaker for e in entries]
    return normalise(feats, config.normalise, config.variance, speakers, config.equalise)


def half_step_features(
    data: DataFolder, config: MFCCConfig, entries: Sequence[UtteranceEntry] | None = None
) -> list[np.ndarray]:
    """The front end's features every half step (5 ms for a 10 ms front end), to score
    with models trained at the full step: the frames at even positions are the full step's
    and those at odd positions the same analysis half a step later; each of the two
    streams takes its deltas over its own frames (so over the same times as at the full
    step), and the normalisation is over both. A ValueError for HTK parameter files (no
    audio to analyse again)."""
    entries = list(data.utterances if entries is None else entries)
    for entry in entries:
        if entry.is_htk:
            raise ValueError(f"utterance {entry.utt}: half-step features need audio, not HTK files")
    fine = config.with_(winstep=config.winstep / 2)
    feats = []
    for entry in entries:
        static = _static(entry, fine)
        if config.energy_normalise and config.append_energy:
            static = normalise_energy(static)
        out = np.empty((len(static), config.n_features))
        for parity in (0, 1):
            if len(static) > parity:
                stream = static[parity::2]
                out[parity::2] = add_deltas(stream, config.deltas, config.delta_window)
        feats.append(out)
    speakers = [e.speaker for e in entries]
    return normalise(feats, config.normalise, config.variance, speakers, config.equalise)
