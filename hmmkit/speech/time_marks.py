"""Known word times for embedded training: each marked word's span is kept for that
word's units (``sil``, ``sp`` and the other words pay a large cost on its frames), as
hand-labelled or generated corpora give them (a CTM of reference word times)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .acoustic_model import SILENCE, AcousticModel
from .estep import MARK_PENALTY, TimeMarks
from .features import MFCCConfig

Timed = tuple[str, float, float]  # word, start, end (seconds)


def span_frames(start: float, end: float, config: MFCCConfig, n_frames: int) -> tuple[int, int]:
    """The frames ``[first, stop)`` whose window centres (``t * winstep + winlen / 2``)
    lie in ``[start, end]`` seconds, clipped to the utterance's ``n_frames``."""
    half = config.winlen / 2
    step = config.winstep
    first = max(0, -int(-(start - half) // step))  # ceil((start - half) / step)
    stop = int((end - half) // step) + 1
    first, stop = min(first, n_frames), min(max(stop, first), n_frames)
    return first, stop


def word_time_marks(
    times: Mapping[str, Sequence[Timed]],
    transcripts: Mapping[str, Sequence[str]],
    n_frames: Mapping[str, int],
    model: AcousticModel,
    config: MFCCConfig,
    where: str = "word times",
    silent_gaps: bool = False,
    penalty: float = MARK_PENALTY,
) -> TimeMarks:
    """The :class:`TimeMarks` of word times (utt -> [(word, start, end)] in seconds):
    each span's frames may be emitted only by its word's units (every pronunciation's);
    the token ``sil`` marks silence (``sil`` and ``sp`` only).
    With ``silent_gaps`` the frames of a marked utterance outside its spans are kept for
    ``sil`` and ``sp``. ``penalty`` is what a marked frame costs the states it is not kept
    for (see :class:`~.estep.TimeMarks`). A ValueError names ``where`` and the utterance
    for an utterance not in ``transcripts``, a word not in its transcript, or an end before
    its start."""
    spans = {}
    for utt, items in times.items():
        if utt not in transcripts:
            raise ValueError(f"{where}: utterance {utt} has no transcript")
        marked = []
        for word, start, end in items:
            if word != SILENCE and word not in transcripts[utt]:
                raise ValueError(
                    f"{where}: utterance {utt}: word {word!r} is not in its transcript"
                )
            if not start <= end:
                raise ValueError(f"{where}: utterance {utt}: {word!r} ends before it starts")
            units = (
                [SILENCE]
                if word == SILENCE
                else sorted({u for pron in model.pronunciations(word, where) for u in pron})
            )
            first, stop = span_frames(start, end, config, n_frames[utt])
            if stop > first:
                marked.append((first, stop, tuple(units)))
        spans[utt] = tuple(marked)
    return TimeMarks(spans, penalty=penalty, silent_gaps=silent_gaps)
