"""A target database digitized once and searched many times (pyhmmer's digital sequence
block): hmmsearch's many query models, phmmer's many query sequences and jackhmmer's rounds
search the same sequences, which need their residues coded only once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ...sequences import SequenceBatch
from ..alphabet import Alphabet, get_alphabet
from ..digital import digitize_batch
from ..io.fasta import Sequence, as_sequences


class DigitalSequences:
    """Target sequences with their residues in `alphabet`'s digital codes, back to back.

    ``DigitalSequences(sequences, alphabet)`` takes what :func:`~hmmkit.profile.search`
    takes (a FASTA path or an iterable of sequences); searching it with models of the same
    alphabet skips digitizing the database for each search. It is a sequence of the
    :class:`~hmmkit.profile.io.fasta.Sequence` records it holds."""

    def __init__(
        self,
        sequences: str | Path | Iterable[Sequence | tuple[str, str] | str],
        alphabet: Alphabet | str,
    ):
        self.alphabet = get_alphabet(alphabet)
        self.records: list[Sequence] = as_sequences(sequences)
        if not self.records and isinstance(sequences, (str, Path)):
            raise ValueError(f"{sequences}: the sequence file is empty (no FASTA records)")
        #: the residue codes and where each sequence starts (whitespace left out)
        self.batch: SequenceBatch = digitize_batch(self.records, self.alphabet)

    @property
    def n_residues(self) -> int:
        """Residues in all the sequences."""
        return int(self.batch.offsets[-1])

    def batch_for(self, alphabet: Alphabet) -> SequenceBatch:
        """The digital batch, for a search with a model of `alphabet` (ValueError if it is
        not the alphabet the sequences were digitized in)."""
        if alphabet.name != self.alphabet.name:
            raise ValueError(
                f"the target sequences are digitized as {self.alphabet.name}, the model is "
                f"{alphabet.name}: digitize them in the model's alphabet"
            )
        return self.batch

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Sequence]:
        return iter(self.records)

    def __getitem__(self, index: int) -> Sequence:
        return self.records[index]

    def __repr__(self) -> str:
        return (f"DigitalSequences({len(self.records)} sequences, {self.n_residues} residues, "
                f"{self.alphabet.name})")  # fmt: skip


def targets_of(sequences, alphabet: Alphabet) -> tuple[list[Sequence], SequenceBatch]:
    """The records of `sequences` and their digital batch in `alphabet`: taken from a
    :class:`DigitalSequences` as they are, digitized here otherwise."""
    if not isinstance(sequences, DigitalSequences):
        sequences = DigitalSequences(sequences, alphabet)
    return sequences.records, sequences.batch_for(alphabet)
