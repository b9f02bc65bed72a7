"""Saving and loading models: a versioned ``.npz`` archive with JSON metadata, no pickle.

The file is a NumPy ``.npz`` (zip) archive. Its entry ``__hmmkit__`` holds UTF-8
JSON bytes::

    {"format": "hmmkit-model", "version": 1, "class": "GaussianHMM",
     "module": "hmmkit.models", "hmmkit_version": "...",
     "params": {constructor parameters}, "arrays": ["startprob_", "transmat_", ...],
     "values": {attribute: emission value, for hmmkit.HMM}}

The class is found again by importing its module (a file without ``module`` names a
public hmmkit class), never by unpickling; loading a file therefore imports the
module it names, as running code from it would. The fitted attributes are those the
class declares (``_saved_attributes``): each is an array entry of the same name, or
an emission value whose fields are stored as entries ``attribute.field`` (see
:mod:`hmmkit.value_codec`), plus ``monitor_history`` when the model was trained.
Arrays are read with ``allow_pickle=False``. Files are written through
:func:`hmmkit.atomic.atomic_output`, so a failed save never leaves a partial model file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .atomic import atomic_output
from .class_paths import ClassPathError, class_path, resolve_class
from .emissions.base import Emission
from .estimator import EstimatorMixin
from .value_codec import decode_value, encode_value
from .version import __version__

FORMAT = "hmmkit-model"
VERSION = 1
_META = "__hmmkit__"
#: The first bytes of a .npz file (a zip archive).
ZIP_MAGIC = b"PK\x03\x04"


class ModelFileError(ValueError):
    """A file is not a readable hmmkit model (foreign, truncated, corrupt or too new)."""


def _jsonable(value):
    if isinstance(value, type) and issubclass(value, Emission):  # HMM's emission family
        return {"__class__": list(class_path(value))}
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
    if isinstance(value, dict) and "__class__" in value:
        return resolve_class(*value["__class__"], Emission)
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    return value


def save(model, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` atomically (the file is replaced only when complete).

    The file names the model's class by its module and qualified name, so a subclass
    (or an :class:`~hmmkit.HMM` with an emission family of your own) is rebuilt by
    importing them; the attributes saved are the ones the class declares.
    """
    cls = type(model)
    attributes = cls._saved_attributes() if isinstance(model, EstimatorMixin) else ()
    if not attributes:
        raise TypeError(f"cannot save a {cls.__name__}: it is not an hmmkit model")
    module, qualname = class_path(cls)
    arrays, values = {}, {}
    for attribute in attributes:
        value = getattr(model, attribute, None)
        if value is None:
            raise ValueError(f"cannot save an unfitted {cls.__name__}: {attribute} is not set")
        if isinstance(value, Emission):
            values[attribute], entries = encode_value(value, attribute)
            arrays.update(entries)
        else:
            arrays[attribute] = np.asarray(value)
    monitor = getattr(model, "monitor_", None)
    counts = {}
    if monitor is not None and monitor.history:
        arrays["monitor_history"] = np.asarray(monitor.history)
        counts = {"n_passes": int(monitor.n_passes), "n_fallbacks": int(monitor.n_fallbacks)}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "class": qualname,
        "module": module,
        "hmmkit_version": __version__,
        "params": {k: _jsonable(v) for k, v in model.get_params().items()},
        "arrays": sorted(arrays),
        "values": values,
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
    try:
        # files written before classes were stored by path name a public hmmkit class
        cls = resolve_class(meta.get("module", "hmmkit"), meta.get("class"), EstimatorMixin)
        params = {k: _from_json(v) for k, v in meta["params"].items()}
        values = {
            name: decode_value(value, arrays, Emission)
            for name, value in (meta.get("values") or {}).items()
        }
    except ClassPathError as exc:
        raise ModelFileError(f"{path}: {exc}") from exc
    except (ValueError, TypeError) as exc:  # an emission value refusing its own fields
        raise ModelFileError(f"{path} holds an invalid model: {exc}") from exc
    model = cls(**{k: v for k, v in params.items() if k in cls._param_names()})
    for attribute in cls._saved_attributes():
        if attribute in values:
            setattr(model, attribute, values[attribute])
        elif attribute in arrays:
            setattr(model, attribute, arrays[attribute])
        else:
            raise ModelFileError(f"{path} lacks the array {attribute}")
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
    """Check every setting and parameter as ``fit`` does (the model's own
    ``_validate_loaded``); raise ModelFileError naming the field."""
    try:
        model._validate_loaded()
    except (ValueError, TypeError) as exc:
        raise ModelFileError(f"{path} holds an invalid model: {exc}") from exc


def _check_meta(meta, path: Path) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an hmmkit model file")
    version = meta.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ModelFileError(
            f"{path} has format version {version!r}; this hmmkit reads up to {VERSION}"
        )
    if not isinstance(meta.get("class"), str):
        raise ModelFileError(f"{path} names no model class")
