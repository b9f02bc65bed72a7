"""Pressed model databases, as HMMER's hmmpress: a model file prepared once for fast scans.

``press("Pfam-A.hmm")`` writes three files beside the text file, each atomically:

- ``Pfam-A.hmm.h3m``: every model in HMMER3/f binary (HMMER reads it too);
- ``Pfam-A.hmm.hkf``: every model's MSV filter profile, HMMER's 8-bit match costs
  (p7_MSVFilter's, as HMMER's ``.h3f`` holds them), concatenated, memory-mapped by scans;
- ``Pfam-A.hmm.hki``: the index (JSON): names, accessions, lengths, offsets, MSV biases
  and E-value parameters, the Pfam cutoffs each model has, the alphabet, and the size and
  modification time of the text file it was pressed from, so a changed text file is
  noticed (the database is then stale and not used).

:func:`open_pressed` maps a database; :meth:`PressedDatabase.candidates` runs the MSV
filter of every model over a batch of sequences without reading one model, and only
the models with a sequence past that first gate are read from the binary file.
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
from .background import Background
from .config import configure
from .dp.msv import msv_byte_profile, msv_filter_scores_of_bytes
from .io.hmmer3 import iter_hmmer
from .io.hmmer3_binary import format_hmmer_binary, iter_hmmer_binary
from .plan7 import ProfileHMM

#: The files of a pressed database: suffixes added to the model file's name.
SUFFIXES = {"models": ".h3m", "filters": ".hkf", "index": ".hki"}
FORMAT = "hmmkit pressed database 2"  # 2: MSV costs by Easel digital code (gap and ~ rows)
_CUTOFFS = {"ga": "gathering", "tc": "trusted", "nc": "noise"}


def pressed_paths(hmmfile: str | os.PathLike) -> dict[str, Path]:
    """The paths of the pressed files of `hmmfile` (which need not exist)."""
    return {kind: Path(os.fspath(hmmfile) + suffix) for kind, suffix in SUFFIXES.items()}


def _stamp(hmmfile: str | os.PathLike) -> dict:
    info = os.stat(hmmfile)
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def press(hmmfile: str | os.PathLike, *, force: bool = False) -> PressedDatabase:
    """Press the HMMER3 file `hmmfile` (text, plain or gzip): write its ``.h3m``, ``.hkf``
    and ``.hki`` beside it and return the database.

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
        "name", "accession", "description", "M", "record_offset", "filter_offset", "bias",
        "msv_mu", "msv_lambda", "ga", "tc", "nc")}  # fmt: skip
    record_at = filter_at = 0
    with (
        atomic_output(paths["models"], "wb") as models_out,
        atomic_output(paths["filters"], "wb") as filters_out,
    ):
        for model in iter_hmmer(hmmfile):
            _check_pressable(model, index, hmmfile)
            record = format_hmmer_binary(model)
            profile = configure(model, 400, background=Background.default(model.alphabet))
            costs, bias = msv_byte_profile(profile.msc, model.alphabet.size)
            costs = np.ascontiguousarray(costs, dtype=np.uint8)
            index["Kp"] = int(costs.shape[0])
            models_out.write(record)
            filters_out.write(costs.tobytes())
            mu, lam = model.stats["MSV"]
            values = (model.name, model.accession, model.description, model.M, record_at,
                      filter_at, int(bias), mu, lam)  # fmt: skip
            for key, value in zip(columns, values, strict=False):
                columns[key].append(value)
            for kind, attr in _CUTOFFS.items():
                columns[kind].append(getattr(model, attr) is not None)
            record_at += len(record)
            filter_at += costs.size
        if not columns["name"]:
            raise ValueError(f"{hmmfile}: no model to press")
        columns["record_offset"].append(record_at)
        columns["filter_offset"].append(filter_at)
    if _stamp(hmmfile) != stamp:
        raise OSError(f"{hmmfile} changed while it was being pressed; press it again")
    index["models"] = columns
    index["sizes"] = {"models": record_at, "filters": filter_at}
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
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise ValueError(f"{paths['index']}: not a pressed database index of this version")
    reason = None
    if not os.path.exists(hmmfile):
        reason = f"{hmmfile} is missing"
    elif _stamp(hmmfile) != index["source"]:
        reason = f"{hmmfile} changed since it was pressed"
    else:
        for kind in ("models", "filters"):
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
        self._bias = columns["bias"]
        self._msv = list(zip(columns["msv_mu"], columns["msv_lambda"], strict=True))
        self._models = np.memmap(paths["models"], dtype=np.uint8, mode="r")
        self._costs = np.memmap(paths["filters"], dtype=np.uint8, mode="r")

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
        return list(self.index["models"][kind])

    def model(self, i: int) -> ProfileHMM:
        """Model `i`, read from the binary file (equal to the text file's)."""
        record = bytes(self._models[self._records[i] : self._records[i + 1]])
        return next(iter_hmmer_binary(record))

    def byte_profile(self, i: int) -> tuple[np.ndarray, int]:
        """Model `i`'s MSV filter costs (Kp, M+1) and bias (as :func:`msv_byte_profile`)."""
        costs = self._costs[self._filters[i] : self._filters[i + 1]]
        return np.asarray(costs).reshape(self.index["Kp"], -1), self._bias[i]

    def candidates(
        self, packed: np.ndarray, offsets: np.ndarray, lengths: np.ndarray,
        null_scores: np.ndarray, gate,
    ) -> Iterator[tuple[int, np.ndarray]]:  # fmt: skip
        """For each model, in order, the indices of the packed sequences past its MSV
        filter: ``gate(candidates, msv_scores, null_scores, (mu, lambda))`` decides (the
        search pipeline's first gate); models with none are skipped."""
        nonempty = np.flatnonzero(lengths > 0)
        usc = np.full(len(lengths), -np.inf)
        for i in range(self.n_models):
            costs, bias = self.byte_profile(i)
            usc[nonempty] = msv_filter_scores_of_bytes(
                packed, offsets[nonempty], lengths[nonempty], costs, bias
            )
            passed = gate(nonempty, usc, null_scores, self._msv[i])
            if len(passed):
                yield i, passed
