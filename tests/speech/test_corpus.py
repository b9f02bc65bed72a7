"""Spoken-digit corpus: file listing, speakers from names, splits, data location, fetching."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from hmmkit.speech import corpus as C

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / "data" / "fsdd" / "manifest.json"


@pytest.fixture(scope="module")
def fsdd(shared_data):
    return shared_data / "fsdd"


@pytest.fixture(scope="module")
def utts(fsdd):
    return C.list_recordings(fsdd)


def make_folder(root, names):
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        soundfile.write(root / name, np.zeros(800), 8000, subtype="PCM_16")
    return root


def test_lists_the_shared_recordings(utts, fsdd):
    assert len(utts) == 2500
    assert C.speakers(utts) == ["george", "jackson", "lucas", "nicolas", "theo"]
    assert C.labels(utts) == [str(d) for d in range(10)]
    first = utts[0]
    assert first.path.name.startswith(f"{first.label}_{first.speaker}_{first.index}.")
    assert C.list_recordings(fsdd / "recordings") == utts


def test_official_split_takes_0_to_4_as_test(utts):
    train, test = C.split(utts, "official")
    assert (len(train), len(test)) == (2250, 250)
    assert {u.index for u in test} == set(range(5))
    assert min(u.index for u in train) == 5
    assert not {u.path for u in train} & {u.path for u in test}


def test_speaker_split_holds_out_one_speaker(utts):
    train, test = C.split(utts, "speaker:lucas")
    assert {u.speaker for u in test} == {"lucas"} and len(test) == 500
    assert "lucas" not in {u.speaker for u in train} and len(train) == 2000


def test_bad_splits_are_rejected(utts):
    with pytest.raises(ValueError, match="unknown speaker 'nobody'"):
        C.split(utts, "speaker:nobody")
    with pytest.raises(ValueError, match="official"):
        C.split(utts, "random")


def test_speakers_come_from_whatever_files_a_folder_holds(tmp_path):
    folder = make_folder(
        tmp_path / "rec",
        ["0_ann_0.wav", "1_ann_7.wav", "0_bob_lee_3.wav", "x.wav", "yes_ann_2.wav"],
    )
    (folder / "notes.txt").write_text("not audio")
    (folder / "1_ann_x.wav").mkdir()
    utts = C.list_recordings(folder)
    assert [(u.label, u.speaker, u.index) for u in utts] == [
        ("0", "ann", 0),
        ("1", "ann", 7),
        ("yes", "ann", 2),
        ("0", "bob_lee", 3),
    ]
    assert C.speakers(utts) == ["ann", "bob_lee"]
    with pytest.raises(ValueError, match="0 training"):
        C.split([u for u in utts if u.index < 5], "official")


def test_missing_or_empty_folders_are_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        C.list_recordings(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no .*recordings"):
        C.list_recordings(tmp_path / "empty")


def test_data_location_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HMMKIT_DATA", str(tmp_path / "d"))
    assert C.default_data_dir() == tmp_path / "d" / "fsdd"
    assert C.default_data_dir(tmp_path / "x") == tmp_path / "x"
    assert C.default_data_dir(None, tmp_path / "f") == tmp_path / "d" / "fsdd"
    monkeypatch.delenv("HMMKIT_DATA")
    assert C.default_data_dir(None, tmp_path / "f") == tmp_path / "f"
    assert C.default_data_dir() is None


def test_locate_explains_what_to_do_when_nothing_is_there(tmp_path, monkeypatch):
    monkeypatch.setenv("HMMKIT_DATA", str(tmp_path / "none"))
    with pytest.raises(FileNotFoundError, match="--data-dir.*HMMKIT_DATA.*--download"):
        C.locate()
    monkeypatch.setenv("HMMKIT_DATA", str(tmp_path))
    make_folder(tmp_path / "fsdd" / "recordings", ["2_eve_9.flac"])
    assert C.locate() == tmp_path / "fsdd"
    assert C.locate(fallback=tmp_path / "beside") == tmp_path / "fsdd"
    monkeypatch.delenv("HMMKIT_DATA")
    with pytest.raises(FileNotFoundError, match="beside"):
        C.locate(fallback=tmp_path / "beside")


def test_the_embedded_recordings_are_the_default_beside_the_recipe(monkeypatch):
    monkeypatch.delenv("HMMKIT_DATA", raising=False)
    embedded = REPO_ROOT / "data" / "fsdd"
    assert C.locate(fallback=embedded) == embedded
    assert len(C.list_recordings(embedded)) == 2500


def serve(folder, names, fsdd):
    """Copies of the embedded recordings, as WAV, under the served `folder`; their sha256s."""
    digests = {}
    for name in names:
        samples, rate = soundfile.read(fsdd / "recordings" / name.replace(".wav", ".flac"),
                                       dtype="int16")  # fmt: skip
        soundfile.write(folder / name, samples, rate, subtype="PCM_16")
        digests[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    return digests


def test_locate_fetches_the_published_recordings_only_with_a_manifest(
    fsdd, tmp_path, monkeypatch, web_folder
):
    monkeypatch.delenv("HMMKIT_DATA", raising=False)
    monkeypatch.setenv("HMMKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match="manifest"):
        C.locate(published=True)
    folder, url = web_folder
    digests = serve(folder, ["3_lucas_7.wav"], fsdd)
    manifest = {"published": {"url_pattern": url + "/{name}", "files": digests}}
    found = C.locate(manifest=manifest, published=True, progress=False)
    assert found == tmp_path / "cache" / "fsdd"
    assert [u.path.name for u in C.list_recordings(found)] == ["3_lucas_7.wav"]


def test_manifest_lists_the_published_and_the_embedded_recordings(fsdd):
    manifest = C.read_manifest(MANIFEST)
    published = manifest["published"]
    assert "{name}" in published["url_pattern"]
    assert len(published["files"]) == 2500
    on_disk = sorted(p.name for p in (fsdd / "recordings").glob("*.flac"))
    assert sorted(manifest["embedded"]["files"]) == on_disk
    assert sorted(n.replace(".wav", ".flac") for n in published["files"]) == on_disk


def test_fetch_checks_sha256_and_keeps_good_files(fsdd, tmp_path, web_folder):
    names = ["0_george_0.wav", "9_theo_49.wav"]
    folder, url = web_folder
    digests = serve(folder, names, fsdd)
    manifest = {"published": {"url_pattern": url + "/{name}", "files": digests}}
    cache = tmp_path / "cache"
    assert C.fetch_published(manifest, cache, names=names, progress=False) == cache
    got = sorted(p.name for p in (cache / "recordings").iterdir())
    assert got == sorted(names)
    stamp = (cache / "recordings" / names[0]).stat().st_mtime_ns
    os.utime(cache / "recordings" / names[0], ns=(stamp - 10**9, stamp - 10**9))
    (folder / names[0]).unlink()  # a second fetch must not ask the server again
    C.fetch_published(manifest, cache, names=names, progress=False)
    assert (cache / "recordings" / names[0]).stat().st_mtime_ns == stamp - 10**9
    assert len(C.list_recordings(cache)) == 2

    bad = json.loads(json.dumps(manifest))
    bad["published"]["files"][names[1]] = "0" * 64
    (cache / "recordings" / names[1]).unlink()
    with pytest.raises(ValueError, match="does not match"):
        C.fetch_published(bad, cache, names=names, progress=False)
    assert not (cache / "recordings" / names[1]).exists()
    with pytest.raises(ValueError, match="not in the manifest"):
        C.fetch_published(manifest, cache, names=["7_nobody_0.wav"], progress=False)


def test_fetch_offline_says_what_to_do(tmp_path, web_folder):
    _, url = web_folder
    manifest = {"published": {"url_pattern": url + "/missing/{name}", "files": {"a.wav": "0" * 64}}}
    with pytest.raises(ConnectionError, match="HMMKIT_DATA"):
        C.fetch_published(manifest, tmp_path / "cache", progress=False)


def test_flac_recordings_are_listed_and_hidden_files_are_not(tmp_path):
    import soundfile

    folder = tmp_path / "recordings"
    folder.mkdir()
    soundfile.write(folder / "3_ana_0.flac", np.zeros(800, dtype=np.int16), 8000)
    soundfile.write(folder / "3_ana_1.wav", np.zeros(800, dtype=np.int16), 8000)
    (folder / "._3_ana_2.wav").write_bytes(b"\x00\x05\x16\x07")
    found = C.list_recordings(tmp_path)
    assert [u.path.name for u in found] == ["3_ana_0.flac", "3_ana_1.wav"]
