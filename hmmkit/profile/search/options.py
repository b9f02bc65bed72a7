"""The settings of HMMER's search pipeline as one value: reporting and inclusion thresholds,
Pfam cutoffs, filter thresholds, null2, E-value sizes and the seed (P7_PIPELINE's options).

:func:`~hmmkit.profile.search.search`, :func:`~hmmkit.profile.search.scan.scan`, phmmer,
jackhmmer (:func:`~hmmkit.profile.iterate.iterative_search`), the command line and the
Dask search all take a :class:`PipelineOptions`; their keyword arguments build one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

#: The model attribute holding each kind of Pfam cutoff (hmmsearch's --cut_ga/tc/nc).
CUTOFF_FIELDS = {"ga": "gathering", "tc": "trusted", "nc": "noise"}

#: HMMER's line width of a search's main output (--textw's default; 0 is --notextw).
DEFAULT_TEXTW = 120

#: jackhmmer's inclusion thresholds, stricter than hmmsearch's: what is included shapes
#: the next round's model.
ITERATION_INCLUSION = MappingProxyType({"incE": 0.001, "incdomE": 0.001})

#: (sequence reporting, sequence inclusion, domain reporting, domain inclusion) bit scores;
#: None where the E-value threshold decides.
BitThresholds = tuple[float | None, float | None, float | None, float | None]


@dataclass(frozen=True)
class PipelineOptions:
    """Every threshold and switch of a profile search, checked when made.

    Reporting: hits with E-value <= `E` (or bit score >= `T` when given), domains with
    conditional E-value <= `domE` (or >= `domT` bits). Inclusion: `incE`/`incT`,
    `incdomE`/`incdomT`, among the reported ones. `cutoffs` ``"ga"``, ``"tc"`` or ``"nc"``
    replaces all four bit thresholds by each model's Pfam cutoffs. `Z` and `domZ` fix the
    numbers of comparisons behind E-values (default: the targets searched and the hits
    reported). Filters: MSV P-value <= `F1`, Viterbi <= `F2`, Forward <= `F3`, the
    biased-composition filter when `bias_filter`; `max` switches every filter off
    (hmmsearch's ``--max``: F1 = F2 = F3 = 1, no bias filter). `null2` corrects scores for
    biased composition; `seed` drives domain definition's sampled paths.
    """

    E: float = 10.0
    T: float | None = None
    domE: float = 10.0
    domT: float | None = None
    incE: float = 0.01
    incT: float | None = None
    incdomE: float = 0.01
    incdomT: float | None = None
    cutoffs: str | None = None
    Z: float | None = None
    domZ: float | None = None
    F1: float = 0.02
    F2: float = 1e-3
    F3: float = 1e-5
    bias_filter: bool = True
    max: bool = False
    null2: bool = True
    seed: int = 42

    def __post_init__(self) -> None:
        for label in ("E", "domE", "incE", "incdomE"):
            value = getattr(self, label)
            if not value > 0:
                raise ValueError(f"{label} must be > 0, got {value}")
        for label in ("F1", "F2", "F3"):
            value = getattr(self, label)
            if not 0 < value <= 1:
                raise ValueError(f"{label} must be in (0, 1], got {value}")
        for label in ("Z", "domZ"):
            value = getattr(self, label)
            if value is not None and not 0 < value < math.inf:
                raise ValueError(f"{label} must be a positive number of comparisons, got {value}")
        if self.cutoffs is not None and self.cutoffs not in CUTOFF_FIELDS:
            raise ValueError(
                f"cutoffs must be one of {sorted(CUTOFF_FIELDS)} or None, got {self.cutoffs!r}"
            )
        if self.max:  # as HMMER's pipeline: the filters are open, whatever was asked
            for label, value in (("F1", 1.0), ("F2", 1.0), ("F3", 1.0), ("bias_filter", False)):
                object.__setattr__(self, label, value)

    @classmethod
    def of(cls, options: PipelineOptions | None = None, **changes: Any) -> PipelineOptions:
        """`options` (default: HMMER's defaults) with `changes`, the keyword arguments of a
        search function; a TypeError names an unknown one."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise TypeError(f"unknown search option(s) {', '.join(unknown)}; the options are "
                            f"{', '.join(f.name for f in dataclasses.fields(cls))}")  # fmt: skip
        if options is None:
            return cls(**changes)
        if not isinstance(options, cls):
            raise TypeError(f"options must be a PipelineOptions, got {type(options).__name__}")
        return dataclasses.replace(options, **changes) if changes else options

    def replace(self, **changes: Any) -> PipelineOptions:
        """A copy with `changes` (checked again)."""
        return self.of(self, **changes)

    def bit_thresholds(self, model=None) -> BitThresholds:
        """(T, incT, domT, incdomT): the given bit thresholds, or with `cutoffs` the
        (sequence, sequence, domain, domain) Pfam cutoffs of `model`."""
        if self.cutoffs is None:
            return (self.T, self.incT, self.domT, self.incdomT)
        field = CUTOFF_FIELDS[self.cutoffs]
        pair = getattr(model, field)
        if pair is None:
            raise ValueError(f"model {model.name} has no {field} ({self.cutoffs.upper()}) bit "
                             f"score thresholds for --cut_{self.cutoffs}")  # fmt: skip
        seq, dom = pair
        return (seq, seq, dom, dom)
