"""Kaldi data folders: parsing, segments, errors naming file and line, features."""

import numpy as np
import pytest
import soundfile

from hmmkit.speech.data_folder import (
    check_sample_rates,
    folder_features,
    half_step_features,
    read_data_folder,
)
from hmmkit.speech.features import MFCCConfig


def _wav(path, seconds=0.5, rate=8000, seed=0):
    rng = np.random.default_rng(seed)
    soundfile.write(path, rng.normal(scale=0.1, size=int(seconds * rate)), rate, subtype="PCM_16")
    return path


def _folder(tmp_path, lines_text="u1 one two\nu2 three\n"):
    audio = tmp_path / "audio"
    audio.mkdir()
    _wav(audio / "a.wav")
    _wav(audio / "b.wav", seed=1)
    data = tmp_path / "data"
    data.mkdir()
    (data / "wav.scp").write_text(f"u1 {audio / 'a.wav'}\nu2 ../audio/b.wav\n")
    (data / "text").write_text(lines_text)
    (data / "utt2spk").write_text("u1 s1\nu2 s2\n")
    return data


def test_reads_plain_and_relative_paths(tmp_path):
    data = read_data_folder(_folder(tmp_path), need_text=True)
    assert [u.utt for u in data.utterances] == ["u1", "u2"]
    assert data.utterances[0].words == ("one", "two")
    assert data.utterances[1].speaker == "s2"
    assert data.utterances[1].source.name == "b.wav"
    assert check_sample_rates(data) == 8000
    feats = folder_features(data, MFCCConfig())
    assert feats[0].shape == (49, 39)


def test_segments_cut_recordings(tmp_path):
    folder = _folder(tmp_path, "x1 one\nx2 two\n")
    (folder / "segments").write_text("x1 u1 0.0 0.2\nx2 u1 0.2 0.5\n")
    (folder / "utt2spk").write_text("x1 s\nx2 s\n")
    data = read_data_folder(folder)
    assert [(u.start, u.end) for u in data.utterances] == [(0.0, 0.2), (0.2, 0.5)]
    feats = folder_features(data, MFCCConfig())
    assert [len(f) for f in feats] == [19, 29]


def test_errors_name_the_problem(tmp_path):
    folder = _folder(tmp_path, "u1 one\nu3 two\n")
    with pytest.raises(ValueError, match=r"text:2: utterance 'u3' has no audio"):
        read_data_folder(folder)
    (folder / "wav.scp").write_text("u1 sox a.wav -t wav - |\n")
    with pytest.raises(ValueError, match=r"wav.scp:1: piped commands"):
        read_data_folder(folder)
    (folder / "wav.scp").write_text("u1 missing.wav\n")
    with pytest.raises(FileNotFoundError, match=r"wav.scp:1: no audio file"):
        read_data_folder(folder)


def test_sample_rate_mismatch(tmp_path):
    folder = _folder(tmp_path)
    _wav(tmp_path / "audio" / "b.wav", rate=16000)
    data = read_data_folder(folder)
    with pytest.raises(ValueError, match=r"b.wav: sample rate 16000 Hz differs from 8000"):
        check_sample_rates(data)


def test_half_step_features_interleave_the_full_step_and_half_a_step_later(tmp_path):
    """Even frames are the full step's features, odd ones those of the audio half a step
    (40 samples at 8 kHz) later; the deltas of each stream span the full step's times
    (the last frames may differ: a stream's last, zero-padded window may be missing)."""
    folder = _folder(tmp_path)
    data = read_data_folder(folder)
    config = MFCCConfig(normalise="none")
    full = folder_features(data, config)
    fine = half_step_features(data, config)
    signal, rate = soundfile.read(tmp_path / "audio" / "a.wav", dtype="int16")
    later = tmp_path / "later"
    later.mkdir()
    soundfile.write(later / "a.wav", signal[40:], rate, subtype="PCM_16")
    (later / "wav.scp").write_text("u1 a.wav\n")
    shifted = folder_features(read_data_folder(later), config)[0]
    for whole, half in zip(full, fine, strict=True):
        assert half.shape[1] == whole.shape[1] and 0 <= 2 * len(whole) - len(half) <= 2
        n = len(whole) - 5
        np.testing.assert_allclose(half[0::2][:n], whole[:n], atol=1e-9)
    n = len(shifted) - 5  # and the cut file's first frame lacks its pre-emphasis
    np.testing.assert_allclose(fine[0][1::2][5:n], shifted[5:n], atol=1e-9)
    normalised = half_step_features(data, MFCCConfig(normalise="speaker", variance=True))
    assert all(np.allclose(f.mean(axis=0), 0.0) for f in normalised)


def test_half_step_features_need_audio(tmp_path):
    from hmmkit.speech.htk import write_htk

    folder = _folder(tmp_path)
    write_htk(tmp_path / "u1.htk", np.zeros((20, 39)), kind="MFCC_E_D_A")
    (folder / "htk.scp").write_text(f"u1 {tmp_path / 'u1.htk'}\n")
    (folder / "wav.scp").unlink()
    (folder / "text").write_text("u1 one\n")
    (folder / "utt2spk").write_text("u1 s1\n")
    with pytest.raises(ValueError, match="u1: half-step features need audio"):
        half_step_features(read_data_folder(folder), MFCCConfig())
