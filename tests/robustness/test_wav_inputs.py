"""WAV files as the speech front end reads them, and degenerate audio through the recognizer.

Broken files (truncated, corrupted headers, zero-length, wrong type) must be refused with a
ValueError naming the file (OSError when it cannot be opened); every other sample width,
channel count and rate is read; silent, constant and very short audio never puts NaN into
the features or the models, and the recognizer answers or refuses clearly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile
from catalogue import record
from hypothesis import given
from hypothesis import strategies as st
from refusals import FUZZ, Originals, is_clear_error, refused, write

from hmmkit.speech import MFCCConfig, TrainingConfig, WordRecognizer, extract, read_audio

AREA = "WAV files (speech front end)"
DEGENERATE = "degenerate audio (features, recognizer)"
RATE = 8000


@pytest.fixture(scope="module")
def recordings(shared_data):
    return shared_data / "fsdd/recordings"


@pytest.fixture(scope="module")
def originals(speech_wav):
    return Originals(wav=speech_wav.read_bytes())


@pytest.fixture(scope="module")
def speech(recordings):
    """A 16-bit recording as integer samples."""
    samples, rate = soundfile.read(str(recordings / "0_george_0.flac"), dtype="int16")
    assert rate == RATE
    return samples


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("wav")


def make_wav(folder, name, samples, rate=RATE, subtype="PCM_16"):
    path = folder / name
    soundfile.write(str(path), samples, rate, subtype=subtype)
    return path


def features(path, config=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return extract([path], config or MFCCConfig())[0]


# --------------------------------------------------------------------------- fuzzing


def damage(data: st.DataObject, original: bytes) -> bytes:
    """A damaged WAV: header bytes overwritten, truncated, or bytes flipped anywhere."""
    out = bytearray(original)
    kind = data.draw(st.sampled_from(["header", "truncate", "anywhere"]))
    if kind == "truncate":
        return bytes(out[: data.draw(st.integers(0, len(out) - 1))])
    limit = 47 if kind == "header" else len(out) - 1
    changes = st.tuples(st.integers(0, limit), st.integers(0, 255))
    for position, value in data.draw(st.lists(changes, min_size=1, max_size=3)):
        out[position] = value
    return bytes(out)


@FUZZ
@given(data=st.data())
def test_damaged_wavs_give_finite_features_or_a_clear_error(folder, originals, data):
    """Whatever a damaged WAV yields is finite; a refusal is a ValueError/OSError naming
    the problem -- never libsndfile's own error, NaN, IndexError, ZeroDivisionError..."""
    path = write(folder, "fuzzed.wav", damage(data, originals["wav"]))
    try:
        feats = features(path)
    except Exception as exc:  # noqa: BLE001 - judged below
        assert is_clear_error(exc), f"{type(exc).__name__}: {exc}"
        return
    assert np.all(np.isfinite(feats))


# --------------------------------------------------------------------------- broken files


def header_with(original: bytes, offset: int, value: bytes) -> bytes:
    out = bytearray(original)
    out[offset : offset + len(value)] = value
    return bytes(out)


BROKEN = [
    ("a zero-length file", lambda o: b""),
    ("truncated inside the header", lambda o: o[:20]),
    ("a corrupted RIFF magic", lambda o: header_with(o, 0, b"RIFX")),
    ("a header claiming 0 channels", lambda o: header_with(o, 22, b"\x00\x00")),
    ("a header claiming 0 Hz", lambda o: header_with(o, 24, b"\x00\x00\x00\x00")),
    ("an unknown format tag", lambda o: header_with(o, 20, b"\x63\x00")),
    ("a text file named .wav", lambda o: b"this is not audio\n" * 40),
]


