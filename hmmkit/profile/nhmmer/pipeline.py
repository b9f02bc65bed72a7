"""nhmmer's pipeline on one block of a long target, one strand (p7_Pipeline_LongTarget):
SSV windows, then per window the MSV and bias filters, Viterbi windows, Forward, domain
definition and the per-hit scores rescaled to the model's maximum length."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import dp
from ..background import Background
from ..bias_filter import composition_odds, filter_null_scores
from ..config import configure
from ..dp.float_sampling import entry_odds
from ..evalues import exp_logsurv, gumbel_logsurv
from ..hits import Domain
from ..plan7 import ProfileHMM
from .domains import LongTargetDefiner
from .windows import (
    LOG2,
    extend_and_merge,
    prefix_suffix_lengths,
    split_long,
    ssv_seeds,
    ssv_threshold,
    viterbi_seeds,
)

F32 = np.float32
#: Alignments shorter than this are dropped (a Forward score without a real alignment).
MIN_ALIGNMENT = 8


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

    def _bias_null(self, sub: np.ndarray) -> float:
        one = np.zeros(1, dtype=np.int64)
        return float(filter_null_scores(sub, one, one + len(sub), self.compo, self.model.M)[0])

    def scan(self, dsq: np.ndarray) -> list[RawHit]:
        """All hits of one strand of one block `dsq` (digital codes), block coordinates."""
        seeds = ssv_seeds(dsq, self.bytes[0], self.bytes[1], self.model.M, self.max_length,
                          self.ssv_thresh)  # fmt: skip
        if len(seeds) == 0:
            return []
        windows = extend_and_merge(seeds, self.prefix, self.suffix, self.max_length, len(dsq), 0.0)
        hits: list[RawHit] = []
        for start, length in windows:
            sub = dsq[start - 1 : start - 1 + length]
            nullsc = self.bg.null_score(length)
            usc = dp.msv_filter_score(sub, self.profile.msc, self.K, self.bytes)
            if gumbel_logsurv((usc - nullsc) / LOG2, *self.msv_stats) > math.log(self.options.F1):
                continue
            self.counts.ssv += length
            hits.extend(self._post_ssv(sub, start, nullsc, usc))
        return hits

    def _scaled_bias(self, bias: float, B: int, length: int) -> float:
        return float(F32(bias) * (F32(min(length, B)) / F32(length)))

    def _post_ssv(self, sub, start, nullsc, usc) -> list[RawHit]:
        opts = self.options
        length = len(sub)
        bias = 0.0
        if opts.bias_filter:
            bias = float(F32(self._bias_null(sub) - nullsc))
            filtersc = float(F32(nullsc + self._scaled_bias(bias, opts.B1, length)))
            if gumbel_logsurv((usc - filtersc) / LOG2, *self.msv_stats) > math.log(opts.F1):
                return []
        self.counts.bias += length
        local_len = min(length, self.max_length)
        scaled = self._scaled_bias(bias, opts.B2, length)
        filtersc = float(F32(self.bg.null_score(local_len) + scaled))
        prof = self.profile.set_multihit(True, local_len)
        seeds = viterbi_seeds(sub, self.words, prof.xsc, filtersc, opts.F2, self.vit_stats)
        if len(seeds) == 0:
            return []
        triples = [(int(i), int(k), 1) for i, k in seeds]
        windows = extend_and_merge(triples, self.prefix, self.suffix, self.max_length, length, 0.5)
        windows = split_long(windows, self.max_length)
        hits = []
        prev_end = 0
        for vstart, vlen in windows:
            self.counts.viterbi += vlen - max(0, prev_end - vstart + 1)
            prev_end = vstart + vlen - 1
            piece = sub[vstart - 1 : vstart - 1 + vlen]
            hits.extend(self._post_viterbi(piece, start + vstart - 1))
        return hits

    def _post_viterbi(self, sub, block_start) -> list[RawHit]:
        opts = self.options
        length = len(sub)
        nullsc = self.bg.null_score(length)
        bias = float(F32(self._bias_null(sub) - nullsc)) if opts.bias_filter else 0.0
        prof = self.profile.set_multihit(True, length)
        one = np.zeros(1, dtype=np.int64)
        fwdsc = float(dp.forward_scores(prof, sub, one, one + length)[0])
        filtersc = float(F32(nullsc + self._scaled_bias(bias, opts.B3, length)))
        seq_score = float(F32((fwdsc - filtersc) / LOG2))
        if exp_logsurv(seq_score, *self.fwd_stats) > math.log(opts.F3):
            return []
        self.counts.forward += length
        found = self.definer.define_window(sub)
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
            hits.append(RawHit(d, block_start - 1, score, float(F32(d.correction)) / LOG2, lnP))
        return hits
