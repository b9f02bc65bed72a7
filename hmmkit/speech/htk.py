"""HTK parameter files (``.mfc``, ``.fbank``, ...): read, write, and train from a folder.

An HTK parameter file is a 12-byte big-endian header (number of samples, sample period
in 100 ns units, bytes per sample, parameter kind) followed by the samples: 4-byte
floats, or 2-byte integers for compressed (``_C``) files, waveforms and VQ indices. A
compressed file starts with two float vectors A and B (counted as four samples in the
header) and stores ``round(A * x - B)``; a file with a checksum (``_K``) ends with two
more bytes. The kind is a base code (``MFCC``, ``FBANK``, ...) plus qualifier bits
(``_E``, ``_D``, ``_A``, ...), written as HTK writes it: ``MFCC_E_D_A``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_output
from ..disk_sources import IndexedSource
from ..sequences import SHARD_FRAMES, SequenceBatch, as_continuous_batch

BASE_KINDS = (
    "WAVEFORM", "LPC", "LPREFC", "LPCEPSTRA", "LPDELCEP", "IREFC", "MFCC", "FBANK",
    "MELSPEC", "USER", "DISCRETE", "PLP",
)  # fmt: skip
#: qualifier letter -> bit of the parameter kind
QUALIFIERS = {
    "E": 0o100, "N": 0o200, "D": 0o400, "A": 0o1000, "C": 0o2000, "Z": 0o4000,
    "K": 0o10000, "0": 0o20000, "V": 0o40000, "T": 0o100000,
}  # fmt: skip
_BASE_MASK = 0o77
_HEADER = struct.Struct(">iihH")
_COMPRESSED, _CHECKSUM = QUALIFIERS["C"], QUALIFIERS["K"]
_SHORT_KINDS = ("WAVEFORM", "IREFC", "DISCRETE")  # stored as 2-byte integers
#: The files :class:`HTKFolderSource` reads unless told otherwise.
HTK_PATTERNS = ("*.mfc", "*.htk", "*.fbank", "*.plp")


def parse_kind(kind: str | int) -> int:
    """The parameter kind code of a name such as ``"MFCC_E_D_A"`` (a code is checked)."""
    if isinstance(kind, (int, np.integer)) and not isinstance(kind, bool):
        code = int(kind)
        if not 0 <= code < 2**16 or code & _BASE_MASK >= len(BASE_KINDS):
            raise ValueError(f"parameter kind code {code} is not an HTK kind")
        return code
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"kind must be a name such as 'MFCC_E_D_A' or a code, got {kind!r}")
    base, *qualifiers = kind.upper().split("_")
    if base not in BASE_KINDS:
        raise ValueError(f"unknown HTK parameter kind {base!r} in {kind!r}; one of {BASE_KINDS}")
    code = BASE_KINDS.index(base)
    for q in qualifiers:
        if q not in QUALIFIERS:
            raise ValueError(f"unknown HTK qualifier _{q} in {kind!r}")
        code |= QUALIFIERS[q]
    return code


def kind_name(code: int) -> str:
    """The name of a parameter kind code, qualifiers in HTK's order: ``MFCC_E_D_A``."""
    code = parse_kind(code)
    letters = [q for q, bit in QUALIFIERS.items() if code & bit]
    return "_".join([BASE_KINDS[code & _BASE_MASK], *letters])


@dataclass(frozen=True)
class HTKHeader:
    """What the 12-byte header of an HTK parameter file says, and where its frames are."""

    n_frames: int
    sample_period: float
    sample_bytes: int
    kind: str
    offset: int
    compressed: bool

    @property
    def n_features(self) -> int:
        """Values per frame."""
        if self.compressed or self.kind.split("_")[0] in _SHORT_KINDS:
            return self.sample_bytes // 2
        return self.sample_bytes // 4


