"""Training from a source read shard by shard equals training from memory."""

import numpy as np
import pytest
from factories import make_model, sample_sequences

from hmmkit.sequences import as_continuous_batch
from hmmkit.sources import MemorySource, SequenceSource


class CountingSource(SequenceSource):
    """Shards held as separate arrays, loaded on demand (like files on disk)."""

    def __init__(self, seqs, per_shard):
        self.parts = [seqs[i : i + per_shard] for i in range(0, len(seqs), per_shard)]
        self.loads = 0

    def shard_keys(self):
        return list(range(len(self.parts)))

    def load(self, key):
        self.loads += 1
        return as_continuous_batch(self.parts[key])


def test_streamed_fit_equals_in_memory_fit():
    truth = make_model("gaussian", "diag", np.random.default_rng(0))
    seqs = sample_sequences(truth, np.random.default_rng(1).integers(20, 200, size=30))
    start = make_model("gaussian", "diag", np.random.default_rng(2))

    def fitted(data):
        model = type(start)(3, "diag", init_params="", n_iter=5, tol=-np.inf)
        for name in ("startprob_", "transmat_", "means_", "covars_"):
            setattr(model, name, getattr(start, name))
        return model.fit(data)

    source = CountingSource(seqs, per_shard=7)
    streamed, in_memory = fitted(source), fitted(seqs)
    np.testing.assert_allclose(streamed.means_, in_memory.means_, rtol=1e-10)
    np.testing.assert_allclose(streamed.monitor_.history, in_memory.monitor_.history, rtol=1e-10)
    assert source.loads >= 5 * len(source.parts)
    assert streamed.score(source) == pytest.approx(in_memory.score(seqs), rel=1e-12)


def test_sample_for_initialisation_takes_whole_shards():
    seqs = [np.full((10, 1), float(i)) for i in range(20)]
    sample = CountingSource(seqs, per_shard=4).sample(30, np.random.default_rng(0))
    assert sample.n_frames == 40 and sample.n_sequences == 4
    assert MemorySource(as_continuous_batch(seqs)).sample(5, None).n_frames == 200
