"""Shared test fixtures: where the data sets live, a loopback web server for fetching."""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from pathlib import Path

import pytest
from audio_copies import as_wav

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The data folder: $HMMKIT_DATA (laid out as the repository's data/), else data/."""
    env = os.environ.get("HMMKIT_DATA")
    return Path(env) if env else REPO_ROOT / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The data folder (see `data_root`); a test whose data is missing fails."""
    root = data_root()
    if not (root / "fsdd").is_dir() or not (root / "protein").is_dir():
        pytest.fail(
            f"data folder {root} lacks fsdd/ or protein/: the repository's data/ holds them; "
            "HMMKIT_DATA, when set, must name a folder laid out the same way"
        )
    return root


@pytest.fixture(scope="session")
def speech_wav(shared_data, tmp_path_factory) -> Path:
    """A real recording (0_george_0) as a WAV file, decoded from the shipped FLAC."""
    folder = tmp_path_factory.mktemp("speech_wav")
    return as_wav(shared_data / "fsdd/recordings/0_george_0.flac", folder / "0_george_0.wav")


@pytest.fixture
def web_folder(tmp_path):
    """(folder, base URL): a web server on the loopback address serving `folder`."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


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
