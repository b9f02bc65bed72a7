"""Speaker-adaptive training: a speaker's distortion moves into its CMLLR transform."""

import numpy as np
import pytest

from hmmkit.speech.corpus import list_recordings
from hmmkit.speech.data_folder import folder_features, read_data_folder
from hmmkit.speech.digit_strings import build_digit_strings
from hmmkit.speech.embedded import EmbeddedConfig, train_embedded, utterance_stats
from hmmkit.speech.features import MFCCConfig
from hmmkit.speech.fmllr import apply_fmllr
from hmmkit.speech.sat import speaker_groups, train_sat


@pytest.fixture(scope="module")
def distorted(shared_data, tmp_path_factory):
    """Strings of takes 7 and 8, one speaker's frames moved by a known affine map."""
    recs = [r for r in list_recordings(shared_data / "fsdd") if r.index in (7, 8)]
    folder = tmp_path_factory.mktemp("strings")
    build_digit_strings(recs, folder, seed=1)
    data = read_data_folder(folder, need_text=True)
    feats = folder_features(data, MFCCConfig(normalise="speaker", variance=True))
    speakers = [u.speaker for u in data.utterances]
    rng = np.random.default_rng(0)
    d = feats[0].shape[1]
    distortion = np.column_stack([rng.normal(size=d), np.eye(d) + 0.15 * rng.normal(size=(d, d))])
    odd = speakers[0]
    feats = [
        apply_fmllr(distortion, X) if s == odd else X for X, s in zip(feats, speakers, strict=True)
    ]
    texts = [u.words for u in data.utterances]
    return [u.utt for u in data.utterances], feats, texts, speakers, odd, distortion


def _log_likelihood(model, utts, feats, texts, speakers, transforms=None):
    """Forward log-likelihood of every utterance, transformed and with its Jacobian."""
    total = 0.0
    for utt, X, words, s in zip(utts, feats, texts, speakers, strict=True):
        jacobian = 0.0
        if transforms is not None:
            X = apply_fmllr(transforms[s], X)
            jacobian = len(X) * np.linalg.slogdet(transforms[s][:, 1:])[1]
        graph = model.transcript_graph(words)
        total += utterance_stats(model, [(utt, X, graph)], np.inf).log_likelihood + jacobian
    return total


def test_sat_moves_a_speakers_distortion_into_its_transform(distorted):
    utts, feats, texts, speakers, odd, distortion = distorted
    config = EmbeddedConfig(word_states=6, passes=2, background_penalty=5.0, short_pause="silence")
    si, _ = train_embedded(utts, feats, texts, config)
    sat, transforms = train_sat(si, utts, feats, texts, speakers, config, rounds=2)
    assert set(transforms) == set(speakers)
    before = _log_likelihood(si, utts, feats, texts, speakers)
    after = _log_likelihood(sat, utts, feats, texts, speakers, transforms)
    assert after > before + 0.1 * sum(len(X) for X in feats)  # the transforms fit the speakers
    # the odd speaker's transform holds its distortion: without the distortion, it is as
    # far from the identity as the other speakers' own transforms (measured: 11.5 against
    # 8.4-14.6), with it five times further (56.6)
    d = len(distortion)

    def spread(a):
        return np.linalg.norm(a - np.eye(d))

    others = [spread(w[:, 1:]) for s, w in transforms.items() if s != odd]
    assert spread(transforms[odd][:, 1:] @ distortion[:, 1:]) < 1.5 * np.median(others)
    assert spread(transforms[odd][:, 1:]) > 3 * max(others)


def test_sat_errors_and_groups():
    assert speaker_groups(["b", "a", "b"]) == {"b": [0, 2], "a": [1]}
    with pytest.raises(ValueError, match="same positive number"):
        train_sat(None, ["u"], [], [["a"]], ["s"], EmbeddedConfig())
    with pytest.raises(ValueError, match="rounds must be at least 1"):
        train_sat(None, ["u"], [np.zeros((3, 3))], [["a"]], ["s"], EmbeddedConfig(), rounds=0)
