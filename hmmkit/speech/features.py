"""Acoustic front end: audio reading, MFCC, deltas and cepstral normalisation (the cache of
static cepstra is in :mod:`.feature_cache`)."""

from __future__ import annotations

import contextlib
import itertools
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from math import gcd
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import soundfile
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from .feature_cache import FeatureCache

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
    `equalise` maps every dimension through its histogram over the same group to the
    standard normal instead (histogram equalisation; see :mod:`.equalisation`).
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
    equalise: bool = False

    def __post_init__(self) -> None:
        if self.normalise not in NORMALISATIONS:
            raise ValueError(f"normalise must be one of {NORMALISATIONS}, got {self.normalise!r}")
        if self.equalise and self.normalise == "none":
            raise ValueError('equalise needs a normalisation group (normalise is "none")')
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
    with _readable_audio(path), soundfile.SoundFile(str(path)) as audio:
        # the frame count from the header: soundfile.read would seek to find it again
        signal = audio.read(audio.frames, dtype="float64", always_2d=True)
        rate = audio.samplerate
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
    return mfcc_batch([signal], rate, config)[0]


def mfcc_batch(
    signals: Sequence[np.ndarray], rate: int, config: MFCCConfig | None = None
) -> list[np.ndarray]:
    """:func:`mfcc` of several signals of one sample rate, their frames analysed together
    (one FFT, filterbank product and DCT per block of frames instead of per signal: the
    same operations on the same numbers, a fraction of the calls)."""
    config = config or MFCCConfig()
    signals = [np.asarray(signal, dtype=np.float64) for signal in signals]
    # sample counts rounded half up, as python_speech_features (round() would go to even)
    frame_len = _round_half_up(config.winlen * rate)
    frame_step = _round_half_up(config.winstep * rate)
    if frame_len < 2 or frame_step < 1:
        raise ValueError(
            f"a sample rate of {rate} Hz is too low for {config.winlen * 1000:g} ms windows "
            f"every {config.winstep * 1000:g} ms"
        )
    for signal in signals:
        if signal.ndim != 1:
            raise ValueError(f"signal must be one-dimensional, got shape {signal.shape}")
        if signal.size < frame_len:
            raise ValueError(
                f"signal has {signal.size} samples, shorter than one "
                f"{config.winlen * 1000:g} ms window"
            )
    nfft = config.nfft or 1 << max(frame_len - 1, 1).bit_length()
    high = config.highfreq or rate / 2  # python_speech_features' reading of highfreq
    if high > rate / 2:
        raise ValueError(f"highfreq={high:g} Hz is above half the sample rate of {rate} Hz")
    fbank = _filterbank(config.nfilt, nfft, rate, config.lowfreq, high, config.warp)
    window = WINDOWS[config.window](frame_len)
    frames = [_frames(signal, frame_len, frame_step, config.preemph) for signal in signals]
    lengths = [len(f) for f in frames]
    # one buffer for every block's windowed frames: fresh memory for each block would cost
    # its page faults again (a block's frames are windowed straight into it, not copied first)
    buffer = np.empty((min(sum(lengths), max(BLOCK_FRAMES, max(lengths))), frame_len))
    out: list[np.ndarray] = []
    start = 0
    while start < len(frames):  # blocks of at most BLOCK_FRAMES frames bound the memory used
        stop, n_frames = start + 1, lengths[start]
        while stop < len(frames) and n_frames + lengths[stop] <= BLOCK_FRAMES:
            n_frames += lengths[stop]
            stop += 1
        row = 0
        for signal_frames in frames[start:stop]:
            np.multiply(signal_frames, window, out=buffer[row : row + len(signal_frames)])
            row += len(signal_frames)
        cepstra = _cepstra(buffer[:n_frames], nfft, fbank, config)
        out += np.split(cepstra, np.cumsum(lengths[start:stop])[:-1])
        start = stop
    return out


#: Frames analysed together by :func:`mfcc_batch` (at most; one longer signal is one block).
BLOCK_FRAMES = 8192


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


