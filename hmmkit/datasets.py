"""Where data sets live, and fetching the published ones.

A *data folder* is laid out as the repository's ``data/``: ``fsdd/recordings`` (spoken
digits), ``protein/tutorial`` and ``protein/pyhmmer`` (profile-HMM families and a
proteome), ``hmmer_parameters/priors.json``. Programs run from a checkout default to its
``data/``; ``$HMMKIT_DATA``, when set, names another folder laid out the same way. Data
sets not in the repository are fetched on request with pooch: each file is checked
against the sha256 of a manifest and kept in a cache (``$HMMKIT_CACHE``, else the
system's user cache folder), so it is fetched once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The environment variable naming a data folder laid out as the repository's data/.
DATA_ENV = "HMMKIT_DATA"
#: The environment variable naming the cache folder for fetched data sets.
CACHE_ENV = "HMMKIT_CACHE"


def data_root(default: str | os.PathLike | None = None) -> Path | None:
    """The data folder: ``$HMMKIT_DATA`` when set, else `default` (or None)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return Path(default) if default is not None else None


def cache_root() -> Path:
    """Where fetched data sets are kept: ``$HMMKIT_CACHE``, else the user cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import pooch

    return Path(pooch.os_cache("hmmkit"))


def fetch(
    folder: str | os.PathLike,
    url_pattern: str,
    sha256: Mapping[str, str],
    *,
    names: Sequence[str] | None = None,
    progress: bool = True,
) -> Path:
    """Fetch files published at ``url_pattern.format(name=name)`` into `folder`.

    Each file is checked against its entry in `sha256` (name -> hex digest); files already
    in `folder` with the right digest are kept, so a second call fetches nothing.
    `progress` shows a bar (per file for one file, over the files for several). Returns
    `folder`. Raises ValueError for names the manifest lacks or a file whose digest
    differs, and ConnectionError, saying what to do, when the source cannot be reached.
    """
    import pooch

    wanted = sorted(sha256) if names is None else list(names)
    unknown = [n for n in wanted if n not in sha256]
    if unknown:
        raise ValueError(f"names not in the manifest: {unknown[:5]}")
    folder = Path(folder)
    registry = {n: f"sha256:{sha256[n]}" for n in wanted}
    urls = {n: url_pattern.format(name=n) for n in wanted}
    store = pooch.create(path=folder, base_url="", registry=registry, urls=urls)
    logger = pooch.get_logger()
    level = logger.level
    many = len(wanted) > 1
    if many:
        logger.setLevel("WARNING")  # one line per file would drown the bar
    try:
        for name in _bar(wanted, "fetch", progress and many):
            try:
                store.fetch(name, progressbar=progress and not many)
            except OSError as exc:  # requests' errors derive from OSError
                raise ConnectionError(
                    f"cannot fetch {urls[name]} ({exc}). Without network access, copy the "
                    f"files by other means into {folder}, or point {DATA_ENV} at a data "
                    "folder that holds them."
                ) from exc
    finally:
        logger.setLevel(level)
    return folder


def _bar(items: Sequence[str], what: str, show: bool):
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=what, unit="file")
