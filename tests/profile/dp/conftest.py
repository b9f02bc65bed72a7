"""Fixtures of the DP tests; the profile tests' helpers (tests/profile) are importable here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@pytest.fixture(scope="module")
def pf02826(shared_data):
    """Pfam's PF02826 as HMMER reads it (pyhmmer)."""
    from hmmer_reference import read_hmm

    return read_hmm(shared_data / "protein/pyhmmer/PF02826.hmm")
