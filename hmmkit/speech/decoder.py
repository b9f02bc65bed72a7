"""Connected-word recognition: Viterbi token passing over a word network.

The network starts and ends with ``sil``; between them any sequence of words (at least
one), with the tee model ``sp`` optional between words. Every entry into a word adds
``lm_scale * ln P(word | previous word) + insertion_penalty``: with no language model the
words are equally likely (a word loop); with a bigram model the network keeps one copy of
the arcs per predecessor word, so the score is exact. A grammar restricts which word may
follow which (see :mod:`hmmkit.speech.grammar`). Given a background model's frame scores
(:mod:`.background_model`), a decoded word is rejected when it does not fit its frames
better than the background does by a margin (see :func:`decode`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..composite import CompositeGraph, GraphBuilder, viterbi
from .acoustic_model import SHORT_PAUSE, SILENCE, AcousticModel
from .alignment import Segment, path_segments
from .arpa import SENTENCE_END, SENTENCE_START, BigramLM
from .embedded import with_graph_transitions


@dataclass(frozen=True)
class WordNetwork:
    """Which words may follow which: ``successors[u]`` (log-weights) for every word u,
    ``initial`` and ``final`` log-weights (``-inf`` or absent: not allowed)."""

    words: list[str]
    initial: dict[str, float]
    successors: dict[str, dict[str, float]]
    final: dict[str, float]


def word_loop(words: Sequence[str]) -> WordNetwork:
    """Any word may follow any word, all equally likely."""
    uniform = -math.log(len(words))
    return WordNetwork(
        list(words),
        {w: uniform for w in words},
        {u: {v: uniform for v in words} for u in words},
        {w: 0.0 for w in words},
    )


def bigram_network(lm: BigramLM, words: Sequence[str]) -> WordNetwork:
    """The bigram model's weights between the model's words (ValueError for a word the
    language model does not know)."""
    missing = [w for w in words if w not in lm.unigrams]
    if missing:
        raise ValueError(f"words {missing[:5]} have models but are not in the language model")
    return WordNetwork(
        list(words),
        {w: lm.log_prob(w, SENTENCE_START) for w in words},
        {u: {v: lm.log_prob(v, u) for v in words} for u in words},
        {w: lm.log_prob(SENTENCE_END, w) for w in words},
    )


def network_graph(
    model: AcousticModel,
    network: WordNetwork,
    lm_scale: float = 1.0,
    insertion_penalty: float = 0.0,
) -> CompositeGraph:
    """The composite graph of a word network (words labelled with their vocabulary index)."""
    units = model.unit_models()
    g = GraphBuilder()
    start_sil = model.unit_part(g, units, SILENCE, -1)
    end_sil = model.unit_part(g, units, SILENCE, -2)
    hub_in, hub_out = g.node(), g.node()
    g.arc(start_sil[1], hub_in)
    g.arc(hub_out, end_sil[0])
    entries, after = {}, {}
    for i, word in enumerate(network.words):
        entry, exit_ = model.word_part(g, units, i, word)
        entries[word] = entry
        after[word] = exit_
    for word in network.words:
        weight = lm_scale * network.initial.get(word, -math.inf) + insertion_penalty
        g.log_arc(hub_in, entries[word], weight)
        g.log_arc(after[word], hub_out, lm_scale * network.final.get(word, -math.inf))
        follows = network.successors.get(word, {})
        if not follows:
            continue
        joint = after[word]
        if SHORT_PAUSE in units:
            pause = model.unit_part(g, units, SHORT_PAUSE, -3)
            joint = g.node()
            g.arc(after[word], pause[0])
            g.arc(pause[1], joint)
        for nxt, logp in follows.items():
            g.log_arc(joint, entries[nxt], lm_scale * logp + insertion_penalty)
    return g.build(start_sil[0], end_sil[1])


@dataclass(frozen=True)
class Hypothesis:
    """A decoded utterance: its words with frame spans, and the path's score; ``rejected``
    holds the path's words left out by the background test (see :func:`decode`)."""

    utt: str
    words: list[Segment]
    log_score: float
    rejected: list[Segment] = field(default_factory=list)


