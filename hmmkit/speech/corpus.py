"""Spoken-digit corpora laid out as the Free Spoken Digit Dataset: listing, splits, location.

Recordings are named `{label}_{speaker}_{index}.wav`; the speakers are whatever names the
files carry. The official split puts takes 0-4 of every label and speaker in the test set
and the rest in the training set; `speaker:NAME` holds out one speaker entirely.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hmmkit import datasets

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
    """The folder of recordings (WAV or FLAC): `data_dir/recordings` if present, else `data_dir`."""
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
    """Where the corpus is: `data_dir`, else `fsdd` under the data folder.

    The data folder is ``$HMMKIT_DATA`` when set, else `fallback`'s parent: the installed
    package knows no data folder of its own, so a program run from a checkout (the recipe)
    passes the checkout's ``data/fsdd`` as `fallback`. None when neither is given.
    """
    if data_dir is not None:
        return Path(data_dir)
    root = datasets.data_root()
    if root is not None:
        return root / "fsdd"
    return Path(fallback) if fallback is not None else None


def read_manifest(path: str | os.PathLike) -> dict:
    """The corpus manifest (``data/fsdd/manifest.json``): its ``published`` section holds
    ``url_pattern`` (with ``{name}``) and ``files`` (name -> sha256 of the file)."""
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    published = manifest.get("published", {})
    if "url_pattern" not in published or "files" not in published:
        raise ValueError(f"manifest {path} needs 'published' with 'url_pattern' and 'files'")
    return manifest


def fetch_published(
    manifest: str | os.PathLike | dict,
    cache_dir: str | os.PathLike | None = None,
    *,
    names: Sequence[str] | None = None,
    progress: bool = True,
) -> Path:
    """Fetch the published recordings the manifest lists into `cache_dir/recordings`
    (default: ``fsdd`` in :func:`hmmkit.datasets.cache_root`), checked against their
    sha256s; files already there are kept. Returns `cache_dir`, usable as a data folder.
    """
    man = manifest if isinstance(manifest, dict) else read_manifest(manifest)
    published = man["published"]
    root = Path(cache_dir) if cache_dir is not None else datasets.cache_root() / "fsdd"
    datasets.fetch(
        root / "recordings", published["url_pattern"], published["files"],
        names=names, progress=progress,
    )  # fmt: skip
    return root


def _has_recordings(folder: Path) -> bool:
    rec = recordings_folder(folder)
    return rec.is_dir() and any(FILENAME.match(p.name) for p in rec.iterdir())


def locate(
    data_dir: str | os.PathLike | None = None,
    *,
    fallback: str | os.PathLike | None = None,
    manifest: str | os.PathLike | dict | None = None,
    published: bool = False,
    progress: bool = True,
) -> Path:
    """A data folder holding the recordings.

    An explicit `data_dir` is used as given. With `published`, the published recordings
    listed in `manifest` are fetched into the cache (see :func:`fetch_published`) and that
    folder is used. Otherwise the default location (:func:`default_data_dir` with
    `fallback`) is used. Raises FileNotFoundError naming the place looked at and what to do.
    """
    if data_dir is not None:
        list_recordings(data_dir)
        return Path(data_dir)
    if published:
        if manifest is None:
            raise ValueError("fetching the published recordings needs their manifest (manifest=)")
        return fetch_published(manifest, progress=progress)
    default = default_data_dir(None, fallback)
    if default is not None and _has_recordings(default):
        return default
    where = f"looked in {default}" if default is not None else "no data folder given"
    raise FileNotFoundError(
        f"no spoken-digit recordings found ({where}); pass --data-dir, set {datasets.DATA_ENV} "
        "to a folder laid out as the repository's data/ (recordings in fsdd/recordings), or "
        "rerun with --download to fetch the published recordings"
    )
