"""WER scoring against hand-counted HResults cases and a brute-force edit distance."""

import itertools
import json

import numpy as np
import pytest

from hmmkit.cli import main
from hmmkit.speech.scoring import align_words, count_pairs, score


def _brute_min_cost(ref, hyp):
    """Minimum cost over every alignment, by enumerating which words pair up."""
    best = np.inf
    for k in range(min(len(ref), len(hyp)) + 1):
        for rs in itertools.combinations(range(len(ref)), k):
            for hs in itertools.combinations(range(len(hyp)), k):
                subs = sum(ref[i] != hyp[j] for i, j in zip(rs, hs, strict=True))
                cost = 10 * subs + 7 * (len(ref) - k) + 7 * (len(hyp) - k)
                best = min(best, cost)
    return best


def test_alignment_is_minimal_cost():
    rng = np.random.default_rng(0)
    for _ in range(60):
        ref = list(rng.choice(list("abc"), size=rng.integers(0, 5)))
        hyp = list(rng.choice(list("abc"), size=rng.integers(0, 5)))
        c = count_pairs(align_words(ref, hyp))
        cost = 10 * c.substitutions + 7 * (c.deletions + c.insertions)
        assert cost == _brute_min_cost(ref, hyp)
        assert c.n_words == len(ref)


def test_counts_and_rates():
    report = score(
        {"s1-a": "1 2 3 4".split(), "s1-b": "5 6".split(), "s2-a": "7".split()},
        {"s1-a": "1 9 3 4 4".split(), "s1-b": ["5"]},
    )
    s = report.overall.summary()
    assert (s["hits"], s["substitutions"], s["deletions"], s["insertions"], s["n_words"]) == (
        4,
        1,
        2,
        1,
        7,
    )
    assert s["corr"] == pytest.approx(400 / 7)
    assert s["acc"] == pytest.approx(300 / 7)
    assert s["wer"] == pytest.approx(400 / 7)
    assert report.speakers["s2"].deletions == 1
    text = report.text()
    assert "WORD: %Corr=57.14, Acc=42.86 [H=4, D=2, S=1, I=1, N=7]" in text
    assert " HYP: 1 9 3 4 4" in text and " HYP: 5 *" in text
    with pytest.raises(ValueError, match="no reference"):
        score({"a": ["1"]}, {"b": ["1"]})


def test_score_command(tmp_path, capsys):
    (tmp_path / "ref").write_text("u1 one two\nu2 three\n")
    (tmp_path / "hyp").write_text("u1 one\nu2 three\n")
    assert main(["asr", "score", str(tmp_path / "ref"), str(tmp_path / "hyp"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["overall"]["deletions"] == 1 and out["overall"]["wer"] == pytest.approx(100 / 3)
    assert out["utterances"]["u1"]["pairs"] == [["one", "one"], ["two", None]]
