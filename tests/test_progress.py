"""Progress of ``hmmkit fit``/``adapt``: a line per EM iteration with --verbose, a bar on a
terminal only, nothing in a log file."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import numpy as np
import pytest
from factories import make_model, sample_sequences

from hmmkit.progress import em_progress
from hmmkit.training.monitor import ConvergenceMonitor, observe_iterations

HMMKIT = [sys.executable, "-m", "hmmkit"]
LINE = re.compile(
    r"^hmmkit (fit|adapt): iteration (\d+)/(\d+)  log-likelihood (-?[\d.]+)"
    r"(?:  gain ([+-][\d.e+-]+))?  ([\d.]+) s$"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    truth = make_model("gaussian", "diag", np.random.default_rng(0), n_states=3, n_features=2)
    folder = tmp_path_factory.mktemp("progress") / "feats"
    folder.mkdir()
    for i, x in enumerate(sample_sequences(truth, [40, 25, 60, 33, 50], seed=1)):
        np.save(folder / f"utt{i}.npy", x)
    return folder


def fit_args(corpus, out) -> list[str]:
    return ["fit", str(out), str(corpus), "-K", "3", "--iter", "4", "--tol=-inf"]


def test_verbose_prints_every_iteration_with_its_gain_and_time(corpus, tmp_path):
    done = subprocess.run([*HMMKIT, *fit_args(corpus, tmp_path / "m.npz"), "--verbose"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    rows = [LINE.match(line) for line in done.stderr.splitlines()]
    assert all(rows) and len(rows) == 4, done.stderr
    assert [int(r[2]) for r in rows] == [1, 2, 3, 4] and {r[3] for r in rows} == {"4"}
    ll = [float(r[4]) for r in rows]
    assert rows[0][5] is None
    np.testing.assert_allclose([float(r[5]) for r in rows[1:]], np.diff(ll), rtol=1e-5)
    assert all(float(r[6]) >= 0 for r in rows)
    assert f"log-likelihood {ll[-1]:.6f}" in done.stdout  # the summary's, the last iteration's

    done = subprocess.run([*HMMKIT, "adapt", str(tmp_path / "m.npz"), str(tmp_path / "a.npz"),
                           str(corpus), "--iter", "2", "--tol=-inf", "-v"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    rows = [LINE.match(line) for line in done.stderr.splitlines()]
    assert all(rows) and [(r[1], r[2]) for r in rows] == [("adapt", "1"), ("adapt", "2")]


def test_no_bar_and_no_progress_when_stderr_is_not_a_terminal(corpus, tmp_path):
    done = subprocess.run([*HMMKIT, *fit_args(corpus, tmp_path / "m.npz")],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stderr == ""
    assert done.stdout.startswith("# gaussian, 3 states")


def test_a_bar_on_a_terminal(corpus, tmp_path):
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    run = subprocess.Popen([*HMMKIT, *fit_args(corpus, tmp_path / "m.npz")],
                           stdout=subprocess.PIPE, stderr=terminal)  # fmt: skip
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert run.wait(timeout=300) == 0
    text = shown.decode()
    assert "\r" in text and "hmmkit fit:   0%" in text and "/4 [" in text  # iterations: 4


def test_verbose_marks_each_new_initialisation():
    stream = io.StringIO()
    with em_progress("hmmkit fit", True, stream):
        for _ in range(2):  # two initialisations of two iterations
            monitor = ConvergenceMonitor(tol=-np.inf, n_iter=2)
            monitor.report(-10.0)
            monitor.report(-9.5)
    lines = stream.getvalue().splitlines()
    assert lines[2] == "hmmkit fit: initialisation 2" and len(lines) == 5
    assert lines[1].startswith("hmmkit fit: iteration 2/2  log-likelihood -9.500000  gain +0.5")


def test_observers_see_every_report_only_inside_their_block():
    seen = []
    monitor = ConvergenceMonitor(n_iter=5)
    with observe_iterations(seen.append):
        monitor.report(-3.0)
        monitor.report(-2.0, passes=2)
    monitor.report(-1.5)
    assert [(r.iteration, r.log_likelihood, r.n_iter) for r in seen] == [(1, -3.0, 5), (2, -2.0, 5)]
    assert np.isnan(seen[0].gain) and seen[1].gain == 1.0 and monitor.history == [-3, -2, -1.5]
