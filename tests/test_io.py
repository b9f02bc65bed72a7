"""Saving and loading: round trips, atomic writes, clear errors on foreign or broken files."""

import json

import numpy as np
import pytest
from factories import KINDS, make_model, sample_sequences

import hmmkit.io
from hmmkit import CategoricalHMM, GaussianHMM, GaussianMixture, ModelFileError, load


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_round_trip_scores_the_same(tmp_path, family, covariance_type):
    model = make_model(family, covariance_type, np.random.default_rng(0))
    seqs = sample_sequences(model, [30, 10])
    path = tmp_path / "model.hmmkit"
    model.save(path)
    again = load(path)
    assert type(again) is type(model)
    assert again.get_params() == model.get_params()
    assert again.score(seqs) == model.score(seqs)


def test_trained_model_keeps_its_history(tmp_path):
    seqs = [np.random.default_rng(1).normal(size=(40, 2))]
    model = GaussianHMM(2, n_iter=4, tol=-np.inf, random_state=0).fit(seqs)
    model.save(tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert loaded.monitor_.history == model.monitor_.history
    assert (loaded.monitor_.n_iter, loaded.monitor_.n_passes) == (4, model.monitor_.n_passes)
    assert loaded.n_features == model.n_features == 2
    symbols = [np.random.default_rng(2).integers(0, 5, size=60)]
    categorical = CategoricalHMM(2, n_iter=3, algorithm="squarem", random_state=0).fit(symbols)
    categorical.save(tmp_path / "c.npz")
    loaded = load(tmp_path / "c.npz")
    assert (
        loaded.n_features == 5 and loaded.monitor_.n_fallbacks == categorical.monitor_.n_fallbacks
    )


def test_gaussian_mixture_round_trip(tmp_path):
    X = np.random.default_rng(2).normal(size=(200, 2))
    model = GaussianMixture(2, "tied", random_state=0).fit(X)
    model.save(tmp_path / "gm")
    np.testing.assert_array_equal(load(tmp_path / "gm").score_samples(X), model.score_samples(X))


def test_truncated_file_is_refused(tmp_path):
    model = make_model("gaussian", "full", np.random.default_rng(3))
    path = tmp_path / "m.npz"
    model.save(path)
    data = path.read_bytes()
    for cut in (0, 10, len(data) // 2, len(data) - 5):
        broken = tmp_path / f"cut{cut}.npz"
        broken.write_bytes(data[:cut])
        with pytest.raises(ModelFileError):
            load(broken)


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not"):
        load(text)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    with pytest.raises(ModelFileError, match="not an hmmkit model"):
        load(other)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.npz"
    meta = {
        "format": "hmmkit-model",
        "version": 99,
        "class": "GaussianHMM",
        "params": {},
        "arrays": [],
    }
    np.savez(path, __hmmkit__=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    with pytest.raises(ModelFileError, match="version"):
        load(path)


def test_inconsistent_parameters_are_refused(tmp_path):
    model = make_model("gaussian", "diag", np.random.default_rng(4))
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        arrays = dict(archive)
    arrays["transmat_"] = arrays["transmat_"] * 2
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="transmat_"):
        load(tmp_path / "bad.npz")


def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    first = make_model("gaussian", "diag", np.random.default_rng(5))
    first.save(path)
    before = path.read_bytes()

    def explode(handle, **arrays):
        handle.write(b"partial garbage")
        raise OSError("disk full")

    monkeypatch.setattr(hmmkit.io.np, "savez", explode)
    second = make_model("gaussian", "diag", np.random.default_rng(6))
    with pytest.raises(OSError, match="disk full"):
        second.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="unfitted"):
        GaussianHMM(2).save(tmp_path / "m.npz")


class DriftGaussianHMM(GaussianHMM):
    """A subclass with a setting of its own, as a user would write one."""

    def __init__(self, n_states=1, covariance_type="diag", *, drift=0.0, **kwargs):
        super().__init__(n_states, covariance_type, **kwargs)
        self.drift = drift


def test_a_subclass_is_saved_and_loaded_as_itself(tmp_path):
    model = DriftGaussianHMM(2, drift=0.25, n_iter=3, random_state=0)
    seqs = [np.random.default_rng(2).normal(size=(50, 2))]
    model.fit(seqs)
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        meta = json.loads(archive["__hmmkit__"].tobytes())
    assert (meta["module"], meta["class"]) == (__name__, "DriftGaussianHMM")
    loaded = load(tmp_path / "m.npz")
    assert type(loaded) is DriftGaussianHMM and loaded.drift == 0.25
    assert loaded.score(seqs) == model.score(seqs)


def test_files_without_a_module_name_a_public_class(tmp_path):
    """Files written before classes were stored by module name the class alone."""
    model = make_model("categorical", None, np.random.default_rng(3))
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        arrays = dict(archive)
    meta = json.loads(arrays["__hmmkit__"].tobytes())
    del meta["module"], meta["values"]
    arrays["__hmmkit__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    assert type(load(tmp_path / "old.npz")) is CategoricalHMM
    meta["class"] = "NoSuchHMM"
    arrays["__hmmkit__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="has no class 'NoSuchHMM'"):
        load(tmp_path / "bad.npz")


def test_objects_that_are_not_models_are_refused(tmp_path):
    with pytest.raises(TypeError, match="not an hmmkit model"):
        hmmkit.io.save(object(), tmp_path / "m.npz")
