"""Align sequences to a profile HMM and build a multiple alignment, as HMMER's hmmalign does.

Each sequence is aligned on its own to the profile in local, single-hit mode with its own
length model. The default path is the optimal accuracy alignment (the path maximizing the
summed posterior probability of its aligned residues, as hmmalign); the Viterbi path is the
alternative. Paths are turned into one alignment as HMMER's p7_tracealign_Seqs does: one
column per match state, lower-case residues in insert columns padded with ``.``, flanking
residues outside the profile in insert-like columns at both ends, insertions split half
left-, half right-justified, and posterior probability annotation (``#=GR PP``,
``#=GC PP_cons``) with an ``#=GC RF`` line marking the match columns.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from ..atomic import write_text_to
from . import dp
from .background import Background
from .config import configure
from .digital import digitize
from .dp.log_decoding import posteriors
from .io.a2m import write_a2m
from .io.fasta import Sequence, as_sequences
from .io.stockholm import write_stockholm
from .msa import DigitalMSA
from .plan7 import ProfileHMM

METHODS = ("oa", "viterbi")


def encode_posterior(p: float) -> str:
    """HMMER's one-character posterior code: '0'..'9' by tenths, '*' for >= 0.95."""
    return "*" if p + 0.05 >= 1.0 else chr(ord("0") + int((p + 0.05) * 10.0))


def decode_posterior(code: str) -> float:
    """The probability HMMER reads back from a posterior code ('0': 0.01, '*': 1, '.': 0)."""
    if code == "*":
        return 1.0
    if code == ".":
        return 0.0
    return 0.01 if code == "0" else (ord(code) - ord("0")) / 10.0


@dataclass
class Alignment:
    """Sequences aligned to a profile: text rows, annotation and the paths behind them.

    ``rows`` use HMMER's conventions (upper case and ``-`` in match columns, lower case and
    ``.`` in insert columns). ``match_columns[k-1]`` is the 0-based column of match state k
    (-1 if the state has no column). ``traces`` are the per-sequence paths (states, k, i,
    posterior) from :mod:`hmmkit.profile.dp`. ``annotation`` holds Stockholm's per-file
    ``#=GF`` lines (tag: text, e.g. ID, AC, DE, AU), written in that order.
    """

    names: list[str]
    descriptions: list[str]
    rows: list[str]
    posteriors: list[str]
    reference: str
    consensus_posterior: str
    match_columns: np.ndarray
    traces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    scores: np.ndarray
    M: int
    name: str | None = None
    annotation: dict[str, str] = field(default_factory=dict)
    #: each row's sequence accession ("" for none), written as ``#=GS <name> AC``
    accessions: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def length(self) -> int:
        """Number of alignment columns."""
        return len(self.reference)

    def assignments(self) -> list[np.ndarray]:
        """For each sequence, the match state (1..M) each residue is aligned to (0: none)."""
        out = []
        for st, kk, ii, _ in self.traces:
            n = int(ii.max()) if len(ii) else 0
            a = np.zeros(n, dtype=np.int64)
            sel = (st == dp.ST_M) & (ii > 0)
            a[ii[sel] - 1] = kk[sel]
            out.append(a)
        return out

    def to_stockholm(self, *, width: int = 200) -> str:
        """The alignment in Stockholm format, in blocks of `width` columns."""
        buf = io.StringIO()
        self.write(buf, "stockholm", width=width)
        return buf.getvalue()

    def to_a2m(self) -> str:
        """The alignment in A2M (dotless: insert-column gaps omitted), 60 residues a line."""
        buf = io.StringIO()
        self.write(buf, "a2m")
        return buf.getvalue()

    def write(
        self, out: str | Path | IO[str], format: str = "stockholm", *, width: int = 200
    ) -> None:
        """Write to a path or text handle as ``"stockholm"`` or ``"a2m"``."""
        if format not in ("stockholm", "a2m"):
            raise ValueError(f"format must be 'stockholm' or 'a2m', got {format!r}")
        if format == "a2m":
            write_text_to(out, lambda handle: write_a2m(handle, self))
        else:
            write_text_to(out, lambda handle: write_stockholm(handle, self, width))


# --------------------------------------------------------------------------------------
# Alignment of one sequence
# --------------------------------------------------------------------------------------


