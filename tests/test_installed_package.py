"""The suite tests the installed hmmkit, not the checkout's source tree shadowing it.

``python -m pytest`` puts the current folder first on sys.path, so from the repository's
top level it imports ``hmmkit/`` from the source tree even when a (possibly different)
copy is installed; the README's and CI's command, ``python -P -m pytest``, does not (nor
does the ``pytest`` script). A non-editable
install must therefore be what the tests import; an editable install (a development
checkout, ``pip install -e .``) legitimately maps to the source tree, and CI never uses one.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

import hmmkit

SOURCE = Path(__file__).resolve().parent.parent / "hmmkit"


def _editable(dist: metadata.Distribution) -> bool:
    """Whether pip installed `dist` in editable mode (PEP 610's direct_url.json)."""
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    return bool(direct.get("dir_info", {}).get("editable", False))


def test_the_imported_hmmkit_is_the_installed_one():
    dist = metadata.distribution("hmmkit")  # PackageNotFoundError: hmmkit is not installed
    imported = Path(hmmkit.__file__).resolve()
    if os.environ.get("CI", "").lower() == "true":
        assert not _editable(dist), "CI must test a regular install (pip install .), not -e"
    if _editable(dist):
        assert imported.is_relative_to(SOURCE), imported  # the editable install's target
        return
    installed = Path(dist.locate_file("hmmkit/__init__.py")).resolve()
    assert imported == installed, (
        f"hmmkit is imported from {imported}, not from its installation {installed}: run "
        "the suite with `python -P -m pytest` (or `pytest`), not `python -m pytest`"
    )
    assert not imported.is_relative_to(SOURCE)
    assert hmmkit.__version__ == dist.version
