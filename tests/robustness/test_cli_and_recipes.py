"""Every command and recipe, run as a subprocess on bad arguments and missing or broken data.

Each must exit non-zero with a one-line reason (its last line on stderr, ``...error: ...``,
no traceback) and must leave every file that existed before the run byte for byte as it
was -- inputs are never overwritten. Each case runs in its own copy of a small workspace;
the cases run side by side to keep the wall time short.
"""

from __future__ import annotations

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pytest
import soundfile
from audio_copies import as_wav
from catalogue import record
from refusals import REPO, run_python, shown, snapshot

CLI = ["-m", "hmmkit.cli"]
QUICKSTART = [str(REPO / "recipes/quickstart.py")]
DIGITS = [str(REPO / "recipes/spoken_digits.py")]
PROTEIN = [str(REPO / "recipes/protein_families.py")]
SMALL_TRAINING = ["--states", "3", "--mix", "1", "--iters", "1", "--split-iters", "0", "--quiet"]


@dataclass(frozen=True)
class Case:
    """One run: ``argv`` after ``python``; ``match`` the reason must contain (regex);
    ``defect`` describes an open defect (the case is then a strict xfail). ``kind`` is
    "refused" (the default), "accepted" (must succeed without touching its inputs) or
    "help" (prints the usage and exits 2)."""

    area: str
    name: str
    argv: tuple[str, ...]
    match: str = ""
    defect: str = ""
    kind: str = "refused"


def case(area, name, argv, match="", defect="", kind="refused") -> Case:
    return Case(area, name, tuple(argv), match, defect, kind)


