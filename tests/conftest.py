"""Shared test fixtures: where the real data sets live."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The real-data folder: $HMMKIT_DATA, else ../shared/data beside the repository."""
    env = os.environ.get("HMMKIT_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; fails under CI=true when it is missing, else skips."""
    root = data_root()
    if not root.is_dir():
        message = f"real data folder {root} is missing (set HMMKIT_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return root


def pytest_addoption(parser):
    parser.addoption(
        "--write-catalogue",
        action="store_true",
        help="regenerate docs/robustness.md from the robustness tests",
    )


#: Tests skipped in this session (a missing test dependency, say); under CI=true they fail it.
_SKIPPED: list[str] = []


def _note_skip(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(report.nodeid)


def pytest_collectreport(report):
    _note_skip(report)


def pytest_runtest_logreport(report):
    _note_skip(report)


def pytest_sessionfinish(session, exitstatus):
    """Under CI=true a skipped test fails the run; with --write-catalogue, write what the
    robustness tests recorded (when all passed)."""
    if _SKIPPED and os.environ.get("CI", "").lower() == "true":
        print(f"\nCI: {len(_SKIPPED)} tests were skipped, e.g. {_SKIPPED[0]}; failing the run")
        session.exitstatus = 1
    catalogue = sys.modules.get("catalogue")
    if session.config.getoption("--write-catalogue") and catalogue and exitstatus == 0:
        catalogue.write_catalogue()
