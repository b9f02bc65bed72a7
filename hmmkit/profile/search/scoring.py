"""HMMER's per-sequence pipeline of hmmsearch and hmmscan (p7_pipeline.c).

Every sequence goes through HMMER's filters: MSV, biased composition, Viterbi and Forward
(:func:`hmmkit.profile.dp.forward_scores`), each scored exactly as HMMER scores it, and
the stage each reaches is counted as HMMER counts it (:mod:`.pipeline`).
Sequences whose Forward P-value passes ``F3`` go through HMMER's domain definition
(p7_domaindef_ByPosteriorHeuristics): posterior decoding finds regions, regions that look
like several domains are split by clustering an ensemble of paths sampled in single
precision exactly as HMMER samples them (:mod:`hmmkit.profile.dp.float_sampling`), and every
envelope is rescored on its own with a null2 (biased composition) correction. Scores,
E-values and reporting thresholds follow p7_pipeline.c and p7_tophits.c; the results can
be written in hmmsearch's ``--tblout`` layout.
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np

from ...sequences import SequenceBatch
from ...training.parallel import map_shards, resolve_n_jobs
from .. import dp
from ..background import Background, null1_scores
from ..digital import digitize_batch, gather, pack, residue_letters
from ..dp.float_sampling import entry_odds
from ..dp.msv import COMPILED_TJB_LENGTHS
from ..dp.shards import shard_slices
from ..io.fasta import Sequence
from ..plan7 import ProfileHMM
from .bias_filter import biased_transitions
from .domains import DomainDefiner
from .evalues import exp_logsurv, gumbel_logsurv
from .float_scores import flogsum, fsum
from .hits import Hit
from .options import PipelineOptions
from .pipeline import (
    FAILED_MSV,
    NOT_SCORED,
    PAST_FORWARD,
    PAST_VITERBI,
    Pipeline,
)
from .prefilters import EDGE_MARGIN_BITS, msv_and_bias_block
from .stages import ModelStages

LOG2 = math.log(2.0)


def residue_count(records: list[Sequence]) -> int:
    """Number of residues in `records` (whitespace inside a sequence is not a residue)."""
    return len("".join("".join(r.residues for r in records).split()))


def check_query_model(model, first: ProfileHMM | None = None, source: str = "") -> None:
    """TypeError unless `model` is a ProfileHMM; ValueError when its alphabet is not that of
    `first`, an earlier model of the same `source` (HMMER searches one alphabet at a time)."""
    if not isinstance(model, ProfileHMM):
        raise TypeError(f"model must be a ProfileHMM, got {type(model).__name__}")
    if first is not None and model.alphabet.name != first.alphabet.name:
        raise ValueError(
            f"{source} mixes alphabets: {first.name} is {first.alphabet.name}, "
            f"{model.name} is {model.alphabet.name}"
        )


def score_targets(
    model: ProfileHMM | ModelStages,
    records: list[Sequence],
    options: PipelineOptions,
    *,
    background: Background | None = None,
    n_jobs: int | None = 1,
    batch: SequenceBatch | None = None,
    null: np.ndarray | None = None,
    msv_passed: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[tuple[int, Hit]], np.ndarray]:
    """HMMER's pipeline (p7_Pipeline) for one model (or its :class:`~.stages.ModelStages`)
    over `records`: the hits as ``[(record index, Hit)]``, unranked and without E-values or
    flags, and the :mod:`stage <.pipeline>` each record reached.

    What the caller has already may be passed (a scan of many models over the same
    records): `batch`, the records digitized in the model's alphabet
    (:func:`~.digital.digitize_batch`); `null`, their :func:`null_scores`; `msv_passed`,
    the indices of the records past the MSV filter's first gate (F1 against the null) and
    their MSV scores.
    """
    prepared = model
    if not isinstance(prepared, ModelStages):
        if "FORWARD" not in model.stats:
            from ..build.calibrate import calibrate

            model = calibrate(model, background=background)
        prepared = ModelStages.of(model, background)
    tau, lam = prepared.stats["FORWARD"]
    bg = prepared.background
    if batch is None:
        batch = digitize_batch(records, prepared.alphabet)
    nullsc = null_scores(bg, batch.lengths) if null is None else null
    lengths = batch.lengths
    codes = batch.sequence  # a record's digital sequence (a view), made when needed
    jobs = os.cpu_count() if n_jobs is None else n_jobs
    stages = np.where(lengths > 0, FAILED_MSV, NOT_SCORED).astype(np.int8)
    filters = _Filters(prepared, batch, nullsc, options, stages, msv_passed)
    # sequences are independent through the filters: on several threads, each takes the
    # next block of sequences through the MSV and bias filters (its kernels on one core),
    # so that one thread's Python work between the stages overlaps the other's compiled
    # work; Forward then scores what they let through in lane batches on every thread
    if msv_passed is not None:
        blocks = [np.asarray(msv_passed[0], dtype=np.int64)]
    else:
        nonempty = np.flatnonzero(lengths > 0)
        # (fewer sequences than a block per thread: one block per thread)
        size = min(FILTER_BLOCK, -(-len(nonempty) // jobs)) if jobs > 1 else len(nonempty)
        blocks = _blocks(nonempty, size) or [nonempty]
    filters.prepare()
    candidates = np.concatenate(map_shards(filters.msv_and_bias, blocks, jobs))
    past_forward, later = filters.forward_and_viterbi(candidates, jobs)
    deferred = filters.viterbi.deferred(later, gather(batch, later), filters.filtersc[later],
                                        jobs)  # fmt: skip
    fwd = filters.fwd
    passed = [(int(idx), float(nullsc[idx])) for idx in past_forward]
    null2, seed = options.null2, options.seed

    if not passed:  # nothing to define domains on: skip the definer's set-up
        return [], stages, deferred
    letters = np.frombuffer(residue_letters(prepared.alphabet).encode(), dtype=np.uint8)
    profile = prepared.profile
    entry = entry_odds(prepared.model) if profile.local else None
    definers: dict[int, DomainDefiner] = {}  # one per thread (each holds reused matrices)

    def define_domains(part: list[tuple[int, float]], decoded: dict) -> list[tuple[int, Hit]]:
        definer = definers.get(threading.get_ident())
        if definer is None:  # own profile copy: threads share none
            definer = definers[threading.get_ident()] = DomainDefiner(profile, seed, null2, entry)
        found = []
        for idx, null in part:
            hit = _score_hit(records[idx], codes(idx), float(fwd[idx]), null, definer, bg, tau,
                             lam, null2, decoded.get(idx))  # fmt: skip
            if hit is not None:
                for d in hit.domains:
                    d.residues = letters[codes(idx)[d.ali_from - 1 : d.ali_to]].tobytes().decode()
                found.append((idx, hit))
        return found

    # sequences are independent (domain definition reseeds per sequence), so they can be
    # defined on several threads with the same results: block by block, in one round of
    # tasks that threads take in turn: the Forward and Backward decodings first (one lane
    # batch per thread), then the sequences in small parts, the longest first (so that a
    # thread never waits on a long last part), each part as soon as the batches holding
    # its sequences are decoded (the longest, decoded alone, at once: a thread that is
    # done decoding goes on to them while the other decodes); hits in record order
    multihit = profile.copy().set_multihit(True)
    hits = []
    for block in _blocks(passed, DEFINE_BLOCK):
        chunks = _decoding_chunks(block, lengths, jobs)
        if jobs > 1:
            parts = _blocks(sorted(block, key=lambda item: -int(lengths[item[0]])), DEFINE_PART)
        else:
            parts = [block]
        tasks = _DefineTasks(chunks, parts, lambda chunk: _decode(multihit, chunk, codes),
                             define_domains)  # fmt: skip
        found = [hit for part in map_shards(tasks.run, range(tasks.n_tasks), jobs) if part
                 for hit in part]  # fmt: skip
        hits.extend(sorted(found, key=lambda item: item[0]) if jobs > 1 else found)
    return hits, stages, deferred


class _DefineTasks:
    """One block's domain definition as tasks for :func:`map_shards`: task c < len(chunks)
    decodes chunk c side by side, each later one defines a part (waiting first for the
    decoding of the chunks holding its sequences; they are taken before it, by a thread
    that waits on nothing, so the wait ends)."""

    def __init__(self, chunks: list, parts: list, decode, define) -> None:
        self.chunks, self.parts, self.decode, self.define = chunks, parts, decode, define
        self.n_tasks = len(chunks) + len(parts)
        self.decoded: dict = {}
        self.ready = [threading.Event() for _ in chunks]
        self.chunk_of = {idx: c for c, chunk in enumerate(chunks) for idx, _ in chunk}

    def run(self, task: int) -> list | None:
        """Task `task`: None for a decoding, the hits of a part."""
        if task < len(self.chunks):
            try:
                self.decoded.update(self.decode(self.chunks[task]))
            finally:  # (a failed decoding's sequences are decoded alone; its error is raised)
                self.ready[task].set()
            return None
        part = self.parts[task - len(self.chunks)]
        for c in {self.chunk_of[idx] for idx, _ in part if idx in self.chunk_of}:
            self.ready[c].wait()
        return self.define(part, self.decoded)


#: Sequences one thread takes through the filters at a time, on several threads.
FILTER_BLOCK = 2048


class _Filters:
    """HMMER's filters of one model (MSV, bias, Viterbi, Forward; p7_Pipeline up to domain
    definition) over a batch of sequences, each sequence's scores and :mod:`stage
    <.pipeline>` written into arrays over the whole batch. :meth:`msv_and_bias` takes one
    block of sequences through the MSV and bias filters (blocks are disjoint, so threads
    may run blocks side by side); :meth:`forward_and_viterbi` takes what they let through
    through the Forward filter (in lane batches, which want many sequences at once) and the
    Viterbi filter."""

    def __init__(self, prepared: ModelStages, batch: SequenceBatch, nullsc: np.ndarray,
                 options: PipelineOptions, stages: np.ndarray, msv_passed) -> None:  # fmt: skip
        self.prepared, self.batch, self.nullsc = prepared, batch, nullsc
        self.options, self.stages, self.msv_passed = options, stages, msv_passed
        self.packed = np.ascontiguousarray(batch.X, dtype=np.uint8)
        self.offsets = np.ascontiguousarray(batch.starts, dtype=np.int64)
        self.lengths = np.ascontiguousarray(batch.lengths, dtype=np.int64)
        n = len(self.lengths)
        # HMMER's gates: MSV (F1; against the null, then against the bias-filter null),
        # Viterbi (F2, run only when the MSV P-value is above F2), Forward (F3). The cheap
        # MSV runs first, the bias-filter null and the others only on what it lets through.
        F1, F2 = options.F1, options.F2
        self.use_msv = "MSV" in prepared.stats and not (F1 >= 1.0 and F2 >= 1.0)
        self.usc = np.full(n, -np.inf)
        if self.use_msv and msv_passed is not None:
            self.usc[np.asarray(msv_passed[0], dtype=np.int64)] = msv_passed[1]
        self.filtersc = nullsc.copy()
        self.msv_logP = np.zeros(n)
        self.fwd = np.full(n, -np.inf)
        gate_open = F2 >= 1.0 or "VITERBI" not in prepared.stats
        self.viterbi = ViterbiGate(prepared, None if gate_open else prepared.stats["VITERBI"], F2)

    def prepare(self) -> None:
        """Make what the MSV and bias filters read (the model's stage parts are made on
        first use), before threads share it."""
        prepared, options = self.prepared, self.options
        self.run_msv = bool(self.use_msv and self.msv_passed is None)
        self.use_bias = bool(options.bias_filter)
        empty = np.zeros(0, dtype=np.int64)
        no_bytes = np.zeros((0, 0), dtype=np.uint8)  # (the kernel's types: one compile)
        self.msv = prepared.striped_msv if self.run_msv else (no_bytes, no_bytes, 0, 0, 0, 0)
        # the kernel computes each target's J->B byte itself, up to very long targets
        long = self.run_msv and len(self.lengths) and self.lengths.max() >= COMPILED_TJB_LENGTHS
        self.tjbs = dp.msv_target_bytes(self.lengths) if long else empty
        self.odds = prepared.odds if self.use_bias else np.ones(0)
        self.transitions = biased_transitions(prepared.M)
        F1 = options.F1
        mu, lam = prepared.stats["MSV"] if self.use_msv else (0.0, 1.0)
        edge = mu - math.log(-math.log1p(-F1)) / lam if self.use_msv and F1 < 1.0 else 0.0
        self.gate = (float(mu), float(lam), float(F1), float(edge))

    def msv_and_bias(self, block: np.ndarray) -> np.ndarray:
        """Take the sequences at `block` (indices of nonempty sequences, or those past the
        MSV filter's first gate when given) through the MSV and bias filters and their
        gates, in one compiled call (:func:`~.prefilters.msv_and_bias_block`): the indices
        past both."""
        return msv_and_bias_block(
            np.ascontiguousarray(block, dtype=np.int64), self.packed, self.offsets,
            self.lengths, self.run_msv, self.use_msv, self.use_bias, *self.msv,
            self.tjbs, self.odds, *self.transitions, *self.gate, self.nullsc, self.usc,
            self.filtersc, self.msv_logP, self.stages,
        )  # fmt: skip

    def forward_and_viterbi(
        self, candidates: np.ndarray, n_jobs: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Take `candidates` (past the bias filter) through the Forward and Viterbi filters
        (on `n_jobs` threads): the indices past both, and those whose Viterbi filter run
        only the counters need (they fail Forward)."""
        prepared, stages, options, fwd = self.prepared, self.stages, self.options, self.fwd
        none = np.zeros(0, dtype=np.int64)
        if not len(candidates):  # nothing past the filters before: no later stage has work
            return none, none
        fwd[candidates] = dp.forward_scores(
            prepared.forward, self.packed, self.offsets[candidates], self.lengths[candidates],
            n_jobs=n_jobs or 1,
        )  # fmt: skip
        # HMMER runs the Viterbi filter (F2, when the MSV P-value is above F2) before
        # Forward (F3). Both must pass, so the order changes no hit: Forward runs first
        # here, on the compiled batch scan, and the Viterbi filter at once only where a hit
        # depends on it; for the rest it decides only the n_past_vit count and is deferred
        # until asked. The Forward P-value is exp_logsurv's, over all candidates at once.
        tau, lam = prepared.stats["FORWARD"]
        bits = (fwd[candidates] - self.filtersc[candidates]) / LOG2
        log_p = np.where(bits < tau, 0.0, -lam * (bits - tau))
        forward_pass = log_p <= math.log(options.F3)
        gated = np.zeros(len(candidates), dtype=bool)
        if self.viterbi.stats is not None:
            gated = self.msv_logP[candidates] > math.log(options.F2)
        now = candidates[gated & forward_pass]
        kept = self.viterbi.passes(gather(self.batch, now), self.filtersc[now], n_jobs)
        stages[candidates[~gated]] = PAST_VITERBI
        stages[now[kept]] = PAST_VITERBI
        past_forward = np.sort(np.concatenate([candidates[~gated & forward_pass], now[kept]]))
        stages[past_forward] = PAST_FORWARD
        return past_forward.astype(np.int64), candidates[gated & ~forward_pass]


#: Sequences past Forward decoded and defined at a time (bounds the decodings' memory).
DEFINE_BLOCK = 4096
#: Sequences per part that one thread defines, on several threads.
DEFINE_PART = 8


def _blocks(items: list, size: int) -> list[list]:
    """`items` in consecutive lists of `size` (the last one shorter)."""
    return [items[a : a + size] for a in range(0, len(items), max(size, 1))]


#: What decoding one sequence alone costs per residue, in steps of the batch parsers (a
#: step: one residue of each of PARSER_LANES sequences side by side). Measured on Pfam-size
#: models: a step ~43 us, a residue alone ~2 us.
SINGLE_RESIDUE_STEPS = 0.05


def _decoding_chunks(block: list[tuple[int, float]], lengths: np.ndarray, jobs: int) -> list:
    """The sequences of `block` (record index, null score) to decode side by side, in one
    batch per thread (:func:`_decode`); the others are decoded one by one as they are
    defined. A batch takes as many steps as its longest sequence or as its residues fill
    the lanes, whichever is more: its longest sequences are left out while decoding them
    alone costs less than the steps they add (:func:`_single_count`)."""
    by_length = sorted(block, key=lambda item: -int(lengths[item[0]]))
    n_chunks = max(1, min(jobs, len(block) // dp.PARSER_LANES))
    chunks = []
    for c in range(n_chunks):  # interleaved: the chunks' lengths alike
        chunk = by_length[c::n_chunks]
        alone = _single_count(np.array([lengths[idx] for idx, _ in chunk], dtype=np.float64))
        if alone < len(chunk):
            chunks.append(chunk[alone:])
    return chunks


def _single_count(lengths: np.ndarray) -> int:
    """How many of the longest of sequences of `lengths` (descending) to decode alone so
    that decoding them all costs least (the rest side by side, in one batch; all of them
    alone when that is cheapest)."""
    longest_first = np.concatenate([[0.0], np.cumsum(lengths)])  # residues of the k longest
    steps = np.maximum(
        np.append(lengths, 0.0), (longest_first[-1] - longest_first) / dp.PARSER_LANES
    )
    return int(np.argmin(steps + SINGLE_RESIDUE_STEPS * longest_first))


def _decode(profile, part: list[tuple[int, float]], codes) -> dict:
    """Forward/Backward special rows and row scales of the sequences of `part` (record
    index -> (fx, bx, logscale)), decoded side by side."""
    sub_batch = pack([codes(idx) for idx, _ in part])
    sub, sub_off, sub_len = sub_batch.X, sub_batch.starts, sub_batch.lengths
    fx, bx, ls = dp.domain_decoding_batch(profile, sub, sub_off, sub_len)
    decoded = {}
    for n, (idx, _) in enumerate(part):
        rows = slice(sub_off[n] + n, sub_off[n] + n + sub_len[n] + 1)
        decoded[idx] = (fx[rows], bx[rows], ls[rows])
    return decoded


def search_pipeline(
    model: ProfileHMM,
    records: list[Sequence],
    options: PipelineOptions,
    *,
    background: Background | None = None,
    n_jobs: int | None = 1,
    batch: SequenceBatch | None = None,
) -> tuple[list[Hit], Pipeline, DeferredViterbi]:
    """One model against `records` (hmmsearch's side of the pipeline): the hits, unranked
    and without E-values or flags, the pipeline's counters and the Viterbi filter runs
    that only its n_past_vit count awaits. `batch`: as :func:`score_targets`."""
    if batch is None:
        batch = digitize_batch(records, model.alphabet)
    scored, stages, deferred = score_targets(model, records, options, background=background,
                                             n_jobs=n_jobs, batch=batch)  # fmt: skip
    pipeline = Pipeline(options, "search", n_models=1, n_nodes=model.M,
                        n_sequences=len(records), n_residues=batch.n_frames)  # fmt: skip
    return [hit for _, hit in scored], pipeline.counted(stages), deferred


def null_scores(bg: Background, lengths: np.ndarray) -> np.ndarray:
    """:meth:`Background.null_score` of every length (-inf for an empty sequence; the
    same for every background), each distinct length computed once per process."""
    return null1_scores(lengths)


def msv_gate(candidates, usc, nullsc, msv_stats, F1, logP=None) -> np.ndarray:
    """The candidates whose MSV P-value against `nullsc` is at most F1 (all when F1 >= 1);
    the log P-values go into `logP` when given (for the candidates kept, or for all when
    F1 >= 1)."""
    mu, lam = msv_stats
    if F1 < 1.0 and len(candidates):
        # The P-value falls as the score rises: only scores near or above the one where it
        # equals F1 can pass; the exact test below decides those.
        edge = mu - math.log(-math.log1p(-F1)) / lam
        bits = (usc[candidates] - nullsc[candidates]) / LOG2
        candidates = candidates[bits >= edge - EDGE_MARGIN_BITS]
    candidates = np.asarray(candidates, dtype=np.int64)
    bits = ((usc[candidates] - nullsc[candidates]) / LOG2).tolist()
    log_p = [gumbel_logsurv(x, mu, lam) for x in bits]
    if logP is not None:
        logP[candidates] = log_p
    if F1 >= 1.0:
        return candidates
    log_F1 = math.log(F1)
    return candidates[np.array([lp <= log_F1 for lp in log_p], dtype=bool)]


class ViterbiGate:
    """HMMER's Viterbi filter gate (F2) of one model: which sequences it lets through,
    scored exactly as its 16-bit filter scores them against their bias-filter null scores.
    Without `viterbi_stats` (the gate is open) every sequence passes."""

    def __init__(self, stages: ModelStages, viterbi_stats: tuple[float, float] | None,
                 F2: float):  # fmt: skip
        self.stages, self.stats, self.F2 = stages, viterbi_stats, F2

    @property
    def words(self):
        """The model's Viterbi filter word scores (made on first use)."""
        return self.stages.striped_words

    def passes(self, targets: SequenceBatch, filtersc: np.ndarray,
               n_jobs: int | None = 1) -> np.ndarray:  # fmt: skip
        """Whether each of `targets` (digital sequences, packed) passes the gate, scored in
        compiled calls (on `n_jobs` threads)."""
        n = targets.n_sequences
        if self.stats is None or not n:
            return np.ones(n, dtype=bool)
        words, lengths = self.words, np.ascontiguousarray(targets.lengths, dtype=np.int64)
        # the length model's words, once per distinct target length
        distinct, which = np.unique(lengths, return_inverse=True)
        table = np.array([dp.special_words(self.stages.special_scores(int(L)))
                          for L in distinct], dtype=np.int32).reshape(len(distinct), 5)  # fmt: skip
        specials = table[which.reshape(-1)]
        X, starts = np.ascontiguousarray(targets.X, dtype=np.uint8), targets.starts
        vsc = np.empty(n)

        def run(part: slice) -> None:
            vsc[part] = dp.viterbi_filter_scores(X, starts[part], lengths[part], words,
                                                 specials[part])  # fmt: skip

        jobs = max(1, min(resolve_n_jobs(n_jobs), n))
        if jobs > 1:
            map_shards(run, shard_slices(lengths, jobs), jobs)
        else:
            run(slice(0, n))
        # the P-value falls as the score rises: only scores near or above the one where it
        # equals F2 can pass; the exact test decides those
        vmu, vlam = self.stats
        log_F2 = math.log(self.F2)
        bits = (vsc - filtersc) / LOG2
        edge = vmu - math.log(-math.log1p(-self.F2)) / vlam
        keep = np.zeros(n, dtype=bool)
        for k in np.flatnonzero(bits >= edge - EDGE_MARGIN_BITS).tolist():
            keep[k] = gumbel_logsurv(float(bits[k]), vmu, vlam) <= log_F2
        return keep

    def deferred(self, indices, targets, filtersc, n_jobs: int | None = 1) -> DeferredViterbi:
        """The gate's decision for `targets` (the digital sequences at record `indices`,
        packed), made when asked (on `n_jobs` threads)."""
        indices = np.asarray(indices, dtype=np.int64)
        return DeferredViterbi(self, indices, targets, filtersc, n_jobs)


class DeferredViterbi:
    """Viterbi filter runs whose outcome only the pipeline's counters need (sequences that
    fail the Forward filter anyway): :meth:`passing` runs them, once."""

    def __init__(self, gate: ViterbiGate, indices, targets, filtersc, n_jobs: int | None = 1):
        self.gate, self.indices, self.targets, self.filtersc = gate, indices, targets, filtersc
        self.n_jobs = n_jobs
        self._passing = None if len(indices) else indices

    def passing(self) -> np.ndarray:
        """The record indices whose sequences pass the Viterbi filter."""
        if self._passing is None:
            keep = self.gate.passes(self.targets, self.filtersc, self.n_jobs)
            self._passing = self.indices[keep]
            self.targets = self.filtersc = None
        return self._passing

    def count(self) -> int:
        """How many of them pass."""
        return len(self.passing())


def _score_hit(rec, dsq, fwdsc, nullsc, definer, bg, tau, lam, null2, decoded) -> Hit | None:
    """Domain definition and the pipeline's per-sequence scoring (p7_Pipeline), in its
    single-precision arithmetic: scores, biases and corrections are floats, the biases
    HMMER's table-driven log-sums, the E-value parameters the model's floats."""
    L = len(dsq)
    dd = definer.define(dsq, decoded)
    if dd.nregions == 0 or dd.nenvelopes == 0 or not dd.domains:
        return None
    f32 = np.float32
    log_omega = math.log(bg.omega)
    fwdsc, nullsc, tau, lam = f32(fwdsc), f32(nullsc), float(f32(tau)), float(f32(lam))
    seqbias = flogsum(0.0, log_omega + float(fsum(dd.n2sc))) if null2 else f32(0.0)
    pre_score = f32(float(f32(fwdsc - nullsc)) / LOG2)
    seq_score = f32(float(f32(fwdsc - f32(nullsc + seqbias))) / LOG2)

    sum_score, bias_sum, Ld = f32(0.0), f32(0.0), 0
    for d in dd.domains:
        envsc, correction = f32(d.env_score), f32(d.correction)
        keep = envsc - correction > 0.0 if null2 else envsc > 0.0
        if keep:
            sum_score = f32(sum_score + envsc)
            Ld += d.env_to - d.env_from + 1
            bias_sum = f32(bias_sum + correction)
    seqbias2 = flogsum(0.0, log_omega + float(bias_sum)) if null2 else f32(0.0)
    log_ratio = math.log(np.float32(L) / np.float32(L + 3))  # a residue outside domains
    sum_score = f32(float(sum_score) + (L - Ld) * log_ratio)
    pre2_score = f32(float(f32(sum_score - nullsc)) / LOG2)
    sum_score = f32(float(f32(sum_score - f32(nullsc + seqbias2))) / LOG2)
    if Ld > 0 and sum_score > seq_score:
        seq_score, pre_score = sum_score, pre2_score

    lnP = exp_logsurv(float(seq_score), tau, lam)
    best = 0
    for idx, d in enumerate(dd.domains):
        Ld = d.env_to - d.env_from + 1
        raw = f32(d.env_score + (L - Ld) * log_ratio)
        dombias = flogsum(0.0, log_omega + d.correction) if null2 else f32(0.0)
        d.score = float(f32(float(f32(raw - f32(nullsc + dombias))) / LOG2))
        d.bias = float(dombias) / LOG2
        d.lnP = exp_logsurv(d.score, tau, lam)
        if d.score > dd.domains[best].score:
            best = idx
    seq_score, pre_score, sum_score = float(seq_score), float(pre_score), float(sum_score)
    return Hit(
        name=rec.name, description=rec.description, accession=rec.accession or None,
        length=L, score=seq_score,
        bias=float(np.float32(pre_score - seq_score)), pre_score=pre_score,
        sum_score=sum_score, lnP=lnP,
        domains=dd.domains, best_domain=best, nexpected=dd.nexpected, nregions=dd.nregions,
        nclustered=dd.nclustered, noverlaps=dd.noverlaps, nenvelopes=dd.nenvelopes,
    )  # fmt: skip
