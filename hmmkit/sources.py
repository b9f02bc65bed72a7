"""Where training sequences come from: memory now, disk or a cluster's workers later.

A :class:`SequenceSource` hands out its sequences shard by shard, so the E-step
never needs the whole corpus in memory at once: every shard is a validated
:class:`~hmmkit.sequences.SequenceBatch`. Shard keys are small, picklable values
(indices, file names), so a distributed backend can ship keys instead of data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable

import numpy as np

from .sequences import SHARD_FRAMES, SequenceBatch

#: Frames drawn from a source to initialise a model (k-means, floors, segmentation).
INIT_FRAMES = 200_000


class SequenceSource(ABC):
    """Sequences read shard by shard."""

    @abstractmethod
    def shard_keys(self) -> list[Hashable]:
        """Keys of all shards, in a fixed order (statistics are summed in this order)."""

    @abstractmethod
    def load(self, key: Hashable) -> SequenceBatch:
        """The validated sequences of one shard."""

    def sample(self, max_frames: int, rng: np.random.Generator) -> SequenceBatch:
        """Whole shards in random order until about ``max_frames`` frames, as one batch.

        A source that knows its size (``n_frames``) and fits returns all its sequences in
        order without drawing from ``rng``, as an in-memory corpus does: the same data
        and ``random_state`` then give the same model from memory or from disk.
        """
        keys = self.shard_keys()
        size = getattr(self, "n_frames", None)
        fits = isinstance(size, (int, np.integer)) and size <= max_frames
        order = range(len(keys)) if fits else rng.permutation(len(keys))
        frames, offsets, total = [], [0], 0
        for index in order:
            shard = self.load(keys[index])
            frames.append(shard.X)
            offsets.extend(total + shard.offsets[1:])
            total += shard.n_frames
            if total >= max_frames:
                break
        return SequenceBatch(np.concatenate(frames), np.asarray(offsets, dtype=np.int64))


class MemorySource(SequenceSource):
    """A batch already in memory, cut into shards of about ``max_frames`` frames."""

    def __init__(self, batch: SequenceBatch, max_frames: int = SHARD_FRAMES) -> None:
        self.batch = batch
        self._shards = batch.shards(max_frames)

    def shard_keys(self) -> list[int]:
        return list(range(len(self._shards)))

    def load(self, key: int) -> SequenceBatch:
        return self._shards[key]

    def sample(self, max_frames: int, rng: np.random.Generator) -> SequenceBatch:
        """The whole batch: it is in memory already."""
        return self.batch
