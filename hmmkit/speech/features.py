"""Acoustic front end: audio reading, MFCC, deltas, cepstral normalisation and a feature cache."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from math import gcd
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

NORMALISATIONS = ("none", "utterance", "speaker")
WINDOWS = {"hamming": np.hamming, "rectangular": np.ones}


@dataclass(frozen=True)
class MFCCConfig:
    """Front-end settings; the defaults are the classic HTK-like 39-dim MFCC_E_D_A setup.

    `samplerate` resamples the audio to that rate when set (None keeps the file's rate).
    `nfft=None` picks the smallest power of two that holds one window.
    `deltas` is the number of time-derivative orders appended (0, 1 or 2); `delta_window`
    is the regression half-width N of each derivative.
    `normalise` is cepstral mean normalisation per "utterance", per "speaker" or "none";
    `variance` also scales every dimension to unit variance over the same group (CMVN).
    `warp` is a vocal-tract-length warping factor (1.0: none): a filter whose nominal
    centre is f lies at f / `warp`, piecewise linearly with fixed band edges (see `mfcc`).
    `window` is the analysis window, "hamming" (as HTK) or "rectangular".
    `energy_normalise` subtracts the utterance's maximum log-energy from c0 (HTK ENORMALISE).
    """

    samplerate: int | None = None
    winlen: float = 0.025
    winstep: float = 0.01
    numcep: int = 13
    nfilt: int = 26
    nfft: int | None = None
    lowfreq: float = 0.0
    highfreq: float | None = None
    preemph: float = 0.97
    ceplifter: int = 22
    warp: float = 1.0
    window: str = "hamming"
    append_energy: bool = True
    energy_normalise: bool = False
    deltas: int = 2
    delta_window: int = 2
    normalise: str = "utterance"
    variance: bool = False

    def __post_init__(self) -> None:
        if self.normalise not in NORMALISATIONS:
            raise ValueError(f"normalise must be one of {NORMALISATIONS}, got {self.normalise!r}")
        if self.window not in WINDOWS:
            raise ValueError(f"window must be one of {tuple(WINDOWS)}, got {self.window!r}")
        if self.deltas not in (0, 1, 2):
            raise ValueError(f"deltas must be 0, 1 or 2, got {self.deltas!r}")
        if self.delta_window < 1:
            raise ValueError(f"delta_window must be >= 1, got {self.delta_window!r}")
        if self.numcep < 1 or self.nfilt < self.numcep:
            raise ValueError(f"need 1 <= numcep <= nfilt, got {self.numcep}, {self.nfilt}")
        if not 0 < self.winstep <= self.winlen:
            raise ValueError(f"need 0 < winstep <= winlen, got {self.winstep}, {self.winlen}")
        if not 0.5 <= self.warp <= 2.0:
            raise ValueError(f"warp must be in [0.5, 2], got {self.warp!r}")
        if self.samplerate is not None and self.samplerate <= 0:
            raise ValueError(f"samplerate must be positive, got {self.samplerate!r}")

    @property
    def n_features(self) -> int:
        """Number of feature dimensions per frame."""
        return self.numcep * (1 + self.deltas)

    def static_key(self) -> dict:
        """The settings that determine the cached static cepstra (not deltas or normalisation)."""
        keys = (
            "samplerate winlen winstep numcep nfilt nfft lowfreq highfreq preemph ceplifter warp "
            "window append_energy"
        ).split()
        values = asdict(self)
        return {k: values[k] for k in keys}

    def to_dict(self) -> dict:
        """All settings as a plain JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> MFCCConfig:
        """Inverse of `to_dict`."""
        return cls(**values)

    def with_(self, **changes: Any) -> MFCCConfig:
        """A copy with some settings changed."""
        return replace(self, **changes)


#: Bumped whenever the static cepstra of a file change for the same settings, so that
#: cache entries from before are not used (2: every sample format on the 16-bit
#: scale; 3: piecewise-linear VTLN warp; 4: frame sizes rounded half up; 5: the lower
#: VTLN breakpoint above lowfreq).
FRONT_END_VERSION = 5
#: VTLN breakpoints: the warp is f / warp from this far above the bottom of the band
#: (x max(1, warp)) up to the top of the band less the margin (x min(1, warp)); the
#: band edges stay fixed.
VTLN_LOW_CUTOFF = 100.0
VTLN_HIGH_MARGIN = 500.0
#: Full scale of 16-bit PCM: every sample format is read on this scale.
PCM16_FULL_SCALE = 32768.0


def read_audio(path: str | os.PathLike, samplerate: int | None = None) -> tuple[np.ndarray, int]:
    """Read an audio file as float64 mono samples; resample to `samplerate` only when given.

    Returns `(signal, rate)`. Multi-channel audio is averaged to mono. Samples are on the
    16-bit integer scale (full scale = 32768, as HTK and python_speech_features expect)
    whatever the file's sample format: the same sound stored as 8-, 16-, 24- or 32-bit
    PCM or as float gives the same features.
    Raises FileNotFoundError / IsADirectoryError for a missing path or a folder, and
    ValueError naming the file when it is not readable audio or holds NaN or infinite
    samples.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no audio file at {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an audio file")
    with _readable_audio(path):
        signal, rate = soundfile.read(str(path), dtype="float64", always_2d=True)
    signal = signal.mean(axis=1) * PCM16_FULL_SCALE
    if not np.all(np.isfinite(signal)):
        raise ValueError(f"{path}: the audio holds NaN or infinite samples")
    if samplerate is not None and samplerate != rate:
        signal, rate = resample(signal, rate, samplerate), samplerate
    return signal, int(rate)


def sample_rate(path: str | os.PathLike) -> int:
    """The sample rate of an audio file (read from its header only)."""
    with _readable_audio(path):
        return int(soundfile.info(str(path)).samplerate)


@contextlib.contextmanager
def _readable_audio(path):
    """Turn libsndfile's failure to read ``path`` into a ValueError naming the file."""
    try:
        yield
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable audio file ({exc})") from exc


def resample(signal: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Polyphase resampling of `signal` from `rate` to `new_rate` Hz."""
    if rate <= 0 or new_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {rate} and {new_rate}")
    g = gcd(int(rate), int(new_rate))
    from scipy.signal import resample_poly  # scipy.signal takes ~0.8 s to import

    return resample_poly(np.asarray(signal, dtype=np.float64), new_rate // g, rate // g)


def mfcc(signal: np.ndarray, rate: int, config: MFCCConfig | None = None) -> np.ndarray:
    """Static MFCCs `(T, numcep)`; c0 is the frame log-energy when `append_energy`.

    The same numbers as python_speech_features' ``mfcc`` (with the window of `config`),
    computed with the filterbank built once per setting and the frames taken as a view.
    With `config.warp = a` the filterbank is warped for vocal-tract-length normalisation
    (VTLN): the filter whose nominal centre is f lies at f / a between the breakpoints
    `(lowfreq + VTLN_LOW_CUTOFF) * max(1, a)` and `(highfreq - VTLN_HIGH_MARGIN) * min(1, a)`, and
    the warp bends linearly outside them so that the band edges stay where they are (the
    piecewise-linear warp of HTK's and Kaldi's VTLN). a > 1 compresses the filters towards
    low frequencies, as for a speaker with a longer vocal tract.
    """
    config = config or MFCCConfig()
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"signal must be one-dimensional, got shape {signal.shape}")
    # sample counts rounded half up, as python_speech_features (round() would go to even)
    frame_len = _round_half_up(config.winlen * rate)
    frame_step = _round_half_up(config.winstep * rate)
    if frame_len < 2 or frame_step < 1:
        raise ValueError(
            f"a sample rate of {rate} Hz is too low for {config.winlen * 1000:g} ms windows "
            f"every {config.winstep * 1000:g} ms"
        )
    if signal.size < frame_len:
        raise ValueError(
            f"signal has {signal.size} samples, shorter than one {config.winlen * 1000:g} ms window"
        )
    nfft = config.nfft or 1 << max(frame_len - 1, 1).bit_length()
    high = config.highfreq or rate / 2  # python_speech_features' reading of highfreq
    if high > rate / 2:
        raise ValueError(f"highfreq={high:g} Hz is above half the sample rate of {rate} Hz")
    fbank = _filterbank(config.nfilt, nfft, rate, config.lowfreq, high, config.warp)
    return _cepstra(signal, frame_len, frame_step, nfft, fbank, config)


def _round_half_up(number: float) -> int:
    """`number` rounded to the nearest integer, halves up (its exact binary value)."""
    return int(Decimal(number).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@lru_cache(maxsize=32)
def _filterbank(nfilt: int, nfft: int, rate: float, low: float, high: float, warp: float):
    """:func:`warped_filterbank`, built once per setting (read-only)."""
    fbank = warped_filterbank(nfilt, nfft, rate, low, high, warp)
    fbank.flags.writeable = False
    return fbank


def vtln_warp(freqs: ArrayLike, warp: float, low: float, high: float) -> np.ndarray:
    """Where the nominal frequencies `freqs` (Hz) lie under a VTLN warp by `warp`.

    Piecewise linear: f / `warp` between the breakpoints, and straight lines from the
    breakpoints to the band edges `low` and `high`, which stay fixed.
    """
    f = np.asarray(freqs, dtype=np.float64)
    if warp == 1.0:
        return f.copy()
    scale = 1.0 / warp
    lower = (low + VTLN_LOW_CUTOFF) * max(1.0, warp)
    upper = (high - VTLN_HIGH_MARGIN) * min(1.0, warp)
    if not low < lower < upper < high:
        raise ValueError(
            f"a warp of {warp:g} leaves no linear part in the band from lowfreq={low:g} to "
            f"highfreq={high:g} Hz (it needs {lower:g} < {upper:g}): widen the band or "
            "choose a warp nearer 1"
        )
    out = f * scale
    below, above = f < lower, f > upper
    out[below] = low + (f[below] - low) * (scale * lower - low) / (lower - low)
    out[above] = high + (f[above] - high) * (high - scale * upper) / (high - upper)
    return out


def warped_filterbank(
    nfilt: int, nfft: int, rate: float, low: float, high: float, warp: float = 1.0
) -> np.ndarray:
    """Triangular mel filters `(nfilt, nfft // 2 + 1)` over FFT bins, their edge
    frequencies moved by :func:`vtln_warp` (at `warp=1`, python_speech_features')."""
    import python_speech_features as psf  # imports scipy: only when used

    mel = np.linspace(psf.base.hz2mel(low), psf.base.hz2mel(high), nfilt + 2)
    edges = np.floor((nfft + 1) * vtln_warp(psf.base.mel2hz(mel), warp, low, high) / rate)
    fbank = np.zeros((nfilt, nfft // 2 + 1))
    for j in range(nfilt):
        left, centre, right = edges[j], edges[j + 1], edges[j + 2]
        for i in range(int(left), int(centre)):
            fbank[j, i] = (i - left) / (centre - left)
        for i in range(int(centre), int(right)):
            fbank[j, i] = (right - i) / (right - centre)
    return fbank


def _cepstra(signal, frame_len, frame_step, nfft, fbank, config: MFCCConfig) -> np.ndarray:
    """MFCCs through a given filterbank, step by step as python_speech_features' mfcc (the
    same operations on the same numbers; the frames a strided view, not gathered)."""
    from scipy.fftpack import dct  # python_speech_features' DCT; imports scipy: only when used

    tiny = np.finfo(float).eps
    emphasised = np.append(signal[0], signal[1:] - config.preemph * signal[:-1])
    n_frames = 1 + max(0, math.ceil((1.0 * signal.size - frame_len) / frame_step))
    padded = np.concatenate(
        (emphasised, np.zeros((n_frames - 1) * frame_step + frame_len - signal.size))
    )
    frames = sliding_window_view(padded, frame_len)[::frame_step]
    frames = frames * WINDOWS[config.window](frame_len)
    power = 1.0 / nfft * np.square(np.absolute(np.fft.rfft(frames, nfft)))
    energy = np.sum(power, 1)
    bands = np.dot(power, fbank.T)
    cepstra = dct(np.log(np.where(bands == 0, tiny, bands)), type=2, axis=1, norm="ortho")
    cepstra = cepstra[:, : config.numcep]
    if config.ceplifter > 0:
        lift = 1 + (config.ceplifter / 2.0) * np.sin(
            np.pi * np.arange(config.numcep) / config.ceplifter
        )
        cepstra = lift * cepstra
    if config.append_energy:
        cepstra[:, 0] = np.log(np.where(energy == 0, tiny, energy))
    return np.ascontiguousarray(cepstra, dtype=np.float64)


def add_deltas(feats: np.ndarray, order: int = 2, window: int = 2) -> np.ndarray:
    """Append `order` regression derivatives (delta, delta-delta) of half-width `window`."""
    import python_speech_features as psf  # imports scipy: only when used

    feats = np.asarray(feats, dtype=np.float64)
    blocks = [feats]
    for _ in range(order):
        blocks.append(psf.delta(blocks[-1], window))
    return np.hstack(blocks)


def cmvn(feats: Sequence[np.ndarray], variance: bool = False) -> list[np.ndarray]:
    """Mean (and optionally variance) normalise a group of utterances with shared statistics."""
    stacked = np.concatenate([np.asarray(f, dtype=np.float64) for f in feats])
    mean = stacked.mean(axis=0)
    scale = 1.0
    if variance:
        std = stacked.std(axis=0)
        scale = 1.0 / np.where(std > 1e-8, std, 1.0)
    return [(np.asarray(f, dtype=np.float64) - mean) * scale for f in feats]


def normalise(
    feats: Sequence[np.ndarray],
    mode: str = "utterance",
    variance: bool = False,
    speakers: Sequence[str] | None = None,
) -> list[np.ndarray]:
    """Cepstral normalisation of each utterance alone, of each speaker's utterances, or none."""
    if mode == "none":
        return [np.asarray(f, dtype=np.float64) for f in feats]
    if mode == "utterance":
        return [cmvn([f], variance)[0] for f in feats]
    if mode == "speaker":
        if speakers is None or len(speakers) != len(feats):
            raise ValueError("speaker normalisation needs one speaker name per utterance")
        out: list[np.ndarray | None] = [None] * len(feats)
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(speakers):
            groups.setdefault(s, []).append(i)
        for idx in groups.values():
            for i, f in zip(idx, cmvn([feats[i] for i in idx], variance), strict=True):
                out[i] = f
        return out  # type: ignore[return-value]
    raise ValueError(f"mode must be one of {NORMALISATIONS}, got {mode!r}")


def normalise_energy(feats: np.ndarray) -> np.ndarray:
    """Subtract the utterance's peak log-energy from c0, so c0 <= 0 (HTK ENORMALISE)."""
    out = np.array(feats, dtype=np.float64)
    out[:, 0] -= out[:, 0].max()
    return out


class FeatureCache:
    """On-disk cache of static cepstra, keyed by the audio file's content and the settings.

    Each entry is one `.npz` file named by a sha256 over the file bytes and the settings,
    so renamed or moved recordings hit the cache and edited ones miss it.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.hits = 0
        self.misses = 0

    def key(self, audio_path: str | os.PathLike, config: MFCCConfig) -> str:
        """Cache key of one recording under one configuration."""
        h = hashlib.sha256(Path(audio_path).read_bytes())
        h.update(json.dumps(config.static_key(), sort_keys=True).encode())
        h.update(f"front end {FRONT_END_VERSION}".encode())
        return h.hexdigest()

    def get(self, audio_path: str | os.PathLike, config: MFCCConfig) -> np.ndarray:
        """Static cepstra of one file, computed once and then read back from disk."""
        entry = self.directory / f"{self.key(audio_path, config)}.npz"
        if entry.is_file():
            try:
                with np.load(entry, allow_pickle=False) as data:
                    feats = data["mfcc"]
                self.hits += 1
                return feats
            except Exception:  # noqa: BLE001 - any damaged entry (empty, truncated, foreign)
                pass  # is recomputed below
        self.misses += 1
        feats = _features_of_file(audio_path, config)
        self.directory.mkdir(parents=True, exist_ok=True)
        # a temporary name of this writer alone (process and thread), then an atomic rename
        handle, tmp = tempfile.mkstemp(suffix=".tmp.npz", dir=self.directory)
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, mfcc=feats)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return feats


def default_cache_dir() -> Path:
    """`$HMMKIT_CACHE/features`, else `$XDG_CACHE_HOME/hmmkit/features`, else ~/.cache/..."""
    if os.environ.get("HMMKIT_CACHE"):
        return Path(os.environ["HMMKIT_CACHE"]) / "features"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hmmkit" / "features"


def static_features(
    path: str | os.PathLike, config: MFCCConfig, cache: FeatureCache | None = None
) -> np.ndarray:
    """Static cepstra of one recording, through the cache when one is given."""
    if cache is not None:
        return cache.get(path, config)
    return _features_of_file(path, config)


def _features_of_file(path: str | os.PathLike, config: MFCCConfig) -> np.ndarray:
    """Static cepstra of one recording; a ValueError names the file."""
    signal, rate = read_audio(path, config.samplerate)
    try:
        return mfcc(signal, rate, config)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def extract(
    paths: Iterable[str | os.PathLike],
    config: MFCCConfig | None = None,
    *,
    speakers: Sequence[str] | None = None,
    cache: FeatureCache | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> list[np.ndarray]:
    """Full front end for a list of recordings: MFCC, deltas, normalisation.

    `speakers` (one name per path) is needed for `normalise="speaker"`. `progress` wraps
    the path iterable (e.g. `tqdm`) to show progress.
    """
    config = config or MFCCConfig()
    paths = list(paths)
    iterator = progress(paths) if progress is not None else paths
    feats = []
    for p in iterator:
        f = static_features(p, config, cache)
        if config.energy_normalise and config.append_energy:
            f = normalise_energy(f)
        feats.append(add_deltas(f, config.deltas, config.delta_window))
    return normalise(feats, config.normalise, config.variance, speakers)
