"""The Forward scan against brute force (every lane of a batch) and against HMMER's
hmmsearch scores."""

from __future__ import annotations

import math

import numpy as np
import pytest
from brute_force import enumerate_paths, random_model

from hmmkit.profile import DNA, dp
from hmmkit.profile.background import Background
from hmmkit.profile.config import configure
from hmmkit.profile.digital import digitize, pack
from hmmkit.profile.io.fasta import read_fasta

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"

def test_every_lane_scores_its_sequence_as_brute_force():
    """A batch wide enough for the lane kernel, each sequence with its own length model:
    every score equals the log of the summed odds of its paths (float32 precision)."""
    rng = np.random.default_rng(53)
    model = random_model(rng, M=3)
    codes = [digitize("".join(rng.choice(list("ACGT"), size=n)), DNA)
             for n in rng.integers(1, 5, size=40)]  # fmt: skip
    assert dp.lane_width(len(codes)) > 0
    batch = pack(codes)
    profile = configure(model, 100)
    scores = dp.forward_scores(profile, batch.X, batch.starts, batch.lengths)
    for dsq, score in zip(codes, scores, strict=True):
        truth = math.log(enumerate_paths(profile.set_length(len(dsq)), dsq).sum())
        assert score == pytest.approx(truth, abs=1e-5)


def test_forward_scores_match_hmmer(shared_data, pf02826):
    """Raw Forward bits equal HMMER's pre_score (hmmsearch --max) on the proteome."""
    from hmmer_reference import hmmsearch, read_sequences, to_profile_hmm

    model = to_profile_hmm(pf02826)
    records = read_fasta(shared_data / PROTEOME)[:600]
    codes = [digitize(r.residues, model.alphabet) for r in records]
    lengths = np.array([len(c) for c in codes])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    raw = dp.forward_scores(configure(model), np.concatenate(codes), offsets, lengths)
    bg = Background.default(model.alphabet)
    bits = {
        r.name: (s - bg.null_score(n)) / math.log(2)
        for r, s, n in zip(records, raw, lengths, strict=True)
    }
    seqs = read_sequences(shared_data / PROTEOME)[:600]
    hits = hmmsearch(pf02826, seqs, bias_filter=False, F1=1.0, F2=1.0, F3=1.0, E=1e9, domE=1e9)
    compared = 0
    for hit in hits:
        if abs(hit.score - hit.sum_score) < 1e-4:  # pre_score replaced by the domain sum
            continue
        assert bits[hit.name] == pytest.approx(hit.pre_score, abs=0.01)
        compared += 1
    assert compared > 300


def test_forward_scan_scores_do_not_depend_on_the_lane_width(shared_data, pf02826):
    """Batches of every size give each sequence the same score, bit for bit: across lane
    widths (8 to 32 lanes) and one at a time (fewer sequences than the narrowest lanes)."""
    from hmmer_reference import to_profile_hmm

    model = to_profile_hmm(pf02826)
    records = read_fasta(shared_data / PROTEOME)[:520]
    codes = [digitize(r.residues, model.alphabet) for r in records]
    lengths = np.array([len(c) for c in codes])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    packed, profile = np.concatenate(codes), configure(model)
    together = dp.forward_scores(profile, packed, offsets, lengths)
    assert dp.lane_width(len(records)) == 32
    for size, width in ((20, 8), (54, 16), (100, 32)):
        assert dp.lane_width(size) == width
        for start in range(0, len(records) - size + 1, size):
            part = slice(start, start + size)
            scores = dp.forward_scores(profile, packed, offsets[part], lengths[part])
            np.testing.assert_array_equal(scores, together[part])
    few = [dp.forward_scores(profile, packed, offsets[i : i + 1], lengths[i : i + 1])[0]
           for i in range(0, 520, 13)]  # fmt: skip
    assert dp.lane_width(1) == 0
    np.testing.assert_array_equal(few, together[::13])


def _proteome_batch(shared_data, pf02826, n):
    from hmmer_reference import to_profile_hmm

    model = to_profile_hmm(pf02826)
    records = read_fasta(shared_data / PROTEOME)[:n]
    codes = [digitize(r.residues, model.alphabet) for r in records]
    return configure(model), codes


