"""CTM files: times read back to the millisecond; errors name the file and line."""

import numpy as np
import pytest

from hmmkit.speech.ctm import read_ctm, write_ctm


def test_times_read_back_to_the_millisecond(tmp_path):
    # boundaries between 10 ms frames with 25 ms windows lie at 7.5 ms past the 10 ms grid
    rng = np.random.default_rng(0)
    cuts = np.cumsum(rng.integers(1, 60, size=40)) * 0.01 + 0.0075
    pairs = zip(cuts[:-1], cuts[1:], strict=True)
    words = [(f"w{i}", float(a), float(b)) for i, (a, b) in enumerate(pairs)]
    write_ctm(tmp_path / "a.ctm", [("u", words)])
    back = read_ctm(tmp_path / "a.ctm")["u"]
    assert [w for w, _, _ in back] == [w for w, _, _ in words]
    for (_, a, b), (_, a2, b2) in zip(words, back, strict=True):
        assert abs(a2 - a) <= 0.0005 + 1e-9 and abs(b2 - b) <= 0.0005 + 1e-9
    # consecutive words share their boundary exactly once read back
    assert all(back[i][2] == pytest.approx(back[i + 1][1], abs=1e-9) for i in range(len(back) - 1))


def test_a_short_line_names_the_file_and_line(tmp_path):
    (tmp_path / "b.ctm").write_text("u 1 0.100 0.200 x\nu 1 0.3\n")
    with pytest.raises(ValueError, match=r"b.ctm:2: a CTM line needs 5 fields"):
        read_ctm(tmp_path / "b.ctm")
