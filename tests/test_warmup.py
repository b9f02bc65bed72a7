"""``hmmkit warmup``: after it, the commands and the Python API compile nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

HMMKIT = [sys.executable, "-m", "hmmkit"]
FIT = """
import numpy as np
from hmmkit import GMMHMM, GaussianHMM
rng = np.random.default_rng(5)
seqs = [rng.normal(size=(n, 4)) for n in (80, 50, 120)]
for model in (GaussianHMM(4, "diag", n_iter=3), GaussianHMM(3, "full", n_iter=3),
              GMMHMM(3, 2, "diag", n_iter=3, topology="left-right")):
    model.fit(seqs)
    model.decode(seqs[0])
    model.predict_proba(seqs[1])
"""


def run(args: list[str], cache) -> subprocess.CompletedProcess:
    """Run `args` with numba's cache in `cache`, from that folder: ``python -m``/``-c`` put
    the working folder on the import path, and from the repository's root they would
    import the source tree's hmmkit rather than the installed one a script imports (two
    sets of source files, two sets of cached kernels)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), HMMKIT_COMPILE_NOTICE="1")
    return subprocess.run(args, capture_output=True, text=True, check=True, env=env,
                          cwd=cache)  # fmt: skip


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A numba cache filled by `hmmkit warmup` (both sets), and what warmup printed."""
    cache = tmp_path_factory.mktemp("numba")
    return cache, run([*HMMKIT, "warmup"], cache)


def test_warmup_reports_what_it_compiled_then_finds_it_cached(warm_cache):
    cache, done = warm_cache
    lines = done.stdout.splitlines()
    assert lines[0].startswith("hmmkit warmup: profile: compiled ")
    assert "profile HMM kernel(s)" in lines[0] and lines[0].endswith(" s of CPU")
    assert lines[1].startswith("hmmkit warmup: hmm: compiled ") and "HMM kernel(s)" in lines[1]
    assert lines[2].startswith("hmmkit warmup: speech: compiled ")
    assert "compiling the" in done.stderr  # the notice, once
    again = run([*HMMKIT, "warmup"], cache)
    assert again.stdout.count("compiled nothing (all cached already)") == 3
    assert again.stderr == ""


def test_after_warmup_profile_commands_compile_nothing(warm_cache, shared_data, tmp_path):
    cache, _ = warm_cache
    tutorial, pyhmmer = shared_data / "protein/tutorial", shared_data / "protein/pyhmmer"
    proteome = "938293.PRJEB85.HG003687.faa"
    model = str(tmp_path / "g.hmm")
    for args in (["build", model, str(tutorial / "globins4.sto")],
                 ["search", str(pyhmmer / "PF02826.hmm"), str(tutorial / "globins45.fa")],
                 ["search", "--cpu", "2", model, str(tutorial / "globins45.fa")],
                 ["align", model, str(tutorial / "globins45.fa")],
                 # multi-domain regions: the stochastic traceback and envelope clustering
                 ["search", str(pyhmmer / "PF02826.hmm"), str(pyhmmer / proteome)]):  # fmt: skip
        done = run([*HMMKIT, *args], cache)
        assert "compiling" not in done.stderr, (args[0], done.stderr)


def test_after_warmup_press_scan_and_nhmmer_compile_nothing(warm_cache, shared_data, tmp_path):
    cache, _ = warm_cache
    tutorial, pyhmmer = shared_data / "protein/tutorial", shared_data / "protein/pyhmmer"
    database = tmp_path / "db.hmm"
    database.write_text(
        (pyhmmer / "PF02826.hmm").read_text() + (pyhmmer / "Thioesterase.hmm").read_text()
    )
    dna_model = str(tmp_path / "made1.hmm")
    member = next(line.split()[1] for line in (tutorial / "MADE1.sto").read_text().splitlines()
                  if line.strip() and not line.startswith("#"))  # fmt: skip
    rng = np.random.default_rng(3)
    spacer = lambda n: "".join(rng.choice(list("ACGT"), size=n))  # noqa: E731
    target = tmp_path / "target.fa"
    target.write_text(">chr\n" + spacer(3000) + member.replace("-", "").replace(".", "").upper()
                      + spacer(3000) + "\n")  # fmt: skip
    for args in (["press", str(database)],
                 ["scan", str(database), str(tutorial / "globins45.fa")],
                 ["build", dna_model, str(tutorial / "MADE1.sto")],
                 ["nhmmer", dna_model, str(target)]):  # fmt: skip
        done = run([*HMMKIT, *args], cache)
        assert "compiling" not in done.stderr, (args[0], done.stderr)


def test_after_warmup_generic_hmms_compile_nothing(warm_cache, tmp_path):
    cache, _ = warm_cache
    folder = tmp_path / "feats"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        np.save(folder / f"s{i}.npy", rng.normal(size=(40 + i, 3)))
    done = run([sys.executable, "-c", FIT], cache)
    assert "compiling" not in done.stderr, done.stderr
    for args in (["fit", str(tmp_path / "m.npz"), str(folder), "-K", "3", "--iter", "3"],
                 ["decode", str(tmp_path / "m.npz"), str(folder)]):  # fmt: skip
        done = run([*HMMKIT, *args], cache)
        assert "compiling" not in done.stderr, (args[0], done.stderr)


def test_after_warmup_continuous_speech_compiles_nothing(warm_cache, shared_data, tmp_path):
    from hmmkit.speech.corpus import list_recordings
    from hmmkit.speech.digit_strings import build_digit_strings

    cache, _ = warm_cache
    recs = [r for r in list_recordings(shared_data / "fsdd") if r.index in (10, 11)]
    build_digit_strings(recs, tmp_path / "data", seed=2)
    data, model = str(tmp_path / "data"), str(tmp_path / "model")
    aligned, decoded = str(tmp_path / "aligned"), str(tmp_path / "decoded")
    for args in (["asr", "train", data, model, "--n-mix", "2", "--passes", "2", "--quiet"],
                 ["asr", "align", model, data, aligned],
                 ["asr", "decode", model, data, decoded, "--adapt", "10"]):  # fmt: skip
        done = run([*HMMKIT, *args], cache)
        assert "compiling" not in done.stderr, (args[1], done.stderr)


def test_after_warmup_the_spoken_digit_recipe_compiles_nothing(warm_cache, shared_data, tmp_path):
    """The README's main job (fewer EM iterations): training with segmental starts and
    mixture splitting, recognition and speaker adaptation, all from the cache."""
    cache, _ = warm_cache
    recipe = os.path.join(os.path.dirname(__file__), "..", "recipes", "spoken_digits.py")
    done = run([sys.executable, recipe, "--quiet", "--data-dir", str(shared_data / "fsdd"),
                "--out", str(tmp_path / "out"), "--no-cache", "--iters", "1",
                "--split-iters", "1", "--adapt-iters", "1"], cache)  # fmt: skip
    assert "accuracy" in done.stdout
    assert "compiling" not in done.stderr, done.stderr
