"""GraphBuilder: a unit's nodes, arcs and labels are those its matrix spells out."""

import numpy as np
import pytest

from hmmkit.composite import GraphBuilder, UnitModel


def _unit(offset):
    transp = np.array(
        [
            [0.0, 0.7, 0.0, 0.3],
            [0.0, 0.5, 0.4, 0.1],
            [0.0, 0.0, 0.9, 0.1],
            [0.0, 0.0, 0.0, 0.0],
        ]
    )
    return UnitModel("w", np.array([5, 2]), transp, offset)


@pytest.mark.parametrize("offset", [None, 7])
@pytest.mark.parametrize("state_labels", [False, True])
def test_unit_nodes_arcs_and_labels_follow_its_matrix(offset, state_labels):
    unit = _unit(offset)
    g = GraphBuilder()
    lead = g.node(label="lead")
    entry, exit_ = g.unit(unit, label="w0", state_labels=state_labels)
    again = g.unit(unit)  # a second occurrence gets nodes of its own
    g.arc(lead, entry)
    g.arc(exit_, again[0])
    graph = g.build(lead, again[1])

    assert (entry, exit_) == (1, 4) and again == (5, 8)
    assert graph.node_state.tolist() == [-1, -1, 5, 2, -1, -1, 5, 2, -1]
    expected = {(lead, entry, 0.0, -1), (exit_, again[0], 0.0, -1)}
    for first in (entry, again[0]):
        for i in range(4):
            for j in range(4):
                if unit.transp[i, j] > 0:
                    tie = -1 if offset is None else offset + 4 * i + j
                    expected.add((first + i, first + j, np.log(unit.transp[i, j]), tie))
    arcs = zip(graph.arc_src, graph.arc_dst, graph.arc_logw, graph.arc_tie, strict=True)
    assert {(int(s), int(d), float(w), int(t)) for s, d, w, t in arcs} == expected
    labels = {lead: "lead", entry: "w0"}
    if state_labels:
        labels.update({entry + 1: ("w0", 0), entry + 2: ("w0", 1)})
    assert graph.labels == labels
    assert np.all(graph.node_state[graph.arc_dst[: graph.n_timed]] >= 0)
    assert np.all(graph.node_state[graph.arc_dst[graph.n_timed :]] < 0)


def test_unit_matrices_are_checked():
    bad = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, -0.5], [0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=">= 0"):
        UnitModel("w", np.array([0]), bad)
    with pytest.raises(ValueError, match="no arc may enter state 0"):
        UnitModel("w", np.array([0]), np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 0, 0.0]]))
    with pytest.raises(ValueError, match="transp must be"):
        UnitModel("w", np.array([0, 1]), np.eye(3))
