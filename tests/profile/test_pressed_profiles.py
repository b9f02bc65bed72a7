"""The filter-profile blocks of a pressed database (``.hkp``): a block read back gives
exactly the parts the search pipeline derives from the model, and bad blocks are refused."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import read_hmmer
from hmmkit.profile.pressed_profiles import block_size, profile_block, read_block
from hmmkit.profile.search.stages import ModelStages


@pytest.fixture(scope="module")
def stages(shared_data):
    return ModelStages.of(read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm"))


def _aligned(data: bytes) -> np.ndarray:
    buffer = np.zeros(len(data) // 8 + 1, dtype=np.float64).view(np.uint8)  # 8-byte aligned
    buffer[: len(data)] = np.frombuffer(data, dtype=np.uint8)
    return buffer[: len(data)]


def test_a_block_reads_back_to_the_models_own_parts(stages):
    data = profile_block(stages.forward, stages.words, stages.odds)
    Kp = stages.forward.me.shape[0]
    assert len(data) == block_size(stages.M, Kp) and len(data) % 8 == 0
    parts = read_block(_aligned(data), stages.M, Kp)
    for name, mine, theirs in zip(stages.forward._fields, parts["forward"], stages.forward,
                                  strict=True):  # fmt: skip
        assert np.asarray(mine).dtype == np.asarray(theirs).dtype, name
        np.testing.assert_array_equal(mine, theirs, err_msg=name)
        if isinstance(theirs, np.ndarray):
            assert mine.flags.c_contiguous and mine.flags.aligned, name
    for mine, theirs in zip(parts["words"], stages.words, strict=True):
        assert mine.dtype == theirs.dtype and mine.flags.c_contiguous
        np.testing.assert_array_equal(mine, theirs)
    assert parts["odds"].dtype == np.float64
    np.testing.assert_array_equal(parts["odds"], stages.odds)


def test_bad_blocks_are_refused(stages):
    data = profile_block(stages.forward, stages.words, stages.odds)
    Kp = stages.forward.me.shape[0]
    with pytest.raises(ValueError, match=rf"block of {len(data) - 8} bytes; M={stages.M} needs"):
        read_block(_aligned(data)[:-8], stages.M, Kp)
    rwv, twv = stages.words
    wide = rwv.copy()
    wide[0, 1] = 40000  # a word the 16-bit filter cannot hold
    with pytest.raises(ValueError, match="rwv: word scores outside 16 bits"):
        profile_block(stages.forward, (wide, twv), stages.odds)
    with pytest.raises(ValueError, match=r"odds: shape \(3,\)"):
        profile_block(stages.forward, stages.words, stages.odds[:3])
