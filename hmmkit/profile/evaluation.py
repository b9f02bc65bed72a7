"""Benchmarking profile HMMs: cross-validation folds, decoy shuffles, ROC and hit agreement.

The pieces a family benchmark needs, independent of any one search tool: split an
alignment's sequences into folds (:func:`kfold_indices`, :func:`subset_alignment`),
take the held-out members out of their alignment (:func:`ungapped_sequences`), make decoys
that keep a sequence's residue composition (:func:`shuffle_residues`), and summarise
scores (:func:`sensitivity`, :func:`roc_curve`, :func:`roc_auc`, :func:`hit_agreement`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import rankdata

from .msa import DigitalMSA

_GAP_LETTERS = "-.~_"


def kfold_indices(
    n: int, folds: int, seed: int | np.random.Generator | None = 0
) -> list[np.ndarray]:
    """Held-out index sets of a `folds`-fold split of ``range(n)``, shuffled by `seed`.

    Every index is held out exactly once; fold sizes differ by at most one. Each returned
    array is sorted.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    if folds > n:
        raise ValueError(f"folds ({folds}) cannot exceed the number of items ({n})")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


def subset_alignment(msa: DigitalMSA, rows: Sequence[int] | np.ndarray) -> DigitalMSA:
    """The alignment restricted to `rows` (columns and annotation kept as they are)."""
    idx = np.asarray(rows, dtype=np.int64)
    if idx.ndim != 1 or idx.size == 0:
        raise ValueError("rows must be a non-empty 1-D sequence of row indices")
    if idx.min() < 0 or idx.max() >= msa.nseq:
        raise ValueError(f"rows must lie in [0, {msa.nseq}), got {idx.min()}..{idx.max()}")
    if len(np.unique(idx)) != idx.size:
        raise ValueError("rows must not repeat a row")
    return replace(msa, codes=msa.codes[idx], names=[msa.names[i] for i in idx])


def ungapped_sequences(msa: DigitalMSA, rows: Sequence[int] | None = None) -> list[tuple[str, str]]:
    """(name, residues) of alignment rows with gaps and missing data removed, upper case."""
    text = msa.text()
    chosen = range(msa.nseq) if rows is None else rows
    strip = str.maketrans("", "", _GAP_LETTERS)
    return [(msa.names[i], text[i].translate(strip).upper()) for i in chosen]


def shuffle_residues(residues: str, rng: np.random.Generator) -> str:
    """A random permutation of `residues`: same length and residue composition."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    letters = np.frombuffer(residues.encode("ascii"), dtype=np.uint8).copy()
    return rng.permutation(letters).tobytes().decode("ascii")


def _scores(values, label: str) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError(f"{label} must hold at least one score")
    if np.isnan(x).any():
        raise ValueError(f"{label} must not contain NaN")
    return x


def roc_auc(positive, negative) -> float:
    """Area under the ROC curve: P(positive scores above negative), ties counting one half.

    Scores may be ``-inf`` (e.g. targets a search did not score); higher is better.
    """
    pos = _scores(positive, "positive")
    neg = _scores(negative, "negative")
    ranks = rankdata(np.concatenate([pos, neg]))
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def roc_curve(positive, negative) -> tuple[np.ndarray, np.ndarray]:
    """ROC points (false-positive rate, true-positive rate) from the strictest threshold on.

    One point per distinct score, starting at (0, 0) and ending at (1, 1); tied scores
    move both rates at once, so the trapezoid area of the curve equals :func:`roc_auc`.
    """
    pos = _scores(positive, "positive")
    neg = _scores(negative, "negative")
    scores = np.concatenate([pos, neg])
    labels = np.concatenate([np.ones(pos.size), np.zeros(neg.size)])
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    last = np.r_[np.flatnonzero(scores[1:] != scores[:-1]), scores.size - 1]
    tp = np.cumsum(labels)[last]
    fp = np.cumsum(1.0 - labels)[last]
    return np.r_[0.0, fp / neg.size], np.r_[0.0, tp / pos.size]


def sensitivity(evalues, threshold: float = 0.01) -> float:
    """Fraction of E-values at or below `threshold` (missing hits count as ``inf``)."""
    e = np.asarray(evalues, dtype=float).ravel()
    if e.size == 0:
        raise ValueError("evalues must hold at least one value")
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    return float(np.mean(e <= threshold))


@dataclass(frozen=True)
class HitAgreement:
    """How two hit lists compare: shared and exclusive names, bit-score correlation."""

    shared: list[str]
    only_first: list[str]
    only_second: list[str]
    correlation: float | None
    max_abs_difference: float | None

    @property
    def identical(self) -> bool:
        """True when both lists name the same targets."""
        return not self.only_first and not self.only_second

    @property
    def jaccard(self) -> float:
        """Shared names over all names (1.0 for two empty lists)."""
        total = len(self.shared) + len(self.only_first) + len(self.only_second)
        return 1.0 if total == 0 else len(self.shared) / total


def pearson(x, y) -> float | None:
    """Pearson correlation of two equal-length score lists (None if undefined)."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"x and y differ in shape: {a.shape} vs {b.shape}")
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    r = float(np.corrcoef(a, b)[0, 1])
    return r if math.isfinite(r) else None


def hit_agreement(first: Mapping[str, float], second: Mapping[str, float]) -> HitAgreement:
    """Compare two hit lists given as {target name: bit score}."""
    shared = sorted(set(first) & set(second))
    a = [first[n] for n in shared]
    b = [second[n] for n in shared]
    diff = float(np.max(np.abs(np.subtract(a, b)))) if shared else None
    return HitAgreement(
        shared=shared,
        only_first=sorted(set(first) - set(second)),
        only_second=sorted(set(second) - set(first)),
        correlation=pearson(a, b),
        max_abs_difference=diff,
    )


__all__ = [
    "HitAgreement",
    "hit_agreement",
    "kfold_indices",
    "pearson",
    "roc_auc",
    "roc_curve",
    "sensitivity",
    "shuffle_residues",
    "subset_alignment",
    "ungapped_sequences",
]
