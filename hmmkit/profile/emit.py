"""Sequences sampled from a profile HMM's core model, and its consensus (HMMER's hmmemit)."""

from __future__ import annotations

from typing import IO

import numpy as np

from .io.fasta import Sequence
from .plan7 import DD, DM, II, IM, MD, MI, MM, ProfileHMM

#: State codes of an emitted path: (state, node) pairs use these.
MATCH, INSERT, DELETE = "M", "I", "D"


def emit_with_paths(
    model: ProfileHMM, n: int, rng: np.random.Generator
) -> list[tuple[str, list[tuple[str, int]]]]:
    """`n` sequences sampled from the core model (B to E, no flanks, as p7_CoreEmit),
    each with its path of (state, node) pairs."""
    model.validate()
    t = np.asarray(model.transitions, dtype=float)
    symbols = model.alphabet.symbols
    match_cum = np.cumsum(model.match_emissions, axis=1)
    insert_cum = np.cumsum(model.insert_emissions, axis=1)
    from_match = np.cumsum(t[:, [MM, MI, MD]], axis=1)  # out of M_k (and B, as M_0)
    from_insert = np.cumsum(t[:, [IM, II]], axis=1)
    from_delete = np.cumsum(t[:, [DM, DD]], axis=1)
    M = model.M
    out = []
    for _ in range(n):
        residues, path = [], []
        state, k = "B", 0
        while True:
            if state in ("B", MATCH):  # B acts as M_0: MM to M_1, MI to I_0, MD to D_1
                if k == M:
                    break
                move = _pick(rng, from_match[k])
                state, k = ((MATCH, k + 1), (INSERT, k), (DELETE, k + 1))[move]
            elif state == INSERT:
                state, k = ((MATCH, k + 1), (INSERT, k))[_pick(rng, from_insert[k])]
            else:  # DELETE
                if k == M:
                    break
                state, k = ((MATCH, k + 1), (DELETE, k + 1))[_pick(rng, from_delete[k])]
            path.append((state, k))
            if state == MATCH:
                residues.append(symbols[_pick(rng, match_cum[k])])
            elif state == INSERT:
                residues.append(symbols[_pick(rng, insert_cum[k])])
        out.append(("".join(residues), path))
    return out


def _pick(rng: np.random.Generator, cumulative: np.ndarray) -> int:
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    return min(index, len(cumulative) - 1)


def emit(model: ProfileHMM, n: int = 1, *, random_state=None) -> list[Sequence]:
    """`n` sequences sampled from the core model (hmmemit's default), named
    ``<model>-sample<i>`` from 1 as hmmemit names them."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of sequences, got {n!r}")
    rng = np.random.default_rng(random_state)
    return [
        Sequence(f"{model.name}-sample{i}", residues)
        for i, (residues, _) in enumerate(emit_with_paths(model, int(n), rng), start=1)
    ]


def consensus_sequence(model: ProfileHMM) -> str:
    """The plurality-rule consensus: the most probable residue of every match state
    (hmmemit -c)."""
    model.validate()
    return "".join(model.alphabet.symbols[x] for x in np.argmax(model.match_emissions[1:], 1))


def write_fasta(out: IO[str], records: list[Sequence], width: int = 60) -> None:
    """Write `records` as FASTA, `width` residues a line."""
    for rec in records:
        out.write(f">{rec.name} {rec.description}\n" if rec.description else f">{rec.name}\n")
        for start in range(0, len(rec.residues), width):
            out.write(rec.residues[start : start + width] + "\n")
