"""A profile HMM from one protein sequence, as HMMER's phmmer builds its query model.

The match emissions of node k are P(b | a_k), the conditional probabilities that the
BLOSUM62 matrix implies under the background frequencies (HMMER's
esl_scorematrix_ProbifyGivenBG then JointToConditionalOnQuery: P(a, b) = f_a f_b
exp(lambda s_ab) with lambda solving sum P(a, b) = 1); inserts emit the background;
gaps open with `popen` and extend with `pextend` (p7_Seqmodel).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .alphabet import AMINO
from .background import Background
from .build.annotation import model_composition
from .build.calibrate import calibrate
from .digital import code_table, digitize
from .plan7 import DD, DM, II, IM, MD, MI, MM, ProfileHMM


@cache
def _blosum62_conditionals(frequencies: tuple[float, ...]) -> np.ndarray:
    """P(b | a) for every digital code a (degenerate ones too) and canonical residue b."""
    from Bio.Align import substitution_matrices
    from scipy.optimize import brentq

    blosum = substitution_matrices.load("BLOSUM62")
    symbols = AMINO.symbols
    scores = np.array([[blosum[a][b] for b in symbols] for a in symbols])
    f = np.array(frequencies)
    outer = np.outer(f, f)

    def excess(lam: float) -> float:
        return float((outer * np.exp(lam * scores)).sum() - 1.0)

    lam = brentq(excess, 1e-6, 10.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    joint = outer * np.exp(lam * scores)
    degen = code_table(AMINO).degeneracy  # codes x residues, 0/1
    rows = degen @ joint  # joint of "any residue the code denotes" and b
    denominator = (degen @ f)[:, None]  # 0 for the gap, '*' and '~', which denote nothing
    return np.divide(rows, denominator, out=np.zeros_like(rows), where=denominator > 0)


def query_residues(residues: str) -> str:
    """A query's residues as its model sees them: whitespace removed (a final ``*`` is a
    node of the model, as in HMMER)."""
    return "".join(residues.split())


def from_sequence(
    name: str,
    residues: str,
    *,
    popen: float = 0.02,
    pextend: float = 0.4,
    background: Background | None = None,
    calibrated: bool = True,
) -> ProfileHMM:
    """phmmer's query model of one protein sequence (BLOSUM62, gap open/extend
    probabilities `popen`/`pextend`), with E-value statistics unless not `calibrated`.

    A final ``*`` (a stop codon, as gene callers write it) is a node that emits nothing, as
    in HMMER's model (so the query's length and the E-values are HMMER's); a ``*`` inside
    the sequence is refused."""
    if not 0 <= popen < 0.5:
        raise ValueError(f"popen must be in [0, 0.5), got {popen}")
    if not 0 <= pextend < 1:
        raise ValueError(f"pextend must be in [0, 1), got {pextend}")
    text = query_residues(residues)
    if len(text) >= 10 and set(text.upper()) <= set("ACGTUN"):
        raise ValueError(f"{name}: the query looks like DNA or RNA; phmmer's model is of a protein")
    codes = digitize(text, AMINO, name=name)
    bg = background or Background.default(AMINO)
    n_residues = len(text.rstrip("*"))
    if n_residues == 0:
        raise ValueError(f"{name}: the query sequence is empty")
    if np.any(codes[:n_residues] == code_table(AMINO).nonresidue):
        raise ValueError(f"{name}: '*' (not a residue) inside the query sequence")
    conditional = _blosum62_conditionals(tuple(np.asarray(bg.frequencies, dtype=float)))
    M = len(codes)
    match = np.zeros((M + 1, AMINO.size))
    match[0, 0] = 1.0
    match[1 : n_residues + 1] = conditional[codes[:n_residues]].astype(np.float32)
    insert = np.tile(np.asarray(bg.frequencies, dtype=np.float32), (M + 1, 1)).astype(float)
    t = np.zeros((M + 1, 7))
    t[:, [MM, MI, MD]] = [1.0 - 2 * popen, popen, popen]
    t[:, [IM, II]] = [1.0 - pextend, pextend]
    t[:, [DM, DD]] = [1.0 - pextend, pextend]
    t[M, [MM, MD, DM, DD]] = [1.0 - popen, 0.0, 1.0, 0.0]
    sums = match.sum(axis=1, keepdims=True)
    match = np.divide(match, sums, out=np.zeros_like(match), where=sums > 0)  # '*': emits nothing
    insert /= insert.sum(axis=1, keepdims=True)
    # the consensus is the query itself (p7_hmm_SetConsensus with a sequence): upper case
    # where the residue keeps half the probability
    letters = code_table(AMINO).letters
    consensus = "".join(
        letters[x].upper() if x < AMINO.size and match[k, x] >= 0.5 else letters[x].lower()
        for k, x in enumerate(codes, start=1)
    )
    model = ProfileHMM(
        AMINO, t, match, insert, name=name, nseq=1, consensus=consensus,
        composition=model_composition(t, match, insert),
    )  # fmt: skip
    return calibrate(model, background=bg) if calibrated else model
