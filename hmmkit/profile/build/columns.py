"""Match-column assignment: which alignment columns become the model's match states.

hmmbuild's ``--fast`` (the default) makes a column a match column when its weighted
residue occupancy reaches ``symfrac`` (HMMER's p7_Fastmodelmaker,
:func:`assign_match_columns`); ``--hand`` takes the columns the ``#=GC RF`` line marks
(:func:`match_columns_from_reference`). Columns the ``#=GC MM`` line masks keep their
match state but count their residues as the all-degenerate residue
(:func:`model_mask_codes`).
"""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from ..msa import DigitalMSA

ARCHITECTURES = ("fast", "hand")


@njit(cache=True, nogil=True)
def _weighted_occupancy(codes, weights, is_residue, gap, symfrac):
    alen = codes.shape[1]
    out = np.zeros(alen, dtype=np.bool_)
    thresh = np.float32(symfrac)
    for apos in range(alen):
        r = np.float32(0.0)
        tot = np.float32(0.0)
        for idx in range(codes.shape[0]):
            x = codes[idx, apos]
            w = weights[idx]
            if is_residue[x]:
                r = np.float32(np.float64(r) + w)
                tot = np.float32(np.float64(tot) + w)
            elif x == gap:
                tot = np.float32(np.float64(tot) + w)
        out[apos] = r > 0.0 and np.float32(r / tot) >= thresh
    return out


def assign_match_columns(msa: DigitalMSA, weights: np.ndarray, symfrac: float = 0.5) -> np.ndarray:
    """Match columns by weighted residue occupancy (HMMER's p7_Fastmodelmaker).

    A column is a match column when the weighted fraction of residues among residues
    and gaps is at least ``symfrac``; missing data ``~`` (fragment flanks) is ignored.
    """
    if not 0.0 <= symfrac <= 1.0:
        raise ValueError(f"symfrac must lie in [0, 1], got {symfrac}")
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (msa.nseq,):
        raise ValueError(f"weights must have one value per sequence ({msa.nseq})")
    t = msa.table
    return _weighted_occupancy(msa.codes, weights, t.is_residue(), t.gap, float(symfrac))


def match_columns_from_reference(reference: str | None) -> np.ndarray:
    """Match columns from an RF line: every column whose RF character is not a gap."""
    if reference is None:
        raise ValueError("architecture 'hand' needs an alignment with a #=GC RF line")
    return np.array([c not in "-._~" for c in reference], dtype=bool)


def check_architecture(architecture: str) -> None:
    """ValueError unless ``architecture`` is one of :data:`ARCHITECTURES`."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be 'fast' or 'hand', got {architecture!r}")


def match_columns(
    msa: DigitalMSA, weights: np.ndarray, architecture: str = "fast", symfrac: float = 0.5
) -> np.ndarray:
    """The step: match columns of ``msa`` (fragment flanks already missing data) by
    ``architecture``: 'fast', weighted occupancy >= ``symfrac``; 'hand', the RF line."""
    check_architecture(architecture)
    if architecture == "fast":
        return assign_match_columns(msa, weights, symfrac)
    return match_columns_from_reference(msa.reference)


def model_mask_codes(msa: DigitalMSA) -> np.ndarray:
    """Digital codes in which residues of columns the MM line marks 'm' become the
    all-degenerate residue (``msa.codes`` itself without an MM line)."""
    if msa.model_mask is None:
        return msa.codes
    t = msa.table
    cols = np.array([c == "m" for c in msa.model_mask])
    codes = msa.codes.copy()
    sub = codes[:, cols]
    sub[(sub != t.gap) & (sub != t.missing)] = t.any
    codes[:, cols] = sub
    return codes


__all__ = [
    "ARCHITECTURES",
    "assign_match_columns",
    "check_architecture",
    "match_columns",
    "match_columns_from_reference",
    "model_mask_codes",
]
