"""Embedded training on several threads and on a Dask cluster equals the one-thread run."""

import pickle
from dataclasses import replace

import distributed
import numpy as np
import pytest
from asr_factories import tiny_model

from hmmkit.speech.corpus import list_recordings
from hmmkit.speech.data_folder import folder_features, read_data_folder
from hmmkit.speech.digit_strings import build_digit_strings
from hmmkit.speech.embedded import EmbeddedConfig, train_embedded
from hmmkit.speech.estep import utterance_stats
from hmmkit.speech.estep_backends import (
    EmbeddedEStep,
    EStepSettings,
    StageESteps,
    UtteranceShards,
)
from hmmkit.speech.features import MFCCConfig


@pytest.fixture(scope="module")
def corpus(shared_data, tmp_path_factory):
    recs = [r for r in list_recordings(shared_data / "fsdd") if r.index in (7, 8)]
    folder = tmp_path_factory.mktemp("strings")
    build_digit_strings(recs, folder, seed=2)
    data = read_data_folder(folder, need_text=True)
    feats = folder_features(data, MFCCConfig())
    return [u.utt for u in data.utterances], feats, [u.words for u in data.utterances]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=False,
        threads_per_worker=1,
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _assert_same(a, b):
    (model_a, log_a), (model_b, log_b) = a, b
    assert log_a.passes == log_b.passes
    assert log_a.skipped == log_b.skipped
    for name in ("weights", "means", "covars"):
        np.testing.assert_array_equal(
            getattr(model_a.mixtures, name), getattr(model_b.mixtures, name)
        )
    for unit, (states, transp) in model_a.units.items():
        np.testing.assert_array_equal(model_b.units[unit][0], states)
        np.testing.assert_array_equal(model_b.units[unit][1], transp)


def test_threads_and_dask_train_the_one_thread_model(corpus, client):
    utts, feats, texts = corpus
    config = EmbeddedConfig(word_states=6, passes=2, n_mix=2, n_jobs=1)
    one = train_embedded(utts, feats, texts, config)
    assert len(one[1].passes) == 3 * config.passes  # with sp, realigned, 2 mixtures
    _assert_same(train_embedded(utts, feats, texts, replace(config, n_jobs=2)), one)
    _assert_same(train_embedded(utts, feats, texts, config, backend="dask", client=client), one)


def test_shards_are_fixed_runs_of_utterances_and_their_sum_is_the_whole():
    model = tiny_model(3)
    rng = np.random.default_rng(0)
    words = [["a"], ["b", "a"], ["a", "b"], ["b"], ["a", "a"]] * 3
    items = [
        (f"u{i}", rng.normal(size=(int(rng.integers(15, 30)), 3)), model.transcript_graph(w))
        for i, w in enumerate(words)
    ]
    source = UtteranceShards(items, shard_size=4)
    assert source.shard_keys() == [0, 1, 2, 3]
    assert [len(source.load(k)) for k in source.shard_keys()] == [4, 4, 4, 3]
    assert [u for k in source.shard_keys() for u in source.load(k).utts] == [u for u, _, _ in items]
    settings = EStepSettings(model, np.inf)
    assert pickle.loads(pickle.dumps(settings)).model.units.keys() == model.units.keys()
    with EmbeddedEStep(items, n_jobs=2) as estep:
        shards = estep(settings)
    whole = utterance_stats(model, items, np.inf)
    for key, value in whole.moments.items():
        np.testing.assert_allclose(shards.moments[key], value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(shards.transitions, whole.transitions, rtol=1e-10, atol=1e-12)
    assert shards.n_frames == whole.n_frames
    with pytest.raises(ValueError, match="shard_size"):
        UtteranceShards(items, shard_size=0)
    with pytest.raises(ValueError, match="backend must be one of"):
        EmbeddedEStep(items, backend="mpi")


def test_stages_over_the_same_graphs_share_one_estep_and_others_get_their_own():
    model = tiny_model(3)
    rng = np.random.default_rng(1)
    words = [["a"], ["b", "a"], ["a", "b"]]
    feats = [rng.normal(size=(int(rng.integers(15, 30)), 3)) for _ in words]
    with_sp = [model.transcript_graph(w) for w in words]
    without = [model.transcript_graph(w, short_pause=False) for w in words]
    settings = EStepSettings(model, np.inf)
    with StageESteps(["u0", "u1", "u2"], feats, n_jobs=1) as stages:
        first = stages.over(with_sp)
        assert stages.over(with_sp) is first
        other = stages.over(without)
        assert other is not first and stages.over(without) is other
        for graphs, estep in ((without, other), (with_sp, stages.over(with_sp))):
            items = list(zip(["u0", "u1", "u2"], feats, graphs, strict=True))
            whole = utterance_stats(model, items, np.inf)
            got = estep(settings)
            assert got.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)
            np.testing.assert_allclose(got.transitions, whole.transitions, rtol=1e-10)
