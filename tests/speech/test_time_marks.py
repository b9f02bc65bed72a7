"""Known word times as frame spans and the units that may emit them."""

import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.speech.features import MFCCConfig
from hmmkit.speech.lexicon import Lexicon
from hmmkit.speech.time_marks import span_frames, word_time_marks


@pytest.mark.parametrize("winlen, winstep", [(0.025, 0.01), (0.02, 0.005), (0.01, 0.01)])
def test_span_frames_are_the_frames_whose_centres_lie_in_the_span(winlen, winstep):
    config = MFCCConfig(winlen=winlen, winstep=winstep)
    rng = np.random.default_rng(1)
    n_frames = 40
    for _ in range(300):
        start, end = np.sort(rng.uniform(-0.05, 0.5, size=2))
        inside = [t for t in range(n_frames) if start <= t * winstep + winlen / 2 <= end + 1e-12]
        first, stop = span_frames(start, end, config, n_frames)
        if inside:
            assert (first, stop) == (inside[0], inside[-1] + 1)
        else:
            assert stop == first


def test_word_marks_name_every_pronunciations_units_and_silence():
    lexicon = Lexicon({"x": [("a", "b"), ("b",)], "y": [("a",)]})
    model = tiny_model(kind="phone", lexicon=lexicon)
    times = {"u": [("sil", 0.0, 0.1), ("x", 0.1, 0.3), ("y", 0.3, 0.35)]}
    marks = word_time_marks(times, {"u": ["x", "y"]}, {"u": 50}, model, MFCCConfig(), "t.ctm")
    assert marks.spans["u"] == ((0, 9, ("sil",)), (9, 29, ("a", "b")), (29, 34, ("a",)))
    assert not marks.silent_gaps
    gaps = word_time_marks(times, {"u": ["x", "y"]}, {"u": 50}, model, MFCCConfig(), "", True)
    assert gaps.silent_gaps and gaps.penalty == marks.penalty == 1000.0
    soft = word_time_marks(times, {"u": ["x", "y"]}, {"u": 50}, model, MFCCConfig(), "", True, 5.0)
    assert soft.penalty == 5.0 and soft.spans == gaps.spans


def test_bad_word_times_name_the_file_and_the_utterance():
    model = tiny_model()
    args = ({"u": ["a", "b"]}, {"u": 50}, model, MFCCConfig(), "t.ctm")
    with pytest.raises(ValueError, match="t.ctm: utterance v has no transcript"):
        word_time_marks({"v": [("a", 0.0, 0.1)]}, *args)
    with pytest.raises(ValueError, match="t.ctm: utterance u: word 'c' is not in its transcript"):
        word_time_marks({"u": [("c", 0.0, 0.1)]}, *args)
    with pytest.raises(ValueError, match="t.ctm: utterance u: 'a' ends before it starts"):
        word_time_marks({"u": [("a", 0.2, 0.1)]}, *args)
