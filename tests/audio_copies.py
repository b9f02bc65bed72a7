"""WAV copies of the shipped FLAC recordings, for tests that need WAV files."""

from __future__ import annotations

from pathlib import Path

import soundfile


def as_wav(flac: Path, target: Path) -> Path:
    """`target`: a 16-bit WAV file holding the samples of the `flac` recording."""
    samples, rate = soundfile.read(flac, dtype="int16")
    soundfile.write(target, samples, rate, subtype="PCM_16", format="WAV")
    return target
