"""Which parameters an HMM trains and initialises: hmmlearn's letters.

``params`` and ``init_params`` are strings of letters (``s`` start, ``t`` transitions,
then the emission family's own); :class:`ParameterLetters` checks them, says which
parameters ``fit`` initialises, and warns as hmmlearn does when ``init_params`` would
overwrite a parameter set by hand or omits one that is not set.
"""

from __future__ import annotations

import warnings


def _listed(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class ParameterLetters:
    """The ``params`` / ``init_params`` letters of an HMM (mixed into the model class)."""

    def _check_letters(self) -> None:
        """Refuse ``params`` / ``init_params`` holding letters this family does not know."""
        for name in ("params", "init_params"):
            letters = getattr(self, name)
            if letters is not None and set(letters) - set(self._all_letters()):
                raise ValueError(
                    f"{name} may only hold the letters {self._all_letters()!r}, got {letters!r}"
                )

    def _all_letters(self) -> str:
        return "st" + self._emission_letters

    def _init_method(self) -> str:
        if self.init is not None:
            return self.init
        left_right = isinstance(self.topology, str) and self.topology == "left-right"
        return "segmental" if left_right else self._default_init

    def _update_letters(self) -> str:
        return self._all_letters() if self.params is None else self.params

    def _init_letters(self) -> str:
        return self._all_letters() if self.init_params is None else self.init_params

    def _filled_init_letters(self) -> str:
        """The letters ``fit`` initialises: ``init_params``, plus the letters of any
        parameter that is not set (there is nothing else to start it from)."""
        given = self._init_letters()
        return given + "".join(c for c in self._unset_letters() if c not in given)

    def _letter_names(self) -> dict[str, str]:
        return {"s": "startprob_", "t": "transmat_", **self._letter_attributes}

    def _unset_letters(self) -> str:
        return "".join(
            c for c, name in self._letter_names().items() if getattr(self, name, None) is None
        )

    def _warn_about_init_params(self) -> None:
        """Warn when ``init_params`` overwrites parameters set by hand, or omits ones that
        are not set (which are then initialised all the same), as hmmlearn does."""
        given = self._init_letters()
        by_hand = self.__dict__.get("_set_by_hand", set())
        names = self._letter_names()
        overwritten = [c for c, name in names.items() if c in given and name in by_hand]
        unset = [c for c in self._unset_letters() if c not in given]
        if overwritten:
            were = "was" if len(overwritten) == 1 else "were"
            warnings.warn(
                f"{_listed(names[c] for c in overwritten)} {were} set by hand (or loaded) "
                f"but init_params contains {_listed(map(repr, overwritten))}: fit "
                "overwrites them with its initialisation; leave a letter out of "
                "init_params to start from the value set",
                UserWarning,
                stacklevel=3,
            )
        if unset:
            were = "is" if len(unset) == 1 else "are"
            warnings.warn(
                f"init_params omits {_listed(map(repr, unset))} but "
                f"{_listed(names[c] for c in unset)} {were} not set: fit initialises them",
                UserWarning,
                stacklevel=3,
            )
