"""Composite HMMs: graphs of unit models with tied parameters, and sparse (arc-list) DP."""

from .dp import GraphPath, GraphPosteriors, forward_backward, forward_log_likelihood, viterbi
from .graph import NON_EMITTING, CompositeGraph, GraphBuilder, UnitModel

__all__ = [
    "NON_EMITTING",
    "CompositeGraph",
    "GraphBuilder",
    "GraphPath",
    "GraphPosteriors",
    "UnitModel",
    "forward_backward",
    "forward_log_likelihood",
    "viterbi",
]
