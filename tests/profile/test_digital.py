"""Easel's digital code table and digitising aligned text, checked against Easel (pyhmmer)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from hmmkit.profile import AMINO, DNA, RNA
from hmmkit.profile.digital import (
    code_table,
    digitize,
    digitize_aligned,
    digitize_batch,
    gather,
    pack,
)

pyhmmer = pytest.importorskip("pyhmmer")


def test_digital_layout_is_easels():
    assert code_table(AMINO).letters == "ACDEFGHIKLMNPQRSTVWY-BJZOUX*~"
    assert code_table(DNA).letters == "ACGT-RYMKSWHBVDN*~"
    assert code_table(RNA).letters == "ACGU-RYMKSWHBVDN*~"
    for abc in (AMINO, DNA):
        alphabet = pyhmmer.easel.Alphabet.amino() if abc is AMINO else pyhmmer.easel.Alphabet.dna()
        assert code_table(abc).letters == alphabet.symbols


def test_degenerate_residues_counted_as_easel():
    table = code_table(AMINO)
    counts = table.count_matrix()
    b = table.letters.index("B")
    assert counts[b, AMINO.symbols.index("D")] == pytest.approx(0.5)
    assert counts[b, AMINO.symbols.index("N")] == pytest.approx(0.5)
    assert counts[table.any].sum() == pytest.approx(1.0)
    assert counts[table.any].max() == pytest.approx(1 / 20)
    assert counts[table.gap].sum() == 0 and counts[table.nonresidue].sum() == 0
    assert counts[table.letters.index("U"), AMINO.symbols.index("C")] == 1.0
    dna = code_table(DNA)
    assert dna.count_matrix()[dna.letters.index("R")].tolist() == [0.5, 0.0, 0.5, 0.0]
    # synonyms Easel accepts: '.' and '_' are gaps, U reads as T in DNA, X as N
    assert digitize_aligned("a.u_x", DNA).tolist() == [0, 4, 3, 4, dna.any]


def test_digitize_rejects_invalid_letters():
    with pytest.raises(ValueError, match=r"seq7.*'J'.*column 3"):
        digitize_aligned("ACJT", DNA, label="seq7")


def test_digitize_rejects_bad_residues():
    with pytest.raises(ValueError, match="seqX"):
        digitize("ACGTJ", DNA, name="seqX")


@pytest.mark.parametrize(
    ("alphabet", "text"),
    [(AMINO, "ACDEFGHIKLMNPQRSTVWYBJZOUX*acdxb"), (DNA, "ACGTRYMKSWHBVDN*acgtn"),
     (RNA, "ACGURYMKSWHBVDN*acgun")],
)  # fmt: skip
def test_sequences_get_easels_digital_codes(alphabet, text):
    """Unaligned residues, degenerate ones and '*' included, take Easel's own codes: the
    codes of aligned text, of the code table, and of Easel's digitiser (pyhmmer)."""
    abc = {"amino": pyhmmer.easel.Alphabet.amino, "DNA": pyhmmer.easel.Alphabet.dna,
           "RNA": pyhmmer.easel.Alphabet.rna}[alphabet.name]()  # fmt: skip
    easel = pyhmmer.easel.TextSequence(name=b"s", sequence=text).digitize(abc)
    codes = digitize(text, alphabet)
    assert codes.tolist() == list(easel.sequence)
    assert codes.tolist() == digitize_aligned(text, alphabet).tolist()
    assert "".join(code_table(alphabet).letters[c] for c in codes) == text.upper()


def test_gap_and_missing_data_are_not_residues():
    for bad in ("AC-GT", "AC~GT", "AC.GT"):
        with pytest.raises(ValueError, match="seq1"):
            digitize(bad, DNA, name="seq1")


def test_batches_pack_sequences_back_to_back():
    records = [Record("a", "ACGT"), Record("b", ""), Record("c", "ng\nt")]
    batch = digitize_batch(records, DNA)
    assert batch.lengths.tolist() == [4, 0, 3]
    assert [seq.tolist() for seq in batch] == [digitize(r.residues, DNA).tolist() for r in records]
    with pytest.raises(ValueError, match="c"):
        digitize_batch([Record("a", "ACGT"), Record("c", "AC-")], DNA)


@dataclass
class Record:
    name: str
    residues: str


def test_digitize_batch_packs_what_digitize_gives_each_record():
    """One batch of records equals their digitize() codes back to back, whitespace inside
    a record left out, and a bad letter is named with its record."""
    from hmmkit.profile.digital import digitize, digitize_batch
    from hmmkit.profile.io.fasta import Sequence

    records = [Sequence("a", "ACDEF"), Sequence("b", ""), Sequence("c", "wyXu*")]
    spaced = records + [Sequence("d", "AC DE\nF\t")]
    for batch_of in (records, spaced):
        batch = digitize_batch(batch_of, AMINO)
        expected = [digitize(r.residues, AMINO) for r in batch_of]
        assert [list(batch.sequence(i)) for i in range(len(batch_of))] == [
            list(e) for e in expected]  # fmt: skip
        assert batch.X.dtype == np.uint8 and batch.X.flags.writeable
    with pytest.raises(ValueError, match="bad: characters '1'"):
        digitize_batch(records + [Sequence("bad", "AC1")], AMINO)


def test_gather_copies_the_chosen_sequences_back_to_back():
    rng = np.random.default_rng(4)
    codes = [rng.integers(0, 20, size=int(n)).astype(np.uint8) for n in [5, 0, 17, 1, 300, 2]]
    batch = pack(codes)
    for indices in ([4, 0, 2], [1], [], [5, 5, 3, 1]):
        got = gather(batch, np.array(indices, dtype=np.int64))
        assert got.n_sequences == len(indices)
        assert [list(s) for s in got] == [list(codes[i]) for i in indices]
        assert got.X.dtype == np.uint8
