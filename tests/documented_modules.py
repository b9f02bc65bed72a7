"""The emission modules of docs/custom_emissions.md, written out as the files they are."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "custom_emissions.md"
_FILE_BLOCK = re.compile(r"```python\n# file: (\w+\.py)\n(.*?)```", re.S)


def documented_blocks() -> tuple[dict[str, str], list[str]]:
    """``({file name: source}, [the other python blocks])`` of the page, in order."""
    text = DOC.read_text(encoding="utf-8")
    files = {name: source for name, source in _FILE_BLOCK.findall(text)}
    others = [
        block
        for block in re.findall(r"```python\n(.*?)```", text, re.S)
        if not block.startswith("# file:")
    ]
    return files, others


def write_documented_modules(folder: Path) -> Path:
    """Write every ``# file:`` block of the page into ``folder``; returns it."""
    files, _ = documented_blocks()
    for name, source in files.items():
        (folder / name).write_text(source, encoding="utf-8")
    return folder
