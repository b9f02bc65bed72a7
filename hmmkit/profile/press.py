"""Pressed model databases, as HMMER's hmmpress: a model file prepared once for fast scans.

``press("Pfam-A.hmm")`` writes four files beside the text file, each atomically:

- ``Pfam-A.hmm.h3m``: every model in HMMER3/f binary (HMMER reads it too);
- ``Pfam-A.hmm.hkf``: every model's MSV filter profile, HMMER's 8-bit match costs
  (p7_MSVFilter's, as HMMER's ``.h3f`` holds them), concatenated, memory-mapped by scans;
- ``Pfam-A.hmm.hkp``: every model's profiles of the later filters (bias, Viterbi, the
  Forward scan; :mod:`.pressed_profiles`), as HMMER's ``.h3p``, memory-mapped by scans;
- ``Pfam-A.hmm.hki``: the index (JSON): names, accessions, descriptions, lengths,
  offsets, MSV biases, E-value parameters, Pfam cutoffs, the alphabet, and the size and
  modification time of the text file it was pressed from, so a changed text file is
  noticed (the database is then stale and not used).

:func:`open_pressed` maps a database; :meth:`PressedDatabase.candidates` runs the MSV
filter of every model over a batch of sequences without reading one model, and
:meth:`PressedDatabase.stages` hands the later filters their profiles from the mapped
files: a model is read from the binary file only when a sequence passes every filter.
A database pressed by an earlier version of this format is stale: scans read the text
file and say to press it again.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_output
from .alphabet import get_alphabet
from .dp.msv import msv_filter_scores_of_models
from .io.hmmer3 import iter_hmmer
from .io.hmmer3_binary import format_hmmer_binary, iter_hmmer_binary
from .plan7 import ProfileHMM
from .pressed_profiles import profile_block, read_block
from .search.stages import ModelStages

#: The files of a pressed database: suffixes added to the model file's name.
SUFFIXES = {"models": ".h3m", "filters": ".hkf", "profiles": ".hkp", "index": ".hki"}
# 2: MSV costs by Easel digital code (gap and ~ rows); 3: the .hkp file, stats and cutoffs
FORMAT_NAME = "hmmkit pressed database"
FORMAT = f"{FORMAT_NAME} 3"
_CUTOFFS = {"ga": "gathering", "tc": "trusted", "nc": "noise"}
#: Models whose MSV filter one compiled call runs over a batch of sequences.
MSV_CHUNK = 256
#: The mapped files and the index column of each model's offset in them.
_OFFSETS = {"models": "record_offset", "filters": "filter_offset", "profiles": "profile_offset"}


def pressed_paths(hmmfile: str | os.PathLike) -> dict[str, Path]:
    """The paths of the pressed files of `hmmfile` (which need not exist)."""
    return {kind: Path(os.fspath(hmmfile) + suffix) for kind, suffix in SUFFIXES.items()}


def _stamp(hmmfile: str | os.PathLike) -> dict:
    info = os.stat(hmmfile)
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def press(hmmfile: str | os.PathLike, *, force: bool = False) -> PressedDatabase:
    """Press the HMMER3 file `hmmfile` (text, plain or gzip): write its ``.h3m``, ``.hkf``,
    ``.hkp`` and ``.hki`` beside it and return the database.

    FileExistsError when pressed files exist and `force` is false (hmmpress -f);
    ValueError, naming the model, for a model without E-value parameters (STATS lines:
    hmmbuild writes them) or of another alphabet than the first.
    """
    hmmfile = os.fspath(hmmfile)
    paths = pressed_paths(hmmfile)
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{existing[0]} exists; press with force=True (hmmkit press -f) "
                              "to overwrite it")  # fmt: skip
    stamp = _stamp(hmmfile)
    index: dict = {"format": FORMAT, "source": stamp, "alphabet": None, "Kp": None}
    columns: dict[str, list] = {key: [] for key in (
        "name", "accession", "description", "M", "record_offset", "filter_offset",
        "profile_offset", "bias", "stats", "ga", "tc", "nc")}  # fmt: skip
    at = dict.fromkeys(_OFFSETS, 0)
    with (
        atomic_output(paths["models"], "wb") as models_out,
        atomic_output(paths["filters"], "wb") as filters_out,
        atomic_output(paths["profiles"], "wb") as profiles_out,
    ):
        for model in iter_hmmer(hmmfile):
            _check_pressable(model, index, hmmfile)
            record = format_hmmer_binary(model)
            stages = ModelStages.of(model)
            costs, bias = stages.msv_bytes
            costs = np.ascontiguousarray(costs, dtype=np.uint8)
            block = profile_block(stages.forward, stages.words, stages.odds)
            index["Kp"] = int(costs.shape[0])
            values = (model.name, model.accession, model.description, model.M,
                      at["models"], at["filters"], at["profiles"], int(bias),
                      {label: list(pair) for label, pair in model.stats.items()})  # fmt: skip
            for key, value in zip(columns, values, strict=False):
                columns[key].append(value)
            for kind, attr in _CUTOFFS.items():
                pair = getattr(model, attr)
                columns[kind].append(None if pair is None else list(pair))
            for kind, data, out in (("models", record, models_out),
                                    ("filters", costs.tobytes(), filters_out),
                                    ("profiles", block, profiles_out)):  # fmt: skip
                out.write(data)
                at[kind] += len(data)
        if not columns["name"]:
            raise ValueError(f"{hmmfile}: no model to press")
        for kind, column in _OFFSETS.items():
            columns[column].append(at[kind])
    if _stamp(hmmfile) != stamp:
        raise OSError(f"{hmmfile} changed while it was being pressed; press it again")
    index["models"] = columns
    index["sizes"] = at
    with atomic_output(paths["index"]) as out:  # last: it vouches for the other two
        json.dump(index, out)
    return PressedDatabase(hmmfile, index)


def _check_pressable(model: ProfileHMM, index: dict, hmmfile: str) -> None:
    if index["alphabet"] is None:
        index["alphabet"] = model.alphabet.name
    elif model.alphabet.name != index["alphabet"]:
        raise ValueError(f"{hmmfile} mixes alphabets: model {model.name} is "
                         f"{model.alphabet.name}, the first was {index['alphabet']}")  # fmt: skip
    missing = [label for label in ("MSV", "VITERBI", "FORWARD") if label not in model.stats]
    if missing:
        raise ValueError(f"{hmmfile}: model {model.name} has no E-value parameters "
                         f"(STATS {', '.join(missing)}); calibrate it before pressing")  # fmt: skip


def open_pressed(hmmfile: str | os.PathLike) -> PressedDatabase | None:
    """The pressed database of `hmmfile`, or None when it has none, or (with a warning
    saying so) when it is stale: the text file changed since it was pressed, or the
    pressed files do not belong together."""
    hmmfile = os.fspath(hmmfile)
    paths = pressed_paths(hmmfile)
    if not paths["index"].exists():
        return None
    try:
        index = json.loads(paths["index"].read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"{paths['index']}: not a pressed database index ({err})") from None
    version = index.get("format") if isinstance(index, dict) else None
    if not isinstance(version, str) or not version.startswith(FORMAT_NAME):
        raise ValueError(f"{paths['index']}: not a pressed database index")
    reason = None
    if version != FORMAT:
        reason = f"pressed in an older format ({version!r}; this version reads {FORMAT!r})"
    elif not os.path.exists(hmmfile):
        reason = f"{hmmfile} is missing"
    elif _stamp(hmmfile) != index["source"]:
        reason = f"{hmmfile} changed since it was pressed"
    else:
        for kind in _OFFSETS:
            if not paths[kind].exists() or paths[kind].stat().st_size != index["sizes"][kind]:
                reason = f"{paths[kind]} does not match its index"
    if reason is not None:
        warnings.warn(f"pressed database of {hmmfile} is stale ({reason}); reading the model "
                      f"file itself. Run: hmmkit press -f {hmmfile}", stacklevel=2)  # fmt: skip
        return None
    return PressedDatabase(hmmfile, index)


@dataclass
class PressedDatabase:
    """A pressed model database, memory-mapped (see the module's description)."""

    hmmfile: str
    index: dict

    def __post_init__(self) -> None:
        paths = pressed_paths(self.hmmfile)
        columns = self.index["models"]
        self.alphabet = get_alphabet(self.index["alphabet"])
        self.names: list[str] = columns["name"]
        self.lengths = np.asarray(columns["M"], dtype=np.int64)
        self._records = np.asarray(columns["record_offset"], dtype=np.int64)
        self._filters = np.asarray(columns["filter_offset"], dtype=np.int64)
        self._profiles = np.asarray(columns["profile_offset"], dtype=np.int64)
        self._bias = columns["bias"]
        self._biases = np.asarray(self._bias, dtype=np.int64)
        self._stats = [{label: tuple(pair) for label, pair in stats.items()}
                       for stats in columns["stats"]]  # fmt: skip
        self._models = np.memmap(paths["models"], dtype=np.uint8, mode="r")
        self._costs = np.memmap(paths["filters"], dtype=np.uint8, mode="r")
        # copy-on-write: the kernels take the views as they take arrays of their own
        self._blocks = np.memmap(paths["profiles"], dtype=np.uint8, mode="c")

    @property
    def n_models(self) -> int:
        """Number of models."""
        return len(self.names)

    @property
    def n_nodes(self) -> int:
        """Total number of match states over the models."""
        return int(self.lengths.sum())

    def has_cutoffs(self, kind: str) -> list[bool]:
        """Whether each model has Pfam cutoffs of `kind` ("ga", "tc" or "nc")."""
        return [pair is not None for pair in self.index["models"][kind]]

    def model(self, i: int) -> ProfileHMM:
        """Model `i`, read from the binary file (equal to the text file's)."""
        record = bytes(self._models[self._records[i] : self._records[i + 1]])
        return next(iter_hmmer_binary(record))

    def byte_profile(self, i: int) -> tuple[np.ndarray, int]:
        """Model `i`'s MSV filter costs (Kp, M+1) and bias (as :func:`msv_byte_profile`)."""
        costs = self._costs[self._filters[i] : self._filters[i + 1]]
        return np.asarray(costs).reshape(self.index["Kp"], -1), self._bias[i]

    def stages(self, i: int) -> ModelStages:
        """Model `i` as the search pipeline's stages read it (HMMER's default background):
        its filters' profiles from the mapped files, the model read when first asked for."""
        columns = self.index["models"]
        fields = {"name": self.names[i], "accession": columns["accession"][i],
                  "description": columns["description"][i], "M": int(self.lengths[i]),
                  "stats": self._stats[i]}  # fmt: skip
        for kind, attr in _CUTOFFS.items():
            pair = columns[kind][i]
            fields[attr] = None if pair is None else tuple(pair)
        block = np.asarray(self._blocks[self._profiles[i] : self._profiles[i + 1]])
        ready = read_block(block, fields["M"], self.index["Kp"])
        return ModelStages(lambda: self.model(i), self.alphabet, fields,
                           msv_bytes=self.byte_profile(i), **ready)  # fmt: skip

    def candidates(
        self, packed: np.ndarray, offsets: np.ndarray, lengths: np.ndarray,
        null_scores: np.ndarray, gate, models: range | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:  # fmt: skip
        """For each model (of `models`, default all), in order, the indices of the packed
        sequences past its MSV filter and their MSV scores: ``gate(candidates, msv_scores,
        null_scores, (mu, lambda))`` decides (the search pipeline's first gate); models with
        none are skipped."""
        models = range(self.n_models) if models is None else models
        nonempty = np.flatnonzero(lengths > 0)
        usc = np.full(len(lengths), -np.inf)
        costs = np.asarray(self._costs)
        for first in range(models.start, models.stop, MSV_CHUNK):  # one compiled call per chunk
            chunk = slice(first, min(first + MSV_CHUNK, models.stop))
            scores = msv_filter_scores_of_models(
                packed, offsets[nonempty], lengths[nonempty], costs, self._filters[chunk],
                self.lengths[chunk], self._biases[chunk], self.index["Kp"],
            )  # fmt: skip
            for i, row in enumerate(scores, start=first):
                usc[nonempty] = row
                passed = gate(nonempty, usc, null_scores, self._stats[i]["MSV"])
                if len(passed):
                    yield i, passed, usc[passed]
