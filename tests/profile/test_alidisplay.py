"""The alignment display's block width, as HMMER's p7_alidisplay_Print sets it."""

from __future__ import annotations

from hmmkit.profile.alidisplay import alignment_width


def test_alignment_width_fills_the_line_but_keeps_40_columns():
    # what the names and coordinates leave of the line: 120 - 27 - 2 x 3 - 5
    assert alignment_width(300, 120, 27, 3) == 82
    # long names leave 29 columns: a longer alignment still gets blocks of 40
    assert alignment_width(300, 120, 80, 3) == 40
    # ... but an alignment that fits in what is left is one block of that width
    assert alignment_width(20, 120, 80, 3) == 29
    # --notextw: the whole alignment in one block
    assert alignment_width(300, 0, 27, 3) == 300
