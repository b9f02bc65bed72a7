"""The connected-digits recipe end to end on a few takes."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hmmkit.speech import corpus

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "connected_digits.py"


def _recipe_module():
    spec = importlib.util.spec_from_file_location("connected_digits", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_development_fold_lies_inside_the_training_side(shared_data):
    recipe = _recipe_module()
    utts = [u for u in corpus.list_recordings(shared_data / "fsdd") if u.index < 12]
    for name in ("official", "speaker:lucas"):
        train, test = corpus.split(utts, name)
        inner, dev = recipe.development_fold(name, train)
        assert sorted(map(id, inner + dev)) == sorted(map(id, train))
        assert not {u.path for u in inner + dev} & {u.path for u in test}
        if name == "official":  # takes 5-9 develop, 10-11 train
            assert {u.index for u in dev} == {5, 6, 7, 8, 9}
            assert {u.index for u in inner} == {10, 11}
        else:  # an unseen speaker of the training side
            assert {u.speaker for u in dev} == {"george"}
            assert {u.speaker for u in inner} == {"jackson", "nicolas", "theo"}
    assert recipe.penalty_list("-10, -20") == (-10.0, -20.0)


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
        "--tune-penalty=-5,-15",
        "--align-n-mix",
        "1,2",
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
    # the penalty is chosen on the training side's development speaker, never on theo
    assert set(split["tuning_wer"]) == {"-5.0", "-15.0"}
    best = min(split["tuning_wer"].values())
    assert split["tuning_wer"][str(split["word_penalty"])] == best
    # so is the alignment model's number of Gaussians (1: kept on the way to 2)
    scores = split["tuning_alignment"]
    assert set(scores) == {"1", "2"} and scores[str(split["align_n_mix"])] == max(scores.values())
    # the alignment models are trained on their own, leaning towards the known cores
    tune = out / "speaker_theo" / "tune"
    assert (tune / "align_model_1mix" / "hmmdefs.mmf").is_file()
    assert not (tune / "model_1mix").exists() and (tune / "model" / "hmmdefs.mmf").is_file()
    assert (tune / "train" / "word_times_core_gaps.ctm").is_file()
    trained = json.loads((tune / "align_model_2mix" / "training.json").read_text())["config"]
    assert trained["silent_gaps"] and trained["mark_penalty"] == 5.0
    assert "Alignment model: time marks core+gaps at 5 nats" in (out / "report.md").read_text()
    dev_speakers = (out / "speaker_theo" / "tune" / "dev" / "utt2spk").read_text().split()[1::2]
    assert set(dev_speakers) == {"george"}
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


def test_adaptation_weights_must_not_be_negative(capsys):
    recipe = _recipe_module()
    parser = recipe.build_parser()
    assert parser.parse_args([]).align_adapt == 10.0
    assert parser.parse_args([]).align_n_mix == (2, 4, 8)
    assert parser.parse_args(["--align-n-mix", "4"]).align_n_mix == (4,)
    defaults = parser.parse_args([])
    assert (defaults.align_time_marks, defaults.align_mark_penalty) == ("core+gaps", 5.0)
    assert (defaults.time_marks, defaults.mark_penalty) == ("none", 1000.0)
    assert defaults.align_half_step
    assert not parser.parse_args(["--no-align-half-step"]).align_half_step
    for flag in ("--mark-penalty", "--align-mark-penalty"):
        for bad in ("0", "-1", "x"):
            with pytest.raises(SystemExit):
                parser.parse_args([flag, bad])
    for bad in ("0", "", "2,x"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--align-n-mix", bad])
    assert parser.parse_args(["--align-adapt", "0", "--adapt", "0"]).align_adapt == 0.0
    for flag in ("--align-adapt", "--adapt"):
        for bad in ("-1", "x"):
            with pytest.raises(SystemExit) as exit_:
                parser.parse_args([flag, bad])
            assert exit_.value.code == 2
            assert flag in capsys.readouterr().err
    assert parser.parse_args([]).adapt_rounds == 4
    for bad in ("0", "1.5"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--adapt-rounds", bad])
        assert "--adapt-rounds" in capsys.readouterr().err


def test_features_equalised_and_the_ends_kept_for_sil_by_default():
    parser = _recipe_module().build_parser()
    args = parser.parse_args([])
    assert args.equalise and args.edge_silence == 13 and args.background_mix == 16
    assert parser.parse_args(["--background-mix", "0"]).background_mix == 0
    assert not parser.parse_args(["--no-equalise"]).equalise
    assert parser.parse_args(["--edge-silence", "0"]).edge_silence == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["--edge-silence", "-1"])
