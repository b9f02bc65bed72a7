"""The data shipped in the repository's data/: the FLAC recordings decode to the published
WAVs' samples bit for bit, every file is listed with its checksum, and every set carries
its licence notice."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import soundfile

DATA = Path(__file__).resolve().parent.parent / "data"


def test_every_flac_decodes_to_the_published_samples():
    manifest = json.loads((DATA / "fsdd" / "manifest.json").read_text())
    expected = manifest["embedded"]["files"]
    folder = DATA / "fsdd" / manifest["embedded"]["folder"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
    assert len(expected) == 2500
    for name, digest in expected.items():
        with soundfile.SoundFile(folder / name) as f:
            assert (f.format, f.subtype, f.channels, f.samplerate) == ("FLAC", "PCM_16", 1, 8000)
            samples = f.read(dtype="int16")
        assert samples.size > 0, name
        assert hashlib.sha256(samples.astype("<i2").tobytes()).hexdigest() == digest, name


def test_a_changed_sample_changes_the_checksum(tmp_path):
    """The check above can fail: one sample off by one gives another digest."""
    manifest = json.loads((DATA / "fsdd" / "manifest.json").read_text())
    name = "4_nicolas_17.flac"
    samples, rate = soundfile.read(DATA / "fsdd" / "recordings" / name, dtype="int16")
    samples = samples.copy()
    samples[len(samples) // 2] += np.int16(1)
    soundfile.write(tmp_path / name, samples, rate, subtype="PCM_16")
    again, _ = soundfile.read(tmp_path / name, dtype="int16")
    digest = hashlib.sha256(again.astype("<i2").tobytes()).hexdigest()
    assert digest != manifest["embedded"]["files"][name]


def test_the_flac_files_keep_the_published_names():
    manifest = json.loads((DATA / "fsdd" / "manifest.json").read_text())
    published = {n.removesuffix(".wav") for n in manifest["published"]["files"]}
    assert {n.removesuffix(".flac") for n in manifest["embedded"]["files"]} == published


def test_every_data_set_carries_its_licence_notice():
    notices = {
        "fsdd": "CC BY-SA 4.0",
        "protein/tutorial": "BSD three-clause",
        "protein/pyhmmer": "MIT License",
        "hmmer_parameters": "BSD three-clause",
    }
    for folder, licence in notices.items():
        text = (DATA / folder / "NOTICE.md").read_text(encoding="utf-8")
        assert licence in text, folder
    fsdd = (DATA / "fsdd" / "NOTICE.md").read_text(encoding="utf-8")
    assert "github.com/Jakobovski/free-spoken-digit-dataset" in fsdd
    assert "creativecommons.org/licenses/by-sa/4.0" in fsdd
    assert "No other change" in fsdd
