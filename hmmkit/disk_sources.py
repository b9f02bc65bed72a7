"""Sequence sources that stream from disk, shard by shard (corpora larger than memory).

Each source reads only an index when it is built (array headers, sequence lengths or
the byte offsets of FASTA records) and groups whole sequences into shards of about
:data:`~hmmkit.sequences.SHARD_FRAMES` frames; :meth:`load` then reads one shard.
Shard keys are small tuples and a source pickles without open files, so a Dask
worker can load any shard from its key (see :mod:`hmmkit.training.distributed`).

- :class:`NpyFolderSource`: a folder of ``.npy``/``.npz`` files, one sequence per file.
- :class:`HDF5Source` / :class:`ZarrSource`: one array of all frames back to back plus
  an array of sequence lengths (hmmlearn's ``X, lengths`` stored on disk); these need
  the optional ``h5py`` / ``zarr`` packages.
- :class:`FastaSource`: a FASTA file of symbol sequences, integer-coded by an alphabet.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from tokenize import TokenError
from typing import NamedTuple

import numpy as np

from .sequences import SHARD_FRAMES, SequenceBatch, as_continuous_batch, as_symbol_batch
from .sources import SequenceSource
from .textfiles import GZIP_MAGIC


def group_by_frames(lengths: np.ndarray, max_frames: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges of consecutive sequences of at most ``max_frames`` frames.

    The same rule as :meth:`SequenceBatch.shards`: a sequence longer than
    ``max_frames`` forms a group of its own.
    """
    if int(max_frames) != max_frames or max_frames < 1:
        raise ValueError(f"max_frames must be a positive integer, got {max_frames!r}")
    bounds, frames = [0], 0
    for i, n in enumerate(lengths):
        if i > 0 and frames + n > max_frames:
            bounds.append(i)
            frames = 0
        frames += int(n)
    bounds.append(len(lengths))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


class IndexedSource(SequenceSource):
    """A source whose sequence lengths are known up front, grouped into shards (a
    subclass sets `_lengths`, calls `_group` and implements `load`)."""

    _lengths: np.ndarray

    def _group(self, max_frames: int) -> None:
        self._keys = group_by_frames(self._lengths, max_frames)

    def shard_keys(self) -> list[tuple[int, int]]:
        """``(first, stop)`` sequence ranges, in corpus order."""
        return list(self._keys)

    @property
    def n_sequences(self) -> int:
        """Number of sequences in the corpus."""
        return len(self._lengths)

    @property
    def n_frames(self) -> int:
        """Total number of frames in the corpus."""
        return int(self._lengths.sum())

    @property
    def lengths(self) -> np.ndarray:
        """Length of every sequence."""
        return self._lengths.copy()


# ---------------------------------------------------------------- .npy / .npz folders


def _read_npy_header(handle) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(handle)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(handle)
    raise ValueError(f"unsupported .npy format version {version}")


def _check_claimed_size(shape, dtype: np.dtype, offset: int, size: int) -> None:
    """Refuse a header whose shape is not a tuple of non-negative integers, or whose
    array would not fill the rest of the file exactly (before anything is allocated)."""
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"the header's shape {shape} is not a valid array shape")
    claimed = math.prod(shape) * dtype.itemsize
    if offset + claimed != size:
        raise ValueError(
            f"the header describes {claimed} bytes of data (shape {shape}, {dtype}) "
            f"but the file holds {size - offset} after its header (truncated or not .npy)"
        )


