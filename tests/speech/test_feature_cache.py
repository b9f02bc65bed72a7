"""The feature cache: packs of static cepstra keyed by the recordings' content."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile

from hmmkit.speech import features as F
from hmmkit.speech.feature_cache import FeatureCache


def test_extract_gives_39_dims_and_the_cache_avoids_recomputation(fsdd_file, tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    first = F.extract([fsdd_file], cache=cache)
    assert first[0].shape[1] == 39 and (cache.misses, cache.hits) == (1, 0)
    second = F.extract([fsdd_file], cache=cache)
    assert (cache.misses, cache.hits) == (1, 1)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_allclose(first[0], F.extract([fsdd_file])[0])
    # The key is the content: a renamed copy hits, another setting misses.
    copy = tmp_path / "renamed.wav"
    shutil.copy(fsdd_file, copy)
    F.extract([copy], cache=cache)
    assert cache.hits == 2
    F.extract([fsdd_file], F.MFCCConfig(nfilt=40), cache=cache)
    assert cache.misses == 2
    packs = sorted((tmp_path / "cache").glob("pack-*.npz"))
    assert len(packs) == 2 and len(list((tmp_path / "cache").iterdir())) == 2
    with np.load(packs[0], allow_pickle=False) as data:
        assert data["cepstra"].shape[1] == 13 and len(data["keys"]) == 1


def test_a_batch_is_cached_as_one_pack_and_read_back_by_another_cache(fsdd_file, tmp_path):
    """Recordings analysed together are stored as one file; a new cache over the same
    folder (a later run) reads each back, in any order and mixed with new ones."""
    paths = sorted(fsdd_file.parent.glob("*_jackson_1.flac"))[:6]
    config = F.MFCCConfig()
    first = FeatureCache(tmp_path).get_many(paths[:4], config)
    assert len(list(tmp_path.iterdir())) == 1
    later = FeatureCache(tmp_path)
    again = later.get_many(paths[::-1], config)
    assert (later.hits, later.misses) == (4, 2)
    for a, b in zip(first, again[::-1][:4], strict=True):
        np.testing.assert_array_equal(a, b)
    for path, feats in zip(paths, again[::-1], strict=True):
        np.testing.assert_allclose(feats, F.mfcc(*F.read_audio(path)), rtol=1e-12, atol=1e-12)
    assert len(list(tmp_path.glob("pack-*.npz"))) == 2


def test_damaged_cache_entry_is_recomputed(fsdd_file, tmp_path):
    cache = FeatureCache(tmp_path)
    good = cache.get(fsdd_file, F.MFCCConfig())
    (entry,) = tmp_path.glob("pack-*.npz")
    damaged = [b"not an npz", b"", entry.read_bytes()[:100]]  # foreign, empty, truncated
    plain = tmp_path / "plain.npy"
    np.save(plain, np.zeros(3))
    damaged.append(plain.read_bytes())  # a .npy, not an .npz
    for i, content in enumerate(damaged):
        # damaged under a cache that read the pack before, and before a new cache reads it
        for n, reader in enumerate((cache, FeatureCache(tmp_path))):
            entry.write_bytes(content)
            np.testing.assert_array_equal(reader.get(fsdd_file, F.MFCCConfig()), good)
            assert reader.misses == (2 + i if n == 0 else 1)


def test_cache_is_filled_safely_from_several_threads(fsdd_file, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    cache = FeatureCache(tmp_path / "cache")
    copies = []
    for i in range(4):
        copies.append(tmp_path / f"copy{i}.wav")
        shutil.copy(fsdd_file, copies[-1])
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: cache.get(p, F.MFCCConfig()), copies * 6))
    for result in results:
        np.testing.assert_array_equal(result, results[0])
    assert [p.suffix for p in (tmp_path / "cache").iterdir()] == [".npz"]  # no leftovers


def test_a_short_recording_within_a_batch_is_named(fsdd_file, tmp_path):
    short = tmp_path / "0_x_1.wav"
    soundfile.write(short, np.zeros(150, dtype=np.int16), 8000)
    with pytest.raises(ValueError, match="0_x_1.wav: signal has 150 samples"):
        F.extract([fsdd_file, short, fsdd_file])
    with pytest.raises(ValueError, match="0_x_1.wav: signal has 150 samples"):
        FeatureCache(tmp_path / "cache").get_many([fsdd_file, short], F.MFCCConfig())
    assert not (tmp_path / "cache").exists()  # nothing stored from a failed batch