def align_one(profile, dsq: np.ndarray, method: str = "oa"):
    """Path of one digital sequence through a uni-hit local profile: (states, k, i, pp, score).

    `score` is the optimal accuracy (expected correct residues) or the Viterbi score (nats).
    """
    L = len(dsq)
    prof = profile.set_length(L)
    tp, me, ie, xp, local = prof.kernel_arrays()
    pm, pi, px = posteriors(dsq, tp, me, ie, xp, local)
    if method == "oa":
        tmask = (tp > 0).astype(np.float64)
        xmask = (xp > 0).astype(np.float64)
        om, oi, od, ox, score = dp.optimal_accuracy(pm, pi, px, tmask, xmask, local)
        st, kk, ii, pp = dp.oa_trace(pm, pi, px, tmask, xmask, local, om, oi, od, ox)
        return st, kk, ii, pp, float(score)
    args = (dsq, prof.tsc, prof.msc, prof.isc, prof.xsc, local)
    *mats, score = dp.viterbi_matrix(*args)
    st, kk, ii = dp.viterbi_trace(*args, *mats)
    pp = np.zeros(len(st))
    for z in range(len(st)):
        s, k, i = st[z], kk[z], ii[z]
        if i > 0:
            if s == dp.ST_M:
                pp[z] = pm[i, k]
            elif s == dp.ST_I:
                pp[z] = pi[i, k]
            elif s == dp.ST_N:
                pp[z] = px[i, dp.SN]
            elif s == dp.ST_C:
                pp[z] = px[i, dp.SC]
            elif s == dp.ST_J:
                pp[z] = px[i, dp.SJ]
    return st, kk, ii, pp, float(score)


# --------------------------------------------------------------------------------------
# From paths to a multiple alignment (p7_tracealign_Seqs)
# --------------------------------------------------------------------------------------


def _map_columns(traces, M: int, all_columns: bool, trim: bool):
    inscount = np.zeros(M + 1, dtype=np.int64)
    matuse = np.zeros(M + 1, dtype=bool)
    matuse[1:] = all_columns
    for st, kk, _, _ in traces:
        ins = np.zeros(M + 1, dtype=np.int64)
        for z in range(1, len(st)):
            s = st[z]
            if s == dp.ST_I:
                ins[kk[z]] += 1
            elif s == dp.ST_N and st[z - 1] == dp.ST_N:
                ins[0] += 1
            elif s == dp.ST_C and st[z - 1] == dp.ST_C:
                ins[M] += 1
            elif s == dp.ST_M:
                matuse[kk[z]] = True
            elif s == dp.ST_J:
                raise ValueError("multi-hit paths (J state) cannot be made into an alignment")
        inscount = np.maximum(inscount, ins)
    if trim:
        inscount[0] = inscount[M] = 0
    matmap, alen = column_map(inscount, matuse)
    return inscount, matuse, matmap, alen


def column_map(inscount: np.ndarray, matuse: np.ndarray) -> tuple[np.ndarray, int]:
    """HMMER's layout of an alignment built from paths: ``matmap[k]`` is the 1-based column
    of match state k (or, if no path uses it, the column before node k's insert columns),
    given the widest insertion after each node (``inscount[0..M]``) and which match
    states have a column (``matuse[1..M]``); returns (matmap, number of columns)."""
    M = len(inscount) - 1
    matmap = np.zeros(M + 1, dtype=np.int64)
    alen = int(inscount[0])
    for k in range(1, M + 1):
        if matuse[k]:
            matmap[k] = alen + 1
            alen += 1 + int(inscount[k])
        else:
            matmap[k] = alen
            alen += int(inscount[k])
    return matmap, alen


def _text_row(trace, text: str, M: int, matuse, matmap, alen: int, trim: bool):
    st, kk, ii, pp = trace
    row = ["."] * alen
    prow = ["."] * alen
    for k in range(1, M + 1):
        if matuse[k]:
            row[matmap[k] - 1] = "-"
    apos = 0
    for z in range(len(st)):
        s, k, i = st[z], kk[z], ii[z]
        if s == dp.ST_M:
            row[matmap[k] - 1] = text[i - 1].upper()
            prow[matmap[k] - 1] = encode_posterior(pp[z])
            apos = matmap[k]
        elif s == dp.ST_D:
            if matuse[k]:
                row[matmap[k] - 1] = "-"
            apos = matmap[k]
        elif s == dp.ST_I:
            if not trim or (k != 0 and k != M):
                row[apos] = text[i - 1].lower()
                prow[apos] = encode_posterior(pp[z])
                apos += 1
        elif s in (dp.ST_N, dp.ST_C):
            if not trim and i > 0:
                row[apos] = text[i - 1].lower()
                prow[apos] = encode_posterior(pp[z])
                apos += 1
        elif s == dp.ST_E:
            apos = matmap[M]
    return row, prow


def rejustify_insertions(row, prow, inscount, matmap, matuse, M: int) -> None:
    """Rejustify one text row (a list of characters, with its PP row ``prow``) in place as
    HMMER does: the N-terminal insertion right-justified, every other one split half
    left-, half right-justified (missing data ``~`` moves but is not counted)."""
    for k in range(M):
        if inscount[k] <= 1:
            continue
        lo, hi = int(matmap[k]), int(matmap[k + 1] - matuse[k + 1])  # insert columns [lo, hi)
        nins = sum(1 for a in range(lo, hi) if row[a] not in "-.~")
        nins = 0 if k == 0 else nins // 2
        opos = npos = hi - 1
        while opos >= lo + nins:
            if row[opos] in "-.":
                opos -= 1
            else:
                row[npos], prow[npos] = row[opos], prow[opos]
                npos -= 1
                opos -= 1
        while npos >= lo + nins:
            row[npos] = "."
            prow[npos] = "."
            npos -= 1


