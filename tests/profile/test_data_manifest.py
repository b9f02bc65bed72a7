"""data/protein/manifest.json lists every protein data file with the checksum of the copy
the tests read, and where it is published."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[2] / "data" / "protein" / "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_manifest_matches_the_protein_data(shared_data):
    sets = json.loads(MANIFEST.read_text())["sets"]
    for folder, entry in sets.items():
        present = {p.name for p in (shared_data / "protein" / folder).iterdir()} - {"NOTICE.md"}
        assert present == set(entry["files"]), folder
        for name, value in entry["files"].items():
            expected = value if isinstance(value, str) else value["sha256"]
            assert sha256(shared_data / "protein" / folder / name) == expected, name
    assert "{name}" in sets["tutorial"]["url_pattern"]
