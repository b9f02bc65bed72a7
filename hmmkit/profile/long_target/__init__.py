"""nhmmer: search long DNA/RNA targets with a nucleotide profile, as HMMER 3.4's nhmmer.

Each target is read in blocks of ``block_length`` residues overlapping by the model's
maximum length (MAXL), and each block is scanned on both strands: SSV windows around
high-scoring diagonals, then MSV, bias, Viterbi windows, Forward and domain definition
per window (:mod:`.pipeline`). Hits are alignments with forward-strand coordinates (``ali
from > to`` on the minus strand); E-values count the residues searched over both strands,
in windows of MAXL residues (:mod:`.results`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..io.fasta import Sequence
from ..plan7 import ProfileHMM
from .pipeline import LongTargetOptions, LongTargetPipeline, StageCounts
from .results import LongTargetHit, LongTargetResults, finish, write_tblout
from .synthetic import reverse_complement, synthetic_genome
from .targets import iter_targets

#: nhmmer's block length (NHMMER_MAX_RESIDUE_COUNT).
BLOCK_LENGTH = 256 * 1024
STRANDS = ("both", "watson", "crick")

__all__ = [
    "BLOCK_LENGTH",
    "LongTargetHit",
    "LongTargetOptions",
    "LongTargetResults",
    "StageCounts",
    "complement_codes",
    "nhmmer",
    "query_model",
    "reverse_complement",
    "synthetic_genome",
    "write_tblout",
]


def complement_codes(alphabet) -> np.ndarray:
    """Digital code of each code's complement (IUPAC complements; ``*`` to itself)."""
    letters, _ = alphabet.degeneracy_matrix()
    pairs = dict(zip("ACGTURYMKSWHBVDN", "TGCAAYRKMSWDVBHN", strict=True))
    out = np.arange(len(letters) + 1, dtype=np.uint8)
    for code, letter in enumerate(letters):
        partner = pairs[letter]
        if partner not in letters:  # RNA: U for T
            partner = "U" if partner == "T" else partner
        out[code] = letters.index(partner)
    return out


def query_model(query: ProfileHMM | str | os.PathLike, *, window_beta: float = 1e-7,
                window_length: int | None = None) -> ProfileHMM:  # fmt: skip
    """The search model for `query`: a nucleotide ProfileHMM, an HMMER3 file, or an
    alignment file built as nhmmer builds it (hmmbuild's defaults, then calibrated);
    MAXL is set from `window_length`, else kept, else computed at `window_beta`."""
    from ..build import build, max_emission_length
    from ..build.calibrate import calibrate
    from ..io.hmmer3 import read_hmmer

    if isinstance(query, ProfileHMM):
        model = query.copy() if hasattr(query, "copy") else query
    else:
        path = Path(query)
        if not path.exists():
            raise FileNotFoundError(f"{path}: query file not found")
        model = read_hmmer(path) if _is_model_file(path) else build(path)
    if model.alphabet.name not in ("DNA", "RNA"):
        raise ValueError(f"nhmmer needs a DNA or RNA model; {model.name} is {model.alphabet.name}")
    if window_length is not None:
        if window_length < 1:
            raise ValueError(f"window_length must be >= 1, got {window_length}")
        model.max_length = int(window_length)
    elif not model.max_length or model.max_length <= 0:
        model.max_length = max_emission_length(model.transitions, window_beta)
    if not all(s in model.stats for s in ("MSV", "VITERBI", "FORWARD")):
        model = calibrate(model)
    return model


def _is_model_file(path: Path) -> bool:
    """Whether `path` holds HMMER3 models (text, gzip-compressed text, or binary)."""
    from ...textfiles import open_text
    from ..io.hmmer3_binary import is_binary_hmm

    if is_binary_hmm(path):
        return True
    try:
        with open_text(path) as fh:
            return fh.read(5) == "HMMER"
    except (UnicodeDecodeError, ValueError):
        return False


def _blocks(n: int, context: int, block_length: int) -> Iterable[tuple[int, int, int]]:
    """(start, end, context) of nhmmer's blocks (esl_sqio_ReadWindow): 1-based inclusive,
    each after the first repeating the last `context` residues of the one before."""
    end = min(n, block_length)
    yield 1, end, 0
    while end < n:
        start = end - context + 1
        new_end = min(n, end + block_length)
        yield start, new_end, end - start + 1
        end = new_end


