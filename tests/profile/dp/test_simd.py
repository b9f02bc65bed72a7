"""The striped layout of per-node scores the striped filters' vector rows read."""

from __future__ import annotations

import numpy as np

from hmmkit.profile.dp.simd import striped


def test_striped_rows_hold_each_node_once_in_hmmers_order():
    scores = np.arange(3 * 41, dtype=np.int64).reshape(3, 41)  # M = 40
    Q, rows = striped(scores, 16, -32768, np.int16)
    assert Q == 3 and rows.shape == (3, 48) and rows.dtype == np.int16
    assert rows.flags.c_contiguous  # the vector kernels walk the rows in C order
    nodes = (np.arange(Q)[:, None] + Q * np.arange(16)[None, :] + 1).ravel()
    inside = nodes <= 40
    assert np.array_equal(rows[:, inside], scores[:, nodes[inside]])
    assert (rows[:, ~inside] == -32768).all()
    assert rows[0, 1] == scores[0, 4]  # vector 0, lane 1: node 0 + 3*1 + 1
    Q, rows = striped(scores[:, :2], 16, 255, np.uint8)  # one node: one vector
    assert Q == 1 and list(rows[1]) == [scores[1, 1]] + [255] * 15
