"""Biological alphabets as HMMER/Easel define them: canonical residues, degenerate codes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_AMINO_DEGENERATE = {
    "B": "DN",
    "J": "IL",
    "Z": "EQ",
    "O": "K",  # pyrrolysine: Easel maps to K
    "U": "C",  # selenocysteine: Easel maps to C
    "X": "ACDEFGHIKLMNPQRSTVWY",
}
_NUCLEIC_DEGENERATE = {
    "R": "AG",
    "Y": "CT",
    "M": "AC",
    "K": "GT",
    "S": "CG",
    "W": "AT",
    "H": "ACT",
    "B": "CGT",
    "V": "ACG",
    "D": "AGT",
    "N": "ACGT",
}


@dataclass(frozen=True)
class Alphabet:
    """A residue alphabet: `symbols` are the K canonical residues, in HMMER's order."""

    name: str
    symbols: str
    degenerate: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        """Number of canonical residues K."""
        return len(self.symbols)

    def degeneracy_matrix(self) -> tuple[str, np.ndarray]:
        """All accepted residue letters and a (n_letters, K) 0/1 matrix of what each denotes."""
        letters = self.symbols + "".join(self.degenerate)
        matrix = np.zeros((len(letters), self.size))
        for i, letter in enumerate(letters):
            for c in self.degenerate.get(letter, letter):
                matrix[i, self.symbols.index(c)] = 1.0
        return letters, matrix


AMINO = Alphabet("amino", "ACDEFGHIKLMNPQRSTVWY", _AMINO_DEGENERATE)
DNA = Alphabet("DNA", "ACGT", _NUCLEIC_DEGENERATE)
RNA = Alphabet("RNA", "ACGU", {k: v.replace("T", "U") for k, v in _NUCLEIC_DEGENERATE.items()})

ALPHABETS = {"amino": AMINO, "dna": DNA, "rna": RNA}


def get_alphabet(name: str | Alphabet) -> Alphabet:
    """Look up an alphabet by name ('amino', 'dna', 'rna'), case-insensitive."""
    if isinstance(name, Alphabet):
        return name
    try:
        return ALPHABETS[name.lower()]
    except KeyError:
        raise ValueError(f"alphabet must be one of {sorted(ALPHABETS)}, got {name!r}") from None
