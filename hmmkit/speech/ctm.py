"""Time-marked outputs: CTM files (``utt 1 start dur token``), Kaldi ``text`` and Praat
TextGrids (a ``words`` tier and, for phone models, a ``phones`` tier, gaps as empty
intervals, as the Montreal Forced Aligner writes them)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from ..atomic import atomic_output

Timed = tuple[str, float, float]  # token, start, end (seconds)


def write_ctm(path: str | os.PathLike, items: Iterable[tuple[str, Sequence[Timed]]]) -> None:
    """Write ``utt 1 start duration token`` lines in seconds to the millisecond (a
    boundary between 10 ms frames lies between their centres, off Kaldi's two-decimal
    grid); the duration is the rounded end less the rounded start, so that start plus
    duration reads back the end to the millisecond."""
    with atomic_output(path) as fh:
        for utt, tokens in items:
            for token, start, end in tokens:
                first, last = round(start, 3), round(end, 3)
                fh.write(f"{utt} 1 {first:.3f} {last - first:.3f} {token}\n")


def read_ctm(path: str | os.PathLike) -> dict[str, list[Timed]]:
    """utt -> [(token, start, end)] from a CTM file (ValueError naming file:line)."""
    out: dict[str, list[Timed]] = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            fields = line.split()
            if not fields or fields[0].startswith(";;"):
                continue
            if len(fields) < 5:
                raise ValueError(f"{path}:{number}: a CTM line needs 5 fields, got {len(fields)}")
            try:
                start, dur = float(fields[2]), float(fields[3])
            except ValueError:
                raise ValueError(f"{path}:{number}: start and duration must be numbers") from None
            out.setdefault(fields[0], []).append((fields[4], start, start + dur))
    return out


def write_text(path: str | os.PathLike, items: Iterable[tuple[str, Sequence[str]]]) -> None:
    """A Kaldi ``text`` file: ``utt w1 w2 ...``."""
    with atomic_output(path) as fh:
        for utt, words in items:
            fh.write(" ".join([utt, *words]) + "\n")


def _tier(name: str, tokens: Sequence[Timed], duration: float) -> list[str]:
    intervals: list[Timed] = []
    cursor = 0.0
    for token, start, end in tokens:
        if start > cursor + 1e-9:
            intervals.append(("", cursor, start))
        intervals.append((token, start, end))
        cursor = end
    if duration > cursor + 1e-9:
        intervals.append(("", cursor, duration))
    lines = [
        '        class = "IntervalTier" ',
        f'        name = "{name}" ',
        "        xmin = 0 ",
        f"        xmax = {duration:g} ",
        f"        intervals: size = {len(intervals)} ",
    ]
    for k, (token, start, end) in enumerate(intervals, start=1):
        text = token.replace('"', '""')
        lines += [
            f"        intervals [{k}]:",
            f"            xmin = {start:g} ",
            f"            xmax = {end:g} ",
            f'            text = "{text}" ',
        ]
    return lines


def write_textgrid(
    path: str | os.PathLike, tiers: Mapping[str, Sequence[Timed]], duration: float
) -> None:
    """A Praat TextGrid (long text format) with one interval tier per entry of ``tiers``."""
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0 ",
        f"xmax = {duration:g} ",
        "tiers? <exists> ",
        f"size = {len(tiers)} ",
        "item []: ",
    ]
    for k, (name, tokens) in enumerate(tiers.items(), start=1):
        lines.append(f"    item [{k}]:")
        lines += _tier(name, tokens, duration)
    with atomic_output(path) as fh:
        fh.write("\n".join(lines) + "\n")
