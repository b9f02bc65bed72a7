"""nhmmer's pipeline on one block of a long target, one strand (p7_Pipeline_LongTarget):
SSV windows, then per window the MSV and bias filters, Viterbi windows, Forward, domain
definition and the per-hit scores rescaled to the model's maximum length."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import dp
from ..background import Background
from ..config import configure
from ..digital import pack
from ..dp.float_sampling import entry_odds
from ..plan7 import ProfileHMM
from ..search.bias_filter import composition_odds, filter_null_scores
from ..search.evalues import exp_logsurv
from ..search.hits import Domain
from .domains import LongTargetDefiner
from .ssv import SSVSeeder, ssv_threshold
from .viterbi import ViterbiSeeder
from .windows import LOG2, extend_and_merge, prefix_suffix_lengths, split_long

F32 = np.float32
#: Alignments shorter than this are dropped (a Forward score without a real alignment).
MIN_ALIGNMENT = 8


def null_scores(lengths: np.ndarray) -> np.ndarray:
    """HMMER's null1 scores (nats, float32 as p7_bg_NullOne) of windows of `lengths`."""
    L = np.asarray(lengths, dtype=np.int64)
    p1 = (L.astype(F32) / (L + 1).astype(F32)).astype(np.float64)
    return (L * np.log(p1) + np.log(1.0 - p1)).astype(F32).astype(np.float64)


@dataclass(frozen=True)
class LongTargetOptions:
    """nhmmer's filter thresholds and switches (its defaults)."""

    F1: float = 0.02
    F2: float = 3e-3
    F3: float = 3e-5
    B1: int = 100
    B2: int = 240
    B3: int = 1000
    bias_filter: bool = True
    seed: int = 42


@dataclass
class RawHit:
    """One domain found in a window: `domain` coordinates are window-relative, the
    window starting at block position `offset` + 1."""

    domain: Domain = field(repr=False)
    offset: int
    score: float  # bits, at the model's maximum length
    bias: float  # bits
    lnP: float  # before the search-space correction

    def block_places(self) -> tuple[int, int, int, int]:
        """(ali_from, ali_to, env_from, env_to) in block coordinates."""
        d = self.domain
        return tuple(p + self.offset for p in (d.ali_from, d.ali_to, d.env_from, d.env_to))


@dataclass
class Candidate:
    """A window of one strand of one block that passed the Viterbi filter."""

    residues: np.ndarray = field(repr=False)
    start: int  # 0-based, in the block
    group: int  # the SSV window it came from (numbered over the pipeline's blocks)


@dataclass
class StageCounts:
    """Residues passing each filter (nhmmer's --stats counters)."""

    ssv: int = 0
    bias: int = 0
    viterbi: int = 0
    forward: int = 0


