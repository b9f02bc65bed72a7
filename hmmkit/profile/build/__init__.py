"""Profile HMM construction as HMMER's hmmbuild does it: a pipeline of named steps.

:func:`build` runs hmmbuild's steps on an alignment; :class:`Builder` runs them one at a
time or up to a chosen step (:data:`STEPS`), keeping each step's result in
:class:`BuildSteps`. The steps' own modules: :mod:`.weights`, :mod:`.fragments`,
:mod:`.columns`, :mod:`.traces`, :mod:`.effective_number`, :mod:`.priors`,
:mod:`.annotation`, :mod:`.calibrate`.
"""

from typing import TYPE_CHECKING

from ...lazy import export_lazily

if TYPE_CHECKING:
    from .annotation import consensus_line, max_emission_length, model_composition
    from .columns import assign_match_columns, match_columns_from_reference
    from .effective_number import entropy_target, entropy_weighting
    from .pipeline import STEPS, Builder, BuildSteps, build

export_lazily(__name__, {
    "STEPS": ".pipeline",
    "Builder": ".pipeline",
    "BuildSteps": ".pipeline",
    "build": ".pipeline",
    "assign_match_columns": ".columns",
    "match_columns_from_reference": ".columns",
    "consensus_line": ".annotation",
    "max_emission_length": ".annotation",
    "model_composition": ".annotation",
    "entropy_target": ".effective_number",
    "entropy_weighting": ".effective_number",
})  # fmt: skip

__all__ = [
    "STEPS",
    "BuildSteps",
    "Builder",
    "assign_match_columns",
    "build",
    "consensus_line",
    "entropy_target",
    "entropy_weighting",
    "match_columns_from_reference",
    "max_emission_length",
    "model_composition",
]