BUILD, SEARCH, ALIGN = "hmmkit build", "hmmkit search", "hmmkit align"
JACKHMMER = "hmmkit jackhmmer"
FIT, DECODE, ADAPT = "hmmkit fit", "hmmkit decode", "hmmkit adapt"
RECOGNIZE = "hmmkit recognize"
# fmt: off
CASES = [
    case("hmmkit", "no subcommand", [*CLI], kind="help"),
    case(RECOGNIZE, "no action", [*CLI, "recognize"], kind="help"),
    case(BUILD, "a missing alignment", [*CLI, "build", "o.hmm", "no.sto"], "no.sto"),
    case(BUILD, "a WAV file as the alignment", [*CLI, "build", "o.hmm", "audio.wav"], "audio.wav"),
    case(BUILD, "a HMMER3 file as the alignment", [*CLI, "build", "o.hmm", "model.hmm"],
         "alignment format"),
    case(BUILD, "OUT is the input alignment", [*CLI, "build", "globins4.sto", "globins4.sto"],
         "globins4.sto"),
    case(BUILD, "OUT is a folder", [*CLI, "build", "recordings", "globins4.sto"], "recordings"),
    case(BUILD, "a bad --symfrac", [*CLI, "build", "o.hmm", "globins4.sto", "--symfrac", "2"],
         "symfrac"),
    case(SEARCH, "a truncated HMM file", [*CLI, "search", "truncated.hmm", "hbb.fa"],
         "truncated.hmm"),
    case(SEARCH, "a WAV file as the database", [*CLI, "search", "model.hmm", "audio.wav"],
         "audio.wav"),
    case(SEARCH, "an empty database", [*CLI, "search", "model.hmm", "empty.fa"], "empty"),
    case(SEARCH, "--tblout is the database",
         [*CLI, "search", "--tblout", "hbb.fa", "model.hmm", "hbb.fa"], "hbb.fa"),
    case(SEARCH, "--tblout is the HMM file",
         [*CLI, "search", "--tblout", "model.hmm", "model.hmm", "hbb.fa"], "model.hmm"),
    case(SEARCH, "a negative -E", [*CLI, "search", "-E", "-1", "model.hmm", "hbb.fa"], "E must"),
    case(SEARCH, "a negative -Z", [*CLI, "search", "-Z", "-5", "model.hmm", "hbb.fa"], "Z"),
    case(JACKHMMER, "a DNA query", [*CLI, "jackhmmer", "dna.fa", "hbb.fa"], "DNA"),
    case(JACKHMMER, "-N 0", [*CLI, "jackhmmer", "-N", "0", "hbb.fa", "hbb.fa"], "-N must"),
    case(JACKHMMER, "--tblout is the query file",
         [*CLI, "jackhmmer", "--tblout", "hbb.fa", "hbb.fa", "model.hmm"], "hbb.fa"),
    case(JACKHMMER, "--cut_ga", [*CLI, "jackhmmer", "--cut_ga", "hbb.fa", "hbb.fa"],
         "Pfam score cutoffs"),
    case(JACKHMMER, "an empty database", [*CLI, "jackhmmer", "hbb.fa", "empty.fa"], "empty"),
    case(JACKHMMER, "a checkpoint prefix in a missing folder",
         [*CLI, "jackhmmer", "--chkhmm", "nowhere/ck", "hbb.fa", "hbb.fa"], "nowhere"),
    case(FIT, "a missing corpus", [*CLI, "fit", "m.npz", "nowhere", "-K", "2"], "nowhere"),
    case(FIT, "OUT is the HMMER model file", [*CLI, "fit", "model.hmm", "recordings", "-K", "2"],
         "npz"),
    case(FIT, "a folder of WAV files as the corpus", [*CLI, "fit", "m.npz", "recordings", "-K",
                                                      "2"], "no .npy"),
    case(FIT, "a folder of bool .npy arrays", [*CLI, "fit", "m.npz", "bools", "-K", "2"],
         "must hold real numbers, got dtype bool"),
    case(SEARCH, "an unknown option (--bogus)",
         [*CLI, "search", "--bogus", "out.txt", "model.hmm", "hbb.fa"],
         "^hmmkit search: error: unrecognized option: --bogus$"),
    case(DECODE, "a FASTA file as the model", [*CLI, "decode", "hbb.fa", "hbb.fa"], "hbb.fa"),
    case(ADAPT, "a FASTA file as the model", [*CLI, "adapt", "hbb.fa", "o.npz", "recordings"],
         "hbb.fa"),
    case(ALIGN, "-o is the sequence file", [*CLI, "align", "-o", "hbb.fa", "model.hmm", "hbb.fa"],
         "hbb.fa"),
    case(ALIGN, "-o is the HMM file", [*CLI, "align", "-o", "model.hmm", "model.hmm", "hbb.fa"],
         "model.hmm"),
    case(ALIGN, "an empty sequence file", [*CLI, "align", "model.hmm", "empty.fa"],
         "nothing to align"),
    case(ALIGN, "an alignment as the HMM file", [*CLI, "align", "globins4.sto", "hbb.fa"],
         "not a HMMER3"),
    case(RECOGNIZE, "files: a zero-length WAV",
         [*CLI, "recognize", "files", "broken.wav", "--models", "models"], "broken.wav"),
    case(RECOGNIZE, "files: a missing WAV",
         [*CLI, "recognize", "files", "no.wav", "--models", "models"], "no.wav"),
    case(RECOGNIZE, "files: a WAV too short for the word models",
         [*CLI, "recognize", "files", "window.wav", "--models", "models"], "short|frames"),
    case(RECOGNIZE, "files: a folder without models",
         [*CLI, "recognize", "files", "audio.wav", "--models", "recordings"], "recognizer.json"),
    case(RECOGNIZE, "train: a missing data folder",
         [*CLI, "recognize", "train", "nowhere", "--models", "out", *SMALL_TRAINING], "nowhere"),
    case(RECOGNIZE, "train: a folder without recordings",
         [*CLI, "recognize", "train", "empty", "--models", "out", *SMALL_TRAINING], "recordings"),
    case(RECOGNIZE, "train: --models is a file",
         [*CLI, "recognize", "train", "recordings", "--models", "afile", "--no-cache",
          *SMALL_TRAINING], "afile"),
    case(RECOGNIZE, "train: a zero-length WAV among the recordings",
         [*CLI, "recognize", "train", "badrecordings", "--models", "out", "--no-cache",
          *SMALL_TRAINING], "2_george_5.wav"),
    case(RECOGNIZE, "train: --models is the data folder",
         [*CLI, "recognize", "train", "recordings", "--models", "recordings", "--no-cache",
          *SMALL_TRAINING], kind="accepted"),
    case("recipes/quickstart.py", "--out is a file", [*QUICKSTART, "--out", "afile"], "afile"),
    case("recipes/quickstart.py", "an unknown option", [*QUICKSTART, "--bogus"], "unrecognized"),
    case("recipes/spoken_digits.py", "a missing data folder",
         [*DIGITS, "--data-dir", "nowhere", "--out", "out"], "nowhere"),
    case("recipes/spoken_digits.py", "--out inside the data folder",
         [*DIGITS, "--data-dir", "recordings", "--out", "recordings/run"], "inside the data"),
    case("recipes/spoken_digits.py", "--out is a file",
         [*DIGITS, "--data-dir", "recordings", "--out", "afile", "--no-cache", *SMALL_TRAINING],
         "afile"),
    case("recipes/spoken_digits.py", "a zero-length WAV among the recordings",
         [*DIGITS, "--data-dir", "badrecordings", "--out", "out", "--no-cache", *SMALL_TRAINING],
         r"2_george_[05]\.wav"),
    case("recipes/protein_families.py", "a WAV file as the family",
         [*PROTEIN, "audio.wav", "--database", "hbb.fa", "--out", "out", "--no-hmmer"],
         "audio.wav"),
    case("recipes/protein_families.py", "an empty database",
         [*PROTEIN, "globins4.sto", "--database", "empty.fa", "--out", "out", "--no-hmmer"],
         "no sequences"),
    case("recipes/protein_families.py", "--out is a file",
         [*PROTEIN, "globins4.sto", "--database", "hbb.fa", "--out", "afile", "--no-hmmer"],
         "not a folder"),
    case("recipes/protein_families.py", "an output that would overwrite the database",
         [*PROTEIN, "globins4.sto", "--database", "globins4.tbl", "--out", ".", "--no-hmmer"],
         "overwrite"),
]
# fmt: on


