"""The alignment a model was built from, mapped onto the model (hmmalign --mapali).

Each sequence of the model's own alignment keeps the path that alignment implies, taking
the model's MAP annotation as its match columns; the path is not doctored, so that the
alignment is laid out again exactly as it was (its D->I and I->D steps included). The
alignment must be the one the model was built from: its checksum must equal the model's
CKSUM, as hmmalign requires.
"""

from __future__ import annotations

import numpy as np

from . import dp
from .build.traces import implied_trace
from .io.fasta import Sequence
from .msa import DigitalMSA, checksum
from .plan7 import ProfileHMM

_STATES = {"B": dp.ST_B, "M": dp.ST_M, "D": dp.ST_D, "I": dp.ST_I, "E": dp.ST_E}


def check_mapali(model: ProfileHMM, msa: DigitalMSA, source: str = "the --mapali alignment"):
    """ValueError unless ``msa`` is the alignment ``model`` was built from (CKSUM, MAP)."""
    if model.checksum is None:
        raise ValueError(f"model {model.name} has no CKSUM: {source} cannot be checked against it")
    if model.alignment_map is None:
        raise ValueError(f"model {model.name} has no MAP annotation: {source} cannot be mapped")
    if msa.alphabet != model.alphabet:
        raise ValueError(
            f"{source} is {msa.alphabet.name}, model {model.name} is {model.alphabet.name}"
        )
    if checksum(msa) != model.checksum:
        raise ValueError(
            f"{source} is not the alignment model {model.name} was built from "
            f"(checksum {checksum(msa)} != CKSUM {model.checksum})"
        )
    if (msa.codes == msa.table.missing).any():
        raise ValueError(f"{source} has missing data ('~'), which --mapali does not lay out")


def mapped_paths(model: ProfileHMM, msa: DigitalMSA) -> tuple[list[Sequence], list]:
    """The sequences of ``msa`` (gaps removed) and the paths mapping them onto ``model``,
    as (states, k, residue index, None) in :mod:`hmmkit.profile.dp`'s codes."""
    check_mapali(model, msa)
    matassign = np.zeros(msa.alen, dtype=bool)
    matassign[np.asarray(model.alignment_map, dtype=np.int64) - 1] = True
    table = msa.table
    letters = np.frombuffer(table.letters.encode(), dtype=np.uint8)
    kept = (msa.codes != table.gap) & (msa.codes != table.missing)
    records, traces = [], []
    for index, name in enumerate(msa.names):
        residue_number = np.cumsum(kept[index])  # 1-based residue index at each column
        steps = implied_trace(msa, index, matassign, doctor=False)
        st = np.array([_STATES[s] for s, _, _ in steps], dtype=np.int32)
        kk = np.array([k if s in "MDI" else 0 for s, k, _ in steps], dtype=np.int32)
        ii = np.array([residue_number[c] if c >= 0 else 0 for _, _, c in steps], dtype=np.int32)
        traces.append((st, kk, ii, None))
        residues = letters[msa.codes[index][kept[index]]].tobytes().decode()
        records.append(Sequence(name, residues))
    return records, traces


__all__ = ["check_mapali", "mapped_paths"]
