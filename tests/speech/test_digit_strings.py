"""Connected-digit corpora: deterministic, with spans matching the audio."""

import soundfile

from hmmkit.speech.corpus import list_recordings
from hmmkit.speech.data_folder import read_data_folder
from hmmkit.speech.digit_strings import (
    alignment_accuracy,
    build_digit_strings,
    read_word_spans,
)


def test_strings_are_deterministic_and_spans_exact(shared_data, tmp_path):
    recs = [r for r in list_recordings(shared_data / "fsdd") if r.index == 20]
    spans = build_digit_strings(recs, tmp_path / "a", seed=5)
    again = build_digit_strings(recs, tmp_path / "b", seed=5)
    assert (tmp_path / "a" / "text").read_text() == (tmp_path / "b" / "text").read_text()
    assert len(spans) == len(recs) == len(again)
    data = read_data_folder(tmp_path / "a", need_text=True)
    for entry in data.utterances:
        words = [s for s in spans if s.utt == entry.utt]
        assert 2 <= len(words) <= 7 and tuple(s.word for s in words) == entry.words
        assert {entry.speaker} == {s.utt.split("-")[0] for s in words}
        info = soundfile.info(str(entry.source))
        assert words[0].start >= 0.15 - 1e-3 and words[-1].end <= info.duration - 0.15 + 1e-3
        for a, b in zip(words, words[1:], strict=False):
            assert 0 <= b.start - a.end <= 0.30 + 1e-3
        for s in words:
            assert s.start <= s.core_start < s.core_end <= s.end + 1e-9
    assert read_word_spans(tmp_path / "a" / "word_spans")[0].utt == spans[0].utt
    perfect = {}
    for s in spans:
        perfect.setdefault(s.utt, []).append((s.word, s.core_start, s.core_end))
    assert alignment_accuracy(spans, perfect) == 1.0
    shifted = {u: [(w, a + 0.5, b + 0.5) for w, a, b in v] for u, v in perfect.items()}
    assert alignment_accuracy(spans, shifted) < 0.2
