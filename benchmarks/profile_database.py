"""The search benchmark's protein database and query models, built deterministically.

No protein database of the size users search ships with the project, so one is made from
the real data in ``data/protein``:

* the 2,100 proteins of the proteome (real sequences);
* ``EMITTED`` sequences from every query model's search profile (HMMER's
  ``Profile.emit_sequence``: a local, multi-hit homologue in random flanks), so every
  model has true hits to find;
* shuffles of the proteome's proteins (each a random permutation of one protein's
  residues, so lengths and composition are real) up to ``size`` sequences in all.

The whole is put in a random order (seeded) so that a prefix is a fair sample. The query
models (HMMER3 text, built once by HMMER 3.4 through pyhmmer so that both tools read the
same files):

* the two real Pfam-style models PF02826 and Thioesterase;
* models built with HMMER's default hmmbuild from the tutorial and pyhmmer alignments
  (globins4, fn3, Pkinase, LuxC);
* models built from alignments emitted by those models (``HMM.emit_alignment``, 50 rows,
  as ``hmmemit -a``): ``*-emitted`` (PF02826, Thioesterase, fn3, Pkinase).

Everything goes into a cache folder outside the repository (``$HMMKIT_CACHE`` or the user
cache, ``benchmarks/profile_db-<size>``); a second run reuses it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
REAL_MODELS = ("protein/pyhmmer/PF02826.hmm", "protein/pyhmmer/Thioesterase.hmm")
ALIGNMENTS = ("protein/tutorial/globins4.sto", "protein/tutorial/fn3.sto",
              "protein/tutorial/Pkinase.sto", "protein/pyhmmer/LuxC.sto")  # fmt: skip
EMIT_FROM = ("PF02826", "Thioesterase", "fn3", "Pkinase")
EMITTED = 300
SEED = 2026
FORMAT = 1  # bump when the recipe above changes


def database_folder(size: int) -> Path:
    """The cache folder of the database of `size` sequences."""
    from hmmkit import datasets

    return datasets.cache_root() / "benchmarks" / f"profile_db-{size}"


def ensure_database(data: Path, size: int = 200_000) -> Path:
    """Build (once) the database of `size` sequences and the query models; their folder."""
    folder = database_folder(size)
    manifest = folder / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("format") == FORMAT:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    models = _write_models(data, folder)
    counts = _write_sequences(data, folder / "db.faa", models, size)
    about = {"format": FORMAT, "size": size, "seed": SEED, "models": [m.stem for m in models]}
    manifest.write_text(json.dumps(about | counts, indent=1))
    return folder


def model_paths(folder: Path) -> list[Path]:
    """The query model files of a database folder, in a fixed order."""
    names = json.loads((folder / "manifest.json").read_text())["models"]
    return [folder / "models" / f"{name}.hmm" for name in names]


def _write_models(data: Path, folder: Path) -> list[Path]:
    from pyhmmer import easel, plan7

    abc = easel.Alphabet.amino()
    bg = plan7.Background(abc)
    out = folder / "models"
    out.mkdir(exist_ok=True)
    hmms = {}
    for rel in REAL_MODELS:
        with plan7.HMMFile(str(data / rel)) as handle:
            hmm = handle.read()
        hmms[Path(rel).stem] = hmm
    for rel in ALIGNMENTS:
        with easel.MSAFile(str(data / rel), digital=True, alphabet=abc) as handle:
            msa = handle.read()
        msa.name = Path(rel).stem.encode()
        hmms[Path(rel).stem], _, _ = plan7.Builder(abc, seed=SEED).build_msa(msa, bg)
    for n, name in enumerate(EMIT_FROM):
        msa = hmms[name].emit_alignment(50, randomness=SEED + n)
        msa.name = f"{name}-emitted".encode()
        hmms[f"{name}-emitted"], _, _ = plan7.Builder(abc, seed=SEED).build_msa(msa, bg)
    paths = []
    for name, hmm in hmms.items():
        path = out / f"{name}.hmm"
        with path.open("wb") as handle:
            hmm.write(handle)
        paths.append(path)
    return paths


def _write_sequences(data: Path, path: Path, models: list[Path], size: int) -> dict:
    from pyhmmer import easel, plan7

    from hmmkit.profile.io.fasta import read_fasta

    proteome = [(r.name, r.residues.rstrip("*")) for r in read_fasta(data / PROTEOME)]
    abc = easel.Alphabet.amino()
    rng = easel.Randomness(SEED)
    emitted = []
    for model_path in models:
        with plan7.HMMFile(str(model_path)) as handle:
            hmm = handle.read()
        bg = plan7.Background(abc)
        profile = plan7.Profile(hmm.M, abc)
        profile.configure(hmm, bg, L=400)
        for i in range(EMITTED):
            seq = profile.emit_sequence(hmm, bg, rng)
            emitted.append((f"{model_path.stem}-emit{i}", abc.decode(seq.sequence)))
    shuffler = np.random.default_rng(SEED)
    n_shuffles = size - len(proteome) - len(emitted)
    if n_shuffles < 0:
        raise ValueError(f"size {size} is below the {len(proteome) + len(emitted)} real and "
                         "emitted sequences")  # fmt: skip
    shuffled = []
    for j in range(n_shuffles):
        name, residues = proteome[j % len(proteome)]
        letters = np.frombuffer(residues.encode(), dtype=np.uint8)
        shuffled.append((f"shuf{j // len(proteome)}-{name}", shuffler.permutation(letters)
                         .tobytes().decode()))  # fmt: skip
    everything = proteome + emitted + shuffled
    order = shuffler.permutation(len(everything))
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as handle:
        for i in order:
            name, residues = everything[i]
            handle.write(f">{name}\n{residues}\n")
    tmp.replace(path)
    return {"proteome": len(proteome), "emitted": len(emitted), "shuffled": len(shuffled)}
