"""Forced alignment: the Viterbi path of an utterance through its transcript's graph, as
word and unit segments with times."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..composite import CompositeGraph, GraphPath, viterbi
from .acoustic_model import SHORT_PAUSE, SILENCE, AcousticModel
from .embedded import with_graph_transitions


@dataclass(frozen=True)
class Segment:
    """A token spanning frames ``[start, end)``."""

    token: str
    start: int
    end: int


def path_segments(graph: CompositeGraph, path: GraphPath) -> tuple[list[Segment], list[Segment]]:
    """Word and unit segments of a path, read from the labels of the nodes it passes
    (a non-emitting node at lattice row r lies between frames r-1 and r)."""
    words: list[Segment] = []
    units: list[Segment] = []
    open_word: tuple[str, int] | None = None
    open_unit: tuple[str, int] | None = None
    for row, node in zip(path.rows, path.nodes, strict=True):
        label = graph.labels.get(int(node))
        if not label:
            continue
        kind = label[0]
        if kind == "word":
            open_word = (label[2], int(row))
        elif kind == "end" and open_word is not None:
            words.append(Segment(open_word[0], open_word[1], int(row)))
            open_word = None
        elif kind == "unit":
            open_unit = (label[1], int(row))
        elif kind == "unit_end" and open_unit is not None:
            if int(row) > open_unit[1]:
                units.append(Segment(open_unit[0], open_unit[1], int(row)))
            open_unit = None
    return words, units


@dataclass(frozen=True)
class Alignment:
    """One utterance's alignment: words, units (silences included) and the path score."""

    utt: str
    words: list[Segment]
    units: list[Segment]
    log_prob: float

    def speech_units(self) -> list[Segment]:
        """Units other than silences."""
        return [u for u in self.units if u.token not in (SILENCE, SHORT_PAUSE)]


def align(
    model: AcousticModel, utt: str, X: np.ndarray, words: Sequence[str], beam: float = np.inf
) -> Alignment:
    """Viterbi alignment of frames ``X`` to the transcript ``words`` (optional ``sp`` between
    words and alternative pronunciations chosen by the path)."""
    graph = model.transcript_graph(words, f"utterance {utt}")
    log_b = model.mixtures.frame_scores(X)[0]
    try:
        path = viterbi(with_graph_transitions(graph, model), log_b, beam)
    except ValueError as exc:
        raise ValueError(f"utterance {utt}: {exc} (transcript of {len(words)} words)") from None
    word_segs, unit_segs = path_segments(graph, path)
    return Alignment(utt, word_segs, unit_segs, path.log_prob)
