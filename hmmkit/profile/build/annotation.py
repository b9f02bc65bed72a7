"""Annotation: what hmmbuild writes beside the parameters.

The model's name, accession and description, NSEQ, EFFN, CKSUM and the Pfam cutoffs come
from the alignment; the MAP line from the match columns; the RF, CS and MM lines are the
alignment's ``#=GC`` lines at the match columns; CONS is the most probable residue of
each match state (:func:`consensus_line`); COMPO the mean residue composition of the core
model (:func:`model_composition`); MAXL, for nucleic models, the length bound of
:func:`max_emission_length`. Match states the MM line masks emit the background, as in
HMMER (their unmasked emissions are kept for calibration). :func:`annotate` does it all.
"""

from __future__ import annotations

import numpy as np

from ...compiling import njit
from ..alphabet import Alphabet
from ..msa import DigitalMSA, checksum
from ..plan7 import ProfileHMM

Parameters = tuple[np.ndarray, np.ndarray, np.ndarray]  # transitions, match, insert


@njit(cache=True, nogil=True)
def _composition(t, mat, ins):
    """Occupancy-weighted emission composition in single precision (p7_hmm_SetComposition)."""
    M = t.shape[0] - 1
    K = mat.shape[1]
    mocc = np.zeros(M + 1, dtype=np.float32)
    mocc[1] = t[0, 1] + t[0, 0]
    for k in range(2, M + 1):
        mocc[k] = np.float32(
            np.float64(mocc[k - 1] * (t[k - 1, 0] + t[k - 1, 1]))
            + (1.0 - np.float64(mocc[k - 1])) * np.float64(t[k - 1, 5])
        )
    compo = np.zeros(K, dtype=np.float32)
    occ = np.float32(t[0, 1] / t[0, 3])
    for a in range(K):
        compo[a] += ins[0, a] * occ
    for k in range(1, M + 1):
        occ = np.float32(mocc[k] * t[k, 1] / t[k, 3])
        for a in range(K):
            compo[a] += mat[k, a] * mocc[k]
        for a in range(K):
            compo[a] += ins[k, a] * occ
    total = np.float32(0.0)
    for a in range(K):
        total += compo[a]
    for a in range(K):
        compo[a] = compo[a] / total
    return compo


def model_composition(t: np.ndarray, match: np.ndarray, insert: np.ndarray) -> np.ndarray:
    """Mean residue composition emitted by the core model (HMMER's COMPO line).

    Match and insert emissions weighted by the expected occupancy of each state in a
    glocal path through the core model.
    """
    f32 = np.float32
    compo = _composition(
        np.asarray(t, dtype=f32), np.asarray(match, dtype=f32), np.asarray(insert, dtype=f32)
    )
    return compo.astype(np.float64)


def consensus_line(match: np.ndarray, alphabet: Alphabet) -> str:
    """HMMER's CONS annotation: most probable residue per match state, upper case when
    its probability is >= 0.5 (amino) or >= 0.9 (DNA/RNA), lower case otherwise."""
    thresh = 0.5 if alphabet.name == "amino" else 0.9
    best = np.argmax(match[1:], axis=1)
    chars = []
    for k, x in enumerate(best, start=1):
        c = alphabet.symbols[x]
        chars.append(c.upper() if match[k, x] >= thresh else c.lower())
    return "".join(chars)


