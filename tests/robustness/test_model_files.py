"""hmmkit's own model files: fuzzed, truncated and corrupted files give ModelFileError;
an interrupted save leaves the previous file intact."""

import errno
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from catalogue import expect_error, record
from factories import make_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from refusals import REPO

import hmmkit.atomic
import hmmkit.io
from hmmkit import GaussianMixture, ModelFileError, load

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
    expect_error(
        AREA, "an empty file", lambda: load_bytes(tmp_path, b""), ModelFileError, "fuzzed.npz"
    )
    expect_error(
        AREA,
        "a truncated model file",
        lambda: load_bytes(tmp_path, valid_bytes[:-40]),
        ModelFileError,
        "fuzzed.npz",
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


# ------------------------------------------------------------ settings and parameters


def tampered(tmp_path, model, params=None, arrays=None):
    """Save ``model``, then rewrite its file with changed settings and arrays."""
    path = tmp_path / "tampered.npz"
    model.save(path)
    with np.load(path) as archive:
        entries = {name: archive[name] for name in archive.files}
    meta = json.loads(entries["__hmmkit__"].tobytes())
    meta["params"].update(params or {})
    entries.update(arrays or {})
    entries["__hmmkit__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **entries)
    return path


def fitted_mixture():
    frames = np.random.default_rng(0).standard_normal((200, 2))
    return GaussianMixture(2, "diag", random_state=0).fit(frames)


NAN = float("nan")
#: (case, model factory, changed settings, changed arrays, the field the error names)
TAMPERINGS = [
    ("n_components disagreeing with the arrays", fitted_mixture, {"n_components": 3}, {},
     "n_components"),
    ("min_covar=-1", fitted_mixture, {"min_covar": -1}, {}, "min_covar"),
    ("means_ of 1e308", fitted_mixture, {}, {"means_": np.full((2, 2), 1e308)}, "means_"),
    ("NaN means_", fitted_mixture, {}, {"means_": np.full((2, 2), NAN)}, "means_"),
    ("n_trials=NaN", lambda: make_model("multinomial", "", np.random.default_rng(0)),
     {"n_trials": NAN}, {}, "n_trials"),
    ("var_floor=NaN", lambda: make_model("gaussian", "full", np.random.default_rng(0)),
     {"var_floor": NAN}, {}, "var_floor"),
    ("a negative prior weight", lambda: make_model("gaussian", "diag", np.random.default_rng(0)),
     {"means_weight": -1}, {}, "means_weight"),
    ("n_states disagreeing with the arrays",
     lambda: make_model("gaussian", "diag", np.random.default_rng(0)), {"n_states": 4}, {},
     "startprob_"),
    ("covars_ of 1e308", lambda: make_model("gaussian", "diag", np.random.default_rng(0)), {},
     {"covars_": np.full((3, 2), 1e308)}, "covars_"),
    ("lambdas_ of 1e308", lambda: make_model("poisson", "", np.random.default_rng(0)), {},
     {"lambdas_": np.full((3, 2), 1e308)}, "lambdas_"),
    ("tol given as text", lambda: make_model("categorical", "", np.random.default_rng(0)),
     {"tol": "x"}, {}, "tol"),
    ("a negative concentration", lambda: make_model("categorical", "", np.random.default_rng(0)),
     {"emissionprob_prior": -1}, {}, "emissionprob_prior"),
]  # fmt: skip


@pytest.mark.parametrize("case, factory, params, arrays, field", TAMPERINGS)
def test_loaded_settings_and_parameters_are_validated(
    tmp_path, case, factory, params, arrays, field
):
    path = tampered(tmp_path, factory(), params, arrays)
    expect_error(AREA, f"a model file with {case}", lambda: load(path), ModelFileError, field)


VALUES = st.sampled_from([NAN, float("inf"), -1.0, 0.0, 1e308, -1e308, 1e200, 3])


@FUZZ
@given(
    family=st.sampled_from(["gaussian", "gmm", "poisson", "multinomial", "categorical"]),
    attribute=st.sampled_from(
        ["startprob_", "transmat_", "means_", "covars_", "weights_", "lambdas_", "emissionprob_"]
    ),  # fmt: skip
    value=VALUES,
    setting=st.sampled_from(
        [
            "n_states",
            "tol",
            "n_iter",
            "min_covar",
            "n_mix",
            "n_trials",
            "var_floor",
            "min_weight",
            None,
        ]
    ),  # fmt: skip
    setting_value=VALUES,
    position=st.integers(0, 10**6),
)
def test_tampered_fields_are_refused_or_give_a_working_model(
    tmp_path_factory, family, attribute, value, setting, setting_value, position
):
    model = make_model(family, "full", np.random.default_rng(0))
    arrays = {}
    if getattr(model, attribute, None) is not None:
        array = np.array(getattr(model, attribute), dtype=float)
        array.flat[position % array.size] = value
        arrays[attribute] = array
    params = {setting: setting_value} if setting in model.get_params() else {}
    path = tampered(tmp_path_factory.mktemp("t"), model, params, arrays)
    try:
        loaded = load(path)
    except ModelFileError:
        return
    # accepted: then every field is valid, and the model works without NaN
    frames, _ = loaded.sample(20, random_state=0)
    posteriors = loaded.predict_proba(frames)
    assert np.all(np.isfinite(posteriors))
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, atol=1e-9)
    assert np.isfinite(loaded.score(frames))


# ------------------------------------------------------------ temporaries of killed saves


SAVER = """
import sys, time
from hmmkit.atomic import atomic_output
with atomic_output(sys.argv[1], "wb") as handle:
    handle.write(b"partial")
    handle.flush()
    print("writing", flush=True)
    time.sleep(600)
"""


def killed_save(path):
    """A process that dies (SIGKILL) in the middle of saving ``path``."""
    child = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    child.stdout.close()


def hidden_temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_later_save_removes_the_temporaries_of_killed_saves(tmp_path):
    path = tmp_path / "model.npz"
    make_model("gaussian", "diag", np.random.default_rng(1)).save(path)
    for _ in range(3):
        killed_save(path)
        # each save (here a killed one) first removes what the earlier killed ones left
        assert len(hidden_temporaries(tmp_path)) == 1
    make_model("gaussian", "diag", np.random.default_rng(2)).save(path)
    assert hidden_temporaries(tmp_path) == []
    load(path)
    record(
        "model files (save)",
        "temporaries left by saves killed with SIGKILL",
        "removed by the next save of that file",
        "those of dead processes of this host, and any untouched for a day",
    )


def test_temporaries_that_may_still_be_written_are_kept(tmp_path):
    path = tmp_path / "model.npz"
    alive = tmp_path / f".model.npz.{hmmkit.atomic._HOST}-{os.getpid()}.abcd1234.tmp"
    foreign = tmp_path / ".model.npz.0123abcd-1.abcd1234.tmp"  # another host's save
    other_file = tmp_path / f".other.npz.{hmmkit.atomic._HOST}-999999999.abcd1234.tmp"
    for stray in (alive, foreign, other_file):
        stray.write_bytes(b"x")
    make_model("gaussian", "diag", np.random.default_rng(1)).save(path)
    assert sorted(hidden_temporaries(tmp_path)) == sorted(
        p.name for p in (alive, foreign, other_file)
    )
    day_old = time.time() - hmmkit.atomic.STALE_TEMPORARY_AGE - 60
    os.utime(foreign, (day_old, day_old))
    make_model("gaussian", "diag", np.random.default_rng(1)).save(path)
    assert sorted(hidden_temporaries(tmp_path)) == sorted(p.name for p in (alive, other_file))


def test_a_full_disk_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"

    def no_space(handle, **arrays):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(hmmkit.io.np, "savez", no_space)
    model = make_model("gaussian", "diag", np.random.default_rng(1))
    error = expect_error(
        "model files (save)", "no space left on the device", lambda: model.save(path), OSError,
        "cannot write .*model.npz: No space left",
    )  # fmt: skip
    assert error.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []
