"""Saving and loading models: a versioned ``.npz`` archive with JSON metadata, no pickle.

The file is a NumPy ``.npz`` (zip) archive. Its entry ``__hmmkit__`` holds UTF-8
JSON bytes::

    {"format": "hmmkit-model", "version": 1, "class": "GaussianHMM",
     "hmmkit_version": "...", "params": {constructor parameters},
     "arrays": ["startprob_", "transmat_", ...]}

and every listed fitted attribute is an array entry of the same name (plus
``monitor_history`` when the model was trained). Arrays are read with
``allow_pickle=False``. Files are written through :func:`hmmkit.atomic.atomic_output`,
so a failed save never leaves a partial model file.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np

from . import __version__
from .atomic import atomic_output
from .estimator import EstimatorMixin
from .sequences import SequenceBatch

FORMAT = "hmmkit-model"
VERSION = 1
_META = "__hmmkit__"
#: The first bytes of a .npz file (a zip archive).
ZIP_MAGIC = b"PK\x03\x04"


class ModelFileError(ValueError):
    """A file is not a readable hmmkit model (foreign, truncated, corrupt or too new)."""


def _registry() -> dict[str, type]:
    from .gaussian_mixture import GaussianMixture
    from .models import GMMHMM, CategoricalHMM, GaussianHMM, MultinomialHMM, PoissonHMM
    from .variational import VariationalCategoricalHMM, VariationalGaussianHMM

    families = (CategoricalHMM, GaussianHMM, GMMHMM, PoissonHMM, MultinomialHMM, GaussianMixture)
    families += (VariationalCategoricalHMM, VariationalGaussianHMM)
    return {cls.__name__: cls for cls in families}


_ATTRIBUTES = {
    "CategoricalHMM": ("startprob_", "transmat_", "emissionprob_"),
    "GaussianHMM": ("startprob_", "transmat_", "means_", "covars_"),
    "GMMHMM": ("startprob_", "transmat_", "weights_", "means_", "covars_"),
    "PoissonHMM": ("startprob_", "transmat_", "lambdas_"),
    "MultinomialHMM": ("startprob_", "transmat_", "emissionprob_"),
    "GaussianMixture": ("weights_", "means_", "covariances_"),
}
_CHAIN = ("startprob_prior_", "startprob_posterior_", "transmat_prior_", "transmat_posterior_")
_ATTRIBUTES["VariationalCategoricalHMM"] = (
    *_ATTRIBUTES["CategoricalHMM"],
    *_CHAIN,
    "emissionprob_prior_",
    "emissionprob_posterior_",
)
_ATTRIBUTES["VariationalGaussianHMM"] = (
    *_ATTRIBUTES["GaussianHMM"], *_CHAIN,
    "means_prior_", "means_posterior_", "beta_prior_", "beta_posterior_",
    "dof_prior_", "dof_posterior_", "scale_prior_", "scale_posterior_",
)  # fmt: skip


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return None  # e.g. a numpy Generator as random_state: not persisted


def _from_json(value):
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    return value


def save(model, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` atomically (the file is replaced only when complete)."""
    name = type(model).__name__
    if name not in _ATTRIBUTES:
        raise TypeError(f"cannot save a {name}; expected one of {sorted(_ATTRIBUTES)}")
    arrays = {}
    for attribute in _ATTRIBUTES[name]:
        value = getattr(model, attribute, None)
        if value is None:
            raise ValueError(f"cannot save an unfitted {name}: {attribute} is not set")
        arrays[attribute] = np.asarray(value)
    monitor = getattr(model, "monitor_", None)
    counts = {}
    if monitor is not None and monitor.history:
        arrays["monitor_history"] = np.asarray(monitor.history)
        counts = {"n_passes": int(monitor.n_passes), "n_fallbacks": int(monitor.n_fallbacks)}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "class": name,
        "hmmkit_version": __version__,
        "params": {k: _jsonable(v) for k, v in model.get_params().items()},
        "arrays": sorted(arrays),
        "monitor": counts,
    }
    arrays[_META] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with atomic_output(path, "wb") as handle:
        np.savez(handle, **arrays)


