"""Packages whose public names are imported on first use, so that importing them is cheap.

``import hmmkit`` must not pay for numba, scipy or every submodule: a package lists its
public names and the submodule each comes from, and :func:`export_lazily` turns the package
into one that imports a submodule the first time one of its names is read.
"""

from __future__ import annotations

import importlib
import sys
import types


class LazyPackage(types.ModuleType):
    """A package whose exported names are imported from their submodules on first access.

    Where a submodule has the name of a function it exports (``hmmkit.profile.align`` holds
    ``align``), the package's attribute stays the function: importing the submodule later
    does not bind the module over it.
    """

    def __getattr__(self, name: str):
        exports = self.__dict__.get("_exports", {})
        if name not in exports:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name], self.__name__), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value) -> None:
        exports = self.__dict__.get("_exports", {})
        if isinstance(value, types.ModuleType) and name in exports:
            return  # the import system binding a submodule over an exported function
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_exports", {})))


def export_lazily(package: str, exports: dict[str, str]) -> None:
    """Make the package `package` (already in ``sys.modules``) import each name of
    `exports` (name -> relative submodule, e.g. ``".models"``) when it is first read."""
    module = sys.modules[package]
    module._exports = dict(exports)
    module.__class__ = LazyPackage
