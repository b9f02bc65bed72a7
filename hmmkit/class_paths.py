"""Classes named by importable paths: how a model file says which class to rebuild.

A file stores the module and qualified name of a class; loading imports that module
(never unpickles anything) and checks that the class is of the kind expected.
"""

from __future__ import annotations

import importlib


class ClassPathError(ValueError):
    """A stored class path cannot be resolved to a class of the expected kind."""


def class_path(cls: type) -> tuple[str, str]:
    """``(module, qualified name)`` of ``cls``; raises ValueError when no import can find it."""
    if "<locals>" in cls.__qualname__:
        raise ValueError(
            f"{cls.__qualname__} is defined inside a function, so it could never be imported "
            "to load the file: define it at the top level of a module"
        )
    return cls.__module__, cls.__qualname__


def resolve_class(module: object, qualname: object, base: type) -> type:
    """The class ``qualname`` of ``module`` (imported as needed), a subclass of ``base``.

    Raises :class:`ClassPathError` naming the path and what went wrong.
    """
    if not (isinstance(module, str) and isinstance(qualname, str) and module and qualname):
        raise ClassPathError(f"class path must be two names, got {module!r} and {qualname!r}")
    where = f"{module}.{qualname}"
    try:
        value = importlib.import_module(module)
    except ImportError as exc:
        raise ClassPathError(
            f"the class {where} cannot be imported ({type(exc).__name__}: {exc}); "
            f"make the module {module!r} importable (install it or put it on sys.path)"
        ) from exc
    for part in qualname.split("."):
        value = getattr(value, part, None)
        if value is None:
            raise ClassPathError(f"module {module!r} has no class {qualname!r}")
    if not (isinstance(value, type) and issubclass(value, base)):
        raise ClassPathError(f"{where} is not a {base.__name__} subclass")
    return value