def read_htk_header(path: str | Path) -> HTKHeader:
    """The header of an HTK parameter file, checked against the file's size."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        raw = handle.read(_HEADER.size)
    if len(raw) < _HEADER.size:
        raise ValueError(f"{path.name}: {size} bytes, too short for an HTK parameter file")
    n_samples, period, sample_bytes, code = _HEADER.unpack(raw)
    try:
        kind = kind_name(code)
    except ValueError:
        raise ValueError(f"{path.name}: parameter kind {code} is not an HTK kind") from None
    if n_samples < 0 or period <= 0 or sample_bytes <= 0 or sample_bytes % 2:
        raise ValueError(
            f"{path.name}: not an HTK parameter file (samples {n_samples}, period {period}, "
            f"{sample_bytes} bytes per sample)"
        )
    compressed = bool(code & _COMPRESSED)
    base = kind.split("_")[0]
    if not compressed and base not in _SHORT_KINDS and sample_bytes % 4:
        raise ValueError(f"{path.name}: {sample_bytes} bytes per sample is not whole floats")
    n_frames, offset = n_samples, _HEADER.size
    if compressed:
        if base in _SHORT_KINDS or n_samples < 4:
            raise ValueError(f"{path.name}: a compressed file needs its A and B vectors")
        n_frames, offset = n_samples - 4, _HEADER.size + 4 * sample_bytes
    expected = _HEADER.size + n_samples * sample_bytes + (2 if code & _CHECKSUM else 0)
    if size != expected:
        raise ValueError(
            f"{path.name}: {size} bytes, but its header describes {expected} "
            f"({n_samples} samples of {sample_bytes} bytes, kind {kind})"
        )
    return HTKHeader(n_frames, period * 1e-7, sample_bytes, kind, offset, compressed)


def _read_frames(path: Path, header: HTKHeader) -> np.ndarray:
    d = header.n_features
    with open(path, "rb") as handle:
        if header.compressed:
            handle.seek(_HEADER.size)
            scale = np.fromfile(handle, dtype=">f4", count=d).astype(np.float64)
            bias = np.fromfile(handle, dtype=">f4", count=d).astype(np.float64)
            values = np.fromfile(handle, dtype=">i2", count=header.n_frames * d)
            _check_scaling(path, scale, bias)
            x = (values.reshape(-1, d) + bias) / scale
        else:
            handle.seek(header.offset)
            dtype = ">i2" if header.kind.split("_")[0] in _SHORT_KINDS else ">f4"
            values = np.fromfile(handle, dtype=dtype, count=header.n_frames * d)
            x = values.reshape(-1, d).astype(np.float64)
    if len(x) != header.n_frames:
        raise ValueError(f"{path.name} changed while it was read")
    if not np.all(np.isfinite(x)):
        frame, feature = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(
            f"{path.name}: frame {frame}, feature {feature} is {x[frame, feature]} "
            "(an HTK parameter file holds finite numbers)"
        )
    return x


def _check_scaling(path: Path, scale: np.ndarray, bias: np.ndarray) -> None:
    """Refuse a compressed file's A (scale) and B (bias) vectors unless every scale is
    finite and non-zero and every bias finite: frames are (value + B) / A."""
    checks = (
        ("scale (A)", scale, ~np.isfinite(scale) | (scale == 0)),
        ("bias (B)", bias, ~np.isfinite(bias)),
    )
    for name, vector, wrong in checks:
        bad = np.flatnonzero(wrong)
        if len(bad):
            raise ValueError(
                f"{path.name}: compressed file with {name} {vector[bad[0]]} for feature "
                f"{bad[0]}; a scale must be finite and non-zero, a bias finite"
            )


@dataclass(frozen=True)
class HTKFeatures:
    """The frames of an HTK parameter file, ``(n_frames, n_features)`` floats, with the
    sample period in seconds and the parameter kind (``"MFCC_E_D_A"``)."""

    data: np.ndarray
    sample_period: float
    kind: str


def read_htk(path: str | Path) -> HTKFeatures:
    """Read an HTK parameter file (float, compressed or 2-byte integer samples). The
    checksum of a ``_K`` file is skipped, not verified."""
    path = Path(path)
    header = read_htk_header(path)
    return HTKFeatures(_read_frames(path, header), header.sample_period, header.kind)


def write_htk(
    path: str | Path,
    data: np.ndarray,
    *,
    sample_period: float = 0.01,
    kind: str | int = "USER",
    compressed: bool = False,
) -> None:
    """Write ``data`` (n_frames, n_features) as an HTK parameter file of `kind`, as HTK's
    HCopy would: big-endian floats, or with `compressed` 2-byte integers and the A, B
    scaling vectors (about 4-5 significant digits). Written atomically."""
    x = np.asarray(data, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"data must be a (n_frames, n_features) array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("data holds NaN or infinite values")
    code = parse_kind(kind)
    if code & _CHECKSUM:
        raise ValueError(f"kind {kind_name(code)}: writing _K checksums is not supported")
    if code & _COMPRESSED and not compressed:
        raise ValueError(f"kind {kind_name(code)} says compressed: pass compressed=True")
    code &= ~_COMPRESSED
    if BASE_KINDS[code & _BASE_MASK] in _SHORT_KINDS:
        raise ValueError(f"kind {kind_name(code)} holds integers; write a float kind such as USER")
    if not 0 < sample_period * 1e7 < 2**31:
        raise ValueError(f"sample_period must be positive seconds, got {sample_period}")
    n, d = x.shape
    period = int(round(sample_period * 1e7))
    with atomic_output(path, "wb") as handle:
        if compressed:
            hi, lo = x.max(axis=0), x.min(axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            scale = np.where(hi > lo, 2 * 32767 / span, 1.0)
            bias = np.where(hi > lo, (hi + lo) * 32767 / span, lo)
            values = np.clip(np.rint(x * scale - bias), -32767, 32767)
            handle.write(_HEADER.pack(n + 4, period, 2 * d, code | _COMPRESSED))
            handle.write(scale.astype(">f4").tobytes() + bias.astype(">f4").tobytes())
            handle.write(values.astype(">i2").tobytes())
        else:
            handle.write(_HEADER.pack(n, period, 4 * d, code))
            handle.write(x.astype(">f4").tobytes())


class HTKFolderSource(IndexedSource):
    """A folder of HTK parameter files, one utterance per file, read shard by shard.

    Files matching `pattern` (default ``*.mfc``, ``*.htk``, ``*.fbank``, ``*.plp``) are
    taken in sorted name order; only their headers are read up front, and every file
    must have the same number of features.
    """

    def __init__(
        self, folder: str | Path, *, pattern: str | None = None, max_frames: int = SHARD_FRAMES
    ) -> None:
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise FileNotFoundError(f"folder {folder!s} does not exist or is not a directory")
        patterns = [pattern] if pattern else list(HTK_PATTERNS)
        self.files = sorted({p.name for pat in patterns for p in self.folder.glob(pat)})
        if not self.files:
            raise ValueError(f"folder {folder!s} holds no files matching {' or '.join(patterns)}")
        self._headers = [read_htk_header(self.folder / name) for name in self.files]
        widths = {h.n_features for h in self._headers}
        if len(widths) > 1:
            raise ValueError(f"files in {folder!s} have different numbers of features {widths}")
        empty = [name for name, h in zip(self.files, self._headers, strict=True) if not h.n_frames]
        if empty:
            raise ValueError(f"{empty[0]} has zero frames: every sequence needs one frame")
        self.n_features = widths.pop()
        self.kind = self._headers[0].kind
        self._lengths = np.array([h.n_frames for h in self._headers], dtype=np.int64)
        self._group(max_frames)

    def load(self, key: tuple[int, int]) -> SequenceBatch:
        """The utterances of files ``key[0] .. key[1]-1``, validated."""
        start, stop = key
        frames = [
            _read_frames(self.folder / self.files[i], self._headers[i]) for i in range(start, stop)
        ]
        return as_continuous_batch(
            np.concatenate(frames), self._lengths[start:stop], n_features=self.n_features,
            name=f"files {self.files[start]}..{self.files[stop - 1]}",
        )  # fmt: skip
