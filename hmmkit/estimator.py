"""What every hmmkit model shares: the scikit-learn estimator protocol and the not-fitted
error.

The protocol is read from the constructor's signature, as scikit-learn's
``BaseEstimator`` reads it: the parameters are the ``__init__`` arguments, stored as
attributes of the same names. scikit-learn is not imported unless it asks for the tags.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any, Self

#: Checks of one constructor argument: ``check(value, name)`` raises TypeError/ValueError.
ArgumentCheck = Callable[[Any, str], Any]


class NotFittedError(ValueError, AttributeError):
    """A model was used before its parameters were fitted or set by hand."""


class EstimatorMixin:
    """scikit-learn's ``get_params`` / ``set_params`` / ``__sklearn_tags__``, read from
    ``__init__``'s signature, so that ``clone``, ``GridSearchCV``, ``cross_val_score`` and
    ``Pipeline`` work; arguments under another library's names are refused with the name
    to use instead.
    """

    #: Argument names another library uses -> what to write here instead (for errors).
    _foreign_arguments: dict[str, str] = {}
    #: Constructor arguments checked when given (construction and ``set_params``).
    _argument_checks: dict[str, ArgumentCheck] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        if kwargs:
            cls._refuse_unknown_arguments(kwargs)
        given = dict(zip(cls._positional_names(), args, strict=False)) | kwargs
        cls._check_arguments(given)
        return super().__new__(cls)

    # ------------------------------------------------------------------ parameters

    @classmethod
    def _signature_parameters(cls) -> dict[str, inspect.Parameter]:
        """Constructor parameters, following ``**kwargs`` up to the parent constructors."""
        cached = cls.__dict__.get("_signature_cache")
        if cached is not None:
            return cached
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
        cls._signature_cache = found
        return found

    @classmethod
    def _positional_names(cls) -> list[str]:
        """The arguments ``__init__`` takes by position, in order."""
        cached = cls.__dict__.get("_positional_cache")
        if cached is None:
            cached = [
                name
                for name, p in inspect.signature(cls.__init__).parameters.items()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and name != "self"
            ]
            cls._positional_cache = cached
        return cached

    @classmethod
    def _saved_attributes(cls) -> tuple[str, ...]:
        """The fitted attributes that :func:`hmmkit.io.save` writes and ``load`` restores
        (arrays, or emission values); none: the model cannot be saved."""
        return ()

    def _validate_loaded(self) -> None:
        """Raise ValueError or TypeError naming the field when a loaded model's settings
        or parameters are not what ``fit`` would accept."""
        raise NotImplementedError

    @classmethod
    def _param_names(cls) -> list[str]:
        return list(cls._signature_parameters())

    @classmethod
    def _unknown_argument(cls, name: str) -> str:
        """Why ``name`` is not an argument of this class, and what to use instead."""
        hint = cls._foreign_arguments.get(name)
        if hint is None:
            close = difflib.get_close_matches(name, cls._param_names(), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "see help() for its parameters"
        return f"{cls.__name__} has no argument {name!r}: {hint}"

    @classmethod
    def _refuse_unknown_arguments(cls, kwargs: dict[str, Any]) -> None:
        known = set(cls._param_names())
        for name in kwargs:
            if name not in known:
                raise TypeError(cls._unknown_argument(name))

    @classmethod
    def _check_arguments(cls, given: dict[str, Any]) -> None:
        for name, value in given.items():
            check = cls._argument_checks.get(name)
            if check is not None:
                check(value, name)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters of this model (``deep``: with those of any
        estimator held as a parameter, as ``name__parameter``)."""
        params = {name: getattr(self, name) for name in self._param_names()}
        if deep:
            for name, value in list(params.items()):
                if hasattr(value, "get_params") and not isinstance(value, type):
                    for inner, inner_value in value.get_params(deep=True).items():
                        params[f"{name}__{inner}"] = inner_value
        return params

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters (``name__parameter`` reaches into a held
        estimator); returns the model. Unknown names raise ValueError."""
        nested: dict[str, dict[str, Any]] = {}
        own: dict[str, Any] = {}
        for key, value in params.items():
            name, sep, inner = key.partition("__")
            if name not in self._param_names():
                raise ValueError(self._unknown_argument(name))
            if sep:
                nested.setdefault(name, {})[inner] = value
            else:
                own[name] = value
        self._check_arguments(own)
        for name, value in own.items():
            setattr(self, name, value)
        for name, inner in nested.items():
            getattr(self, name).set_params(**inner)
        return self

    def __sklearn_tags__(self):
        """scikit-learn's tags: an unsupervised density estimator (``score`` is the
        log-likelihood, higher is better)."""
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="density_estimator",
            target_tags=TargetTags(required=False),
            transformer_tags=None,
            regressor_tags=None,
            classifier_tags=None,
            input_tags=InputTags(two_d_array=True, allow_nan=False),
            non_deterministic=False,
        )

    def __repr__(self) -> str:
        defaults = {name: p.default for name, p in self._signature_parameters().items()}
        shown = []
        for name, value in self.get_params(deep=False).items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or value == default
            except Exception:  # arrays and other objects without a plain ==
                same = False
            if same is not True:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"
