"""Lexicon files: Kaldi and CMUdict layouts, alternatives, errors."""

import pytest

from hmmkit.speech.lexicon import MissingWordError, check_transcripts, read_lexicon


def test_reads_alternatives_cmudict_and_probabilities(tmp_path):
    path = tmp_path / "lexicon.txt"
    path.write_text(";;; comment\nZERO Z IH R OW\nZERO(2) Z IY R OW\nONE 1.0 W AH N\n\n")
    lex = read_lexicon(path)
    assert lex.pronunciations("ZERO") == [("Z", "IH", "R", "OW"), ("Z", "IY", "R", "OW")]
    assert lex.pronunciations("ONE") == [("W", "AH", "N")]
    assert lex.phones() == ["AH", "IH", "IY", "N", "OW", "R", "W", "Z"]
    out = tmp_path / "copy.txt"
    lex.write(out)
    assert read_lexicon(out).entries == lex.entries


def test_missing_word_and_bad_lines(tmp_path):
    path = tmp_path / "lexicon.txt"
    path.write_text("ONE W AH N\n")
    lex = read_lexicon(path)
    with pytest.raises(MissingWordError, match=r"text:3 \(utterance u9\): word 'TWO' is not"):
        check_transcripts(lex, [("u9", ["ONE", "TWO"], "text:3")])
    path.write_text("ONE W AH N\nTWO\n")
    with pytest.raises(ValueError, match=r"lexicon.txt:2: word 'TWO' has no phones"):
        read_lexicon(path)
