"""Data location (HMMKIT_DATA, the cache) and fetching published files with pooch, against
a web server on the loopback address."""

from __future__ import annotations

import hashlib

import pytest

from hmmkit import datasets


def test_data_root_is_hmmkit_data_when_set_else_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("HMMKIT_DATA", raising=False)
    assert datasets.data_root() is None
    assert datasets.data_root(tmp_path / "repo" / "data") == tmp_path / "repo" / "data"
    monkeypatch.setenv("HMMKIT_DATA", str(tmp_path / "mine"))
    assert datasets.data_root(tmp_path / "repo" / "data") == tmp_path / "mine"


def test_cache_root_is_hmmkit_cache_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("HMMKIT_CACHE", str(tmp_path / "c"))
    assert datasets.cache_root() == tmp_path / "c"
    monkeypatch.delenv("HMMKIT_CACHE")
    assert datasets.cache_root().name == "hmmkit"


def test_fetch_one_file_with_a_progress_bar_then_from_the_cache(tmp_path, web_folder, capsys):
    served, url = web_folder
    payload = bytes(range(256)) * 400
    (served / "block.bin").write_bytes(payload)
    digest = {"block.bin": hashlib.sha256(payload).hexdigest()}
    target = tmp_path / "cache"
    assert datasets.fetch(target, url + "/{name}", digest) == target
    assert (target / "block.bin").read_bytes() == payload
    assert "100%" in capsys.readouterr().err  # pooch's bar
    (served / "block.bin").unlink()
    datasets.fetch(target, url + "/{name}", digest, progress=False)  # no request made
    assert (target / "block.bin").read_bytes() == payload


def test_fetch_several_files_shows_one_bar(tmp_path, web_folder, capsys):
    served, url = web_folder
    digests = {}
    for i in range(3):
        (served / f"f{i}").write_bytes(b"x" * (i + 1))
        digests[f"f{i}"] = hashlib.sha256(b"x" * (i + 1)).hexdigest()
    datasets.fetch(tmp_path / "c", url + "/{name}", digests)
    err = capsys.readouterr().err
    assert "fetch" in err and "3/3" in err and "Downloading" not in err


def test_a_file_whose_digest_differs_is_refused_and_not_kept(tmp_path, web_folder):
    served, url = web_folder
    (served / "a").write_bytes(b"published")
    with pytest.raises(ValueError, match="does not match"):
        datasets.fetch(tmp_path / "c", url + "/{name}", {"a": "0" * 64}, progress=False)
    assert not (tmp_path / "c" / "a").exists()


def test_an_unreachable_source_says_what_to_do(tmp_path, web_folder):
    _, url = web_folder
    with pytest.raises(ConnectionError, match="HMMKIT_DATA"):
        datasets.fetch(tmp_path / "c", url + "/none/{name}", {"a": "0" * 64}, progress=False)