def test_forward_scan_scores_do_not_depend_on_batch_layout_or_threads(shared_data, pf02826):
    """Every sequence's score is the one it gets in the whole batch, bit for bit, whatever
    the batch around it: parts of 1 to 512 sequences (one-at-a-time, narrow and full lane
    kernels) in shuffled order, packed after a random number of filler residues at an odd
    byte offset of a larger buffer, with non-contiguous int32 offsets, and on two threads."""
    profile, codes = _proteome_batch(shared_data, pf02826, 1400)
    batch = pack(codes)
    together = dp.forward_scores(profile, batch.X, batch.starts, batch.lengths)
    rng = np.random.default_rng(23)
    order = rng.permutation(len(codes))
    start = 0
    for size in (1, 3, 7, 8, 9, 31, 64, 100, 511, 512, 154):
        part = order[start : start + size]
        start += size
        filler = int(rng.integers(0, 97))
        packed = np.concatenate([rng.integers(0, 20, size=filler, dtype=np.uint8)]
                                + [codes[i] for i in part])  # fmt: skip
        buffer = np.zeros(len(packed) + 3, dtype=np.uint8)
        shifted = buffer[3:]  # odd address
        shifted[:] = packed
        lengths = np.array([len(codes[i]) for i in part])
        offsets = np.zeros(2 * size, dtype=np.int32)[::2]  # a strided view
        offsets[:] = filler + np.concatenate([[0], np.cumsum(lengths)[:-1]])
        for n_jobs in (1, 2):
            scores = dp.forward_scores(profile, shifted, offsets, lengths, n_jobs=n_jobs)
            np.testing.assert_array_equal(scores, together[part], err_msg=f"{size} {n_jobs}")
    assert start == len(codes)


FRESH_COMPILE = """
import sys, numpy as np
from hmmkit.profile.dp import forward_scan as fs
d = np.load(sys.argv[1])
sp = fs.ScanProfile(*(d[f"sp{i}"] for i in range(12)), *(d[f"sp{i}"][()] for i in (12, 13, 14)))
dsq, offsets, lengths = d["dsq"], d["offsets"], d["lengths"]
order = np.argsort(-lengths, kind="stable").astype(np.int64)
M = sp.a_mm.shape[0] - 1
out = {name: np.full(len(lengths), np.nan) for name in ("wide", "narrow", "serial")}
fs._SCAN_LANES_WIDE(dsq, offsets, lengths, order, sp, out["wide"], 128)
fs._SCAN_LANES_NARROW(dsq, offsets, lengths, order, sp, out["narrow"], 8)
fs._scan_serial(dsq, offsets, lengths, order, sp, out["serial"])
rows = np.zeros((6, M + 1), dtype=np.float32)
out["one"] = np.array([fs._forward_one(dsq, o, n, sp, *rows) for o, n in zip(offsets, lengths)])
np.savez(sys.argv[2], **out)
"""


@pytest.mark.slow
def test_forward_scan_kernels_compiled_afresh_give_the_cached_scores(shared_data, pf02826,
                                                                    tmp_path):  # fmt: skip
    """The scores do not depend on how the kernels were compiled: a process compiling them
    afresh (an empty numba cache), a second loading them from that cache and this process
    give every kernel's scores bit for bit (the lanes at full and narrow width, called
    directly and through the batch dispatcher, and one at a time). Fused multiply-adds
    chosen by the compiler made them differ by one float32 step in about 4 of 10 proteome
    sequences, depending on whether the process compiled them or loaded them."""
    import os
    import subprocess
    import sys

    from hmmkit.profile.dp import forward_scan as fs

    profile, codes = _proteome_batch(shared_data, pf02826, 400)
    batch = pack(codes)
    sp = fs.scan_profile(profile)
    arrays = {f"sp{i}": np.asarray(v) for i, v in enumerate(sp)}
    lengths = np.asarray(batch.lengths, dtype=np.int64)
    offsets = np.asarray(batch.starts, dtype=np.int64)
    np.savez(tmp_path / "in.npz", dsq=np.asarray(batch.X, dtype=np.uint8), offsets=offsets,
             lengths=lengths, **arrays)  # fmt: skip
    here = dp.forward_scores(profile, batch.X, offsets, lengths)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), HMMKIT_COMPILE_NOTICE="0")
    for run in ("fresh", "cached"):
        subprocess.run([sys.executable, "-c", FRESH_COMPILE, str(tmp_path / "in.npz"),
                        str(tmp_path / f"{run}.npz")], check=True, env=env)  # fmt: skip
        scores = np.load(tmp_path / f"{run}.npz")
        for kernel in ("wide", "narrow", "serial", "one"):
            np.testing.assert_array_equal(scores[kernel], here, err_msg=f"{run} {kernel}")
    assert list((tmp_path / "cache").rglob("*.nbi")), "numba cached nothing"
