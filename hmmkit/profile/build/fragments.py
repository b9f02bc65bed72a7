"""Fragment marking, hmmbuild's first step on an alignment's rows.

A sequence with no more than ``fragthresh`` times the alignment length in residues is a
fragment (:func:`mark_fragments`); its leading and trailing gaps are not deletions but
missing data ``~`` (:func:`fragments_to_missing`), which the counting step skips. Missing
data written in the alignment itself is accepted only at a sequence's ends
(:func:`check_missing_data`).
"""

from __future__ import annotations

import numpy as np

from ..msa import DigitalMSA


def residue_spans(residue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last residue column (0-based) of each row of the bool matrix ``residue``;
    (alen, -1) for rows without residues."""
    alen = residue.shape[1]
    has = residue.any(axis=1)
    first = np.where(has, residue.argmax(axis=1), alen)
    last = np.where(has, alen - 1 - residue[:, ::-1].argmax(axis=1), -1)
    return first, last


def mark_fragments(msa: DigitalMSA, fragthresh: float = 0.5) -> np.ndarray:
    """Bool per sequence: a fragment has at most ``fragthresh * alen`` residues."""
    check_fragthresh(fragthresh)
    rlen = msa.table.is_residue()[msa.codes].sum(axis=1)
    return rlen <= fragthresh * msa.alen


def check_fragthresh(fragthresh: float) -> None:
    """ValueError unless ``fragthresh`` lies in [0, 1]."""
    if not 0.0 <= fragthresh <= 1.0:
        raise ValueError(f"fragthresh must lie in [0, 1], got {fragthresh}")


def fragments_to_missing(msa: DigitalMSA, fragments: np.ndarray) -> np.ndarray:
    """Digital codes with each fragment's leading and trailing non-residues set to ``~``."""
    table = msa.table
    codes = msa.codes.copy()
    residue = table.is_residue()[codes]
    first, last = residue_spans(residue)
    cols = np.arange(msa.alen)
    outside = (cols[None, :] < first[:, None]) | (cols[None, :] > last[:, None])
    codes[outside & fragments[:, None]] = table.missing
    return codes


def check_missing_data(msa: DigitalMSA) -> None:
    """ValueError if a sequence has missing data ``~`` other than at its ends."""
    missing = msa.codes == msa.table.missing
    if not missing.any():
        return
    for row, name in zip(missing, msa.names, strict=True):
        if not row.any():
            continue
        n = row.size
        lead = n if row.all() else int(np.argmin(row))
        trail = n if row.all() else int(np.argmin(row[::-1]))
        if row[lead : n - trail].any():
            raise ValueError(f"sequence {name!r} has missing data '~' other than at its ends")


__all__ = ["check_fragthresh", "check_missing_data", "fragments_to_missing", "mark_fragments",
           "residue_spans"]  # fmt: skip
