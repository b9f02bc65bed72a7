"""What HMMER's search pipeline counts (P7_PIPELINE): the comparisons made and how many
of them passed each stage, with the options they ran under.

A comparison is one (model, sequence) pair. Its stage is how far it went:
:data:`NOT_SCORED` (an empty sequence), :data:`FAILED_MSV`, then past the MSV filter, the
bias filter, the Viterbi filter and the Forward filter, as p7_Pipeline() counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .options import PipelineOptions

#: The stage a comparison reached (an int8 per target).
NOT_SCORED, FAILED_MSV, PAST_MSV, PAST_BIAS, PAST_VITERBI, PAST_FORWARD = -1, 0, 1, 2, 3, 4

#: hmmsearch: one model against sequences; hmmscan: one sequence against models.
MODES = ("search", "scan")


@dataclass(frozen=True)
class Pipeline:
    """A search's options and stage counters, as HMMER's P7_PIPELINE keeps them.

    `n_models`/`n_nodes` count the models compared (and their match states),
    `n_sequences`/`n_residues` the sequences (and their residues); `n_past_msv`,
    `n_past_bias`, `n_past_vit` and `n_past_fwd` the comparisons that passed the MSV,
    biased-composition, Viterbi and Forward filters (a stage that is switched off passes
    everything that reaches it). Pipelines of the same options and mode add up (the parts
    of a distributed search: the targets and the stage counts add, the query's counts
    are those of one part).
    """

    options: PipelineOptions = field(default_factory=PipelineOptions)
    mode: str = "search"
    n_models: int = 0
    n_nodes: int = 0
    n_sequences: int = 0
    n_residues: int = 0
    n_past_msv: int = 0
    n_past_bias: int = 0
    n_past_vit: int = 0
    n_past_fwd: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    @property
    def n_targets(self) -> int:
        """Number of targets: sequences in a search, models in a scan."""
        return self.n_sequences if self.mode == "search" else self.n_models

    @property
    def target_size(self) -> int:
        """Size of the targets: residues in a search, model nodes in a scan."""
        return self.n_residues if self.mode == "search" else self.n_nodes

    def counted(self, stages: np.ndarray) -> Pipeline:
        """These counters with the comparisons whose :mod:`stages <.pipeline>` are given."""
        stages = np.asarray(stages)
        return replace(
            self,
            n_past_msv=self.n_past_msv + int(np.count_nonzero(stages >= PAST_MSV)),
            n_past_bias=self.n_past_bias + int(np.count_nonzero(stages >= PAST_BIAS)),
            n_past_vit=self.n_past_vit + int(np.count_nonzero(stages >= PAST_VITERBI)),
            n_past_fwd=self.n_past_fwd + int(np.count_nonzero(stages >= PAST_FORWARD)),
        )

    def __add__(self, other: Pipeline) -> Pipeline:
        if not isinstance(other, Pipeline):
            return NotImplemented
        if (other.options, other.mode) != (self.options, self.mode):
            raise ValueError("only the counters of one search (same options and mode) add up")
        # the parts share the query (p7_pipeline_Merge): its counts are not added
        search = self.mode == "search"
        targets = ("n_sequences", "n_residues") if search else ("n_models", "n_nodes")
        counters = (*targets, "n_past_msv", "n_past_bias", "n_past_vit", "n_past_fwd")
        return replace(self, **{n: getattr(self, n) + getattr(other, n) for n in counters})