def xfail_if_open(c: Case):
    marks = [pytest.mark.xfail(strict=True, reason=c.defect)] if c.defect else []
    return pytest.param(c, marks=marks, id=f"{c.area}: {c.name}")


@pytest.fixture(scope="module")
def kit(shared_data, speech_wav, tmp_path_factory):
    """The workspace every case starts from: small copies of real data, broken files and a
    trained word recognizer."""
    from hmmkit.speech import MFCCConfig, TrainingConfig, WordRecognizer, extract

    kit = tmp_path_factory.mktemp("kit")
    protein, fsdd = shared_data / "protein", shared_data / "fsdd/recordings"
    shutil.copy(protein / "pyhmmer/PF02826.hmm", kit / "model.hmm")
    shutil.copy(protein / "tutorial/globins4.sto", kit / "globins4.sto")
    shutil.copy(protein / "tutorial/HBB_HUMAN", kit / "hbb.fa")
    shutil.copy(protein / "tutorial/HBB_HUMAN", kit / "globins4.tbl")
    shutil.copy(speech_wav, kit / "audio.wav")
    (kit / "truncated.hmm").write_bytes((kit / "model.hmm").read_bytes()[:2000])
    (kit / "empty.fa").write_bytes(b"")
    (kit / "dna.fa").write_text(">d\nACGTACGTACGTACGTACGTACGT\n")
    (kit / "broken.wav").write_bytes(b"")
    (kit / "afile").write_text("a file, not a folder\n")
    (kit / "empty").mkdir()
    (kit / "bools").mkdir()
    np.save(kit / "bools/s0.npy", np.zeros((10, 2), dtype=bool))
    samples, rate = soundfile.read(str(speech_wav), dtype="int16")
    soundfile.write(str(kit / "window.wav"), samples[:200], rate, subtype="PCM_16")
    names = [f"{d}_george_{i}.wav" for d in (0, 1) for i in (0, 5, 6)]
    for folder in ("recordings", "badrecordings"):
        (kit / folder).mkdir()
        for name in names:
            as_wav(fsdd / name.replace(".wav", ".flac"), kit / folder / name)
    (kit / "badrecordings/2_george_5.wav").write_bytes(b"")
    (kit / "badrecordings/2_george_0.wav").write_bytes(b"")
    config = MFCCConfig()
    paths = [kit / "recordings" / n for n in names if "_0.wav" not in n]
    training = TrainingConfig(n_states=3, n_mix=1, n_iter=2, n_iter_split=0)
    rec = WordRecognizer(training, n_jobs=1, feature_config=config.to_dict())
    rec.fit(extract(paths, config), [p.name[0] for p in paths]).save(kit / "models")
    return kit


@pytest.fixture(scope="module")
def runs(kit, tmp_path_factory):
    """Every case run in a fresh copy of the kit: (completed process, files before, after)."""
    root = tmp_path_factory.mktemp("runs")
    env = {"MPLBACKEND": "Agg", "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}

    def run(index_case):
        index, c = index_case
        workspace = root / f"case{index:02d}"
        shutil.copytree(kit, workspace)
        before = snapshot(workspace)
        cache = str(workspace / ".cache")
        done = run_python(list(c.argv), workspace, timeout=600, HMMKIT_CACHE=cache, **env)
        return c, (done, before, snapshot(workspace))

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(pool.map(run, enumerate(CASES)))


def reason_of(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


@pytest.mark.parametrize("c", [xfail_if_open(c) for c in CASES])
def test_command(runs, c):
    done, before, after = runs[c]
    reason = reason_of(done.stderr)
    changed = sorted(name for name, digest in before.items() if after.get(name) != digest)
    traceback = "Traceback" in done.stderr
    details = {"accepted": "runs; no input file changed", "help": "prints the usage"}
    detail = c.defect or details.get(c.kind, reason)
    answer = f"exit {done.returncode}" + (" (open defect)" if c.defect else "")
    record(f"command line: {c.area}", c.name, answer, shown(detail)[:160])
    assert not changed, f"inputs overwritten: {changed}"
    assert not traceback, done.stderr[-2000:]
    if c.kind == "accepted":
        assert done.returncode == 0, done.stderr[-2000:]
        return
    if c.kind == "help":
        assert done.returncode == 2 and "usage:" in done.stdout + done.stderr
        return
    assert done.returncode != 0, f"exit 0; stdout: {done.stdout[-500:]}"
    assert re.search(r"error: ", reason), f"no one-line reason: {done.stderr[-800:]}"
    assert re.search(c.match, reason), f"{reason!r} lacks {c.match!r}"


def test_the_word_models_the_cases_use_work(kit):
    """The saved recognizer scores real recordings (its refusals above are not its fault)."""
    from hmmkit.speech import WordRecognizer, extract

    rec = WordRecognizer.load(kit / "models")
    scores = rec.score(
        extract([kit / "recordings/0_george_0.wav", kit / "recordings/1_george_0.wav"])
    )
    assert np.all(np.isfinite(scores)) and rec.words_ == ["0", "1"]
