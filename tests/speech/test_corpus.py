"""Spoken-digit corpus: file listing, speakers from names, splits, data location, download."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from hmmkit.speech import corpus as C

MANIFEST = Path(__file__).resolve().parents[2] / "data" / "fsdd_manifest.json"


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
    assert first.path.name == f"{first.label}_{first.speaker}_{first.index}.wav"
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
    monkeypatch.setenv("HMMKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match="--data-dir.*--download"):
        C.locate()
    monkeypatch.setenv("HMMKIT_DATA", str(tmp_path))
    make_folder(tmp_path / "fsdd" / "recordings", ["2_eve_9.wav"])
    assert C.locate() == tmp_path / "fsdd"


def test_locate_uses_the_fallback_then_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("HMMKIT_DATA", raising=False)
    monkeypatch.setenv("HMMKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "cache")):
        C.locate(fallback=tmp_path / "beside")
    make_folder(tmp_path / "cache" / "fsdd" / "recordings", ["1_ann_0.wav"])
    assert C.locate(fallback=tmp_path / "beside") == tmp_path / "cache" / "fsdd"
    make_folder(tmp_path / "beside" / "recordings", ["2_eve_9.wav"])
    assert C.locate(fallback=tmp_path / "beside") == tmp_path / "beside"


def test_locate_downloads_only_with_a_manifest(fsdd, tmp_path, monkeypatch):
    monkeypatch.delenv("HMMKIT_DATA", raising=False)
    monkeypatch.setenv("HMMKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match="manifest"):
        C.locate(allow_download=True)
    name = "3_lucas_7.wav"
    manifest = {
        "url_pattern": (fsdd / "recordings").as_uri() + "/{name}",
        "files": {name: C.sha256_file(fsdd / "recordings" / name)},
    }
    found = C.locate(manifest=manifest, allow_download=True)
    assert found == tmp_path / "cache" / "fsdd"
    assert [u.path.name for u in C.list_recordings(found)] == [name]


def test_manifest_matches_the_shared_recordings(fsdd):
    manifest = C.read_manifest(MANIFEST)
    assert "{name}" in manifest["url_pattern"]
    files = manifest["files"]
    assert len(files) == 2500
    on_disk = sorted(p.name for p in (fsdd / "recordings").glob("*.wav"))
    assert sorted(files) == on_disk
    for name in on_disk[::50]:
        assert C.sha256_file(fsdd / "recordings" / name) == files[name]


def test_download_checks_sha256_and_skips_good_files(fsdd, tmp_path):
    names = ["0_george_0.wav", "9_theo_49.wav"]
    manifest = dict(C.read_manifest(MANIFEST))
    manifest["url_pattern"] = (fsdd / "recordings").as_uri() + "/{name}"
    cache = tmp_path / "cache"
    assert C.download(cache, manifest, names=names) == cache
    got = sorted(p.name for p in (cache / "recordings").iterdir())
    assert got == sorted(names)
    stamp = (cache / "recordings" / names[0]).stat().st_mtime_ns
    os.utime(cache / "recordings" / names[0], ns=(stamp - 10**9, stamp - 10**9))
    C.download(cache, manifest, names=names)
    assert (cache / "recordings" / names[0]).stat().st_mtime_ns == stamp - 10**9
    assert len(C.list_recordings(cache)) == 2

    bad = json.loads(json.dumps(manifest))
    bad["files"][names[1]] = "0" * 64
    (cache / "recordings" / names[1]).unlink()
    with pytest.raises(ValueError, match="does not match"):
        C.download(cache, bad, names=names)
    assert not (cache / "recordings" / names[1]).exists()


def test_download_offline_says_what_to_do(tmp_path):
    manifest = {"url_pattern": (tmp_path / "offline").as_uri() + "/{name}", "files": {"a.wav": ""}}
    with pytest.raises(ConnectionError, match="--data-dir"):
        C.download(tmp_path / "cache", manifest)


def test_flac_recordings_are_listed_and_hidden_files_are_not(tmp_path):
    import soundfile

    folder = tmp_path / "recordings"
    folder.mkdir()
    soundfile.write(folder / "3_ana_0.flac", np.zeros(800, dtype=np.int16), 8000)
    soundfile.write(folder / "3_ana_1.wav", np.zeros(800, dtype=np.int16), 8000)
    (folder / "._3_ana_2.wav").write_bytes(b"\x00\x05\x16\x07")
    found = C.list_recordings(tmp_path)
    assert [u.path.name for u in found] == ["3_ana_0.flac", "3_ana_1.wav"]
