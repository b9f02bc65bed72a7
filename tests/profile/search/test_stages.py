"""ModelStages: what the pipeline's stages read of a model, derived exactly as the stages
derive it from the model's search profile."""

from __future__ import annotations

import numpy as np
import pytest

from hmmkit.profile import dp, read_hmmer
from hmmkit.profile.config import configure, special_scores
from hmmkit.profile.search.bias_filter import composition_odds
from hmmkit.profile.search.stages import CONFIGURED_LENGTH, ModelStages


@pytest.fixture(scope="module")
def model(shared_data):
    return read_hmmer(shared_data / "protein/pyhmmer/Thioesterase.hmm")


def test_parts_are_the_search_profiles(model):
    stages = ModelStages.of(model)
    profile = configure(model, CONFIGURED_LENGTH)
    for mine, theirs in ((stages.profile.msc, profile.msc), (stages.profile.tsc, profile.tsc),
                         (stages.odds, composition_odds(profile)),
                         (stages.msv_bytes[0], dp.msv_byte_profile(profile.msc, 20)[0]),
                         *zip(stages.words, dp.viterbi_word_profile(profile.tsc, profile.msc),
                              strict=True),
                         *zip(stages.forward, dp.scan_profile(profile), strict=True)):  # fmt: skip
        np.testing.assert_array_equal(mine, theirs)
    assert (stages.name, stages.M, stages.stats) == (model.name, model.M, model.stats)


@pytest.mark.parametrize("length", [0, 1, 37, 400, 100_000])
def test_special_scores_are_set_lengths(model, length):
    """The N/E/C/J scores for a target length, without a profile, are those a configured
    profile gets from set_length (multi-hit), and those of a uni-hit one with False."""
    stages = ModelStages.of(model)
    multi = configure(model).set_length(length).xsc
    np.testing.assert_array_equal(stages.special_scores(length), multi)
    np.testing.assert_array_equal(special_scores(True, length), multi)
    uni = configure(model, multihit=False).set_length(length).xsc
    np.testing.assert_array_equal(special_scores(False, length), uni)
    assert not stages.special_scores(length).flags.writeable  # shared by every model


def test_unknown_ready_parts_are_refused(model):
    with pytest.raises(TypeError, match=r"unknown stage parts \['viterbi'\]"):
        ModelStages(lambda: model, model.alphabet, {}, viterbi=None)
