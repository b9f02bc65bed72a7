"""Constructor arguments of the HMM families: the checks run at construction and in
``set_params``, and what to write instead of hmmlearn's argument names.
"""

from __future__ import annotations

import numbers

from .implementations import IMPLEMENTATIONS
from .settings import check_count
from .training import ALGORITHMS

#: hmmlearn's argument names that hmmkit spells otherwise, for every HMM family.
HMMLEARN_ARGUMENTS = {
    "n_components": "hmmkit calls the number of hidden states n_states (hmmlearn's "
    "n_components), e.g. GaussianHMM(n_states=3)",
    "n_features": "the number of features is read from the data in fit (or from the "
    "parameters set by hand), so it is not an argument",
}
#: CategoricalHMM's alphabet size: hmmlearn's n_features.
CATEGORICAL_ARGUMENTS = HMMLEARN_ARGUMENTS | {
    "n_features": "hmmkit calls the alphabet size n_symbols (hmmlearn's n_features), "
    "e.g. CategoricalHMM(n_states=2, n_symbols=4)",
}


def check_states(value, name: str) -> int:
    """A count of states (or mixture components): an integer >= 1."""
    return check_count(value, name)


def check_iterations(value, name: str) -> int:
    """``n_iter``: an integer >= 0 (0 initialises only)."""
    return check_count(value, name, minimum=0)


def check_optional_count(value, name: str) -> int | None:
    """None, or an integer >= 1 (e.g. ``n_symbols``)."""
    return None if value is None else check_count(value, name)


def check_n_trials(value, name: str = "n_trials") -> int | None:
    """MultinomialHMM's ``n_trials``: None (each frame's own total) or one integer >= 1.

    hmmlearn also takes one number per frame; here None scores each frame by its own
    total, which is the same thing, so a sequence of numbers is refused with that advice.
    """
    if value is not None and not isinstance(value, (numbers.Number, str, bytes)):
        raise TypeError(
            f"{name} must be one integer >= 1 or None, got {value!r}: for frames with "
            f"different numbers of trials leave {name}=None, and each frame's total counts "
            "as its number of trials"
        )
    return check_optional_count(value, name)


def check_implementation(value, name: str = "implementation") -> str:
    """``"scaling"`` or ``"log"`` (the forward-backward arithmetic)."""
    if value not in IMPLEMENTATIONS:
        raise ValueError(f"{name} must be one of {IMPLEMENTATIONS}, got {value!r}")
    return value


def check_algorithm(value, name: str = "algorithm") -> str:
    """The training algorithm, one of :data:`hmmkit.training.ALGORITHMS`."""
    if value in ("viterbi", "map"):
        raise ValueError(
            f"{name}={value!r}: in hmmkit {name} is the training algorithm {ALGORITHMS}; "
            f"the decoder is chosen per call, decode(X, algorithm={value!r})"
        )
    if value not in ALGORITHMS:
        raise ValueError(f"{name} must be one of {ALGORITHMS}, got {value!r}")
    return value


#: The checks every HMM family runs on its constructor arguments.
HMM_ARGUMENT_CHECKS = {
    "n_states": check_states,
    "n_init": check_states,
    "n_iter": check_iterations,
    "implementation": check_implementation,
    "algorithm": check_algorithm,
}
