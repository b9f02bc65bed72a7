"""On-disk cache of the front end's static cepstra, one pack file per batch of recordings."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..atomic import atomic_output
from .features import FRONT_END_VERSION, MFCCConfig, features_of_files


class FeatureCache:
    """On-disk cache of static cepstra, keyed by each audio file's content and the settings.

    A key is a sha256 over the file bytes and the settings, so renamed or moved recordings
    hit the cache and edited ones miss it. The recordings computed together are stored
    together: one pack per batch (``pack-HASH.npz``: the keys, the frame offsets and every
    entry's cepstra in one array), written atomically, so a corpus costs a few files to
    write and read rather than one per recording. A damaged pack is ignored (its entries
    are computed again).
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.hits = 0
        self.misses = 0
        self._index: dict[str, tuple[Path, int]] = {}  # key -> (pack, entry number)
        self._packs: set[str] = set()  # packs read into the index
        self._lock = threading.Lock()  # over the index: threads may share a cache

    def key(self, audio_path: str | os.PathLike, config: MFCCConfig) -> str:
        """Cache key of one recording under one configuration."""
        return self._key(audio_path, _settings_text(config))

    @staticmethod
    def _key(audio_path: str | os.PathLike, settings: bytes) -> str:
        h = hashlib.sha256(Path(audio_path).read_bytes())
        h.update(settings)
        return h.hexdigest()

    def get(self, audio_path: str | os.PathLike, config: MFCCConfig) -> np.ndarray:
        """Static cepstra of one file, computed once and then read back from disk."""
        return self.get_many([audio_path], config)[0]

    def get_many(
        self, audio_paths: Sequence[str | os.PathLike], config: MFCCConfig
    ) -> list[np.ndarray]:
        """Static cepstra of several files: those in the cache read back, the others
        computed together (:func:`features_of_files`) and stored as one new pack."""
        settings = _settings_text(config)  # once, not per file
        keys = [self._key(path, settings) for path in audio_paths]
        found = self._read(set(keys))
        missing = {}  # key -> path, one per content
        for key, path in zip(keys, audio_paths, strict=True):
            if key not in found:
                missing.setdefault(key, path)
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            computed = features_of_files(list(missing.values()), config)
            found.update(zip(missing, computed, strict=True))
            self._write(list(missing), computed)
        return [found[key] for key in keys]

    def _refresh_index(self) -> None:
        """Read the keys of the packs not yet indexed (a damaged one is skipped)."""
        if not self.directory.is_dir():
            return
        for pack in sorted(self.directory.glob("pack-*.npz")):
            if pack.name in self._packs:
                continue
            try:
                with np.load(pack, allow_pickle=False) as data:
                    keys = data["keys"]
            except Exception:  # noqa: BLE001 - any damaged pack (empty, truncated, foreign)
                continue
            self._packs.add(pack.name)
            for number, key in enumerate(keys.tolist()):
                self._index.setdefault(key, (pack, number))

    def _read(self, wanted: set[str]) -> dict[str, np.ndarray]:
        """The cached cepstra of the `wanted` keys that some pack holds."""
        by_pack: dict[Path, list[tuple[str, int]]] = {}
        with self._lock:
            if not wanted <= self._index.keys():
                self._refresh_index()
            for key in wanted:
                if key in self._index:
                    pack, number = self._index[key]
                    by_pack.setdefault(pack, []).append((key, number))
        found = {}
        for pack, entries in by_pack.items():
            try:
                with np.load(pack, allow_pickle=False) as data:
                    offsets, cepstra = data["offsets"], data["cepstra"]
                    for key, number in entries:
                        found[key] = np.array(cepstra[offsets[number] : offsets[number + 1]])
            except Exception:  # noqa: BLE001 - damaged or removed since it was indexed:
                self._forget(pack)  # its entries are computed again
        return found

    def _forget(self, pack: Path) -> None:
        with self._lock:
            self._packs.discard(pack.name)
            self._index = {k: v for k, v in self._index.items() if v[0] != pack}

    def _write(self, keys: list[str], cepstra: list[np.ndarray]) -> None:
        """Store entries as one pack, named by its keys (so that writers of the same
        entries write the same file)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()
        pack = self.directory / f"pack-{name}.npz"
        offsets = np.concatenate(([0], np.cumsum([len(c) for c in cepstra])))
        with atomic_output(pack, "wb") as out:
            np.savez(
                out,
                keys=np.array(keys),
                offsets=offsets.astype(np.int64),
                cepstra=np.concatenate(cepstra),
            )
        with self._lock:
            self._packs.add(pack.name)
            for number, key in enumerate(keys):
                self._index[key] = (pack, number)


def _settings_text(config: MFCCConfig) -> bytes:
    """What a cache key holds besides the audio: the settings of the static cepstra and
    the front end's version."""
    settings = json.dumps(config.static_key(), sort_keys=True)
    return f"{settings}front end {FRONT_END_VERSION}".encode()


def default_cache_dir() -> Path:
    """`$HMMKIT_CACHE/features`, else `$XDG_CACHE_HOME/hmmkit/features`, else ~/.cache/..."""
    if os.environ.get("HMMKIT_CACHE"):
        return Path(os.environ["HMMKIT_CACHE"]) / "features"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hmmkit" / "features"
