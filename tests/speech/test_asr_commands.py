"""`hmmkit asr train|align|decode|score` end to end on connected FSDD digits."""

import copy
import json
from pathlib import Path

import pytest

from hmmkit.cli import main
from hmmkit.speech.corpus import list_recordings
from hmmkit.speech.ctm import read_ctm
from hmmkit.speech.digit_strings import DIGITS_LEXICON, alignment_accuracy, build_digit_strings
from hmmkit.speech.lexicon import Lexicon


@pytest.fixture(scope="module")
def trained(shared_data, tmp_path_factory):
    recs = [r for r in list_recordings(shared_data / "fsdd") if r.index in (10, 11, 12)]
    root = tmp_path_factory.mktemp("asr")
    spans = build_digit_strings(recs, root / "data", seed=2)
    args = ["asr", "train", str(root / "data"), str(root / "model"), "--n-mix", "2"]
    options = ["--passes", "3", "--jobs", "2", "--short-pause", "silence", "--viterbi", "all"]
    assert main([*args, *options, "--quiet", "--stage-dir", "1", str(root / "model1")]) == 0
    return root, spans


def test_a_kept_stage_is_the_model_trained_to_that_stage(trained, tmp_path, capsys):
    """`--stage-dir 1 DIR` on the way to 2 Gaussians saves what `--n-mix 1` trains."""
    root, _ = trained
    args = ["asr", "train", str(root / "data"), str(tmp_path / "one"), "--n-mix", "1"]
    options = ["--passes", "3", "--jobs", "2", "--short-pause", "silence", "--viterbi", "all"]
    assert main([*args, *options, "--quiet"]) == 0
    kept = (root / "model1" / "hmmdefs.mmf").read_text()
    assert kept == (tmp_path / "one" / "hmmdefs.mmf").read_text()
    assert kept != (root / "model" / "hmmdefs.mmf").read_text()
    config = json.loads((root / "model1" / "training.json").read_text())["config"]
    assert config["n_mix"] == 1
    capsys.readouterr()
    bad = ["--n-mix", "2", "--stage-dir", "4", str(tmp_path / "four"), "--quiet"]
    assert main([*args[:3], str(tmp_path / "m"), *bad]) == 1
    assert "no training stage has 4 Gaussians per state (the stages: [1, 2])" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "m").exists() and not (tmp_path / "four").exists()


def test_train_options_reach_the_training(trained):
    root, _ = trained
    config = json.loads((root / "model" / "training.json").read_text())["config"]
    assert (config["short_pause"], config["hard"], config["n_mix"]) == ("silence", "all", 2)


