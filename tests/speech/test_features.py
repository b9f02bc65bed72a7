"""MFCC front end: audio reading, cepstra, deltas and normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import python_speech_features as psf
import soundfile

from hmmkit.speech import features as F


def sine(rate: float, seconds: float, freq: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t)


def test_read_audio_keeps_rate_and_int16_scale(fsdd_file):
    signal, rate = F.read_audio(fsdd_file)
    info = soundfile.info(str(fsdd_file))
    assert rate == info.samplerate == 8000
    assert signal.shape == (info.frames,)
    raw, _ = soundfile.read(str(fsdd_file), dtype="int16")
    np.testing.assert_array_equal(signal, raw.astype(float))


def test_flac_is_read_as_its_wav_copy(fsdd_file, tmp_path):
    """A FLAC recording and a WAV holding the same samples give identical signals, rates
    and features (and a FLAC of other samples does not)."""
    samples, rate = soundfile.read(fsdd_file, dtype="int16")
    wav = tmp_path / "copy.wav"
    soundfile.write(wav, samples, rate, subtype="PCM_16", format="WAV")
    (from_flac, flac_rate), (from_wav, wav_rate) = F.read_audio(fsdd_file), F.read_audio(wav)
    assert flac_rate == wav_rate == 8000
    np.testing.assert_array_equal(from_flac, from_wav)
    np.testing.assert_array_equal(F.mfcc(from_flac, rate), F.mfcc(from_wav, rate))
    assert F.sample_rate(fsdd_file) == F.sample_rate(wav)
    other = tmp_path / "other.flac"
    soundfile.write(other, samples[::-1], rate, subtype="PCM_16", format="FLAC")
    assert not np.array_equal(F.read_audio(other)[0], from_wav)


def test_read_audio_resamples_only_when_asked(tmp_path):
    path = tmp_path / "tone.wav"
    soundfile.write(path, sine(16000, 1.0, 440.0), 16000, subtype="FLOAT")
    same, rate = F.read_audio(path)
    assert rate == 16000 and same.size == 16000
    down, rate = F.read_audio(path, samplerate=8000)
    assert rate == 8000 and down.size == 8000
    spectrum = np.abs(np.fft.rfft(down))
    assert np.argmax(spectrum) * 8000 / down.size == pytest.approx(440.0, abs=1.0)


def test_read_audio_averages_channels(tmp_path):
    path = tmp_path / "stereo.wav"
    left, right = sine(8000, 0.5, 300.0), sine(8000, 0.5, 700.0)
    soundfile.write(path, np.stack([left, right], axis=1), 8000, subtype="DOUBLE")
    mono, _ = F.read_audio(path)
    np.testing.assert_allclose(mono, (left + right) / 2 * 32768, atol=1e-8)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_every_sample_format_gives_the_16_bit_scale_and_the_same_features(
    fsdd_file, tmp_path, subtype
):
    """The same sound stored in another sample format gives the features of its 16-bit
    form (a 24-bit copy used to be read in [-1, 1]: c0 off by log 32768^2)."""
    signal, rate = soundfile.read(fsdd_file, dtype="int16")
    copy = tmp_path / f"copy_{subtype}.wav"
    soundfile.write(copy, signal / 32768.0, rate, subtype=subtype)  # full scale is 1.0
    ours, original = F.read_audio(copy)[0], F.read_audio(fsdd_file)[0]
    tolerance = 256.0 if subtype == "PCM_U8" else 1e-6  # 8 bits keep the top byte only
    np.testing.assert_allclose(ours, original, atol=tolerance)
    if subtype != "PCM_U8":
        np.testing.assert_allclose(F.mfcc(ours, rate), F.mfcc(original, rate), atol=1e-6)


def test_mfcc_shape_and_log_energy_c0(fsdd_file):
    signal, rate = F.read_audio(fsdd_file)
    feats = F.mfcc(signal, rate)
    n_frames = 1 + int(np.ceil((signal.size - 200) / 80))
    assert feats.shape == (n_frames, 13)
    # c0 is the log-energy of each pre-emphasised, Hamming-windowed 25 ms frame.
    emph = np.append(signal[0], signal[1:] - 0.97 * signal[:-1])
    padded = np.concatenate([emph, np.zeros((n_frames - 1) * 80 + 200 - emph.size)])
    frames = np.stack([padded[i * 80 : i * 80 + 200] for i in range(n_frames)]) * np.hamming(200)
    power = np.abs(np.fft.rfft(frames, 256)) ** 2 / 256
    np.testing.assert_allclose(feats[:, 0], np.log(power.sum(axis=1)), rtol=1e-10)


def test_mfcc_settings_reach_the_front_end(fsdd_file):
    signal, rate = F.read_audio(fsdd_file)
    base = F.mfcc(signal, rate)
    assert F.mfcc(signal, rate, F.MFCCConfig(numcep=20, nfilt=40)).shape[1] == 20
    assert not np.allclose(F.mfcc(signal, rate, F.MFCCConfig(window="rectangular")), base)
    no_energy = F.mfcc(signal, rate, F.MFCCConfig(append_energy=False))
    np.testing.assert_allclose(no_energy[:, 1:], base[:, 1:])
    assert not np.allclose(no_energy[:, 0], base[:, 0])


@pytest.mark.parametrize("warp", [0.88, 1.0, 1.12])
def test_warp_moves_a_tone_to_the_filter_at_warp_times_its_frequency(warp):
    from scipy.fft import idct

    rate, tone = 8000, 1000.0
    config = F.MFCCConfig(numcep=26, nfilt=26, ceplifter=0, append_energy=False, warp=warp)
    cepstra = F.mfcc(sine(rate, 0.5, tone), rate, config)
    log_fbank = idct(cepstra, type=2, norm="ortho", axis=1).mean(axis=0)
    # Nominal filter centres span 0..rate / 2 on the mel scale; the one at warp * tone
    # now lies at the tone (the linear part of the warp covers 100 Hz..3.5 kHz here).
    mel = np.linspace(0, 2595 * np.log10(1 + rate / 2 / 700), 28)
    centres = 700 * (10 ** (mel / 2595) - 1)[1:-1]
    i = int(np.argmax(log_fbank))
    spacing = (centres[i + 1] - centres[i - 1]) / 2
    assert abs(centres[i] - warp * tone) <= 0.6 * spacing


def test_vtln_warp_is_piecewise_linear_with_fixed_band_edges():
    nominal = np.array([0.0, 50.0, 300.0, 1000.0, 2500.0, 3800.0, 4000.0])
    for warp in (0.9, 1.1):
        actual = F.vtln_warp(nominal, warp, 0.0, 4000.0)
        assert actual[0] == 0.0 and actual[-1] == pytest.approx(4000.0)  # edges stay
        np.testing.assert_allclose(actual[2:5], nominal[2:5] / warp)  # linear middle
        assert np.all(np.diff(actual) > 0)  # monotone
    # the lower breakpoint follows lowfreq: a raised band bottom stays fixed too
    for warp in (0.9, 1.05):
        actual = F.vtln_warp(np.array([300.0, 1000.0, 4000.0]), warp, 300.0, 4000.0)
        assert actual[0] == pytest.approx(300.0) and actual[1] == pytest.approx(1000.0 / warp)
    with pytest.raises(ValueError, match="lowfreq=3000 to highfreq=4000"):
        F.vtln_warp(np.array([3500.0]), 1.2, 3000.0, 4000.0)
    # the warped filterbank at warp 1 is python_speech_features' own
    np.testing.assert_allclose(
        F.warped_filterbank(26, 256, 8000, 0.0, 4000.0),
        psf.base.get_filterbanks(26, 256, 8000, 0.0, 4000.0),
    )


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("3_theo_7.flac", {}),
        ("0_george_0.flac", {"numcep": 20, "nfilt": 40, "preemph": 0.95}),
        ("9_lucas_49.flac", {"ceplifter": 0, "append_energy": False, "nfft": 512}),
        ("5_jackson_12.flac", {"window": "rectangular", "lowfreq": 100.0, "highfreq": 3500.0}),
    ],
)
def test_mfcc_are_python_speech_features_bit_for_bit(shared_data, name, settings):
    signal, rate = F.read_audio(shared_data / "fsdd" / "recordings" / name)
    config = F.MFCCConfig(**settings)
    theirs = psf.mfcc(
        signal,
        rate,
        winlen=config.winlen,
        winstep=config.winstep,
        numcep=config.numcep,
        nfilt=config.nfilt,
        nfft=config.nfft or 256,
        lowfreq=config.lowfreq,
        highfreq=config.highfreq,
        preemph=config.preemph,
        ceplifter=config.ceplifter,
        appendEnergy=config.append_energy,
        winfunc=F.WINDOWS[config.window],
    )
    np.testing.assert_array_equal(F.mfcc(signal, rate, config), theirs)


def test_highfreq_above_half_the_sample_rate_is_refused():
    with pytest.raises(ValueError, match="highfreq=5000 Hz is above half the sample rate of 8000"):
        F.mfcc(sine(8000, 0.1, 440.0), 8000, F.MFCCConfig(highfreq=5000.0))


def test_deltas_of_a_ramp_are_its_slope():
    ramp = np.outer(np.arange(30.0), [1.0, -2.0])
    out = F.add_deltas(ramp, order=2, window=2)
    assert out.shape == (30, 6)
    np.testing.assert_allclose(out[2:-2, 2:4], np.tile([1.0, -2.0], (26, 1)))
    np.testing.assert_allclose(out[4:-4, 4:6], 0.0, atol=1e-12)
    np.testing.assert_allclose(F.add_deltas(np.ones((10, 3)), 2)[:, 3:], 0.0)


def test_utterance_and_speaker_normalisation():
    rng = np.random.default_rng(0)
    feats = [rng.normal(3.0, 2.0, size=(n, 4)) for n in (20, 30, 25)]
    per_utt = F.normalise(feats, "utterance", variance=True)
    for f in per_utt:
        np.testing.assert_allclose(f.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(f.std(axis=0), 1.0)
    per_spk = F.normalise(feats, "speaker", variance=False, speakers=["a", "b", "a"])
    pooled = np.concatenate([per_spk[0], per_spk[2]])
    np.testing.assert_allclose(pooled.mean(axis=0), 0.0, atol=1e-12)
    assert not np.allclose(per_spk[0].mean(axis=0), 0.0)
    np.testing.assert_allclose(per_spk[1].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(per_spk[0] - feats[0], per_spk[2][:20] - feats[2][:20])
    np.testing.assert_array_equal(F.normalise(feats, "none")[1], feats[1])
    with pytest.raises(ValueError, match="speaker"):
        F.normalise(feats, "speaker")


def test_a_recording_too_short_for_one_frame_is_named(tmp_path):
    path = tmp_path / "0_x_0.wav"
    soundfile.write(path, np.zeros(150, dtype=np.int16), 8000)
    with pytest.raises(ValueError, match="0_x_0.wav: signal has 150 samples"):
        F.extract([path])


def test_bad_settings_and_short_signals_are_rejected():
    with pytest.raises(ValueError, match="normalise"):
        F.MFCCConfig(normalise="global")
    with pytest.raises(ValueError, match="deltas"):
        F.MFCCConfig(deltas=3)
    with pytest.raises(ValueError, match="warp"):
        F.MFCCConfig(warp=3.0)
    with pytest.raises(ValueError, match="window"):
        F.MFCCConfig(window="hann")
    with pytest.raises(ValueError, match="shorter than one"):
        F.mfcc(np.zeros(100), 8000)
    with pytest.raises(ValueError, match="one-dimensional"):
        F.mfcc(np.zeros((400, 2)), 8000)


@pytest.mark.parametrize("rate", [22050, 44100])
def test_frame_sizes_round_as_python_speech_features_at_odd_rates(rate):
    """25 ms at 22.05 kHz is 551.25 samples and 10 ms 220.5: rounded half up as
    python_speech_features does (round() went to even and the MFCCs differed by up to 11)."""
    signal = sine(rate, 0.3, 440.0) * 3000 + np.random.default_rng(0).normal(size=int(rate * 0.3))
    ours = F.mfcc(signal, rate, F.MFCCConfig(nfft=2048))
    theirs = psf.mfcc(signal, rate, nfft=2048, winfunc=np.hamming)
    np.testing.assert_array_equal(ours, theirs)


def test_mfcc_batch_equals_each_signal_alone_and_python_speech_features(fsdd_file, monkeypatch):
    """Frames of several signals analysed in blocks (here of at most 60 frames, so that
    blocks hold several signals, one signal or one signal longer than a block) give each
    signal's own MFCCs, which are python_speech_features'."""
    paths = sorted(fsdd_file.parent.glob("*_nicolas_2.flac"))[:5]
    signals = [F.read_audio(path)[0] for path in paths]
    signals.insert(2, np.concatenate(signals))  # about 200 frames: longer than a block
    monkeypatch.setattr(F, "BLOCK_FRAMES", 60)
    batch = F.mfcc_batch(signals, 8000, F.MFCCConfig())
    assert [len(b) for b in batch] == [len(F.mfcc(s, 8000)) for s in signals]
    for signal, feats in zip(signals, batch, strict=True):
        np.testing.assert_allclose(feats, F.mfcc(signal, 8000), rtol=1e-12, atol=1e-12)
        reference = psf.mfcc(signal, 8000, winfunc=np.hamming, nfft=256)
        np.testing.assert_allclose(feats, reference, rtol=1e-10, atol=1e-10)


def test_a_batch_of_recordings_at_several_rates_gives_each_its_own_features(tmp_path):
    paths = []
    for i, rate in enumerate((16000, 8000, 16000)):
        paths.append(tmp_path / f"tone{i}.wav")
        soundfile.write(paths[-1], sine(rate, 0.3 + 0.1 * i, 300.0 + 100 * i), rate)
    batch = F.features_of_files(paths, F.MFCCConfig())
    for path, feats in zip(paths, batch, strict=True):
        alone = F.mfcc(*F.read_audio(path))
        np.testing.assert_allclose(feats, alone, rtol=1e-12, atol=1e-12)