@njit(cache=True, nogil=True)
def _max_length(t, emit_thresh):
    M = t.shape[0] - 1
    bound = max(M, min(20 * M, 100000))
    if M == 1:
        return 1
    Mc = np.zeros((M + 1, 2))
    Ic = np.zeros((M + 1, 2))
    Dc = np.zeros((M + 1, 2))
    Mc[1, 0] = 1.0
    Dc[2, 0] = t[1, 2]
    for k in range(3, M + 1):
        Dc[k, 0] = t[k - 1, 6] * Dc[k - 1, 0]
    Ic[1, 1] = t[1, 1] * Mc[1, 0]
    Mc[2, 1] = t[1, 0] * Mc[1, 0]
    for k in range(3, M + 1):
        Mc[k, 1] = t[k - 1, 5] * Dc[k - 1, 0]
        Ic[k, 1] = 0.0
        Dc[k, 1] = t[k - 1, 2] * Mc[k - 1, 1] + t[k - 1, 6] * Dc[k - 1, 1]
    p_sum = Mc[M, 0] + Mc[M, 1] + Dc[M, 0] + Dc[M, 1]
    cur = 0
    for col in range(3, bound + 1):
        prev = 1 - cur
        surv = 0.0
        Mc[1, cur] = 0.0
        Dc[1, cur] = 0.0
        Ic[1, cur] = t[1, 4] * Ic[1, prev]
        surv += Ic[1, cur]
        for k in range(2, M + 1):
            Mc[k, cur] = (
                t[k - 1, 0] * Mc[k - 1, prev]
                + t[k - 1, 5] * Dc[k - 1, prev]
                + t[k - 1, 3] * Ic[k - 1, prev]
            )
            Ic[k, cur] = t[k, 1] * Mc[k, prev] + t[k, 4] * Ic[k, prev]
            Dc[k, cur] = t[k - 1, 2] * Mc[k - 1, cur] + t[k - 1, 6] * Dc[k - 1, cur]
            surv += Ic[k, cur] + Mc[k, cur] * (1.0 - t[k, 2]) + Dc[k, cur] * (1.0 - t[k, 6])
        surv += Mc[M, cur] * t[M, 2] + Dc[M, cur] * t[M, 6] - Ic[M, cur]
        p_sum += Mc[M, cur] + Dc[M, cur]
        surv /= surv + p_sum
        if surv < emit_thresh:
            return col
        cur = 1 - cur
    return bound


def max_emission_length(transitions: np.ndarray, tail: float = 1e-7) -> int:
    """Length W such that all but ``tail`` of the core model's emitted lengths are <= W.

    HMMER's p7_Builder_MaxLength (the MAXL line of nucleic models); capped at
    min(20 M, 100000).
    """
    return int(_max_length(np.asarray(transitions, dtype=np.float64), float(tail)))


def annotate(
    msa: DigitalMSA,
    matassign: np.ndarray,
    parameters: Parameters,
    name: str,
    effn: float,
    background: np.ndarray,
    *,
    window_beta: float = 1e-7,
) -> ProfileHMM:
    """The step: the model of ``parameters`` (transitions, match, insert emissions) with
    hmmbuild's annotation from the alignment ``msa`` as read and its match columns."""
    t, mat, ins = parameters
    alphabet = msa.alphabet
    columns = np.flatnonzero(matassign)
    model = ProfileHMM(
        alphabet=alphabet,
        transitions=t,
        match_emissions=mat,
        insert_emissions=ins,
        name=name,
        accession=msa.accession,
        description=msa.description,
        nseq=msa.nseq,
        effn=effn,
        checksum=checksum(msa),
        alignment_map=columns + 1,
        gathering=msa.gathering,
        trusted=msa.trusted,
        noise=msa.noise,
    )
    model.composition = model_composition(t, mat, ins)
    model.consensus = consensus_line(mat, alphabet)
    if msa.reference is not None:
        model.reference = "".join(msa.reference[c] for c in columns)
    if msa.consensus_structure is not None:
        model.consensus_structure = "".join(msa.consensus_structure[c] for c in columns)
    if msa.model_mask is not None:
        mm = "".join("-" if msa.model_mask[c] == "." else msa.model_mask[c] for c in columns)
        model.model_mask = mm
        model.unmasked_match_emissions = mat.copy()
        for k in range(1, len(columns)):  # as HMMER: masked match states emit the background
            if mm[k - 1] == "m":
                mat[k] = background
    if alphabet.name in ("DNA", "RNA"):
        model.max_length = max_emission_length(t, window_beta)
    return model


__all__ = ["annotate", "consensus_line", "max_emission_length", "model_composition"]
