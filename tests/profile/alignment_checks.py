"""Comparing alignments of sequences to a profile, column by column."""

from __future__ import annotations

import numpy as np


def match_assignments(rows, reference):
    """Match state (1..M) of every residue of every aligned row; 0 for insert/flank.

    ``reference`` marks match columns with ``x`` (an RF line); a residue counts as
    matched when it stands upper-case in such a column.
    """
    out = []
    for row in rows:
        k, states = 0, []
        for c, r in zip(row, reference, strict=True):
            k += r == "x"
            if c.isalpha():
                states.append(k if (r == "x" and c.isupper()) else 0)
        out.append(np.array(states))
    return out
