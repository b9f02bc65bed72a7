"""A deterministic synthetic genome for checking and timing nhmmer-style searches.

Random DNA chromosomes with copies of a family emitted from its model inserted on both
strands at recorded places, and a shuffled decoy chromosome that holds no copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..emit import emit_with_paths
from ..io.fasta import Sequence
from ..plan7 import ProfileHMM

_COMPLEMENT = str.maketrans("ACGTRYMKSWHBVDN", "TGCAYRKMSWDVBHN")


def reverse_complement(residues: str) -> str:
    """The reverse complement of a DNA string (IUPAC codes complemented as Easel does)."""
    return residues.upper().translate(_COMPLEMENT)[::-1]


@dataclass(frozen=True)
class Insertion:
    """Where one emitted copy lies: chromosome, 1-based forward-strand span, strand."""

    chromosome: str
    start: int
    end: int
    strand: str


def synthetic_genome(
    model: ProfileHMM,
    *,
    n_chromosomes: int = 3,
    chromosome_length: int = 1_000_000,
    copies_per_chromosome: int = 8,
    seed: int = 0,
) -> tuple[list[Sequence], list[Insertion]]:
    """Chromosomes ``chr1..chrN`` of i.i.d. uniform DNA, each holding
    `copies_per_chromosome` copies emitted from `model` (alternately on the forward and the
    reverse strand, evenly spaced), and a decoy ``shuffled`` chromosome: the first
    chromosome's residues shuffled. Returns (sequences, insertions)."""
    if model.alphabet.name != "DNA":
        raise ValueError(f"synthetic_genome needs a DNA model, got {model.alphabet.name}")
    if n_chromosomes < 1 or chromosome_length < 1 or copies_per_chromosome < 0:
        raise ValueError("n_chromosomes and chromosome_length must be >= 1, copies >= 0")
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    sequences, insertions = [], []
    for c in range(1, n_chromosomes + 1):
        name = f"chr{c}"
        background = letters[rng.integers(0, 4, size=chromosome_length)].tobytes().decode()
        copies = [res for res, _ in emit_with_paths(model, copies_per_chromosome, rng)]
        gap = chromosome_length // (copies_per_chromosome + 1)
        parts, pos = [], 0
        for n, copy in enumerate(copies):
            cut = gap * (n + 1)
            parts.append(background[pos:cut])
            start = sum(len(p) for p in parts) + 1
            strand = "+" if n % 2 == 0 else "-"
            parts.append(copy if strand == "+" else reverse_complement(copy))
            insertions.append(Insertion(name, start, start + len(copy) - 1, strand))
            pos = cut
        parts.append(background[pos:])
        sequences.append(Sequence(name, "".join(parts)))
    shuffled = np.frombuffer(sequences[0].residues.encode(), dtype=np.uint8).copy()
    rng.shuffle(shuffled)
    sequences.append(Sequence("shuffled", shuffled.tobytes().decode(), "decoy: chr1 shuffled"))
    return sequences, insertions