def _frames(signal, frame_len, frame_step, preemph) -> np.ndarray:
    """The pre-emphasised signal's frames `(T, frame_len)`, as python_speech_features
    frames it (the last one zero-padded); a strided view where no padding is needed."""
    emphasised = np.append(signal[0], signal[1:] - preemph * signal[:-1])
    n_frames = 1 + max(0, math.ceil((1.0 * signal.size - frame_len) / frame_step))
    padded = np.concatenate(
        (emphasised, np.zeros((n_frames - 1) * frame_step + frame_len - signal.size))
    )
    return sliding_window_view(padded, frame_len)[::frame_step]


def _cepstra(windowed, nfft, fbank, config: MFCCConfig) -> np.ndarray:
    """MFCCs of windowed frames through a given filterbank, step by step as
    python_speech_features' mfcc (the same operations on the same numbers; the power
    spectrum computed in place)."""
    from scipy.fftpack import dct  # python_speech_features' DCT; imports scipy: only when used

    tiny = np.finfo(float).eps
    power = np.absolute(np.fft.rfft(windowed, nfft))
    np.square(power, out=power)
    power *= 1.0 / nfft
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
    equalise: bool = False,
) -> list[np.ndarray]:
    """Cepstral normalisation of each utterance alone, of each speaker's utterances, or
    none; by mean (and variance), or with ``equalise`` by histogram equalisation."""
    if mode == "none":
        return [np.asarray(f, dtype=np.float64) for f in feats]
    if equalise:
        from .equalisation import gaussianise

        group = gaussianise
    else:

        def group(fs):
            return cmvn(fs, variance)

    if mode == "utterance":
        return [group([f])[0] for f in feats]
    if mode == "speaker":
        if speakers is None or len(speakers) != len(feats):
            raise ValueError("speaker normalisation needs one speaker name per utterance")
        out: list[np.ndarray | None] = [None] * len(feats)
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(speakers):
            groups.setdefault(s, []).append(i)
        for idx in groups.values():
            for i, f in zip(idx, group([feats[i] for i in idx]), strict=True):
                out[i] = f
        return out  # type: ignore[return-value]
    raise ValueError(f"mode must be one of {NORMALISATIONS}, got {mode!r}")


def normalise_energy(feats: np.ndarray) -> np.ndarray:
    """Subtract the utterance's peak log-energy from c0, so c0 <= 0 (HTK ENORMALISE)."""
    out = np.array(feats, dtype=np.float64)
    out[:, 0] -= out[:, 0].max()
    return out


def static_features(
    path: str | os.PathLike, config: MFCCConfig, cache: FeatureCache | None = None
) -> np.ndarray:
    """Static cepstra of one recording, through the cache when one is given."""
    if cache is not None:
        return cache.get(path, config)
    return features_of_files([path], config)[0]


def features_of_files(paths: Sequence[str | os.PathLike], config: MFCCConfig) -> list[np.ndarray]:
    """Static cepstra of recordings, those of one sample rate analysed together
    (:func:`mfcc_batch`); a ValueError names the file it is about."""
    signals: dict[int, list[tuple[int, np.ndarray]]] = {}
    for number, path in enumerate(paths):
        signal, rate = read_audio(path, config.samplerate)
        signals.setdefault(rate, []).append((number, signal))
    out: list[np.ndarray] = [np.empty(0)] * len(paths)
    for rate, group in signals.items():
        try:
            cepstra = mfcc_batch([signal for _, signal in group], rate, config)
        except ValueError:
            for number, signal in group:  # one by one, to name the file
                try:
                    mfcc(signal, rate, config)
                except ValueError as exc:
                    raise ValueError(f"{paths[number]}: {exc}") from exc
            raise
        for (number, _), c in zip(group, cepstra, strict=True):
            out[number] = c
    return out


#: Recordings read, analysed and cached together by :func:`extract`.
BATCH_FILES = 512


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
    the path iterable (e.g. `tqdm`) to show progress. The recordings are analysed in
    batches of :data:`BATCH_FILES` (see :func:`mfcc_batch`).
    """
    config = config or MFCCConfig()
    paths = list(paths)
    iterator = iter(progress(paths) if progress is not None else paths)
    feats = []
    while batch := list(itertools.islice(iterator, BATCH_FILES)):
        statics = cache.get_many(batch, config) if cache else features_of_files(batch, config)
        for f in statics:
            if config.energy_normalise and config.append_energy:
                f = normalise_energy(f)
            feats.append(add_deltas(f, config.deltas, config.delta_window))
    return normalise(feats, config.normalise, config.variance, speakers, config.equalise)
