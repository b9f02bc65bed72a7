"""The spoken-digits recipe end to end: command line, outputs, errors, and the official split."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPE = REPO_ROOT / "recipes" / "spoken_digits.py"
FAST = ["--states", "3", "--mix", "2", "--iters", "4", "--split-iters", "2", "--quiet"]


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, str(RECIPE), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def small_data(shared_data, tmp_path_factory):
    """2 speakers x 3 digits x 10 takes, copied from the embedded recordings."""
    root = tmp_path_factory.mktemp("fsdd_small")
    folder = root / "recordings"
    folder.mkdir()
    for speaker in ("jackson", "theo"):
        for digit in range(3):
            for take in range(10):
                name = f"{digit}_{speaker}_{take}.flac"
                shutil.copy(shared_data / "fsdd" / "recordings" / name, folder / name)
    return root


def snapshot(folder):
    return {p.name: p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_help_lists_the_options():
    done = run("--help")
    assert done.returncode == 0
    for option in ("--data-dir", "--split", "--out", "all-speakers", "--ablations"):
        assert option in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "random"], "--split must be"),
        (["--split", "speaker:nobody"], "unknown speaker 'nobody'"),
        (["--states", "0"], "n_states"),
        (["--normalise", "global"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_nonzero_with_one_line(small_data, tmp_path, args, message):
    done = run("--data-dir", small_data, "--out", tmp_path / "out", *args, "--quiet")
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_missing_data_exits_with_one_line(tmp_path):
    done = run("--data-dir", tmp_path / "nowhere", "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 1
    assert "does not exist" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    env = {"HMMKIT_DATA": str(tmp_path / "none"), "HMMKIT_CACHE": str(tmp_path / "cache")}
    done = run("--out", tmp_path / "out", "--quiet", env=env)
    assert done.returncode == 1 and "--download" in done.stderr


def test_default_data_is_found_from_an_installed_copy(shared_data, tmp_path):
    """The main command runs the recipe against an installed hmmkit, not the checkout."""
    site = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_ROOT / "hmmkit", site / "hmmkit", ignore=ignore)
    code = (
        "import sys; sys.path[:0] = sys.argv[1:3]\n"
        "import spoken_digits as recipe\n"
        "from hmmkit.speech import corpus\n"
        "assert corpus.__file__.startswith(sys.argv[1]), corpus.__file__\n"
        "print(recipe.find_data(recipe.build_parser().parse_args(['--quiet'])))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(site), str(RECIPE.parent)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).resolve() == (shared_data / "fsdd").resolve()


def test_refuses_to_write_into_the_data_folder(small_data):
    done = run("--data-dir", small_data, "--out", small_data / "out", "--quiet")
    assert done.returncode == 2 and "inside the data folder" in done.stderr


def test_all_speakers_on_a_small_set_writes_every_output(small_data, tmp_path):
    before = snapshot(small_data)
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    common = ["--data-dir", small_data, "--cache-dir", cache, *FAST]
    done = run(*common, "--split", "all-speakers", "--out", out)
    assert done.returncode == 0, done.stderr
    assert snapshot(small_data) == before
    results = json.loads((out / "results.json").read_text())
    assert results["labels"] == ["0", "1", "2"]
    assert set(results["splits"]) == {"speaker:jackson", "speaker:theo"}
    for run_ in results["splits"].values():
        assert (run_["n_train"], run_["n_test"]) == (30, 30)
        assert sum(map(sum, run_["confusion_matrix"])) == 30
        assert run_["nan_or_inf_scores"] == 0
    mean = sum(r["accuracy"] for r in results["splits"].values()) / 2
    assert results["accuracy"] == pytest.approx(mean)
    assert 0.5 < results["accuracy"] <= 1.0
    assert set(results["per_class_accuracy"]) == {"0", "1", "2"}
    assert {"features_s", "training_s", "recognition_s"} <= set(results["timings"])
    assert results["configuration"]["training"]["n_states"] == 3
    assert results["configuration"]["data_dir"] == str(small_data)
    report = (out / "report.md").read_text()
    assert "## What gained accuracy" in report and "speaker:theo" in report
    assert "the recipe's defaults, as recorded" in report  # not "this run's settings"
    assert "this run's settings" not in report
    assert "settings than this run's: they are not this run's numbers" in report
    for png in ("confusion.png", "loglik.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "mean accuracy" in done.stdout

    # A second run reads every feature from the cache: one file of the 60 recordings.
    entries = snapshot(cache)
    assert len(entries) == 1
    with np.load(cache / next(iter(entries)), allow_pickle=False) as pack:
        assert len(set(pack["keys"].tolist())) == 60
    done = run(*common, "--split", "official", "--out", tmp_path / "again")
    assert done.returncode == 0, done.stderr
    assert snapshot(cache) == entries
    official = json.loads((tmp_path / "again" / "results.json").read_text())
    assert (official["n_train"], official["n_test"]) == (30, 30)
    assert official["accuracy"] >= 0.9
    report = (tmp_path / "again" / "report.md").read_text()
    assert "measured on split `all-speakers` (this run: `official`" in report


@pytest.mark.slow
def test_official_split_reaches_the_target(shared_data, tmp_path):
    """The full official split with the recipe's defaults (a few minutes on 2 cores)."""
    out = tmp_path / "official"
    done = run(
        "--data-dir", shared_data / "fsdd", "--out", out, "--cache-dir", tmp_path / "c", "--quiet"
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    assert (results["n_train"], results["n_test"]) == (2250, 250)
    assert results["nan_or_inf_scores"] == 0
    assert results["accuracy"] >= 0.995


def test_hmmkit_recognize_trains_tests_and_recognises_files(small_data, tmp_path, capsys):
    from hmmkit.cli import main

    models = tmp_path / "models"
    fast = ["--states", "3", "--mix", "2", "--iters", "3", "--split-iters", "2", "--quiet"]
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert (
        main(["recognize", "train", str(small_data), "--models", str(models), *fast, *cache]) == 0
    )
    assert (models / "recognizer.json").is_file()
    assert main(["recognize", "test", str(small_data), "--models", str(models), *cache]) == 0
    assert "accuracy" in capsys.readouterr().out
    flacs = [small_data / "recordings" / f"{d}_theo_{d}.flac" for d in range(3)]
    assert (
        main(["recognize", "files", "--models", str(models), "--nbest", "2", *map(str, flacs)]) == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for digit, line in enumerate(lines):
        path, best, ranked = line.split("\t")
        assert path.endswith(f"{digit}_theo_{digit}.flac") and best == str(digit)
        assert len(ranked.split()) == 2
    assert main(["recognize", "test", str(small_data), "--models", str(tmp_path / "none")]) == 1


def test_recognize_keeps_the_training_rate_and_reports_short_or_hidden_files(
    small_data, tmp_path, capsys
):
    """The models store the training sample rate, so a 16 kHz copy of a recording is
    resampled and recognised as the original; a test file too short for every model is
    an error, not the first word; macOS '._' companions are not recordings."""
    import json

    import soundfile

    from hmmkit.cli import main
    from hmmkit.speech.features import resample

    data = tmp_path / "data"
    shutil.copytree(small_data, data)
    (data / "recordings" / "._0_theo_3.wav").write_bytes(b"\x00\x05\x16\x07 not audio")
    models = tmp_path / "models"
    fast = ["--states", "3", "--mix", "2", "--iters", "3", "--split-iters", "2", "--quiet"]
    assert (
        main(["recognize", "train", str(data), "--models", str(models), *fast, "--no-cache"]) == 0
    )
    index = json.loads((models / "recognizer.json").read_text())
    assert index["features"]["samplerate"] == 8000 and sorted(index["words"]) == ["0", "1", "2"]
    capsys.readouterr()
    original = data / "recordings" / "2_theo_1.flac"
    signal, rate = soundfile.read(original, dtype="float64")
    upsampled = tmp_path / "2_theo_1_16k.wav"
    soundfile.write(upsampled, resample(signal, rate, 16000), 16000, subtype="PCM_16")
    assert main(["recognize", "files", "--models", str(models), str(original), str(upsampled)]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    assert lines[0][1] == lines[1][1] == "2"
    soundfile.write(data / "recordings" / "0_theo_99.wav", np.zeros(250, dtype=np.int16), 8000)
    assert main(["recognize", "test", str(data), "--models", str(models), "--split", "all",
                 "--no-cache", "--quiet"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "1 recording(s) too short for every word model, counted as errors" in out
    assert "0_theo_99.wav" in out and "/61)" in out
