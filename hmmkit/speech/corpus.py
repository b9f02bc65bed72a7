"""Spoken-digit corpora laid out as the Free Spoken Digit Dataset: listing, splits, download.

Recordings are named `{label}_{speaker}_{index}.wav`; the speakers are whatever names the
files carry. The official split puts takes 0-4 of every label and speaker in the test set
and the rest in the training set; `speaker:NAME` holds out one speaker entirely.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FILENAME = re.compile(
    r"^(?P<label>[^_]+)_(?P<speaker>.+)_(?P<index>\d+)\.(?:wav|flac)$", re.IGNORECASE
)
OFFICIAL_TEST_TAKES = range(0, 5)


@dataclass(frozen=True)
class Utterance:
    """One recording: its path, spoken label, speaker and take number."""

    path: Path
    label: str
    speaker: str
    index: int


def recordings_folder(data_dir: str | os.PathLike) -> Path:
    """The folder holding the WAV files: `data_dir/recordings` if present, else `data_dir`."""
    root = Path(data_dir)
    return root / "recordings" if (root / "recordings").is_dir() else root


def list_recordings(data_dir: str | os.PathLike) -> list[Utterance]:
    """All `{label}_{speaker}_{index}.wav` (or `.flac`) recordings under `data_dir`, sorted (hidden
    files, such as macOS's `._*` companions, are skipped).

    Raises FileNotFoundError when the folder is missing or holds no such recordings.
    """
    folder = recordings_folder(data_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"data folder {folder} does not exist")
    utts = []
    for path in folder.iterdir():
        match = FILENAME.match(path.name)
        if match and path.is_file() and not path.name.startswith("."):  # not ._x.wav (macOS)
            utts.append(Utterance(path, match["label"], match["speaker"], int(match["index"])))
    if not utts:
        raise FileNotFoundError(
            f"no {{label}}_{{speaker}}_{{index}}.wav (or .flac) recordings in {folder}"
        )
    return sorted(utts, key=lambda u: (u.speaker, _label_key(u.label), u.index))


def _label_key(label: str) -> tuple:
    return (0, int(label), "") if label.isdigit() else (1, 0, label)


def speakers(utts: Sequence[Utterance]) -> list[str]:
    """The sorted speaker names found in `utts`."""
    return sorted({u.speaker for u in utts})


def labels(utts: Sequence[Utterance]) -> list[str]:
    """The sorted labels (numeric labels in numeric order) found in `utts`."""
    return sorted({u.label for u in utts}, key=_label_key)


def split(utts: Sequence[Utterance], name: str) -> tuple[list[Utterance], list[Utterance]]:
    """`(train, test)` for `official` or `speaker:NAME`.

    Raises ValueError for an unknown split, an unknown speaker, or an empty side.
    """
    if name == "official":
        test = [u for u in utts if u.index in OFFICIAL_TEST_TAKES]
        train = [u for u in utts if u.index not in OFFICIAL_TEST_TAKES]
    elif name.startswith("speaker:"):
        held_out = name.split(":", 1)[1]
        known = speakers(utts)
        if held_out not in known:
            raise ValueError(f"split {name!r}: unknown speaker {held_out!r}; found {known}")
        test = [u for u in utts if u.speaker == held_out]
        train = [u for u in utts if u.speaker != held_out]
    else:
        raise ValueError(f"split must be 'official' or 'speaker:NAME', got {name!r}")
    if not train or not test:
        raise ValueError(f"split {name!r} leaves {len(train)} training and {len(test)} test files")
    return train, test


def default_data_dir(
    data_dir: str | os.PathLike | None = None, fallback: str | os.PathLike | None = None
) -> Path | None:
    """Where the corpus is: `data_dir`, else `$HMMKIT_DATA/fsdd`, else `fallback` (or None).

    The installed package knows no data folder of its own: a program run from a checkout
    (the recipe) passes the one beside it as `fallback`.
    """
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("HMMKIT_DATA")
    if env:
        return Path(env) / "fsdd"
    return Path(fallback) if fallback is not None else None


def read_manifest(path: str | os.PathLike) -> dict:
    """The corpus manifest: `url_pattern` (with `{name}`) and `files` (name -> sha256)."""
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if "url_pattern" not in manifest or "files" not in manifest:
        raise ValueError(f"manifest {path} needs 'url_pattern' and 'files'")
    return manifest


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def download(
    cache_dir: str | os.PathLike,
    manifest: str | os.PathLike | dict,
    *,
    names: Sequence[str] | None = None,
    progress=None,
    timeout: float = 30.0,
) -> Path:
    """Fetch the published recordings into `cache_dir/recordings`, checked against sha256s.

    Files already present with the right checksum are kept. Returns `cache_dir`, usable as
    a data folder. Raises ConnectionError with what to do when the source is unreachable,
    and ValueError when a downloaded file does not match its checksum.
    """
    man = manifest if isinstance(manifest, dict) else read_manifest(manifest)
    files: dict[str, str] = man["files"]
    wanted = list(names) if names is not None else sorted(files)
    unknown = [n for n in wanted if n not in files]
    if unknown:
        raise ValueError(f"names not in the manifest: {unknown[:5]}")
    folder = Path(cache_dir) / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    iterator = progress(wanted) if progress is not None else wanted
    for name in iterator:
        target = folder / name
        if target.is_file() and sha256_file(target) == files[name]:
            continue
        url = man["url_pattern"].format(name=name)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                payload = response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ConnectionError(
                f"cannot download {url} ({exc}). Without network access, fetch the "
                f"recordings/ folder of {man.get('source', 'the dataset')} by other means "
                "and pass its parent folder with --data-dir (or set HMMKIT_DATA)."
            ) from exc
        digest = hashlib.sha256(payload).hexdigest()
        if digest != files[name]:
            raise ValueError(f"{url}: sha256 {digest} does not match the manifest's {files[name]}")
        tmp = target.with_suffix(f".{os.getpid()}.part")
        tmp.write_bytes(payload)
        os.replace(tmp, target)
    return Path(cache_dir)


def _has_recordings(folder: Path) -> bool:
    rec = recordings_folder(folder)
    return rec.is_dir() and any(FILENAME.match(p.name) for p in rec.iterdir())


def default_download_dir() -> Path:
    """`$HMMKIT_CACHE/fsdd`, else `$XDG_CACHE_HOME/hmmkit/fsdd`, else `~/.cache/hmmkit/fsdd`."""
    if os.environ.get("HMMKIT_CACHE"):
        return Path(os.environ["HMMKIT_CACHE"]) / "fsdd"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hmmkit" / "fsdd"


def locate(
    data_dir: str | os.PathLike | None = None,
    *,
    fallback: str | os.PathLike | None = None,
    manifest: str | os.PathLike | dict | None = None,
    allow_download: bool = False,
    progress=None,
) -> Path:
    """A data folder holding the recordings, downloading into the cache when allowed.

    An explicit `data_dir` is used as given (never downloaded into). Otherwise the
    default location (:func:`default_data_dir` with `fallback`) is used if it holds
    recordings, then the download cache; with `allow_download` the recordings listed in
    `manifest` are fetched into the cache. Raises FileNotFoundError naming the places
    looked at and what to do.
    """
    if data_dir is not None:
        list_recordings(data_dir)
        return Path(data_dir)
    default = default_data_dir(None, fallback)
    candidates = [c for c in (default, default_download_dir()) if c is not None]
    if default is not None and _has_recordings(default):
        return default
    if allow_download:
        if manifest is None:
            raise ValueError("allow_download needs the manifest of the recordings (manifest=)")
        return download(candidates[-1], manifest, progress=progress)
    if _has_recordings(candidates[-1]):
        return candidates[-1]
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"no spoken-digit recordings found (looked in {looked}); pass --data-dir, set "
        "HMMKIT_DATA, or rerun with --download to fetch the published recordings"
    )
