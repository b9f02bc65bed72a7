"""hmmkit's own model files: fuzzed, truncated and corrupted files give ModelFileError;
an interrupted save leaves the previous file intact."""

import os

import numpy as np
import pytest
from catalogue import expect_error, record
from factories import make_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hmmkit.io
from hmmkit import ModelFileError, load

AREA = "model files (load)"
FUZZ = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def valid_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.npz"
    make_model("gmm", "full", np.random.default_rng(0)).save(path)
    return path.read_bytes()


def load_bytes(tmp_path, data: bytes):
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(data)
    return load(path)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(tmp_path_factory, data):
    with pytest.raises(ModelFileError):
        load_bytes(tmp_path_factory.mktemp("f"), data)


@FUZZ
@given(cut=st.integers(0, 10**6))
def test_truncations(tmp_path_factory, valid_bytes, cut):
    cut %= len(valid_bytes)
    with pytest.raises(ModelFileError):
        load_bytes(tmp_path_factory.mktemp("f"), valid_bytes[:cut])


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4)
)
def test_corrupted_bytes(tmp_path_factory, valid_bytes, flips):
    data = bytearray(valid_bytes)
    for position, mask in flips:
        data[position % len(data)] ^= mask
    try:
        model = load_bytes(tmp_path_factory.mktemp("f"), bytes(data))
    except ModelFileError:
        return
    # a flip that the format cannot detect (e.g. inside padding) must still give a valid model
    model._get_params()


def test_catalogue_entries(tmp_path, valid_bytes):
    expect_error(AREA, "an empty file", lambda: load_bytes(tmp_path, b""), ModelFileError, "")
    expect_error(
        AREA,
        "a truncated model file",
        lambda: load_bytes(tmp_path, valid_bytes[:-40]),
        ModelFileError,
        "",
    )
    expect_error(
        AREA, "a text file", lambda: load_bytes(tmp_path, b"HMMER3/f\n"), ModelFileError, "not"
    )
    expect_error(
        AREA, "a missing file", lambda: load(tmp_path / "nothing.npz"), FileNotFoundError, "no"
    )
    (tmp_path / "folder.npz").mkdir()
    expect_error(
        AREA,
        "a folder",
        lambda: load(tmp_path / "folder.npz"),
        IsADirectoryError,
        "is a folder, not a model file",
    )


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.7, 0.99])
def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch, fraction):
    path = tmp_path / "m.npz"
    make_model("gaussian", "diag", np.random.default_rng(1)).save(path)
    before = path.read_bytes()
    fail_after = int(fraction * len(before))
    real_savez = np.savez

    class Interrupted(Exception):
        pass

    def interrupted_savez(handle, **arrays):
        class Limited:
            def __init__(self, inner):
                self.inner, self.written = inner, 0

            def write(self, data):
                if self.written + len(data) > fail_after:
                    raise Interrupted("power cut")
                self.written += len(data)
                return self.inner.write(data)

            def __getattr__(self, name):
                return getattr(self.inner, name)

        real_savez(Limited(handle), **arrays)

    monkeypatch.setattr(hmmkit.io.np, "savez", interrupted_savez)
    with pytest.raises(Interrupted):
        make_model("gaussian", "diag", np.random.default_rng(2)).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]
    record(
        "model files (save)",
        "a save interrupted part-way",
        "previous file intact",
        "written to a temporary file, fsync, rename",
    )