#: Cost (nats a frame) to every state but ``sil``'s on an utterance's edge frames (see
#: :func:`decode`): finite, so that an utterance too short for it still has a path.
EDGE_SILENCE_COST = 1000.0


def decode(
    model: AcousticModel,
    graph: CompositeGraph,
    utt: str,
    X: np.ndarray,
    beam: float = np.inf,
    edge_silence: int = 0,
    background: np.ndarray | None = None,
    reject_margin: float = 0.0,
) -> Hypothesis:
    """The best word sequence for frames ``X`` through a network graph. When the beam
    prunes every path that can still end (the best tokens near the end lie in words too
    long for the frames left), the utterance is decoded again without pruning.
    ``edge_silence`` > 0 keeps the first and last that many frames for ``sil`` (an
    utterance starts and ends in background, as HTK and Kaldi assume): every other
    state pays :data:`EDGE_SILENCE_COST` nats a frame there, so no word is heard in the
    noise before the first word or after the last.

    ``background`` (T,) are the frames' log-likelihoods under a model of the speaker's
    background (:mod:`.background_model`): a word of the best path is then kept only if
    its frames' emission scores along the path exceed theirs under the background by
    more than ``reject_margin`` nats (a confidence test of the whole word against the
    background; the others go to ``Hypothesis.rejected``)."""
    if background is not None:
        background = np.asarray(background, dtype=float)
        if background.shape != (len(X),) or not np.isfinite(background).all():
            raise ValueError(
                f"utterance {utt}: background scores must be {len(X)} finite values, "
                f"got shape {background.shape}"
            )
    log_b = model.mixtures.frame_scores(X)[0]
    if edge_silence:
        _charge_edges(model, log_b, edge_silence)
    try:
        try:
            path = viterbi(graph, log_b, beam)
        except ValueError:
            if not np.isfinite(beam):
                raise
            path = viterbi(graph, log_b)
    except ValueError as exc:
        raise ValueError(f"utterance {utt}: {exc}") from None
    words, _ = path_segments(graph, path)
    if background is None:
        return Hypothesis(utt, words, path.log_prob)
    on_path = log_b[np.arange(len(X)), graph.node_state[path.frame_nodes]]
    fits = [on_path[w.start : w.end].sum() - background[w.start : w.end].sum() for w in words]
    kept = [w for w, f in zip(words, fits, strict=True) if f > reject_margin]
    rejected = [w for w, f in zip(words, fits, strict=True) if not f > reject_margin]
    return Hypothesis(utt, kept, path.log_prob, rejected)


def _charge_edges(model: AcousticModel, log_b: np.ndarray, edge: int) -> None:
    """Charge every state but ``sil``'s on the first and last ``edge`` frames (in place)."""
    if isinstance(edge, bool) or not isinstance(edge, (int, np.integer)) or edge < 0:
        raise ValueError(f"edge_silence must be an integer >= 0, got {edge!r}")
    others = np.ones(log_b.shape[1], dtype=bool)
    others[model.units[SILENCE][0]] = False
    n_frames = len(log_b)
    edges = np.zeros(n_frames, dtype=bool)
    edges[: min(edge, n_frames)] = True
    edges[max(n_frames - edge, 0) :] = True
    log_b[np.ix_(edges, others)] -= EDGE_SILENCE_COST


def recognizer_graph(
    model: AcousticModel,
    network: WordNetwork | None = None,
    lm_scale: float = 1.0,
    insertion_penalty: float = 0.0,
) -> CompositeGraph:
    """The network graph (a word loop over the model's words by default) with the model's
    transitions on its tied arcs."""
    network = network or word_loop(model.words())
    return with_graph_transitions(network_graph(model, network, lm_scale, insertion_penalty), model)
