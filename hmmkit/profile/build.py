"""Profile HMM construction from a multiple alignment: HMMER 3.4 hmmbuild's pipeline.

The steps, each a function of this module (or of :mod:`.weights`, :mod:`.traces`,
:mod:`.priors`), in hmmbuild's order:

1. relative sequence weights on the alignment as read (:func:`.weights.relative_weights`);
2. fragment marking: flanking gaps of short sequences become missing data
   (:func:`.weights.mark_fragments`, :func:`.weights.fragments_to_missing`);
3. match columns: weighted residue occupancy >= ``symfrac`` (:func:`assign_match_columns`),
   or the RF line (:func:`match_columns_from_reference`);
4. weighted counts of each sequence's implied, doctored path (:func:`.traces.count_paths`);
5. effective sequence number by entropy weighting (:func:`entropy_weighting`);
6. mean posterior parameters under Dirichlet-mixture priors
   (:func:`.priors.estimate_parameters`);
7. annotation: consensus, composition, map, RF/CS/MM, NSEQ, EFFN, CKSUM, cutoffs
   (and MAXL for nucleic models, :func:`max_emission_length`).

E-value calibration (STATS lines) is a separate step; ``build`` leaves ``stats`` empty.
"""

from __future__ import annotations

import math
import os
from typing import IO

import numpy as np

from ..compiling import njit
from .alphabet import Alphabet, get_alphabet
from .background import mean_match_relative_entropy
from .io.alignments import read_alignment
from .msa import DigitalMSA, checksum
from .plan7 import ProfileHMM, check_model_name
from .priors import (
    ProfilePrior,
    background_frequencies,
    default_prior,
    estimate_parameters,
    laplace_prior,
    normalize_counts,
    relative_entropy_target,
)
from .traces import count_paths
from .weights import (
    blosum_weights,
    fragments_to_missing,
    mark_fragments,
    position_based_weights,
    single_linkage_clusters,
)

_LOG2R = 1.44269504088896340736  # 1 / ln 2


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


def entropy_target(
    M: int, alphabet: Alphabet, *, esigma: float = 45.0, target: float | None = None
) -> float:
    """Relative entropy target per match state, in bits (hmmbuild's --ere/--esigma rule).

    max(target, (esigma - log2(2 / (M (M+1)))) / M): short models need more
    information per position to reach a total of about ``esigma`` bits.
    """
    base = relative_entropy_target(alphabet) if target is None else float(target)
    sigma_rule = (esigma - _LOG2R * math.log(2.0 / (M * (M + 1.0)))) / M
    return max(base, sigma_rule)


def entropy_weighting(
    match_counts: np.ndarray,
    nseq: int,
    prior: ProfilePrior | None,
    background: np.ndarray,
    etarget: float,
) -> float:
    """Effective sequence number giving mean match relative entropy ``etarget``.

    HMMER's p7_EntropyWeight: if the model built with all ``nseq`` sequences already
    carries no more than ``etarget`` bits per match state, Neff = nseq; otherwise
    Neff in (0, nseq) is found by bisection to an absolute tolerance of 0.01. Without
    a prior the counts are only normalised (as HMMER does with --pnone).
    """
    counts = np.asarray(match_counts, dtype=np.float32)
    bg = np.asarray(background, dtype=np.float32).astype(np.float64)

    def excess(neff: float) -> float:
        scaled = counts * np.float32(neff / nseq)
        rows = scaled[1:].astype(np.float64)
        mat = (
            normalize_counts(rows) if prior is None else prior.match_emissions.mean_posterior(rows)
        )
        mat = mat.astype(np.float32).astype(np.float64)
        full = np.vstack([np.zeros((1, mat.shape[1])), mat])
        return mean_match_relative_entropy(full, bg) - etarget

    if excess(float(nseq)) <= 0.0:
        return float(nseq)
    xl, xr = 0.0, float(nseq)
    fl, fr = excess(xl), excess(xr)
    if fl * fr >= 0.0:  # no bracket: HMMER gives up here; keep all sequences
        return float(nseq)
    x = xr
    for _ in range(100):
        x = (xl + xr) / 2.0
        fx = excess(x)
        xmag = 0.0 if (xl < 0.0 < xr) else x
        if fx == 0.0 or (xr - xl) < 0.01 + 1e-12 * xmag:
            break
        if (fl > 0.0) == (fx > 0.0):
            xl, fl = x, fx
        else:
            xr, fr = x, fx
    return x


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


def _check_missing_data(msa: DigitalMSA) -> None:
    """Missing data ``~`` is allowed only at the ends of a sequence (fragment flanks)."""
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


def resolve_prior(prior: str | ProfilePrior | None, alphabet: Alphabet) -> ProfilePrior | None:
    """``"default"`` (hmmbuild's), ``"laplace"``, None (no prior) or a ProfilePrior."""
    if prior is None or isinstance(prior, ProfilePrior):
        return prior
    if prior == "default":
        return default_prior(alphabet)
    if prior == "laplace":
        return laplace_prior(alphabet)
    raise ValueError(f"prior must be 'default', 'laplace', None or a ProfilePrior; got {prior!r}")


def _mask_codes(msa: DigitalMSA) -> np.ndarray:
    """Residues in columns the MM line marks 'm' become the all-degenerate residue."""
    if msa.model_mask is None:
        return msa.codes
    t = msa.table
    cols = np.array([c == "m" for c in msa.model_mask])
    codes = msa.codes.copy()
    sub = codes[:, cols]
    sub[(sub != t.gap) & (sub != t.missing)] = t.any
    codes[:, cols] = sub
    return codes