class _NpyLayout(NamedTuple):
    """Where a file's array is: its shape, element type, order and (for .npy) data offset."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    offset: int | None


class NpyFolderSource(IndexedSource):
    """A folder of NumPy files, one sequence per file, read shard by shard.

    Files ``*.npy`` and ``*.npz`` (or those matching ``pattern``) are taken in sorted
    name order; consecutive files are grouped into shards of about ``max_frames``
    frames. Only the array headers are read up front. A ``.npz`` file must hold one
    array, or the one named ``array``. Frames are ``(T, n_features)`` (or ``(T,)``
    for one feature) real numbers, or with ``symbols=True`` integer symbols ``(T,)``
    (checked against ``n_symbols`` when given).
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        pattern: str | None = None,
        array: str | None = None,
        symbols: bool = False,
        n_symbols: int | None = None,
        max_frames: int = SHARD_FRAMES,
    ) -> None:
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise FileNotFoundError(f"folder {folder!s} does not exist or is not a directory")
        patterns = [pattern] if pattern else ["*.npy", "*.npz"]
        self.files = sorted({p.name for pat in patterns for p in self.folder.glob(pat)})
        if not self.files:
            raise ValueError(f"folder {folder!s} holds no files matching {' or '.join(patterns)}")
        self.array = array
        self.symbols = bool(symbols)
        self.n_symbols = n_symbols
        self._layouts = [self._header(name) for name in self.files]
        lengths, widths = [], set()
        for name, layout in zip(self.files, self._layouts, strict=True):
            self._check_header(name, layout.shape, layout.dtype)
            lengths.append(layout.shape[0])
            widths.add(layout.shape[1] if len(layout.shape) == 2 else 1)
        if len(widths) > 1:
            raise ValueError(
                f"files in {folder!s} have different numbers of features {sorted(widths)}"
            )
        self.n_features = widths.pop()
        self._lengths = np.asarray(lengths, dtype=np.int64)
        self._group(max_frames)

    def _member(self, archive: zipfile.ZipFile, name: str) -> str:
        members = [m for m in archive.namelist() if m.endswith(".npy")]
        if self.array is not None:
            wanted = self.array + ".npy"
            if wanted not in members:
                raise KeyError(f"{name} has no array named {self.array!r}")
            return wanted
        if len(members) != 1:
            raise ValueError(
                f"{name} holds {len(members)} arrays: name the one to read with array="
            )
        return members[0]

    def _header(self, name: str) -> _NpyLayout:
        path = self.folder / name
        try:
            if name.endswith(".npz"):
                with zipfile.ZipFile(path) as archive:
                    member = self._member(archive, name)
                    with archive.open(member) as handle:
                        shape, fortran, dtype = _read_npy_header(handle)
                        _check_claimed_size(
                            shape, dtype, handle.tell(), archive.getinfo(member).file_size
                        )
                        return _NpyLayout(shape, dtype, fortran, None)
            with open(path, "rb") as handle:
                shape, fortran, dtype = _read_npy_header(handle)
                offset = handle.tell()
            _check_claimed_size(shape, dtype, offset, path.stat().st_size)
            return _NpyLayout(shape, dtype, fortran, offset)
        except (ValueError, SyntaxError, TokenError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{name} is not a readable NumPy file: {exc}") from exc

    def _check_header(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        if self.symbols:
            if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
                raise ValueError(f"{name} must hold one symbol per frame (T,), got shape {shape}")
            if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
                raise TypeError(f"{name} must hold integer symbols, got dtype {dtype}")
        else:
            if len(shape) not in (1, 2):
                raise ValueError(f"{name} must hold a (T, n_features) array, got shape {shape}")
            if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
                raise TypeError(f"{name} must hold real numbers, got dtype {dtype}")
        if shape[0] == 0:
            raise ValueError(f"{name} has zero frames: every sequence needs one frame")

    def _read(self, index: int) -> np.ndarray:
        """The array of file ``index``; a ``.npy`` file is read straight from its data
        offset found when indexing (no header parsing on every iteration)."""
        name, layout = self.files[index], self._layouts[index]
        path = self.folder / name
        if layout.offset is None:
            with zipfile.ZipFile(path) as archive, archive.open(self._member(archive, name)) as f:
                x = np.lib.format.read_array(f, allow_pickle=False)
        else:
            count = int(np.prod(layout.shape))
            with open(path, "rb") as handle:
                handle.seek(layout.offset)
                x = np.fromfile(handle, dtype=layout.dtype, count=count)
            if x.size != count:
                raise ValueError(f"{name} changed since the folder was indexed")
            x = x.reshape(layout.shape, order="F" if layout.fortran else "C")
        if x.shape != layout.shape:
            raise ValueError(f"{name} changed since the folder was indexed")
        return x.reshape(-1) if self.symbols else x.reshape(len(x), -1)

    def _validate(self, x: np.ndarray, lengths, name: str) -> SequenceBatch:
        if self.symbols:
            return as_symbol_batch(x, lengths, n_symbols=self.n_symbols, name=name)
        return as_continuous_batch(x, lengths, n_features=self.n_features, name=name)

    def _read_into(self, index: int, out: np.ndarray) -> None:
        """Fill ``out`` with the frames of file ``index``: float64 ``.npy`` data is read
        straight into it, anything else converted."""
        layout = self._layouts[index]
        if layout.offset is None or layout.fortran or layout.dtype != out.dtype:
            out[...] = self._read(index)
            return
        with open(self.folder / self.files[index], "rb") as handle:
            handle.seek(layout.offset)
            n_read = handle.readinto(memoryview(out).cast("B"))
        if n_read != out.nbytes:
            raise ValueError(f"{self.files[index]} changed since the folder was indexed")

    def load(self, key: tuple[int, int]) -> SequenceBatch:
        """The sequences of files ``key[0] .. key[1]-1``, validated."""
        start, stop = key
        lengths = self._lengths[start:stop]
        if self.symbols:
            frames = np.concatenate([self._read(i) for i in range(start, stop)])
        else:
            bounds = np.concatenate([[0], np.cumsum(lengths)])
            frames = np.empty((bounds[-1], self.n_features))
            for j, index in enumerate(range(start, stop)):
                self._read_into(index, frames[bounds[j] : bounds[j + 1]])
        try:
            return self._validate(frames, lengths, "shard")
        except (ValueError, TypeError):
            for index in range(start, stop):  # find the file to name
                self._validate(self._read(index), None, self.files[index])
            raise


# ---------------------------------------------------------------- HDF5 / Zarr stores


class _ArrayStoreSource(IndexedSource):
    """All frames back to back in one array plus a 1-D array of sequence lengths."""

    _kind = "store"

    def __init__(
        self,
        path: str | Path,
        *,
        frames: str = "X",
        lengths: str = "lengths",
        symbols: bool = False,
        n_symbols: int | None = None,
        max_frames: int = SHARD_FRAMES,
    ) -> None:
        self.path = Path(path).resolve()
        if not self.path.exists():
            raise FileNotFoundError(f"{self._kind} store {path!s} does not exist")
        self.frames = frames
        self.lengths_name = lengths
        self.symbols = bool(symbols)
        self.n_symbols = n_symbols
        self._handle, self._handle_pid = None, None
        store = self._store()
        for name in (frames, lengths):
            if name not in store:
                raise KeyError(f"{self._kind} store {path!s} has no array {name!r}")
        X, raw = store[frames], np.asarray(store[lengths][...])
        shape, dtype = tuple(X.shape), np.dtype(X.dtype)
        if raw.ndim != 1 or raw.size == 0 or not np.issubdtype(raw.dtype, np.integer):
            raise ValueError(f"{lengths!r} must be a non-empty 1-D array of integers")
        if np.any(raw <= 0):
            bad = int(np.flatnonzero(raw <= 0)[0])
            raise ValueError(f"{lengths}[{bad}] = {raw[bad]}: every sequence needs one frame")
        if raw.sum() != shape[0]:
            raise ValueError(f"{lengths!r} sum to {raw.sum()} but {frames!r} has {shape[0]} frames")
        if self.symbols and not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
            raise ValueError(f"{frames!r} must hold one symbol per frame, got shape {shape}")
        if not self.symbols and len(shape) not in (1, 2):
            raise ValueError(f"{frames!r} must be a (n_frames, n_features) array, got {shape}")
        if not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
            raise TypeError(f"{frames!r} must hold numbers, got dtype {dtype}")
        self.n_features = 1 if len(shape) == 1 else shape[1]
        self._lengths = raw.astype(np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(self._lengths)])
        self._group(max_frames)

    def _open(self):
        """The store opened for reading: a mapping from array names to sliceable arrays."""
        raise NotImplementedError

    def _store(self):
        """The store, opened once per process (a worker reopens it after unpickling);
        keeping it open keeps the library's chunk cache warm from shard to shard."""
        if self._handle is None or self._handle_pid != os.getpid():
            self._handle, self._handle_pid = self._open(), os.getpid()
        return self._handle

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_handle"] = state["_handle_pid"] = None
        return state

    def load(self, key: tuple[int, int]) -> SequenceBatch:
        """The sequences ``key[0] .. key[1]-1``: one contiguous slice of the frames."""
        start, stop = key
        lo, hi = self._offsets[start], self._offsets[stop]
        x = np.asarray(self._store()[self.frames][lo:hi])
        lengths = self._lengths[start:stop]
        name = f"{self.frames}[sequences {start}..{stop - 1}]"
        if self.symbols:
            return as_symbol_batch(x, lengths, n_symbols=self.n_symbols, name=name)
        return as_continuous_batch(x, lengths, n_features=self.n_features, name=name)


#: Bytes of HDF5's chunk cache per open store: whole chunks stay cached between the
#: consecutive shards that share them.
HDF5_CHUNK_CACHE = 16 * 2**20


class HDF5Source(_ArrayStoreSource):
    """An HDF5 file with a frames dataset (``"X"``) and a lengths dataset (``"lengths"``).

    Sequence ``i`` is ``X[offsets[i]:offsets[i+1]]`` with ``offsets`` the cumulative
    ``lengths``; a shard is one contiguous slice. Needs the optional ``h5py`` package.
    """

    _kind = "HDF5"

    def _open(self):
        try:
            import h5py
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("HDF5Source needs h5py: pip install 'hmmkit[hdf5]'") from exc
        return h5py.File(self.path, "r", rdcc_nbytes=HDF5_CHUNK_CACHE)


class ZarrSource(_ArrayStoreSource):
    """A Zarr group with a frames array (``"X"``) and a lengths array (``"lengths"``).

    The layout of :class:`HDF5Source`; chunks of the frames array along the first
    axis are read as a shard needs them. Needs the optional ``zarr`` package.
    """

    _kind = "Zarr"

    def _open(self):
        try:
            import zarr
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("ZarrSource needs zarr: pip install 'hmmkit[zarr]'") from exc
        return zarr.open_group(str(self.path), mode="r")


# ---------------------------------------------------------------- FASTA


class FastaRecord(NamedTuple):
    """One FASTA record: the header's first word, the rest of the header, the residues."""

    name: str
    description: str
    residues: str


def _symbol_table(symbols: str, case_sensitive: bool) -> np.ndarray:
    table = np.full(256, -1, dtype=np.int64)
    for code, symbol in enumerate(symbols):
        for letter in {symbol} if case_sensitive else {symbol.upper(), symbol.lower()}:
            value = ord(letter)
            if value > 255:
                raise ValueError(f"alphabet symbol {letter!r} is not a single-byte character")
            if table[value] >= 0 and table[value] != code:
                raise ValueError(f"alphabet {symbols!r} lists {letter!r} twice")
            table[value] = code
    return table


class FastaSource(IndexedSource):
    """Sequences of a FASTA file, integer-coded by ``alphabet``, read shard by shard.

    ``alphabet`` is a string of symbols (code ``i`` is ``alphabet[i]``) or an object
    with a ``symbols`` string (a profile :class:`~hmmkit.profile.Alphabet`); letters
    match either case unless ``case_sensitive``. Building the source scans the file
    once for the byte offset of every record, so each shard is read on its own by a
    seek. :meth:`records` gives a shard's names, descriptions and residues.
    """

    def __init__(
        self,
        path: str | Path,
        alphabet,
        *,
        case_sensitive: bool = False,
        max_frames: int = SHARD_FRAMES,
    ) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise FileNotFoundError(f"FASTA file {path!s} does not exist")
        symbols = alphabet if isinstance(alphabet, str) else getattr(alphabet, "symbols", None)
        if not isinstance(symbols, str) or not symbols:
            raise TypeError(
                f"alphabet must be a non-empty string of symbols or an Alphabet, got {alphabet!r}"
            )
        self.symbols = symbols
        self._table = _symbol_table(symbols, case_sensitive)
        self._starts, self._lengths = self._scan()
        self._ends = np.append(self._starts[1:], self.path.stat().st_size)
        self._group(max_frames)

    @property
    def n_symbols(self) -> int:
        """Size of the alphabet."""
        return len(self.symbols)

    def _scan(self) -> tuple[np.ndarray, np.ndarray]:
        starts: list[int] = []
        lengths: list[int] = []
        position, residues, name = 0, 0, b""
        with open(self.path, "rb") as handle:
            if handle.read(2) == GZIP_MAGIC:
                raise ValueError(
                    f"{self.path.name} is gzip-compressed: a FastaSource reads records by their "
                    "byte offsets in the file, so decompress it first (gunzip)"
                )
            handle.seek(0)
            for number, line in enumerate(handle, start=1):
                if line.startswith(b">"):
                    if starts and residues == 0:
                        self._no_residues(name)
                    words = line[1:].split()
                    if not words:
                        raise ValueError(f"{self.path.name}: line {number}: record without a name")
                    name = words[0]
                    starts.append(position)
                    lengths.append(0)
                    residues = 0
                elif line.strip():
                    if not starts:
                        raise ValueError(
                            f"{self.path.name}: line {number}: sequence data before the first "
                            "'>' header: not a FASTA file"
                        )
                    count = len(line) - sum(line.count(c) for c in (b" ", b"\t", b"\r", b"\n"))
                    lengths[-1] += count
                    residues += count
                position += len(line)
        if not starts:
            raise ValueError(f"{self.path.name} holds no FASTA records")
        if residues == 0:
            self._no_residues(name)
        return np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64)

    def _no_residues(self, name: bytes) -> None:
        raise ValueError(
            f"{self.path.name}: record {name.decode(errors='replace')!r} has no residues: "
            "every sequence needs one frame"
        )

    def _read_bytes(self, start: int, stop: int) -> bytes:
        with open(self.path, "rb") as handle:
            handle.seek(int(self._starts[start]))
            return handle.read(int(self._ends[stop - 1] - self._starts[start]))

    def records(self, key: tuple[int, int]) -> list[FastaRecord]:
        """Names, descriptions and residue strings of the records of a shard."""
        start, stop = key
        text = self._read_bytes(start, stop).decode("utf-8", errors="replace")
        records = []
        for chunk in text.split("\n>"):
            header, _, body = chunk.lstrip(">").partition("\n")
            parts = header.strip().split(None, 1)
            records.append(
                FastaRecord(parts[0], parts[1] if len(parts) > 1 else "", "".join(body.split()))
            )
        if len(records) != stop - start:
            raise ValueError(f"{self.path.name} changed since it was indexed")
        return records

    def load(self, key: tuple[int, int]) -> SequenceBatch:
        """The records of a shard as integer symbol sequences."""
        codes, offsets = [], [0]
        for record in self.records(key):
            raw = np.frombuffer(record.residues.encode("latin-1", errors="replace"), np.uint8)
            code = self._table[raw]
            if np.any(code < 0):
                bad = "".join(sorted({chr(c) for c in raw[code < 0]}))
                raise ValueError(
                    f"{self.path.name}: record {record.name!r} has characters {bad!r} "
                    f"outside the alphabet {self.symbols!r}"
                )
            codes.append(code)
            offsets.append(offsets[-1] + len(code))
        return SequenceBatch(np.concatenate(codes), np.asarray(offsets, dtype=np.int64))
