"""The embedded E-step on the threads of this process or on a Dask cluster.

Utterances (id, frames, composite graph) are cut into shards of a fixed number of
utterances, whatever the number of threads or workers, and each shard's statistics
are summed in shard order: a run on one thread, on several, or on a Dask client gives
the same statistics, bit for bit. The shards are an ordinary
:class:`~hmmkit.sources.SequenceSource`, so the backends are those the rest of
training uses (:mod:`hmmkit.training.backends`): the model is sent once per pass, the
shards once per stage, packed once per stage into the kernels' flat arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..composite import CompositeGraph
from ..sources import SequenceSource
from ..training.backends import make_backend
from ..workspace import WorkspacePool
from .acoustic_model import AcousticModel
from .estep import (
    EmbeddedStats,
    PackedUtterances,
    PassInputs,
    TimeMarks,
    sum_embedded_stats,
    utterance_stats,
)

#: Utterances per shard (a shard is the unit of work of a thread or a Dask task).
SHARD_UTTERANCES = 16

Utterance = tuple[str, np.ndarray, CompositeGraph]


class UtteranceShards(SequenceSource):
    """Utterances held in memory, in shards of ``shard_size`` consecutive utterances,
    each packed for the kernels."""

    def __init__(self, items: Sequence[Utterance], shard_size: int = SHARD_UTTERANCES) -> None:
        if shard_size < 1:
            raise ValueError(f"shard_size must be at least 1, got {shard_size}")
        self._shards = [
            PackedUtterances.of(items[i : i + shard_size]) for i in range(0, len(items), shard_size)
        ]

    def shard_keys(self) -> list[int]:
        return list(range(len(self._shards)))

    def load(self, key: int) -> PackedUtterances:  # type: ignore[override]
        return self._shards[key]


@dataclass(frozen=True)
class EStepSettings:
    """Everything one pass's E-step needs besides the utterances (sent once per pass)."""

    model: AcousticModel
    beam: float
    hard: bool = False
    background: tuple | None = None
    beam_step: float = 0.0
    beam_limit: float | None = None
    marks: TimeMarks | None = None

    @cached_property
    def inputs(self) -> PassInputs:
        """The E-step's inputs of the model, made once per pass (not once per shard)."""
        penalised = self.background is not None or self.marks is not None
        return PassInputs.of(self.model, self.beam, self.beam_step, self.beam_limit, penalised)


def shard_stats(
    settings: EStepSettings, shard: PackedUtterances, workspaces: WorkspacePool
) -> EmbeddedStats:
    """The statistics of one shard (the per-shard function of the backends; the kernel
    keeps its scratch to itself)."""
    return utterance_stats(
        settings.model,
        shard,
        settings.beam,
        settings.hard,
        settings.background,
        settings.beam_step,
        settings.beam_limit,
        settings.marks,
        settings.inputs,
    )


class EmbeddedEStep:
    """The E-step over a fixed set of utterances on ``backend`` ("threads" with
    ``n_jobs``, or "dask" with ``client``); a context manager that releases the
    cluster's copies of the shards."""

    def __init__(
        self,
        items: Sequence[Utterance],
        backend: str = "threads",
        n_jobs: int | None = None,
        client=None,
    ) -> None:
        self._backend = make_backend(backend, UtteranceShards(items), n_jobs, client)

    def __call__(self, settings: EStepSettings) -> EmbeddedStats:
        """The summed statistics of every shard, in shard order."""
        return sum_embedded_stats(self._backend.map(shard_stats, settings))

    def close(self) -> None:
        """Release the shards (on a cluster: its workers' copies)."""
        self._backend.close()

    def __enter__(self) -> EmbeddedEStep:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StageESteps:
    """The E-step of consecutive training stages: stages over the same list of utterance
    graphs share one :class:`EmbeddedEStep` (packed, and sent to a cluster, once); a
    stage over another list replaces it. A context manager that closes the last one."""

    def __init__(
        self,
        utts: Sequence[str],
        features: Sequence[np.ndarray],
        backend: str = "threads",
        n_jobs: int | None = None,
        client=None,
    ) -> None:
        self._utts, self._features = list(utts), list(features)
        self._options = (backend, n_jobs, client)
        self._graphs: Sequence[CompositeGraph] | None = None
        self._estep: EmbeddedEStep | None = None

    def over(self, graphs: Sequence[CompositeGraph]) -> EmbeddedEStep:
        """The E-step over the utterances with ``graphs`` (the same list object as the
        previous stage's: the same E-step)."""
        if self._estep is None or graphs is not self._graphs:
            self.close()
            items = list(zip(self._utts, self._features, graphs, strict=True))
            self._estep = EmbeddedEStep(items, *self._options)
            self._graphs = graphs
        return self._estep

    def close(self) -> None:
        """Close the open E-step, if any."""
        if self._estep is not None:
            self._estep.close()
        self._estep, self._graphs = None, None

    def __enter__(self) -> StageESteps:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