def load(path: str | os.PathLike) -> EstimatorMixin:
    """Read a model written by :func:`save`; raises ModelFileError for anything else."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a model file")
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    with open(path, "rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            raise ModelFileError(f"{path} is not an hmmkit model file (not a .npz archive)")
    try:
        return _read(path)
    except ModelFileError:
        raise
    except Exception as exc:  # any failure to parse the content means a broken file
        raise ModelFileError(
            f"{path} is not a readable hmmkit model file ({type(exc).__name__}: {exc})"
        ) from exc


def _read(path: Path):
    with np.load(path, allow_pickle=False) as archive:
        if not hasattr(archive, "files") or _META not in archive.files:
            raise ModelFileError(f"{path} is not an hmmkit model file (no {_META} entry)")
        meta = json.loads(archive[_META].tobytes().decode())
        _check_meta(meta, path)
        arrays = {name: archive[name] for name in meta["arrays"]}
    cls = _registry()[meta["class"]]
    params = {k: _from_json(v) for k, v in meta["params"].items()}
    model = cls(**{k: v for k, v in params.items() if k in cls._param_names()})
    for attribute in _ATTRIBUTES[meta["class"]]:
        if attribute not in arrays:
            raise ModelFileError(f"{path} lacks the array {attribute}")
        setattr(model, attribute, arrays[attribute])
    if "monitor_history" in arrays:
        from .training import ConvergenceMonitor

        settings = model.get_params()
        counts = meta.get("monitor") or {}
        model.monitor_ = ConvergenceMonitor(
            tol=settings.get("tol", 0.0),
            n_iter=settings.get("n_iter", settings.get("max_iter", 10)),
            history=[float(v) for v in arrays["monitor_history"]],
            n_passes=int(counts.get("n_passes", 0)),
            n_fallbacks=int(counts.get("n_fallbacks", 0)),
        )
    _validate(model, path)
    emission = getattr(model, "means_", getattr(model, "emissionprob_", None))
    if hasattr(model, "_get_params") and emission is not None:  # an HMM, as after fit
        model.n_features = int(np.shape(emission)[-1])
    return model


def _validate(model, path: Path) -> None:
    """Check every setting and parameter as ``fit`` and the attribute checks do (settings,
    floors, priors, shapes against the settings, finite and representable values);
    raise ModelFileError naming the field."""
    from .variational.base import VariationalHMM

    try:
        model._check_settings()
        if not hasattr(model, "_get_params"):  # GaussianMixture
            model._bank()
            return
        params = model._get_params()
        # the data-dependent checks of fit (floors, prior shapes), on a copy and one frame
        probe = copy.copy(model)
        probe._prepare_fit(_one_frame(model), None)
        if not isinstance(model, VariationalHMM):  # whose priors _prepare_fit resolves
            probe._for_training(params)
    except (ValueError, TypeError) as exc:
        raise ModelFileError(f"{path} holds an invalid model: {exc}") from exc


def _one_frame(model) -> SequenceBatch:
    """A single all-zero frame shaped as the model's data."""
    offsets = np.array([0, 1], dtype=np.int64)
    if type(model).__name__ == "CategoricalHMM":
        return SequenceBatch(np.zeros(1, dtype=np.int64), offsets)
    table = next(
        getattr(model, name)
        for name in ("means_", "lambdas_", "emissionprob_")
        if getattr(model, name, None) is not None
    )
    return SequenceBatch(np.zeros((1, np.shape(table)[-1])), offsets)


def _check_meta(meta, path: Path) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an hmmkit model file")
    version = meta.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ModelFileError(
            f"{path} has format version {version!r}; this hmmkit reads up to {VERSION}"
        )
    if meta.get("class") not in _ATTRIBUTES:
        raise ModelFileError(f"{path} holds an unknown model class {meta.get('class')!r}")