class LongTargetPipeline:
    """Per-query state for scanning blocks of DNA with `model`."""

    def __init__(self, model: ProfileHMM, options: LongTargetOptions, background=None):
        if model.max_length is None or model.max_length <= 0:
            raise ValueError(f"model {model.name} has no maximum length (MAXL)")
        for stat in ("MSV", "VITERBI", "FORWARD"):
            if stat not in model.stats:
                raise ValueError(f"model {model.name} has no {stat} statistics; calibrate it")
        self.model = model
        self.options = options
        self.bg = background or Background.default(model.alphabet)
        self.max_length = int(model.max_length)
        self.profile = configure(model, 100, background=self.bg)
        self.msv_stats = model.stats["MSV"]
        self.vit_stats = model.stats["VITERBI"]
        self.fwd_stats = model.stats["FORWARD"]
        K = model.alphabet.size
        self.K = K
        self.bytes = dp.msv_byte_profile(self.profile.msc, K)
        self.words = dp.viterbi_word_profile(self.profile.tsc, self.profile.msc)
        self.compo = composition_odds(self.profile)
        self.prefix, self.suffix = prefix_suffix_lengths(model)
        null_max = self.bg.null_score(self.max_length)
        self.ssv_thresh = ssv_threshold(options.F1, self.msv_stats, null_max, self.max_length,
                                        model.M)  # fmt: skip
        entry = entry_odds(model) if self.profile.local else None
        self.definer = LongTargetDefiner(self.profile, options.seed, entry)
        self.counts = StageCounts()
        self._groups = 0  # SSV windows numbered so far
        self.viterbi = ViterbiSeeder(self.words, self.vit_stats, options.F2)
        self.ssv = SSVSeeder(self.bytes[0], self.bytes[1], model.M, self.max_length,
                             self.ssv_thresh)  # fmt: skip

    def _bias_nulls(self, dsq, starts, lengths) -> np.ndarray:
        return filter_null_scores(dsq, starts, lengths, self.compo, self.model.M)

    def scan(self, dsq: np.ndarray) -> list[tuple[np.ndarray, int]]:
        """The windows of one strand of one block `dsq` (digital codes) that pass every
        filter, as (residues, 1-based block start): :meth:`define` finds their hits."""
        return [(c.residues, c.start + 1) for c in self.forward(self.candidates(dsq))]

    def candidates(self, dsq: np.ndarray) -> list[Candidate]:
        """The windows of one strand of one block `dsq` (digital codes) that pass the SSV,
        MSV, bias and Viterbi filters; :meth:`forward` filters those of many blocks at
        once."""
        opts = self.options
        seeds = self.ssv.seeds(dsq)
        if len(seeds) == 0:
            return []
        windows = extend_and_merge(seeds, self.prefix, self.suffix, self.max_length, len(dsq), 0.0)
        starts = windows[:, 0] - 1  # 0-based
        lengths = windows[:, 1].copy()
        # MSV (against the null) and bias filters, all windows of the block at once
        nullsc = null_scores(lengths)
        usc = dp.msv_filter_scores(dsq, starts, lengths, self.profile.msc, self.K, self.bytes)
        keep = self._passes(usc, nullsc, self.msv_stats, opts.F1)
        starts, lengths, nullsc, usc = starts[keep], lengths[keep], nullsc[keep], usc[keep]
        self.counts.ssv += int(lengths.sum())
        bias = np.zeros(len(lengths))
        if opts.bias_filter and len(lengths):
            bias = (self._bias_nulls(dsq, starts, lengths) - nullsc).astype(F32)
            filtersc = (nullsc + self._scaled_bias(bias, opts.B1, lengths)).astype(F32)
            keep = self._passes(usc, filtersc, self.msv_stats, opts.F1)
            starts, lengths, bias = starts[keep], lengths[keep], bias[keep]
        self.counts.bias += int(lengths.sum())
        if not len(lengths):
            return []
        # Viterbi windows, the length model at most MAXL long
        local = np.minimum(lengths, self.max_length)
        filtersc = (null_scores(local) + self._scaled_bias(bias, opts.B2, lengths)).astype(F32)
        found = self.viterbi.seeds(dsq, starts, lengths, local, filtersc)
        pieces = []
        groups = self._groups
        self._groups += len(lengths)
        seeds = np.ones((len(found), 3), dtype=np.int64)  # (position, model end, length 1)
        seeds[:, :2] = found[:, 1:]
        bounds = np.flatnonzero(np.diff(found[:, 0])) + 1  # rows come window by window
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(found)], strict=True):
            if lo == hi:
                continue
            w = int(found[lo, 0])
            vw = extend_and_merge(seeds[lo:hi], self.prefix, self.suffix, self.max_length,
                                  int(lengths[w]), 0.5)  # fmt: skip
            prev_end = 0
            for vstart, vlen in split_long(vw.tolist(), self.max_length):
                self.counts.viterbi += vlen - max(0, prev_end - vstart + 1)
                prev_end = vstart + vlen - 1
                at = int(starts[w]) + vstart - 1
                pieces.append(Candidate(dsq[at : at + vlen].copy(), at, groups + w))
        return pieces

    @staticmethod
    def _passes(scores, nulls, stats, F) -> np.ndarray:
        """Which windows' Gumbel P-values of (scores - nulls) are at most F
        (esl_gumbel_logsurv, vectorised)."""
        mu, lam = stats
        y = lam * ((np.asarray(scores) - np.asarray(nulls)) / LOG2 - mu)
        with np.errstate(over="ignore", divide="ignore"):
            ey = -np.exp(-y)
            logsurv = np.where(np.abs(ey) < 1e-7, -y, np.log(-np.expm1(ey)))
        return logsurv <= math.log(F)

    @staticmethod
    def _scaled_bias(bias, B: int, lengths):
        """The bias-filter score scaled to a window of at most `B` residues."""
        lengths = np.asarray(lengths)
        return np.asarray(bias, dtype=F32) * (
            np.minimum(lengths, B).astype(F32) / lengths.astype(F32)
        )

    def forward(self, candidates: list[Candidate]) -> list[Candidate]:
        """The Forward filter on candidate windows (of any blocks, scored side by side):
        those that pass, in order."""
        if not candidates:
            return []
        opts = self.options
        lengths = np.array([len(c.residues) for c in candidates], dtype=np.int64)
        starts = np.zeros(len(candidates), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        packed = np.concatenate([c.residues for c in candidates])
        nullsc = null_scores(lengths)
        bias = np.zeros(len(candidates))
        if opts.bias_filter:
            bias = (self._bias_nulls(packed, starts, lengths) - nullsc).astype(F32)
        fwdsc = dp.forward_scores(self.profile, packed, starts, lengths)
        filtersc = (nullsc + self._scaled_bias(bias, opts.B3, lengths)).astype(F32)
        seq_scores = ((fwdsc - filtersc) / LOG2).astype(F32)
        passed = []
        prev = None  # the window before, when it passed (its residues are not counted twice)
        for c, score in zip(candidates, seq_scores, strict=True):
            length = len(c.residues)
            overlap = 0
            if prev is not None and prev.group == c.group:
                overlap = max(0, prev.start + len(prev.residues) - c.start)
            prev = None
            if exp_logsurv(float(score), *self.fwd_stats) > math.log(opts.F3):
                continue
            self.counts.forward += length - overlap
            prev = c
            passed.append(c)
        return passed

    def define(self, windows: list[np.ndarray]) -> list[list[RawHit]]:
        """Domain definition in windows that passed Forward (their posterior decoding done
        side by side when there are many), each domain a hit scored as if found in a
        window of the model's maximum length; hits are window-relative."""
        decoded = [None] * len(windows)
        # the batch parsers run all their lanes on every row: side by side pays once about
        # half of them are busy (39 windows of ~330 residues: 34 ms against 39 ms alone)
        if len(windows) >= dp.PARSER_LANES // 2:
            batch = pack(windows)
            fx, bx, ls = dp.domain_decoding_batch(
                self.profile.copy().set_multihit(True), batch.X, batch.starts, batch.lengths
            )
            for n, start in enumerate(batch.starts):
                rows = slice(start + n, start + n + len(windows[n]) + 1)
                decoded[n] = (fx[rows], bx[rows], ls[rows])
        return [self._domains(w, d) for w, d in zip(windows, decoded, strict=True)]

    def _domains(self, sub, decoded) -> list[RawHit]:
        found = self.definer.define_window(sub, decoded)
        hits = []
        W = self.max_length
        for d in found.domains:
            env_len = d.env_to - d.env_from + 1
            ali_len = d.ali_to - d.ali_from + 1
            if ali_len < MIN_ALIGNMENT:
                continue
            bits = F32(d.env_score)
            bits = F32(float(bits) - 2 * math.log(2.0 / (env_len + 2)))
            bits = F32(float(bits) + 2 * math.log(2.0 / (W + 2)))
            grow = math.log(F32(env_len) / F32(env_len + 2))
            bits = F32(float(bits) - (env_len - ali_len) * grow)
            bits = F32(float(bits) + (max(W, env_len) - ali_len) * math.log(F32(W) / F32(W + 2)))
            null = self.bg.null_score(max(W, env_len))
            score = float(F32((float(bits) - null) / LOG2))
            lnP = exp_logsurv(score, *self.fwd_stats)
            hits.append(RawHit(d, 0, score, float(F32(d.correction)) / LOG2, lnP))
        return hits
