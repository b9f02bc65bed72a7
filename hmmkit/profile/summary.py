"""Summary statistics of profile HMMs, as HMMER's hmmstat reports them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

import numpy as np

from .background import Background, match_occupancy, mean_match_relative_entropy
from .plan7 import DM, IM, MI, MM, ProfileHMM

#: hmmstat's null model self-transition: Easel's default background length, 350.
NULL_P1 = float(np.float32(350.0) / np.float32(351.0))


@dataclass(frozen=True)
class ModelSummary:
    """hmmstat's columns for one model (entropies in bits)."""

    name: str
    accession: str | None
    nseq: int | None
    effn: float | None
    M: int
    relative_entropy: float  # mean match relative entropy to the background ("relent")
    information: float  # mean match information content ("info")
    position_relative_entropy: float  # occupancy-weighted, with entry transitions ("p relE")
    composition_kl: float  # KL divergence of the mean match composition ("compKL")


def _entropy(p: np.ndarray) -> float:
    nonzero = p[p > 0]
    return float(-(nonzero * np.log2(nonzero)).sum())


def _relative_entropy(p: np.ndarray, f: np.ndarray) -> float:
    keep = p > 0
    return float((p[keep] * np.log2(p[keep] / f[keep])).sum())


def summarize(model: ProfileHMM, background: Background | None = None) -> ModelSummary:
    """hmmstat's statistics of `model` against `background` (HMMER's default)."""
    model.validate()
    bg = background or Background.default(model.alphabet)
    f = np.asarray(bg.frequencies, dtype=float)
    mat, t, M = model.match_emissions, model.transitions, model.M
    mean_entropy = float(np.mean([_entropy(mat[k]) for k in range(1, M + 1)]))
    occ = match_occupancy(model)
    weighted = sum(occ[k] * _relative_entropy(mat[k], f) for k in range(1, M + 1))
    position = weighted / occ[1:].sum()
    if M > 1:  # entry transitions of match states 2..M, weighted by occupancy
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.arange(1, M)
            log_mm = np.log(t[k, MM] / NULL_P1)
            xm = occ[k] * t[k, MM] * log_mm
            xi = occ[k] * t[k, MI] * (log_mm + np.log(t[k, IM] / NULL_P1))
            xd = (1.0 - occ[k]) * t[k, DM] * np.log(t[k, DM] / NULL_P1)
        terms = np.nan_to_num(xm) + np.nan_to_num(xi) + np.nan_to_num(xd)  # 0 * log 0 = 0
        position += float(terms.sum() / np.log(2.0)) / occ[2:].sum()
    composition = (occ[1:, None] * mat[1:]).sum(axis=0)
    composition /= composition.sum()
    return ModelSummary(
        model.name, model.accession, model.nseq, model.effn, M,
        mean_match_relative_entropy(mat, f), _entropy(f) - mean_entropy, float(position),
        _relative_entropy(composition, f),
    )  # fmt: skip


def write_summary_table(out: IO[str], summaries: list[ModelSummary]) -> None:
    """hmmstat's table: one line per model."""
    out.write("# %-4s %-20s %-12s %8s %8s %6s %6s %6s %6s %6s\n"  # noqa: UP031
              % ("idx", "name", "accession", "nseq", "eff_nseq", "M", "relent", "info",
                 "p relE", "compKL"))  # fmt: skip
    out.write("# %-4s %-20s %-12s %8s %8s %6s %6s %6s %6s %6s\n"  # noqa: UP031
              % ("-" * 4, "-" * 20, "-" * 12, "-" * 8, "-" * 8, "-" * 6, "-" * 6, "-" * 6,
                 "-" * 6, "-" * 6))  # fmt: skip
    for n, s in enumerate(summaries, start=1):
        out.write("%-6d %-20s %-12s %8s %8s %6d %6.2f %6.2f %6.2f %6.2f\n"  # noqa: UP031
                  % (n, s.name, s.accession or "-", "-" if s.nseq is None else s.nseq,
                     "-" if s.effn is None else f"{s.effn:.2f}", s.M, s.relative_entropy,
                     s.information, s.position_relative_entropy, s.composition_kl))  # fmt: skip