@pytest.mark.parametrize("case, make", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_files(folder, originals, case, make):
    path = write(folder, "broken.wav", make(originals["wav"]))
    refused(AREA, case, lambda: read_audio(path), match="broken.wav")


UNOPENABLE = [
    ("a HMMER3 model file", lambda data, folder: data / "protein/pyhmmer/PF02826.hmm", ValueError),
    ("a directory", lambda data, folder: folder, OSError),
    ("a missing file", lambda data, folder: folder / "no.wav", OSError),
]


@pytest.mark.parametrize("case, where, exception", UNOPENABLE, ids=[c[0] for c in UNOPENABLE])
def test_wrong_type_and_missing_files(shared_data, folder, case, where, exception):
    path = where(shared_data, folder)
    refused(AREA, case, lambda: read_audio(path), exception, path.name)


def test_header_without_samples_and_truncated_data(folder, originals):
    path = write(folder, "header.wav", originals["wav"][:44])
    refused(AREA, "a header without samples", lambda: features(path), match="shorter than one")
    path = write(folder, "half.wav", originals["wav"][: len(originals["wav"]) // 2])
    signal, _ = read_audio(path)
    assert 0 < len(signal) < 2384 and np.all(np.isfinite(features(path)))
    record(AREA, "truncated inside the samples", "read", "the samples present (as libsndfile)")


def test_absurd_sample_rate(folder, speech):
    path = make_wav(folder, "1hz.wav", speech, rate=1)
    refused(
        AREA,
        "a 1 Hz sample rate",
        lambda: features(path),
        match="rate|window",
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_float_samples(folder, bad):
    samples = 0.1 * np.sin(np.arange(4000) / 5.0)
    samples[100] = bad
    path = make_wav(folder, "nan.wav", samples, subtype="FLOAT")
    refused(
        AREA,
        f"a float WAV holding {bad}",
        lambda: features(path),
        match="nan.wav",
    )


# --------------------------------------------------------------------------- other formats


def test_other_sample_widths_channels_and_rates(folder, speech, recordings):
    """Wider samples, float samples and duplicated channels give the 16-bit mono features
    (cepstral mean normalisation removes the scale); 16 kHz audio resampled to 8 kHz gives
    nearly the same features; 8-bit audio is read with finite features."""
    reference = features(recordings / "0_george_0.flac")
    for subtype in ("PCM_24", "PCM_32", "FLOAT", "DOUBLE"):
        got = features(make_wav(folder, f"{subtype}.wav", speech, subtype=subtype))
        np.testing.assert_allclose(got, reference, atol=1e-9)
        record(AREA, f"{subtype} samples", "read", "same features as 16-bit PCM")
    got = features(make_wav(folder, "stereo.wav", np.column_stack([speech, speech])))
    np.testing.assert_allclose(got, reference, atol=1e-9)
    record(AREA, "stereo", "read", "channels averaged to mono")
    got = features(make_wav(folder, "u8.wav", speech, subtype="PCM_U8"))
    assert got.shape == reference.shape and np.all(np.isfinite(got))
    record(AREA, "8-bit unsigned samples", "read", "finite features (coarser)")
    from scipy.signal import resample_poly

    wide = np.round(resample_poly(speech.astype(float), 2, 1)).astype(np.int16)
    path = make_wav(folder, "16k.wav", wide, rate=16000)
    got = features(path, MFCCConfig(samplerate=RATE))
    assert got.shape == reference.shape and np.median(np.abs(got - reference)) < 0.1
    assert features(path).shape == reference.shape  # 25 ms windows at the file's own rate
    record(AREA, "16 kHz audio", "read", "MFCC at the file's rate, or resampled (samplerate=)")


# --------------------------------------------------------------------------- degenerate audio


@pytest.fixture(scope="module")
def degenerate(folder, speech):
    """Degenerate recordings, one second each unless said otherwise."""
    t = np.arange(RATE)
    return {
        "silence (all zeros)": make_wav(folder, "silence.wav", np.zeros(RATE, np.int16)),
        "silence (float zeros)": make_wav(folder, "fsilence.wav", np.zeros(RATE), subtype="FLOAT"),
        "a constant (DC) signal": make_wav(folder, "dc.wav", np.full(RATE, 1000, np.int16)),
        "full-scale clipping": make_wav(folder, "clip.wav", np.full(RATE, 32767, np.int16)),
        "a pure 440 Hz tone": make_wav(
            folder, "tone.wav", (8000 * np.sin(2 * np.pi * 440 * t / RATE)).astype(np.int16)
        ),
        "exactly one 25 ms window": make_wav(folder, "window.wav", speech[:200]),
    }


def test_degenerate_audio_gives_finite_features(degenerate, folder, speech):
    for case, path in degenerate.items():
        feats = features(path)
        assert len(feats) >= 1 and np.all(np.isfinite(feats)), case
        record(
            DEGENERATE, case, "finite features", f"{len(feats)} frames, log of zero energy floored"
        )
    short = make_wav(folder, "short.wav", speech[:100])
    refused(
        DEGENERATE, "shorter than one window", lambda: features(short), match="shorter than one"
    )


@pytest.fixture(scope="module")
def recognizer(recordings):
    """Word models for '0' and '1' from six recordings; small, for speed."""
    paths = [recordings / f"{d}_george_{i}.flac" for d in (0, 1) for i in (5, 6, 7)]
    config = TrainingConfig(n_states=3, n_mix=1, n_iter=3, n_iter_split=0)
    return WordRecognizer(config, n_jobs=1).fit(extract(paths), ["0"] * 3 + ["1"] * 3)


def test_recognizer_answers_degenerate_audio(recognizer, degenerate):
    for case, path in degenerate.items():
        feats = features(path)
        (ranked,) = recognizer.nbest([feats], n=2)
        if len(feats) < recognizer.config.min_frames():
            assert all(score == -np.inf for _, score in ranked)
            record(DEGENERATE, f"{case}: recognised", "-inf under every word", "too few frames")
        else:
            assert all(np.isfinite(score) for _, score in ranked), case
            record(DEGENERATE, f"{case}: recognised", "answers", "finite scores for every word")


def test_recognizer_trained_on_silence(recordings, degenerate):
    """A word whose every recording is silent (constant features) trains finite models."""
    silence = features(degenerate["silence (all zeros)"])
    speech = [features(recordings / f"1_george_{i}.flac") for i in (5, 6)]
    config = TrainingConfig(n_states=3, n_mix=2, n_iter=3, n_iter_split=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = WordRecognizer(config, n_jobs=1).fit(
            [silence, silence, *speech], ["sil"] * 2 + ["1"] * 2
        )
    for model in rec.models_.values():
        for name in ("startprob_", "transmat_", "means_", "covars_", "weights_"):
            assert np.all(np.isfinite(getattr(model, name))), name
    assert rec.predict([silence]) == ["sil"]
    record(DEGENERATE, "a word trained on silent recordings only", "trains", "finite models")
    refused(
        DEGENERATE,
        "NaN in features given to the recognizer",
        lambda: rec.predict([np.full_like(silence, np.nan)]),
        match="NaN",
    )
