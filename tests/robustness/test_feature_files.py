"""Feature files on disk: HTK parameter files with non-finite frames and .npy folders whose
headers lie are refused with the file named, before anything is allocated."""

import struct

import numpy as np
import pytest
from catalogue import expect_error
from hypothesis import given
from hypothesis import strategies as st
from refusals import FUZZ

from hmmkit.disk_sources import NpyFolderSource
from hmmkit.speech.htk import read_htk, write_htk

HTK = "HTK parameter files"
NPY = ".npy corpus folders"
FBANK_C = 7 + 0o2000  # FBANK, compressed


def htk_file(path, n_samples, sample_bytes, code, body: bytes):
    path.write_bytes(struct.pack(">iihh", n_samples, 100000, sample_bytes, code) + body)
    return path


def compressed(path, scale, bias, shorts):
    body = (
        np.asarray(scale, ">f4").tobytes()
        + np.asarray(bias, ">f4").tobytes()
        + np.asarray(shorts, ">i2").tobytes()
    )
    return htk_file(path, len(shorts) + 4, 2 * len(scale), FBANK_C, body)


@pytest.mark.parametrize(
    "case, scale, bias, match",
    [
        ("a compressed file whose scale is zero", [0.0, 2.0], [0.0, 0.0], r"scale \(A\) 0.0"),
        ("a compressed file whose scale is NaN", [1.0, np.nan], [0.0, 0.0], r"scale \(A\) nan"),
        ("a compressed file whose bias is infinite", [1.0, 2.0], [np.inf, 0.0], r"bias \(B\) inf"),
    ],
)
def test_compressed_files_with_unusable_scaling_are_refused(tmp_path, case, scale, bias, match):
    path = compressed(tmp_path / "bad.fbank", scale, bias, [[1, 2], [3, 4]])
    expect_error(HTK, case, lambda: read_htk(path), ValueError, f"bad.fbank: .*{match}")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_float_files_with_non_finite_frames_are_refused(tmp_path, value):
    frames = np.arange(6, dtype=">f4").reshape(3, 2)
    frames[1, 1] = value
    path = htk_file(tmp_path / "bad.mfc", 3, 8, 6, frames.tobytes())
    expect_error(
        HTK,
        f"a float file holding {value}",
        lambda: read_htk(path),
        ValueError,
        r"bad.mfc: frame 1, feature 1 is (nan|inf|-inf)",
    )


@FUZZ
@given(
    scale=st.lists(st.floats(width=32), min_size=2, max_size=2),
    bias=st.lists(st.floats(width=32), min_size=2, max_size=2),
    shorts=st.lists(st.integers(-32768, 32767), min_size=2, max_size=8),
)
def test_compressed_files_give_finite_frames_or_a_clear_refusal(tmp_path_factory, scale, bias,
                                                                shorts):  # fmt: skip
    shorts = np.array(shorts[: len(shorts) // 2 * 2]).reshape(-1, 2)
    path = compressed(tmp_path_factory.mktemp("h") / "f.fbank", scale, bias, shorts)
    try:
        frames = read_htk(path).data
    except ValueError as exc:
        assert "f.fbank" in str(exc)
        return
    assert np.all(np.isfinite(frames))


def test_written_files_still_read_back(tmp_path):
    x = np.random.default_rng(0).normal(size=(20, 3))
    write_htk(tmp_path / "ok.fbank", x, kind="FBANK", compressed=True)
    np.testing.assert_allclose(read_htk(tmp_path / "ok.fbank").data, x, atol=1e-3)


# ------------------------------------------------------------ .npy folders


def npy_header(shape: str, descr: str = "<f8") -> bytes:
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    text += b" " * (64 - (10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def folder_with(tmp_path, data: bytes):
    (tmp_path / "utt.npy").write_bytes(data)
    return tmp_path


CUT_DICT = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,"
NPY_CASES = [
    ("shape (-1, 2)", npy_header("(-1, 2)") + bytes(16), r"shape \(-1, 2\) is not a valid"),
    ("a header cut short", npy_header("(3, 2)")[:30], "utt.npy is not a readable NumPy file"),
    (
        "a header whose dictionary is cut short",  # numpy's parser: tokenize.TokenError
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(CUT_DICT)) + CUT_DICT,
        "utt.npy is not a readable NumPy file",
    ),
    (
        "a header claiming 38 GB",
        npy_header("(2400000000, 2)") + bytes(16),
        "describes 38400000000 bytes .* but the file holds 16",
    ),
    (
        "a header claiming 5 GB",
        npy_header("(312500000, 2)") + bytes(16),
        "describes 5000000000 bytes .* but the file holds 16",
    ),
    ("data shorter than its header says", npy_header("(3, 2)") + bytes(40), "holds 40"),
    ("data longer than its header says", npy_header("(3, 2)") + bytes(56), "holds 56"),
]  # fmt: skip


@pytest.mark.parametrize("case, data, match", NPY_CASES)
def test_npy_headers_are_checked_against_the_file(tmp_path, case, data, match):
    folder = folder_with(tmp_path, data)
    error = expect_error(NPY, f"a .npy file with {case}", lambda: NpyFolderSource(folder),
                         ValueError, match)  # fmt: skip
    assert "utt.npy" in str(error)


def test_an_npz_member_whose_header_lies_is_refused(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "utt.npz", "w") as archive:
        archive.writestr("x.npy", npy_header("(2400000000, 2)") + bytes(16))
    expect_error(NPY, "a .npz member claiming 38 GB", lambda: NpyFolderSource(tmp_path),
                 ValueError, "utt.npz .*describes 38400000000 bytes")  # fmt: skip


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(0, 200)),
)
def test_mutated_npy_files_load_or_are_refused_naming_the_file(tmp_path_factory, flips, cut):
    folder = tmp_path_factory.mktemp("n")
    np.save(folder / "utt.npy", np.arange(12.0).reshape(6, 2))
    data = bytearray((folder / "utt.npy").read_bytes())
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[:cut]
    (folder / "utt.npy").write_bytes(bytes(data))
    try:
        source = NpyFolderSource(folder)
        batch = source.load(source.shard_keys()[0])
    except (ValueError, TypeError) as exc:
        assert "utt.npy" in str(exc) or "shard" in str(exc), str(exc)
        return
    assert np.all(np.isfinite(batch.X))
