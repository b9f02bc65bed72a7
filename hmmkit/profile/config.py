"""The Plan7 search profile: a core model configured for alignment, as HMMER's P7_PROFILE.

A :class:`~hmmkit.profile.plan7.ProfileHMM` holds core probabilities. Searching and aligning
use a *configured* profile: local or glocal entry/exit, multi-hit or uni-hit use of the J
state, and an N/C/J length model tuned to the target length L, scored against a null model
(:class:`~hmmkit.profile.background.Background`). This module mirrors HMMER's
``p7_ProfileConfig``, ``p7_ReconfigLength`` and ``p7_ReconfigUnihit``/``Multihit``.
Match and insert scores are indexed by the digital codes of :mod:`hmmkit.profile.digital`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .alphabet import Alphabet
from .background import Background, match_occupancy
from .digital import code_table
from .plan7 import BM, DD, DM, LOOP, MD, MOVE, XC, XE, XJ, XN, ProfileHMM

MODES = ("local", "glocal")


@dataclass
class SearchProfile:
    """A Plan7 profile configured for search/alignment (HMMER's P7_PROFILE), in log space.

    ``tsc[k]`` (M+1, 8) holds log transitions out of node k in the order MM MI MD IM II DM
    DD, and in column :data:`BM` the entry B->M(k+1) (HMMER's off-by-one storage).
    ``msc`` (Kp, M+1) are match log-odds per digital code (-inf for ``*``, and for the gap
    and ``~``, which no sequence holds); insert emissions score 0 except at node M.
    ``xsc`` (4, 2) are the N, E, C, J loop/move log probabilities.
    """

    alphabet: Alphabet
    background: Background
    M: int
    mode: str
    multihit: bool
    tsc: np.ndarray
    msc: np.ndarray
    isc: np.ndarray
    xsc: np.ndarray
    L: int = 0
    name: str = "unnamed"
    accession: str | None = None
    description: str | None = None
    stats: dict[str, tuple[float, float]] = field(default_factory=dict)
    composition: np.ndarray | None = None  # the model's COMPO line, if it has one

    @property
    def local(self) -> bool:
        """Whether entries and exits are local (anywhere in the model)."""
        return self.mode == "local"

    @property
    def nj(self) -> float:
        """Expected number of J-state uses (1 multi-hit, 0 uni-hit)."""
        return 1.0 if self.multihit else 0.0

    def set_length(self, length: int) -> SearchProfile:
        """Retune the N/C/J length model for a target of `length` residues (in place)."""
        if length < 0:
            raise ValueError(f"length must be >= 0, got {length}")
        _set_length_scores(self.xsc, self.nj, length)
        self.L = length
        return self

    def set_multihit(self, multihit: bool, length: int | None = None) -> SearchProfile:
        """Switch between multi-hit and uni-hit use of the J state, then reset the length."""
        self.multihit = bool(multihit)
        _set_exit_scores(self.xsc, self.multihit)
        return self.set_length(self.L if length is None else length)

    def copy(self) -> SearchProfile:
        """An independent copy (arrays copied)."""
        return SearchProfile(
            self.alphabet, self.background, self.M, self.mode, self.multihit,
            self.tsc.copy(), self.msc.copy(), self.isc.copy(), self.xsc.copy(), self.L,
            self.name, self.accession, self.description, dict(self.stats),
            None if self.composition is None else self.composition.copy(),
        )  # fmt: skip

    # Probability-space views used by the compiled kernels -------------------------------

    def kernel_arrays(self, dtype=np.float64) -> tuple[np.ndarray, ...]:
        """(tp, me, ie, xp, local) in probability space for the DP kernels.

        ``tp`` (M+1, 8) transition probabilities, ``me``/``ie`` (Kp, M+1) match/insert
        emission odds ratios, ``xp`` (4, 2) special transitions, ``local`` 1.0 or 0.0.
        """
        with np.errstate(over="ignore"):
            tp = np.exp(self.tsc).astype(dtype)
            me = np.exp(self.msc).astype(dtype)
            ie = np.exp(self.isc).astype(dtype)
            xp = np.exp(self.xsc).astype(dtype)
        return (
            tp,
            np.ascontiguousarray(me),
            np.ascontiguousarray(ie),
            xp,
            1.0 if self.local else 0.0,
        )


def special_scores(multihit: bool, length: int) -> np.ndarray:
    """The N, E, C, J loop/move log probabilities (4, 2) of a profile configured with
    `multihit` for targets of `length` residues: what :meth:`SearchProfile.set_length`
    sets, without a profile (they depend on nothing else)."""
    xsc = np.zeros((4, 2))
    _set_exit_scores(xsc, multihit)
    _set_length_scores(xsc, 1.0 if multihit else 0.0, length)
    return xsc


def _set_exit_scores(xsc: np.ndarray, multihit: bool) -> None:
    if multihit:
        xsc[XE, LOOP] = xsc[XE, MOVE] = -math.log(2.0)
    else:
        xsc[XE, MOVE], xsc[XE, LOOP] = 0.0, -math.inf


def _set_length_scores(xsc: np.ndarray, nj: float, length: int) -> None:
    nj = np.float32(nj)
    pmove = float((np.float32(2.0) + nj) / (np.float32(length) + np.float32(2.0) + nj))
    ploop = float(np.float32(1.0) - np.float32(pmove))
    for state in (XN, XC, XJ):
        xsc[state, LOOP] = math.log(ploop) if ploop > 0 else -math.inf
        xsc[state, MOVE] = math.log(pmove)


def _expected_scores(scores: np.ndarray, alphabet: Alphabet, weights: np.ndarray) -> np.ndarray:
    """Extend canonical scores (K, ...) to every digital code: canonical codes keep theirs,
    degenerate codes get the background-weighted mean score (esl_abc_FExpectScVec); the
    gap, ``*`` and ``~`` get -inf."""
    table = code_table(alphabet)
    K = alphabet.size
    expected = np.full((table.Kp,) + scores.shape[1:], -np.inf)
    expected[:K] = scores
    for code in range(K + 1, table.nonresidue):
        # only the residues the code denotes count, even where another's score is -inf
        members = np.flatnonzero(table.degeneracy[code])
        w = weights[members].reshape((-1,) + (1,) * (scores.ndim - 1))
        expected[code] = (w * scores[members]).sum(axis=0) / weights[members].sum()
    return expected


def configure(
    hmm: ProfileHMM,
    length: int = 400,
    *,
    mode: str = "local",
    multihit: bool = True,
    background: Background | None = None,
) -> SearchProfile:
    """Configure `hmm` into a search profile (HMMER's p7_ProfileConfig).

    `mode` is ``"local"`` (HMMER's default: entry weighted by match occupancy, exit from any
    match or delete state) or ``"glocal"`` (wing-retracted entry, exit only at node M);
    `multihit` allows several domains per sequence via the J state. `length` sets the
    expected target length of the N/C/J model.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not isinstance(hmm, ProfileHMM):
        raise TypeError(f"hmm must be a ProfileHMM, got {type(hmm).__name__}")
    hmm.validate()
    bg = background or Background.default(hmm.alphabet)
    if len(bg.frequencies) != hmm.alphabet.size:
        raise ValueError("background frequencies do not match the model's alphabet")
    M, t = hmm.M, np.asarray(hmm.transitions, dtype=float)
    bgf = np.asarray(bg.frequencies, dtype=np.float32).astype(float)

    tsc = np.full((M + 1, 8), -np.inf)
    with np.errstate(divide="ignore"):
        logt = np.log(t)
        tsc[1:M, :7] = logt[1:M]
        if mode == "local":
            occ = match_occupancy(hmm).astype(np.float32)
            z = np.float32(0.0)
            for k in range(1, M + 1):
                z = np.float32(z + occ[k] * np.float32(M - k + 1))
            tsc[:M, BM] = np.log((occ[1:] / z).astype(np.float32).astype(float))
        else:
            z = math.log(t[0, MD]) if t[0, MD] > 0 else -math.inf
            tsc[0, BM] = math.log(1.0 - t[0, MD])
            for k in range(1, M):
                tsc[k, BM] = z + logt[k, DM]
                z += logt[k, DD]

        match = np.log(hmm.match_emissions[1:].T.astype(np.float64) / bgf[:, None])
    table = code_table(hmm.alphabet)
    msc = np.full((table.Kp, M + 1), -np.inf)
    msc[:, 1:] = _expected_scores(match, hmm.alphabet, bgf)
    # Insert states emit like the background: odds 1 for every code, even the non-residue
    # '*', as in HMMER's vectorized DP (its generic profile forbids '*'; the vectorized
    # code that searches and aligns has no insert emission scores at all).
    isc = np.zeros_like(msc)
    isc[[table.gap, table.missing]] = -np.inf
    isc[:, 0] = -np.inf
    isc[:, M] = -np.inf

    xsc = np.zeros((4, 2))
    profile = SearchProfile(
        hmm.alphabet, bg, M, mode, multihit, tsc, msc, isc, xsc, 0,
        hmm.name, hmm.accession, hmm.description, dict(hmm.stats),
        None if hmm.composition is None else np.asarray(hmm.composition, dtype=float),
    )  # fmt: skip
    return profile.set_multihit(multihit, length)
