"""Frozen dataclass values (emissions) as JSON plus named arrays, for model files.

A value is written as ``{"module", "class", "fields"}``: each field is an array stored
under its own entry name, a nested value, or a JSON scalar/list. Reading imports the
class by its path (:mod:`hmmkit.class_paths`) and calls it with the fields, so the
value validates itself as when it was built.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .class_paths import class_path, resolve_class

_SCALARS = (str, int, float, bool, type(None))


def encode_value(value, entry: str) -> tuple[dict, dict[str, np.ndarray]]:
    """``(meta, arrays)`` of a frozen dataclass value; array entries are named
    ``entry.field`` (nested: ``entry.field.subfield``)."""
    module, qualname = class_path(type(value))
    fields, arrays = {}, {}
    for f in dataclasses.fields(value):
        if not f.init:
            continue
        item = getattr(value, f.name)
        name = f"{entry}.{f.name}"
        if isinstance(item, np.ndarray):
            arrays[name] = item
            fields[f.name] = {"array": name}
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            meta, inner = encode_value(item, name)
            arrays.update(inner)
            fields[f.name] = {"value": meta}
        elif isinstance(item, np.generic):
            fields[f.name] = {"json": item.item()}
        elif isinstance(item, _SCALARS) or (
            isinstance(item, (tuple, list)) and all(isinstance(v, _SCALARS) for v in item)
        ):
            fields[f.name] = {"json": list(item) if isinstance(item, tuple) else item}
        else:
            raise TypeError(
                f"cannot save field {f.name!r} of {qualname}: a {type(item).__name__} is "
                "neither an array, a number, a string nor a frozen dataclass value"
            )
    return {"module": module, "class": qualname, "fields": fields}, arrays


def decode_value(meta: dict, arrays, base: type = object):
    """The value written by :func:`encode_value` (its class a subclass of ``base``)."""
    cls = resolve_class(meta.get("module"), meta.get("class"), base)
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__qualname__} is not a dataclass: no value of it is stored")
    kwargs = {}
    for name, field in meta["fields"].items():
        if "array" in field:
            kwargs[name] = arrays[field["array"]]
        elif "value" in field:
            kwargs[name] = decode_value(field["value"], arrays)
        else:
            kwargs[name] = field["json"]
    return cls(**kwargs)


def array_entries(meta: dict) -> list[str]:
    """Every array entry name a value's meta refers to."""
    names = []
    for field in meta["fields"].values():
        if "array" in field:
            names.append(field["array"])
        elif "value" in field:
            names.extend(array_entries(field["value"]))
    return names
