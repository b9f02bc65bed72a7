"""Fixtures shared by the speech tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def fsdd_file(shared_data):
    """One recording of the embedded spoken-digit data (theo saying "three")."""
    return shared_data / "fsdd" / "recordings" / "3_theo_7.flac"