def test_train_decode_score(trained, capsys):
    root, _ = trained
    assert {p.name for p in (root / "model").iterdir()} >= {"hmmdefs.mmf", "model.json"}
    assert (
        main(
            [
                "asr",
                "decode",
                str(root / "model"),
                str(root / "data"),
                str(root / "dec"),
                "--word-penalty",
                "-10",
            ]
        )
        == 0
    )
    assert (root / "dec" / "hyp.ctm").is_file()
    capsys.readouterr()
    assert (
        main(["asr", "score", str(root / "data" / "text"), str(root / "dec" / "text"), "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["n_words"] == 150
    assert report["overall"]["wer"] < 15.0  # training strings, small models
    assert set(report["speakers"]) == {"george", "jackson", "lucas", "nicolas", "theo"}
    adapted = ["asr", "decode", str(root / "model"), str(root / "data"), str(root / "dec2")]
    # adaptation wants a stronger word penalty (the recipe tunes it to -45..-60)
    assert main([*adapted, "--word-penalty", "-30", "--adapt", "10"]) == 0
    capsys.readouterr()
    assert (
        main(["asr", "score", str(root / "data" / "text"), str(root / "dec2" / "text"), "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["overall"]["wer"] <= report["overall"]["wer"] + 2
    mllr = [*adapted[:-1], str(root / "dec3"), "--word-penalty", "-30", "--adapt", "10"]
    assert main([*mllr, "--adapt-method", "mllr"]) == 0
    capsys.readouterr()
    assert (
        main(["asr", "score", str(root / "data" / "text"), str(root / "dec3" / "text"), "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["overall"]["wer"] <= report["overall"]["wer"] + 2


def test_align_writes_ctm_and_textgrids(trained):
    root, spans = trained
    assert main(["asr", "align", str(root / "model"), str(root / "data"), str(root / "ali")]) == 0
    ctm = read_ctm(root / "ali" / "alignment.ctm")
    grids = sorted((root / "ali" / "textgrid").iterdir())
    assert len(grids) == len(ctm) and grids[0].read_text().startswith('File type = "ooTextFile"')
    for utt, words in ctm.items():
        assert [w for w, _, _ in words] == [s.word for s in spans if s.utt == utt]
    assert alignment_accuracy(spans, ctm) >= 0.6  # measured 0.70 on these training strings


def test_errors_are_reported_and_nothing_is_written(trained, tmp_path, capsys):
    root, _ = trained
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("0 z iy r ow\n")
    code = main(
        [
            "asr",
            "train",
            str(root / "data"),
            str(tmp_path / "m"),
            "--units",
            "phone",
            "--lexicon",
            str(lexicon),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "text:1 (utterance george-0000): word" in err and "is not in the lexicon" in err
    assert not (tmp_path / "m").exists()
    assert (
        main(["asr", "decode", str(tmp_path / "none"), str(root / "data"), str(tmp_path / "out")])
        == 1
    )
    assert "no model.json" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def phone_alignment(shared_data, tmp_path_factory):
    recs = [r for r in list_recordings(shared_data / "fsdd") if r.index in (13, 14)]
    root = tmp_path_factory.mktemp("asr_phones")
    spans = build_digit_strings(recs, root / "data", seed=4)
    Lexicon(DIGITS_LEXICON).write(root / "lexicon.txt")
    train = ["asr", "train", str(root / "data"), str(root / "model"), "--units", "phone"]
    lexicon = ["--lexicon", str(root / "lexicon.txt")]
    assert main([*train, *lexicon, "--passes", "3", "--jobs", "2", "--quiet"]) == 0
    assert main(["asr", "align", str(root / "model"), str(root / "data"), str(root / "ali")]) == 0
    return root, spans


def test_phone_models_align_words_and_phones(phone_alignment):
    root, spans = phone_alignment
    out = root / "ali"
    words, phones = read_ctm(out / "alignment.ctm"), read_ctm(out / "phones.ctm")
    texts = {utt: [s.word for s in spans if s.utt == utt] for utt in {s.utt for s in spans}}
    assert set(words) == set(phones) == set(texts)
    for utt, timed_words in words.items():
        assert [w for w, _, _ in timed_words] == texts[utt]
        remaining = list(phones[utt])
        for word, start, end in timed_words:
            # the word's phones: one of its pronunciations, end to end over the word's span
            pron = next(
                p
                for p in DIGITS_LEXICON[word]
                if [ph for ph, _, _ in remaining[: len(p)]] == list(p)
            )
            own, remaining = remaining[: len(pron)], remaining[len(pron) :]
            assert own[0][1] == pytest.approx(start, abs=0.011)
            assert own[-1][2] == pytest.approx(end, abs=0.011)
            for (_, _, a_end), (_, b_start, _) in zip(own[:-1], own[1:], strict=True):
                assert b_start == pytest.approx(a_end, abs=0.011)
            assert all(e > s for _, s, e in own)
        assert remaining == []
        grid = (out / "textgrid" / f"{utt}.TextGrid").read_text()
        assert 'name = "words"' in grid and 'name = "phones"' in grid
        assert f'text = "{timed_words[0][0]}"' in grid
        assert f'text = "{phones[utt][0][0]}"' in grid
    assert alignment_accuracy(spans, words) >= 0.6  # measured 0.75 on these training strings


def test_decode_passes_the_adaptation_options_on(monkeypatch, tmp_path):
    import hmmkit.speech.asr as asr

    seen = {}

    def fake_decode_folder(*args, **kwargs):
        seen.update(kwargs)
        return {}

    monkeypatch.setattr(asr, "decode_folder", fake_decode_folder)
    folders = [str(tmp_path / n) for n in ("model", "data", "out")]
    given = ["--adapt", "10", "--adapt-background", "5", "--adapt-rounds", "3"]
    given += ["--adapt-method", "fmllr+map", "--adapt-background-margin", "2.5"]
    given += ["--edge-silence", "7", "--background-mix", "4"]
    assert main(["asr", "decode", *folders, *given]) == 0
    assert (seen["adapt_tau"], seen["adapt_background"], seen["adapt_rounds"]) == (10.0, 5.0, 3)
    assert (seen["edge_silence"], seen["background_mix"]) == (7, 4)
    assert (seen["adapt_method"], seen["adapt_background_margin"]) == ("fmllr+map", 2.5)
    main(["asr", "decode", *folders, "--adapt-background-margin", "off"])
    assert seen["adapt_background_margin"] is None
    main(["asr", "decode", *folders])
    assert seen["adapt_tau"] is None and seen["adapt_background"] == asr.ADAPT_BACKGROUND_PENALTY
    assert seen["adapt_rounds"] == asr.ADAPTATION_ROUNDS
    assert seen["adapt_background_margin"] == asr.ADAPT_BACKGROUND_MARGIN
    assert seen["edge_silence"] == 0 and seen["background_mix"] == 0


@pytest.mark.parametrize("choice", ["none", "single", "all"])
def test_train_passes_its_options_to_the_training(choice, tmp_path, monkeypatch):
    """`--viterbi`, `--beam`, `--passes` reach the embedded training's configuration."""
    import hmmkit.speech.asr as asr

    seen = {}

    def train(data_dir, model_dir, lexicon, config, front_end, report, **given):
        seen["config"], seen["word_times"] = config, given["word_times"]
        seen["stage_dirs"], seen["sat"] = given["stage_dirs"], given["sat_rounds"]
        seen["front_end"] = front_end
        raise SystemExit(0)

    monkeypatch.setattr(asr, "train", train)
    with pytest.raises(SystemExit):
        main(["asr", "train", str(tmp_path / "data"), str(tmp_path / "model"),
              "--viterbi", choice, "--beam", "300", "--passes", "2", "--sat", "2"])  # fmt: skip
    config = seen["config"]
    assert (config.hard, config.beam, config.passes, seen["sat"]) == (choice, 300.0, 2, 2)
    assert seen["word_times"] is None and not config.silent_gaps and seen["stage_dirs"] == {}
    assert not seen["front_end"].equalise
    with pytest.raises(SystemExit):
        main(["asr", "train", str(tmp_path / "data"), str(tmp_path / "model"),
              "--word-times", str(tmp_path / "t.ctm"), "--silent-gaps", "--mark-penalty", "5",
              "--equalise",
              "--stage-dir", "2", "a", "--stage-dir", "1", "b"])  # fmt: skip
    assert seen["front_end"].equalise and seen["front_end"].normalise == "utterance"
    assert seen["word_times"] == tmp_path / "t.ctm" and seen["config"].silent_gaps
    assert seen["config"].mark_penalty == 5.0 and config.mark_penalty == 1000.0
    assert seen["stage_dirs"] == {2: Path("a"), 1: Path("b")} and seen["sat"] == 0


def test_word_times_naming_an_unknown_word_are_refused(trained, tmp_path, capsys):
    root, spans = trained
    utt = spans[0].utt
    (tmp_path / "t.ctm").write_text(f"{utt} 1 0.10 0.20 oops\n")
    args = ["asr", "train", str(root / "data"), str(tmp_path / "model"), "--quiet"]
    assert main([*args, "--word-times", str(tmp_path / "t.ctm")]) == 1
    err = capsys.readouterr().err
    assert "t.ctm" in err and utt in err and "'oops' is not in its transcript" in err
    assert not (tmp_path / "model").exists()


def test_speaker_adapted_alignment_aligns_at_least_as_well(trained):
    """`asr align --adapt`: the same words, and on these strings more of them inside their
    recordings and covering their speech cores than without adaptation."""
    root, spans = trained
    folders = [str(root / "model"), str(root / "data")]
    assert main(["asr", "align", *folders, str(root / "plain")]) == 0
    assert main(["asr", "align", *folders, str(root / "adapted"), "--adapt", "10"]) == 0
    plain = read_ctm(root / "plain" / "alignment.ctm")
    adapted = read_ctm(root / "adapted" / "alignment.ctm")
    assert plain.keys() == adapted.keys()
    for utt, words in adapted.items():
        assert [w for w, _, _ in words] == [w for w, _, _ in plain[utt]]
    assert adapted != plain  # the adapted means moved some boundaries
    assert alignment_accuracy(spans, adapted) >= alignment_accuracy(spans, plain)


@pytest.mark.parametrize("adapt", [[], ["--adapt", "10", "--adapt-method", "fmllr"]])
def test_half_step_alignment_puts_boundaries_on_the_finer_grid(trained, adapt):
    """`asr align --half-step`: the same words, boundaries every 5 ms (the full step's
    grid is every 10 ms from 7.5 ms), about as many words aligned as at the full step."""
    root, spans = trained
    folders = [str(root / "model"), str(root / "data")]
    assert main(["asr", "align", *folders, str(root / "full"), *adapt]) == 0
    assert main(["asr", "align", *folders, str(root / "half"), "--half-step", *adapt]) == 0
    full = read_ctm(root / "full" / "alignment.ctm")
    half = read_ctm(root / "half" / "alignment.ctm")
    assert full.keys() == half.keys()
    ticks = set()
    for utt, words in half.items():
        assert [w for w, _, _ in words] == [w for w, _, _ in full[utt]]
        ticks |= {round(t * 1000) % 10 for _, a, b in words for t in (a, b)}
    assert ticks == {0, 5}  # times k x 5 + 10 ms
    assert alignment_accuracy(spans, half) >= alignment_accuracy(spans, full) - 0.05


def test_half_step_alignment_refuses_htk_features_before_any_work(trained, tmp_path):
    import numpy as np

    import hmmkit.speech.asr as asr
    from hmmkit.speech.htk import write_htk

    root, _ = trained
    utt, words = (root / "data" / "text").read_text().splitlines()[0].split(maxsplit=1)
    folder = tmp_path / "htk"
    folder.mkdir()
    write_htk(folder / "u.htk", np.zeros((80, 39)), kind="MFCC_E_D_A")
    (folder / "htk.scp").write_text(f"{utt} u.htk\n")
    (folder / "text").write_text(f"{utt} {words}\n")
    with pytest.raises(ValueError, match=f"utterance {utt}: half-step alignment needs audio"):
        asr.align_folder(root / "model", folder, tmp_path / "out", half_step=True)
    assert not (tmp_path / "out").exists()


def test_alignment_adapts_each_speaker_to_its_own_transcripts(trained, monkeypatch, tmp_path):
    """Every speaker's means are adapted ALIGN_ADAPTATION_ROUNDS times, each round from the
    previous round's model, on that speaker's utterances and transcripts only; each
    utterance is aligned with its own speaker's adapted model."""
    import hmmkit.speech.asr as asr
    from hmmkit.speech import speaker_adaptation
    from hmmkit.speech.data_folder import read_data_folder

    root, _ = trained
    data = read_data_folder(root / "data", need_text=True)
    calls, returned, used = [], [], {}
    real_align = asr.align

    def fake_adapt(model, feats, words, method, tau, background_penalty, background_margin=0.0):
        calls.append((model, [tuple(w) for w in words], method, tau, background_penalty))
        returned.append(copy.copy(model))
        return returned[-1]

    def recording_align(model, utt, X, words, beam):
        used[utt] = model
        return real_align(model, utt, X, words, beam)

    monkeypatch.setattr(speaker_adaptation, "adapt_means", fake_adapt)
    monkeypatch.setattr(asr, "align", recording_align)
    asr.align_folder(
        root / "model", root / "data", tmp_path / "ali", adapt_tau=7.0, adapt_method="mllr"
    )
    speakers = {}
    for e in data.utterances:
        speakers.setdefault(e.speaker, []).append(e)
    rounds = asr.ALIGN_ADAPTATION_ROUNDS
    assert len(calls) == rounds * len(speakers)
    for k, entries in enumerate(speakers.values()):
        mine = calls[k * rounds : (k + 1) * rounds]
        assert all(c[1] == [tuple(e.words) for e in entries] for c in mine)
        assert all(c[2:] == ("mllr", 7.0, 0.0) for c in mine)
        for r in range(1, rounds):  # each round starts from the previous round's model
            assert mine[r][0] is returned[k * rounds + r - 1]
        assert all(used[e.utt] is returned[(k + 1) * rounds - 1] for e in entries)


def test_alignment_adaptation_errors(trained, tmp_path, capsys):
    import hmmkit.speech.asr as asr

    root, _ = trained
    folders = [root / "model", root / "data", tmp_path / "out"]
    with pytest.raises(ValueError, match="adapt_tau must be positive"):
        asr.align_folder(*folders, adapt_tau=-1.0)
    with pytest.raises(ValueError, match="adapt_method must be one of"):
        asr.align_folder(*folders, adapt_tau=10.0, adapt_method="vtln")
    with pytest.raises(ValueError, match="adapt_background must be >= 0"):
        asr.align_folder(*folders, adapt_tau=10.0, adapt_background=float("nan"))
    assert not (tmp_path / "out").exists()
    for bad in (["--adapt", "0"], ["--adapt", "10", "--adapt-background", "-1"]):
        with pytest.raises(SystemExit) as exit_:
            main(["asr", "align", *map(str, folders), *bad])
        assert exit_.value.code == 2
        assert "must be" in capsys.readouterr().err


def test_adaptation_method_names_follow_the_library():
    from hmmkit.speech.asr_commands import ADAPTATION_METHOD_NAMES
    from hmmkit.speech.speaker_adaptation import ADAPTATION_METHODS

    assert ADAPTATION_METHOD_NAMES == ADAPTATION_METHODS


def test_decoding_adapts_round_after_round(trained, monkeypatch, tmp_path):
    """With adapt_rounds=3 each speaker is adapted three times, each round from the previous
    round's model and on the words the previous round decoded; bad counts are refused."""
    import hmmkit.speech.asr as asr
    from hmmkit.speech import speaker_adaptation

    root, _ = trained
    calls, returned = [], []
    real_adapt = speaker_adaptation.adapt_means

    def recording_adapt(model, feats, words, method, tau, background_penalty, background_margin):
        calls.append((model, [tuple(w) for w in words]))
        returned.append(
            real_adapt(model, feats, words, method, tau, background_penalty, background_margin)
        )
        return returned[-1]

    monkeypatch.setattr(speaker_adaptation, "adapt_means", recording_adapt)
    texts = asr.decode_folder(
        root / "model",
        root / "data",
        tmp_path / "dec",
        insertion_penalty=-30.0,
        adapt_tau=10.0,
        adapt_rounds=3,
    )
    speakers = {}
    for line in (root / "data" / "utt2spk").read_text().splitlines():
        utt, speaker = line.split()
        speakers.setdefault(speaker, []).append(utt)
    assert len(calls) == 3 * len(speakers)
    for k, utts in enumerate(speakers.values()):
        mine = calls[3 * k : 3 * k + 3]
        assert mine[1][0] is returned[3 * k] and mine[2][0] is returned[3 * k + 1]
        assert len(mine[0][1]) == len(utts)
    last_words = [w for k in range(len(speakers)) for w in calls[3 * k + 2][1]]
    assert len(last_words) == len(texts)
    for bad in (0, True, 1.5):
        with pytest.raises(ValueError, match="adapt_rounds must be an integer >= 1"):
            asr.decode_folder(root / "model", root / "data", tmp_path / "x", adapt_rounds=bad)
    assert not (tmp_path / "x").exists()


def test_decoding_tests_words_against_each_speakers_background(trained, tmp_path):
    """background_mix rejects words that do not beat the speaker's edge-frame model by the
    word penalty's size; with a margin no word can miss, the same words as without it;
    bad settings are refused before anything is written."""
    import hmmkit.speech.asr as asr

    root, _ = trained
    model, data = root / "model", root / "data"
    options = dict(insertion_penalty=-30.0, adapt_tau=10.0, edge_silence=3)
    plain = asr.decode_folder(model, data, tmp_path / "plain", **options)
    tested = asr.decode_folder(model, data, tmp_path / "tested", background_mix=2, **options)
    assert tested.keys() == plain.keys()
    assert sum(map(len, tested.values())) <= sum(map(len, plain.values()))
    assert (tmp_path / "tested" / "text").is_file()
    bad = [
        (dict(background_mix=-1, edge_silence=3), "background_mix must be an integer >= 0"),
        (dict(background_mix=True, edge_silence=3), "background_mix must be an integer >= 0"),
        (dict(background_mix=2), "needs edge_silence"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ValueError, match=message):
            asr.decode_folder(model, data, tmp_path / "x", **kwargs)
    (tmp_path / "g.jsgf").write_text("public <s> = a;")
    with pytest.raises(ValueError, match="word loop or a language model"):
        asr.decode_folder(
            model, data, tmp_path / "x", tmp_path / "g.jsgf", background_mix=2, edge_silence=3
        )
    assert not (tmp_path / "x").exists()