def traces_to_alignment(
    records: list[Sequence],
    traces: list,
    M: int,
    *,
    all_consensus_columns: bool = True,
    trim: bool = False,
    scores: np.ndarray | None = None,
    name: str | None = None,
) -> Alignment:
    """Build the multiple alignment implied by one path per sequence (p7_tracealign_Seqs).

    Each path is (states, k, i, posteriors); posteriors None gives the row no PP line.
    """
    inscount, matuse, matmap, alen = _map_columns(traces, M, all_consensus_columns, trim)
    rows, pps = [], []
    totp = np.zeros(alen)
    nmatch = np.zeros(alen)
    for rec, trace in zip(records, traces, strict=True):
        st, kk, ii, pp = trace
        if pp is None:  # a path without posteriors (a query's own): no PP line, not in PP_cons
            trace = (st, kk, ii, np.zeros(len(st)))
        row, prow = _text_row(trace, rec.residues, M, matuse, matmap, alen, trim)
        if pp is not None:
            for z in np.nonzero(st == dp.ST_M)[0]:
                col = matmap[kk[z]] - 1
                totp[col] += pp[z]
                nmatch[col] += 1
        rejustify_insertions(row, prow, inscount, matmap, matuse, M)
        rows.append("".join(row))
        pps.append("".join(prow) if pp is not None else "")
    reference = ["."] * alen
    for k in range(1, M + 1):
        if matuse[k]:
            reference[matmap[k] - 1] = "x"
    # HMMER encodes the column mean as a float
    mean = (totp / np.maximum(nmatch, 1)).astype(np.float32).astype(float)
    cons = "".join(encode_posterior(mean[a]) if nmatch[a] else "." for a in range(alen))
    match_columns = np.where(matuse[1:], matmap[1:] - 1, -1)
    return Alignment(
        names=[r.name for r in records], descriptions=[r.description for r in records],
        rows=rows, posteriors=pps, reference="".join(reference), consensus_posterior=cons,
        match_columns=match_columns, traces=list(traces),
        scores=np.asarray(scores if scores is not None else np.zeros(len(records))), M=M,
        name=name, accessions=[r.accession for r in records],
    )  # fmt: skip


def align(
    model: ProfileHMM,
    sequences: str | Path | Iterable[Sequence | tuple[str, str] | str],
    *,
    method: str = "oa",
    trim: bool = False,
    all_consensus_columns: bool = True,
    background: Background | None = None,
    mapali: DigitalMSA | None = None,
) -> Alignment:
    """Align `sequences` (FASTA path or iterable; gaps are ignored) to `model`, as hmmalign.

    `method` is ``"oa"`` (optimal accuracy, hmmalign's default) or ``"viterbi"``. With
    `trim`, residues outside the aligned profile region are left out of the alignment;
    `all_consensus_columns` keeps a column for every match state even if all gaps.
    `mapali`, the alignment the model was built from, comes first in the result, its
    sequences aligned as in it (hmmalign --mapali; see :mod:`hmmkit.profile.mapali`).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not isinstance(model, ProfileHMM):
        raise TypeError(f"model must be a ProfileHMM, got {type(model).__name__}")
    records = as_sequences(sequences, strip_gaps=True)
    if not records:
        raise ValueError("sequences: nothing to align")
    profile = configure(model, len(records[0].residues) or 1, multihit=False, background=background)
    traces, scores, kept = [], [], []
    if mapali is not None:
        from .mapali import mapped_paths

        kept, traces = mapped_paths(model, mapali)
        scores = [0.0] * len(kept)
    for rec in records:
        dsq = digitize(rec.residues, model.alphabet, name=rec.name)
        if len(dsq) == 0:
            st = np.array([dp.ST_S, dp.ST_N, dp.ST_B, dp.ST_E, dp.ST_C, dp.ST_T], dtype=np.int32)
            trace = (st, np.zeros(6, np.int32), np.zeros(6, np.int32), np.zeros(6))
            traces.append(trace)
            scores.append(0.0)
            kept.append(rec)
            continue
        st, kk, ii, pp, score = align_one(profile, dsq, method)
        traces.append((st, kk, ii, pp))
        scores.append(score)
        kept.append(rec)
    return traces_to_alignment(
        kept, traces, model.M, all_consensus_columns=all_consensus_columns, trim=trim,
        scores=np.asarray(scores), name=model.name,
    )  # fmt: skip
