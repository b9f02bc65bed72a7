"""Token-passing decoding against exhaustive search over word strings; ARPA and JSGF."""

import itertools
import math

import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.composite import viterbi
from hmmkit.speech.arpa import read_arpa
from hmmkit.speech.decoder import bigram_network, decode, recognizer_graph, word_loop
from hmmkit.speech.grammar import grammar_graph, read_jsgf

ARPA = """\\data\\
ngram 1=4
ngram 2=3

\\1-grams:
-0.5 </s>
-99 <s> -0.3
-0.4 a -0.2
-0.6 b -0.1

\\2-grams:
-0.1 <s> b
-0.7 a a
-0.2 b </s>

\\end\\
"""


def _exhaustive(model, X, network, lm_scale, penalty, max_words):
    """Best word string by scoring every string with its own forced alignment."""
    log_b = model.mixtures.frame_scores(X)[0]
    best = (-math.inf, None)
    for n in range(1, max_words + 1):
        for words in itertools.product(network.words, repeat=n):
            lm = network.initial[words[0]] + network.final[words[-1]]
            lm += sum(network.successors[u][v] for u, v in itertools.pairwise(words))
            try:
                acoustic = viterbi(model.transcript_graph(words), log_b).log_prob
            except ValueError:
                continue
            total = acoustic + lm_scale * lm + penalty * n
            best = max(best, (total, words))
    return best


@pytest.mark.parametrize(
    ("seed", "use_lm", "lm_scale", "penalty"),
    [(0, False, 1.0, 0.0), (1, False, 1.0, -3.0), (2, True, 2.0, 1.0), (3, True, 0.5, -1.0)],
)
def test_decoding_equals_exhaustive_search(tmp_path, seed, use_lm, lm_scale, penalty):
    model = tiny_model(seed)
    rng = np.random.default_rng(seed + 10)
    n_frames = 9
    X = rng.normal(size=(n_frames, 3)) * 2
    if use_lm:
        (tmp_path / "lm.arpa").write_text(ARPA)
        network = bigram_network(read_arpa(tmp_path / "lm.arpa"), model.words())
    else:
        network = word_loop(model.words())
    score, words = _exhaustive(model, X, network, lm_scale, penalty, n_frames - 4)
    graph = recognizer_graph(model, network, lm_scale, penalty)
    hyp = decode(model, graph, "u", X)
    assert hyp.log_score == pytest.approx(score, rel=1e-10)
    assert tuple(s.token for s in hyp.words) == words
    spans = [(s.start, s.end) for s in hyp.words]
    assert all(a < b for a, b in spans) and all(
        b <= c for (_, b), (c, _) in zip(spans, spans[1:], strict=False)
    )


def test_arpa_back_off(tmp_path):
    (tmp_path / "lm.arpa").write_text(ARPA)
    lm = read_arpa(tmp_path / "lm.arpa")
    ln10 = math.log(10)
    assert lm.log_prob("b", "<s>") == pytest.approx(-0.1 * ln10)
    assert lm.log_prob("b", "a") == pytest.approx((-0.2 - 0.6) * ln10)
    (tmp_path / "bad.arpa").write_text(ARPA.replace("-0.7 a a", "-0.7 a"))
    with pytest.raises(ValueError, match=r"bad.arpa:13: malformed"):
        read_arpa(tmp_path / "bad.arpa")
    with pytest.raises(ValueError, match="not in the language model"):
        bigram_network(lm, ["a", "c"])