def build(
    msa: DigitalMSA | str | os.PathLike | IO[str],
    alphabet: Alphabet | str | None = None,
    *,
    weighting: str = "pb",
    architecture: str = "fast",
    symfrac: float = 0.5,
    fragthresh: float = 0.5,
    effn: str | float = "entropy",
    ere: float | None = None,
    esigma: float = 45.0,
    wid: float = 0.62,
    eid: float = 0.62,
    prior: str | ProfilePrior | None = "default",
    name: str | None = None,
    window_beta: float = 1e-7,
) -> ProfileHMM:
    """Build a profile HMM from an alignment as HMMER 3.4's hmmbuild does by default.

    ``msa`` is a :class:`~hmmkit.profile.msa.DigitalMSA` or a path/handle to a
    Stockholm, aligned FASTA or A2M file (alphabet guessed unless given).

    Options mirror hmmbuild: ``weighting`` 'pb' (--wpb), 'blosum' (--wblosum, at
    ``wid`` identity) or 'none' (--wnone); ``architecture`` 'fast' (match columns by
    ``symfrac``) or 'hand' (RF line); ``fragthresh``; ``effn`` 'entropy' (--eent,
    target ``ere`` bits per position, ``esigma``), 'clust' (clusters at ``eid``),
    'none' or a number (--eset); ``prior`` 'default', 'laplace' or None (--pnone).
    The returned model has no E-value statistics (``stats`` is empty).
    """
    if not isinstance(msa, DigitalMSA):
        msa = read_alignment(msa, alphabet)
    elif alphabet is not None and get_alphabet(alphabet) != msa.alphabet:
        raise ValueError(f"alphabet {alphabet!r} differs from the alignment's {msa.alphabet.name}")
    alphabet = msa.alphabet
    model_name = name or msa.name
    if not model_name:
        raise ValueError("the alignment has no name; pass name=")
    check_model_name(model_name)
    if architecture not in ("fast", "hand"):
        raise ValueError(f"architecture must be 'fast' or 'hand', got {architecture!r}")
    if not 0.0 <= fragthresh <= 1.0:
        raise ValueError(f"fragthresh must lie in [0, 1], got {fragthresh}")
    _check_missing_data(msa)
    prior_obj = resolve_prior(prior, alphabet)

    # 1. relative weights, on the alignment as given
    if weighting == "pb":
        weights = position_based_weights(msa, use_rf=(architecture == "hand"))
    elif weighting == "blosum":
        weights = blosum_weights(msa, wid)
    elif weighting == "none":
        weights = np.ones(msa.nseq)
    else:
        raise ValueError(f"weighting must be 'pb', 'blosum' or 'none', got {weighting!r}")

    # 2. fragments: flanking gaps become missing data
    work = msa.with_codes(fragments_to_missing(msa, mark_fragments(msa, fragthresh)))

    # 3. match columns
    if architecture == "fast":
        matassign = assign_match_columns(work, weights, symfrac)
    else:
        matassign = match_columns_from_reference(msa.reference)
    M = int(matassign.sum())
    if M == 0:
        raise ValueError(
            f"alignment {model_name} has no match columns (architecture {architecture!r})"
        )

    # 4. weighted counts of the implied paths
    t, mat, ins = count_paths(work.with_codes(_mask_codes(work)), weights, matassign)

    # 5. effective sequence number
    nseq = msa.nseq
    background = background_frequencies(alphabet)
    if effn == "entropy":
        etarget = entropy_target(M, alphabet, esigma=esigma, target=ere)
        neff = entropy_weighting(mat, nseq, prior_obj, background, etarget)
    elif effn == "none":
        neff = float(nseq)
    elif effn == "clust":
        neff = float(single_linkage_clusters(msa, eid).max() + 1)
    elif isinstance(effn, int | float) and not isinstance(effn, bool):
        if effn <= 0:
            raise ValueError(f"effn must be positive, got {effn}")
        neff = float(effn)
    else:
        raise ValueError(f"effn must be 'entropy', 'clust', 'none' or a number, got {effn!r}")
    neff = float(np.float32(neff))
    scale = np.float32(neff / nseq)
    t, mat, ins = t * scale, mat * scale, ins * scale

    # 6. parameters
    t, mat, ins = estimate_parameters(t, mat, ins, prior_obj)

    # 7. annotation
    columns = np.flatnonzero(matassign)
    model = ProfileHMM(
        alphabet=alphabet,
        transitions=t,
        match_emissions=mat,
        insert_emissions=ins,
        name=model_name,
        accession=msa.accession,
        description=msa.description,
        nseq=nseq,
        effn=neff,
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
        for k in range(1, M):  # as HMMER: masked match states emit the background
            if mm[k - 1] == "m":
                mat[k] = background
    if alphabet.name in ("DNA", "RNA"):
        model.max_length = max_emission_length(t, window_beta)
    return model


def build_counts(
    msa: DigitalMSA,
    *,
    weighting: str = "pb",
    architecture: str = "fast",
    symfrac: float = 0.5,
    fragthresh: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps 1-4 only: (match column mask, transition, match and insert counts)."""
    weights = {
        "pb": lambda: position_based_weights(msa, use_rf=(architecture == "hand")),
        "blosum": lambda: blosum_weights(msa),
        "none": lambda: np.ones(msa.nseq),
    }[weighting]()
    work = msa.with_codes(fragments_to_missing(msa, mark_fragments(msa, fragthresh)))
    if architecture == "fast":
        matassign = assign_match_columns(work, weights, symfrac)
    else:
        matassign = match_columns_from_reference(msa.reference)
    t, mat, ins = count_paths(work, weights, matassign)
    return matassign, t, mat, ins


__all__ = [
    "assign_match_columns",
    "build",
    "build_counts",
    "consensus_line",
    "entropy_target",
    "entropy_weighting",
    "match_columns_from_reference",
    "max_emission_length",
    "model_composition",
]
