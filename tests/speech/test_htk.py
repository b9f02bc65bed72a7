"""HTK parameter files, checked against files laid out byte by byte from HTK's description
(12-byte big-endian header; floats, or shorts with A/B scaling; optional checksum)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from hmmkit import GaussianHMM
from hmmkit.speech.htk import (
    HTKFolderSource,
    kind_name,
    parse_kind,
    read_htk,
    read_htk_header,
    write_htk,
)

MFCC_E_D_A = 6 + 0o100 + 0o400 + 0o1000


def raw_file(path, n_samples, period, sample_bytes, code, body: bytes):
    path.write_bytes(struct.pack(">iihh", n_samples, period, sample_bytes, code) + body)
    return path


def test_kind_names_and_codes():
    assert parse_kind("MFCC_E_D_A") == MFCC_E_D_A == 838
    assert kind_name(838) == "MFCC_E_D_A"
    assert kind_name(parse_kind("mfcc_0_d_a_z")) == "MFCC_D_A_Z_0"  # HTK's qualifier order
    assert parse_kind("USER") == 9 and kind_name(7 + 0o2000) == "FBANK_C"
    with pytest.raises(ValueError, match="unknown HTK parameter kind"):
        parse_kind("MFCCX_E")
    with pytest.raises(ValueError, match="qualifier _Q"):
        parse_kind("MFCC_Q")
    with pytest.raises(ValueError, match="not an HTK kind"):
        parse_kind(63)


def test_reads_a_float_file(tmp_path):
    x = (np.arange(12).reshape(3, 4) / 8).astype(">f4")
    path = raw_file(tmp_path / "a.mfc", 3, 100000, 16, 6 + 0o100, x.tobytes())
    feats = read_htk(path)
    assert feats.kind == "MFCC_E" and feats.sample_period == pytest.approx(0.01)
    np.testing.assert_array_equal(feats.data, x.astype(np.float64))


def test_reads_a_compressed_file_with_a_checksum(tmp_path):
    scale = np.array([100.0, 2.0], dtype=">f4")
    bias = np.array([5.0, -1.0], dtype=">f4")
    shorts = np.array([[10, 3], [-20, 7], [0, 0]], dtype=">i2")
    body = scale.tobytes() + bias.tobytes() + shorts.tobytes() + b"\x12\x34"
    code = 7 + 0o2000 + 0o10000  # FBANK_C_K
    path = raw_file(tmp_path / "c.fbank", 3 + 4, 100000, 4, code, body)
    feats = read_htk(path)
    assert feats.kind == "FBANK_C_K"
    expected = (shorts.astype(float) + bias.astype(float)) / scale.astype(float)
    np.testing.assert_allclose(feats.data, expected, rtol=1e-12)


def test_reads_waveform_samples(tmp_path):
    samples = np.array([0, 1000, -32768, 32767], dtype=">i2")
    path = raw_file(tmp_path / "w.htk", 4, 625, 2, 0, samples.tobytes())
    feats = read_htk(path)
    assert feats.kind == "WAVEFORM" and feats.sample_period == pytest.approx(1 / 16000)
    np.testing.assert_array_equal(feats.data[:, 0], samples.astype(float))


def test_write_lays_the_file_out_as_htk(tmp_path):
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32).astype(np.float64)
    path = tmp_path / "w.mfc"
    write_htk(path, x, sample_period=0.01, kind="MFCC_0")
    raw = path.read_bytes()
    assert struct.unpack(">iihh", raw[:12]) == (5, 100000, 12, 6 + 0o20000)
    np.testing.assert_array_equal(np.frombuffer(raw[12:], dtype=">f4").reshape(5, 3), x)
    assert read_htk(path).kind == "MFCC_0"


def test_compressed_write_keeps_about_five_digits(tmp_path):
    x = np.random.default_rng(1).normal(size=(200, 4)) * [1, 10, 100, 0.01]
    x[:, 3] = 0.25  # a constant column is kept exactly
    path = tmp_path / "c.mfc"
    write_htk(path, x, kind="MFCC_E", compressed=True)
    header = read_htk_header(path)
    assert (header.n_frames, header.sample_bytes, header.kind) == (200, 8, "MFCC_E_C")
    assert struct.unpack(">i", path.read_bytes()[:4]) == (204,)  # A and B count as 4
    back = read_htk(path).data
    span = x.max(axis=0) - x.min(axis=0)
    assert np.all(np.abs(back - x) <= span / 65534 * 1.01 + 1e-7)
    assert np.all(back[:, 3] == 0.25)


def test_damaged_or_foreign_files_are_refused(tmp_path):
    x = np.zeros((3, 2), dtype=">f4")
    path = raw_file(tmp_path / "short.mfc", 4, 100000, 8, 6, x.tobytes())
    with pytest.raises(ValueError, match="header describes"):
        read_htk(path)
    (tmp_path / "tiny.mfc").write_bytes(b"\x00\x01")
    with pytest.raises(ValueError, match="too short"):
        read_htk(tmp_path / "tiny.mfc")
    path = raw_file(tmp_path / "kind.mfc", 1, 100000, 4, 55, b"\x00" * 4)
    with pytest.raises(ValueError, match="not an HTK kind"):
        read_htk(path)
    with pytest.raises(ValueError, match="NaN"):
        write_htk(tmp_path / "n.mfc", np.array([[np.nan]]))
    with pytest.raises(ValueError, match="integers"):
        write_htk(tmp_path / "d.mfc", np.ones((2, 2)), kind="DISCRETE")
    with pytest.raises(ValueError, match="pass compressed=True"):
        write_htk(tmp_path / "c.mfc", np.ones((2, 2)), kind="MFCC_C")
    with pytest.raises(ValueError, match="checksums"):
        write_htk(tmp_path / "k.mfc", np.ones((2, 2)), kind="MFCC_K")
    write_htk(tmp_path / "ok.mfc", np.ones((2, 2)), kind="MFCC_C", compressed=True)
    assert read_htk(tmp_path / "ok.mfc").kind == "MFCC_C"


def test_training_from_a_folder_equals_training_from_arrays(tmp_path):
    rng = np.random.default_rng(2)
    utterances = [rng.normal(size=(n, 3)) + (i % 2) for i, n in enumerate([40, 55, 31, 62])]
    for i, u in enumerate(utterances):
        write_htk(tmp_path / f"utt{i}.mfc", u, kind="MFCC")
    source = HTKFolderSource(tmp_path, max_frames=100)
    assert (source.n_sequences, source.n_features, source.kind) == (4, 3, "MFCC")
    assert len(source.shard_keys()) > 1
    as_read = [u.astype(np.float32).astype(np.float64) for u in utterances]
    fitted = [
        GaussianHMM(2, "diag", n_iter=5, random_state=0, tol=-np.inf).fit(data)
        for data in (source, as_read)
    ]
    np.testing.assert_allclose(fitted[0].means_, fitted[1].means_, rtol=1e-12)
    np.testing.assert_allclose(fitted[0].transmat_, fitted[1].transmat_, rtol=1e-12)


def test_folder_with_mixed_feature_counts_is_refused(tmp_path):
    write_htk(tmp_path / "a.mfc", np.zeros((3, 2)))
    write_htk(tmp_path / "b.mfc", np.zeros((3, 4)))
    with pytest.raises(ValueError, match="different numbers of features"):
        HTKFolderSource(tmp_path)