def test_grammar_restricts_the_strings(tmp_path):
    model = tiny_model(4)
    (tmp_path / "g.jsgf").write_text(
        "#JSGF V1.0;\ngrammar digits;\n// two or more\n<w> = a | b;\npublic <s> = b <w>+ [a];\n"
    )
    graph = grammar_graph(model, read_jsgf(tmp_path / "g.jsgf"))
    rng = np.random.default_rng(0)
    for _ in range(5):
        X = rng.normal(size=(12, 3)) * 2
        words = [s.token for s in decode(model, graph, "u", X).words]
        assert words[0] == "b" and len(words) >= 2
    (tmp_path / "bad.jsgf").write_text("public <s> = a <missing>;")
    with pytest.raises(ValueError, match="rule <missing> is not defined"):
        grammar_graph(model, read_jsgf(tmp_path / "bad.jsgf"))
    (tmp_path / "bad.jsgf").write_text("public <s> = a {tag};")
    with pytest.raises(ValueError, match="not supported"):
        read_jsgf(tmp_path / "bad.jsgf")


def test_a_beam_that_prunes_every_ending_path_falls_back_to_the_full_search():
    model = tiny_model(4)
    graph = recognizer_graph(model, insertion_penalty=-1.0)
    rng = np.random.default_rng(7)
    pruned_away = 0
    for _ in range(6):
        X = rng.normal(size=(int(rng.integers(8, 20)), 3)) * 2
        log_b = model.mixtures.frame_scores(X)[0]
        try:
            viterbi(graph, log_b, 1e-9)
        except ValueError:
            pruned_away += 1
        full = decode(model, graph, "u", X)
        narrow = decode(model, graph, "u", X, beam=1e-9)
        assert narrow.words == full.words and narrow.log_score == pytest.approx(full.log_score)
    assert pruned_away > 0  # the fallback was needed at least once


def test_edge_silence_keeps_the_utterance_ends_for_sil():
    model = tiny_model(5)
    graph = recognizer_graph(model, insertion_penalty=2.0)
    rng = np.random.default_rng(3)
    edge = 3
    moved = 0
    for _ in range(8):
        X = rng.normal(size=(int(rng.integers(12, 20)), 3)) * 2
        free = decode(model, graph, "u", X)
        kept = decode(model, graph, "u", X, edge_silence=edge)
        assert kept.words and kept.words[0].start >= edge
        assert kept.words[-1].end <= len(X) - edge
        assert kept.log_score <= free.log_score + 1e-9
        moved += kept.words != free.words
        assert decode(model, graph, "u", X, edge_silence=0) == free
    assert moved > 0  # the free path used the edges at least once
    with pytest.raises(ValueError, match="edge_silence"):
        decode(model, graph, "u", X, edge_silence=-1)


def test_words_that_do_not_beat_the_background_are_rejected():
    """A word of the best path is kept only when its frames' emission scores along the
    path exceed the background's by more than the margin; the path itself is unchanged."""
    model = tiny_model(5)
    graph = recognizer_graph(model, insertion_penalty=2.0)
    rng = np.random.default_rng(4)
    for _ in range(6):
        X = rng.normal(size=(int(rng.integers(12, 20)), 3)) * 2
        free = decode(model, graph, "u", X)
        log_b = model.mixtures.frame_scores(X)[0]
        path = viterbi(graph, log_b)
        on_path = log_b[np.arange(len(X)), graph.node_state[path.frame_nodes]]
        far = np.full(len(X), -1e6)
        assert decode(model, graph, "u", X, background=far).words == free.words
        background = on_path - rng.uniform(-1, 1, size=len(X))
        margin = 0.5
        hyp = decode(model, graph, "u", X, background=background, reject_margin=margin)
        assert hyp.log_score == free.log_score
        fits = {(w.start, w.end): (on_path - background)[w.start : w.end].sum() for w in free.words}
        assert [w for w in free.words if fits[(w.start, w.end)] > margin] == hyp.words
        assert [w for w in free.words if not fits[(w.start, w.end)] > margin] == hyp.rejected
    with pytest.raises(ValueError, match="background scores must be"):
        decode(model, graph, "u", X, background=np.zeros(len(X) + 1))
    with pytest.raises(ValueError, match="background scores must be"):
        decode(model, graph, "u", X, background=np.full(len(X), np.nan))
