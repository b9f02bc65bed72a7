"""Checks of the fitted-parameter attributes, run when an attribute is assigned.

hmmlearn's users set ``startprob_``, ``transmat_``, ``means_``, ``covars_``... by hand;
here a wrong shape or an invalid value is refused at the assignment, naming the
attribute and the shape expected, rather than first when the model scores. The number
of features is not fixed by one attribute alone (set ``means_`` and ``covars_`` in
either order), so it is compared between attributes when the model is used.

Each ``check_*`` function returns the value as a float array; they are public so that
model files can be validated by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .emissions.categorical import check_stochastic
from .emissions.covariances import check_covariances
from .emissions.gaussian import check_covariance_type


def _as_float_array(value: ArrayLike, name: str) -> np.ndarray:
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {value!r}") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _shape_text(layout: str, sizes: tuple) -> str:
    return f"{layout} = ({', '.join(str(s) for s in sizes)}{',' if len(sizes) == 1 else ''})"


def _require_shape(array: np.ndarray, name: str, layout: str, sizes: tuple, extra: str = ""):
    """ValueError unless ``array.shape`` matches ``sizes`` (None: any size)."""
    ok = array.ndim == len(sizes) and all(
        s is None or s == n for s, n in zip(sizes, array.shape, strict=True)
    )
    if not ok:
        shown = tuple("D" if s is None else s for s in sizes)
        raise ValueError(
            f"{name} must have shape {_shape_text(layout, shown)}{extra}, got {array.shape}"
        )


def check_startprob(value: ArrayLike, n_states: int) -> np.ndarray:
    """``startprob_``: (n_states,), a probability distribution."""
    array = _as_float_array(value, "startprob_")
    _require_shape(array, "startprob_", "(n_states,)", (n_states,))
    check_stochastic(array, "startprob_")
    return array


def check_transmat(value: ArrayLike, n_states: int) -> np.ndarray:
    """``transmat_``: (n_states, n_states), every row a probability distribution."""
    array = _as_float_array(value, "transmat_")
    _require_shape(array, "transmat_", "(n_states, n_states)", (n_states, n_states))
    check_stochastic(array, "transmat_")
    return array


def check_emissionprob(value: ArrayLike, n_states: int, columns: str = "n_features") -> np.ndarray:
    """``emissionprob_``: (n_states, ``columns``), every row a probability distribution."""
    array = _as_float_array(value, "emissionprob_")
    _require_shape(array, "emissionprob_", f"(n_states, {columns})", (n_states, None))
    check_stochastic(array, "emissionprob_")
    return array


def check_lambdas(value: ArrayLike, n_states: int) -> np.ndarray:
    """``lambdas_``: (n_states, n_features) non-negative Poisson rates."""
    array = _as_float_array(value, "lambdas_")
    _require_shape(array, "lambdas_", "(n_states, n_features)", (n_states, None))
    if np.any(array < 0):
        raise ValueError("lambdas_ must be non-negative (Poisson rates)")
    return array


def check_weights(value: ArrayLike, n_states: int, n_mix: int) -> np.ndarray:
    """``weights_`` of a GMMHMM: (n_states, n_mix), every row a distribution."""
    array = _as_float_array(value, "weights_")
    _require_shape(array, "weights_", "(n_states, n_mix)", (n_states, n_mix))
    check_stochastic(array, "weights_")
    return array


def check_means(value: ArrayLike, leading: tuple[int, ...], layout: str) -> np.ndarray:
    """``means_``: ``leading + (n_features,)``; ``layout`` names the axes for the message."""
    array = _as_float_array(value, "means_")
    _require_shape(array, "means_", layout, (*leading, None))
    return array


def _covars_layout(covariance_type: str, leading: tuple[str, ...], tied_lead: tuple[str, ...]):
    return {
        "spherical": leading,
        "diag": (*leading, "n_features"),
        "full": (*leading, "n_features", "n_features"),
        "tied": (*tied_lead, "n_features", "n_features"),
    }[covariance_type]


def check_covars(
    value: ArrayLike, covariance_type: str, n_states: int, n_mix: int | None = None
) -> np.ndarray:
    """``covars_`` in the compact form of ``covariance_type``: for a GaussianHMM
    (``n_mix`` None) spherical (K,), diag (K, D), full (K, D, D), tied (D, D); for a
    GMMHMM spherical (K, M), diag (K, M, D), full (K, M, D, D), tied (K, D, D).

    A spherical value with one number per state (or component) in trailing axes of
    size 1, such as hmmlearn's (K, 1, 1, 1), is taken in its compact form.
    """
    covariance_type = check_covariance_type(covariance_type)
    array = _as_float_array(value, "covars_")
    if n_mix is None:
        lead, names, tied_lead, tied_names = (n_states,), ("n_states",), (), ()
    else:
        lead, names = (n_states, n_mix), ("n_states", "n_mix")
        tied_lead, tied_names = (n_states,), ("n_states",)
    if covariance_type == "spherical" and array.ndim > len(lead):
        if array.shape[: len(lead)] == lead and all(n == 1 for n in array.shape[len(lead) :]):
            array = array.reshape(lead)
    layout_names = _covars_layout(covariance_type, names, tied_names)
    layout = "(" + ", ".join(layout_names) + ("," if len(layout_names) == 1 else "") + ")"
    sizes = {
        "spherical": lead,
        "diag": (*lead, None),
        "full": (*lead, None, None),
        "tied": (*tied_lead, None, None),
    }[covariance_type]
    extra = f" for covariance_type={covariance_type!r}"
    if covariance_type == "tied":
        extra += " (one matrix shared by all states)" if n_mix is None else " (one per state)"
    _require_shape(array, "covars_", layout, sizes, extra)
    if covariance_type in ("full", "tied"):
        d = array.shape[-1]
        if array.shape[-2] != d:
            raise ValueError(
                f"covars_ must have shape {layout}{extra}: its matrices must be square, "
                f"got {array.shape}"
            )
        flat = array.reshape(-1, d, d)
        check_covariances(flat, "full", flat.shape)
    else:
        check_covariances(array, covariance_type, array.shape)
    return array


class CheckedParameter:
    """A fitted-parameter attribute whose value is checked when assigned.

    ``check(model, value)`` returns the value to store (or raises). Assigning None
    unsets the attribute. Values the user assigns (not those ``fit`` or ``load`` store
    through the model's own methods) are remembered in ``model._set_by_hand``, so that
    ``fit`` can say when ``init_params`` will overwrite them.
    """

    def __init__(self, check: Callable[[Any, Any], np.ndarray], doc: str = "") -> None:
        self.check = check
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        try:
            return instance.__dict__[self.name]
        except KeyError:
            raise AttributeError(
                f"{type(instance).__name__} has no {self.name}: call fit() or set it"
            ) from None

    def __set__(self, instance: Any, value: Any) -> None:
        if value is None:
            self.__delete__(instance)
            return
        instance.__dict__[self.name] = self.check(instance, value)
        instance.__dict__.setdefault("_set_by_hand", set()).add(self.name)

    def __delete__(self, instance: Any) -> None:
        instance.__dict__.pop(self.name, None)
        instance.__dict__.get("_set_by_hand", set()).discard(self.name)
