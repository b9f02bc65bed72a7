"""What every hmmkit model shares: constructor parameters and the not-fitted error."""

from __future__ import annotations

import inspect
from typing import Any, Self


class NotFittedError(ValueError, AttributeError):
    """A model was used before its parameters were fitted or set by hand."""


class EstimatorMixin:
    """scikit-learn style ``get_params`` / ``set_params`` read from ``__init__``'s signature."""

    @classmethod
    def _signature_parameters(cls) -> dict[str, inspect.Parameter]:
        """Constructor parameters, following ``**kwargs`` up to the parent constructors."""
        found: dict[str, inspect.Parameter] = {}
        for klass in cls.__mro__:
            if "__init__" not in vars(klass):
                continue
            parameters = inspect.signature(klass.__init__).parameters
            for name, p in parameters.items():
                if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    found.setdefault(name, p)
            if not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
                break
        return found

    @classmethod
    def _param_names(cls) -> list[str]:
        return list(cls._signature_parameters())

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters of this model."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters; returns the model."""
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {name: p.default for name, p in self._signature_parameters().items()}
        shown = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or value == default
            except Exception:  # arrays and other objects without a plain ==
                same = False
            if same is not True:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"
