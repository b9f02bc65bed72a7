"""Relative sequence weights, as HMMER's hmmbuild computes them.

* :func:`position_based_weights` - Henikoff & Henikoff (1994) position-based weights over
  consensus columns (Easel's esl_msaweight_PB_adv, HMMER 3.4's default);
* :func:`blosum_weights` - 1/size of each single-linkage cluster at 62 % identity;
* :func:`relative_weights` - the step itself, by hmmbuild's --wpb / --wblosum / --wnone.

Fragments (:mod:`.fragments`) are left out of the consensus columns PB weighting uses.
"""

from __future__ import annotations

import math

import numpy as np

from ...compiling import njit
from ..msa import DigitalMSA
from .fragments import residue_spans


def _normalize(weights: np.ndarray) -> np.ndarray:
    """Scale weights to sum to their number (all-zero weights become all ones)."""
    total = weights.sum()
    n = weights.size
    if total <= 0.0:
        return np.ones(n)
    return weights / total * n


def consensus_columns(
    msa: DigitalMSA, *, fragthresh: float = 0.5, symfrac: float = 0.5, use_rf: bool = False
) -> np.ndarray:
    """Column mask used by PB weighting (Easel's rule, unweighted).

    With ``use_rf`` and an RF line, columns whose RF character is not a gap. Otherwise a
    column is consensus when its gap fraction is below ``symfrac``, counting residues and
    gaps but not the flanking gaps of fragments (span from first to last residue shorter
    than ``ceil(fragthresh * alen)``). Falls back to all columns when none qualifies.
    """
    table = msa.table
    alen = msa.alen
    if use_rf and msa.reference is not None:
        mask = np.array([c not in "-._" for c in msa.reference])
        return mask if mask.any() else np.ones(alen, dtype=bool)
    codes = msa.codes
    residue = table.is_residue()[codes]
    first, last = residue_spans(residue)
    minspan = math.ceil(np.float32(fragthresh) * np.float32(alen))
    fragment = (last - first + 1) < minspan
    cols = np.arange(alen)
    inside = ~fragment[:, None] | ((cols >= first[:, None]) & (cols <= last[:, None]))
    counted = inside & (codes < table.Kp - 2)
    tot = counted.sum(axis=0)
    ngap = (inside & (codes == table.gap)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = ngap.astype(np.float32) / tot.astype(np.float32)
    mask = frac < np.float32(symfrac)
    return mask if mask.any() else np.ones(alen, dtype=bool)


def position_based_weights(
    msa: DigitalMSA, *, fragthresh: float = 0.5, symfrac: float = 0.5, use_rf: bool = False
) -> np.ndarray:
    """Henikoff position-based weights over consensus columns, summing to nseq.

    In each consensus column with r different canonical residues, a sequence carrying a
    residue seen n times gains 1/(r n); each weight is divided by the number of
    canonical residues the sequence has in those columns. Gaps and degenerate residues
    are ignored. HMMER 3.4 uses RF-defined consensus columns only with ``--hand``.
    """
    if msa.nseq == 1:
        return np.ones(1)
    table = msa.table
    cols = consensus_columns(msa, fragthresh=fragthresh, symfrac=symfrac, use_rf=use_rf)
    codes = msa.codes[:, cols].astype(np.int64)
    k = table.K
    canonical = codes < k
    ncons = codes.shape[1]
    counts = np.zeros((ncons, k), dtype=np.int64)
    col_index = np.broadcast_to(np.arange(ncons), codes.shape)
    np.add.at(counts, (col_index[canonical], codes[canonical]), 1)
    r = (counts > 0).sum(axis=1)
    safe = np.where(canonical, codes, 0)
    n_same = counts[col_index, safe]
    contrib = np.where(canonical, 1.0 / np.maximum(r[None, :] * n_same, 1), 0.0)
    weights = contrib.sum(axis=1)
    rlen = canonical.sum(axis=1)
    weights = np.where(rlen > 0, weights / np.maximum(rlen, 1), weights)
    return _normalize(weights)


@njit(cache=True, nogil=True)
def _identity_links(codes, is_residue, maxid):
    n = codes.shape[0]
    alen = codes.shape[1]
    links = np.zeros((n, n), dtype=np.bool_)
    for a in range(n):
        for b in range(a + 1, n):
            nid = 0
            len1 = 0
            len2 = 0
            for j in range(alen):
                x = codes[a, j]
                y = codes[b, j]
                rx = is_residue[x]
                ry = is_residue[y]
                if rx:
                    len1 += 1
                if ry:
                    len2 += 1
                if rx and ry and x == y:
                    nid += 1
            denom = min(len1, len2)
            pid = 0.0 if denom == 0 else nid / denom
            if pid >= maxid:
                links[a, b] = True
                links[b, a] = True
    return links


def pairwise_identity(msa: DigitalMSA, i: int, j: int) -> float:
    """Fractional identity of two aligned rows: identical residues / shorter length."""
    res = msa.table.is_residue()
    a, b = msa.codes[i], msa.codes[j]
    ra, rb = res[a], res[b]
    denom = min(int(ra.sum()), int(rb.sum()))
    return 0.0 if denom == 0 else float(((a == b) & ra & rb).sum()) / denom


def single_linkage_clusters(msa: DigitalMSA, maxid: float = 0.62) -> np.ndarray:
    """Cluster index of each sequence; sequences with identity >= ``maxid`` are linked."""
    links = _identity_links(msa.codes, msa.table.is_residue(), float(maxid))
    labels = np.full(msa.nseq, -1, dtype=np.int64)
    n_clusters = 0
    for start in range(msa.nseq):
        if labels[start] >= 0:
            continue
        stack = [start]
        labels[start] = n_clusters
        while stack:
            node = stack.pop()
            for other in np.flatnonzero(links[node] & (labels < 0)):
                labels[other] = n_clusters
                stack.append(int(other))
        n_clusters += 1
    return labels


def blosum_weights(msa: DigitalMSA, maxid: float = 0.62) -> np.ndarray:
    """BLOSUM weights: 1/(cluster size) in single-linkage clusters at ``maxid``, sum nseq."""
    if not 0.0 <= maxid <= 1.0:
        raise ValueError(f"maxid must lie in [0, 1], got {maxid}")
    if msa.nseq == 1:
        return np.ones(1)
    labels = single_linkage_clusters(msa, maxid)
    sizes = np.bincount(labels)
    return _normalize(1.0 / sizes[labels])


WEIGHTINGS = ("pb", "blosum", "none")


def relative_weights(
    msa: DigitalMSA, method: str = "pb", *, use_rf: bool = False, maxid: float = 0.62
) -> np.ndarray:
    """Relative sequence weights by ``method``: 'pb' (consensus columns from the RF line
    with ``use_rf``), 'blosum' (clusters at identity ``maxid``) or 'none' (all ones)."""
    check_weighting(method)
    if method == "pb":
        return position_based_weights(msa, use_rf=use_rf)
    if method == "blosum":
        return blosum_weights(msa, maxid)
    return np.ones(msa.nseq)


def check_weighting(method: str) -> None:
    """ValueError unless ``method`` is one of :data:`WEIGHTINGS`."""
    if method not in WEIGHTINGS:
        raise ValueError(f"weighting must be 'pb', 'blosum' or 'none', got {method!r}")
