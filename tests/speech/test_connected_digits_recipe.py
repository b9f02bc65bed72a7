"""The connected-digits recipe end to end on a few takes."""

import json
import subprocess
import sys
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "connected_digits.py"


def test_recipe_runs_and_reports(shared_data, tmp_path):
    out = tmp_path / "out"
    args = [
        "--data-dir",
        shared_data / "fsdd",
        "--out",
        out,
        "--splits",
        "speaker:theo",
        "--takes",
        "4",
        "--n-mix",
        "2",
        "--passes",
        "2",
        "--adapt",
        "10",
    ]
    done = subprocess.run(
        [sys.executable, str(RECIPE), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    (split,) = results["splits"]
    assert split["split"] == "speaker:theo" and split["test_recordings"] == 40
    assert split["counts"]["n_words"] == 40
    assert 0 <= split["wer"] < 60 and 0 <= split["alignment_accuracy"] <= 1
    assert results["loso_mean_wer"] == split["wer"]
    for name in ("report.md", "per_speaker_wer.png", "alignment_example.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "speaker_theo" / "align" / "alignment.ctm").is_file()
    bad = subprocess.run(
        [sys.executable, str(RECIPE), "--data-dir", tmp_path / "none"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert bad.returncode == 1 and "error" in bad.stderr