def nhmmer(
    query: ProfileHMM | str | os.PathLike,
    targets: str | Path | Iterable[Sequence | tuple[str, str] | str],
    *,
    E: float = 10.0,
    T: float | None = None,
    incE: float = 0.01,
    incT: float | None = None,
    Z: float | None = None,
    strand: str = "both",
    F1: float = 0.02,
    F2: float = 3e-3,
    F3: float = 3e-5,
    max: bool = False,  # noqa: A002 - nhmmer's option name
    bias_filter: bool = True,
    B1: int = 100,
    B2: int = 240,
    B3: int = 1000,
    block_length: int = BLOCK_LENGTH,
    window_length: int | None = None,
    seed: int = 42,
) -> LongTargetResults:
    """Search long nucleotide `targets` (a FASTA path or sequences) with `query` (a model,
    an HMMER3 file or an alignment file) as nhmmer does, with its defaults.

    `strand` is ``"both"``, ``"watson"`` (nhmmer's --watson/--toponly) or ``"crick"``.
    `Z` is the search space in megabases (per strand searched, as nhmmer's -Z);
    otherwise the number of residues searched. `max` turns the filters off as nhmmer's
    --max (F1 0.3). Returns every hit that passed the pipeline, reported ones flagged.
    """
    if strand not in STRANDS:
        raise ValueError(f"strand must be one of {STRANDS}, got {strand!r}")
    for label, value in (("E", E), ("incE", incE)):
        if not value > 0:
            raise ValueError(f"{label} must be > 0, got {value}")
    for label, value in (("F1", F1), ("F2", F2), ("F3", F3)):
        if not 0 < value <= 1:
            raise ValueError(f"{label} must be in (0, 1], got {value}")
    if Z is not None and not Z > 0:
        raise ValueError(f"Z must be a positive number of megabases, got {Z}")
    model = query_model(query, window_length=window_length)
    if block_length <= model.max_length:
        raise ValueError(f"block_length ({block_length}) must exceed MAXL ({model.max_length})")
    if max:
        F1, F2, F3, bias_filter = 0.3, 1.0, 1.0, False
    options = LongTargetOptions(F1=F1, F2=F2, F3=F3, B1=B1, B2=B2, B3=B3,
                                bias_filter=bias_filter, seed=seed)  # fmt: skip
    pipeline = LongTargetPipeline(model, options)
    pairs = complement_codes(model.alphabet)
    complement = bytes(pairs) + bytes(range(len(pairs), 256))  # a bytes.translate table
    hits: list[LongTargetHit] = []
    windows = []  # Viterbi-passing windows: (candidate, strand, block, target)
    nres = nseqs = 0
    for seqidx, (name, desc, codes) in enumerate(iter_targets(targets, model.alphabet)):
        nseqs += 1
        L = len(codes)
        if L == 0:
            continue
        target = (name, desc, seqidx, L)
        for start, end, _context in _blocks(L, model.max_length, block_length):
            block = codes[start - 1 : end]
            if strand != "crick":
                windows += [(c, "+", start, end, target) for c in pipeline.candidates(block)]
            if strand != "watson":
                rc = np.frombuffer(block[::-1].tobytes().translate(complement), np.uint8)
                windows += [(c, "-", start, end, target) for c in pipeline.candidates(rc)]
        nres += L * (1 if strand != "both" else 2)
    passed = {id(c) for c in pipeline.forward([w[0] for w in windows])}
    windows = [w for w in windows if id(w[0]) in passed]
    found = pipeline.define([w[0].residues for w in windows])
    for (candidate, sense, start, end, target), raws in zip(windows, found, strict=True):
        for raw in raws:
            raw.offset = candidate.start
            hits.append(_placed(raw, sense, start, end, target))
    if Z is not None:
        nres = 1_000_000 * Z * (2 if strand == "both" else 1)
    hits = finish(hits, nres, model.max_length, E=E, T=T, incE=incE, incT=incT)
    return LongTargetResults(model.name, model.accession, model.M, model.max_length, hits,
                             int(nres), nseqs, pipeline.counts)  # fmt: skip


def _placed(raw, sense, start, end, target) -> LongTargetHit:
    """A block hit on the forward strand's coordinates."""
    name, desc, seqidx, L = target
    block = raw.block_places()
    if sense == "+":
        place = [p + start - 1 for p in block]
    else:
        place = [end - p + 1 for p in block]
    return LongTargetHit(
        name=name, description=desc, seqidx=seqidx, strand=sense,
        hmm_from=raw.domain.hmm_from, hmm_to=raw.domain.hmm_to, ali_from=place[0],
        ali_to=place[1], env_from=place[2], env_to=place[3], length=L, score=raw.score,
        bias=raw.bias, lnP=raw.lnP, domain=raw.domain,
    )  # fmt: skip
