"""A target database digitized once (DigitalSequences) searches as the text it came from."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hmmkit.profile import AMINO, DNA, DigitalSequences, iterative_search, read_hmmer, search
from hmmkit.profile.digital import digitize
from hmmkit.profile.io.fasta import Sequence, read_fasta

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def summary(results) -> list[tuple]:
    return [(h.name, h.score, h.evalue, h.bias, [dataclasses.astuple(d)[:8] for d in h.domains])
            for h in results]  # fmt: skip


def test_a_digitized_database_gives_the_texts_results(shared_data):
    records = read_fasta(shared_data / PROTEOME)
    db = DigitalSequences(records, AMINO)
    assert len(db) == len(records) and db[5] is records[5] and list(db)[-1] is records[-1]
    assert db.n_residues == sum(len(r.residues) for r in records)
    for n in (0, 17, len(records) - 1):  # every sequence's codes, where the batch puts them
        start, end = db.batch.offsets[n], db.batch.offsets[n + 1]
        assert np.array_equal(db.batch.X[start:end], digitize(records[n].residues, AMINO))
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    for options in ({}, {"F1": 0.1, "F2": 0.01, "F3": 1e-3}):
        ours, plain = search(model, db, **options), search(model, records, **options)
        assert summary(ours) == summary(plain) and len(plain) > 10
        assert ours.pipeline == plain.pipeline


def test_iterative_search_over_a_digitized_database(shared_data):
    records = read_fasta(shared_data / "protein/tutorial/globins45.fa")
    query = read_fasta(shared_data / "protein/tutorial/HBB_HUMAN")[0]
    plain = list(iterative_search(query, records, max_rounds=2))
    ours = list(iterative_search(query, DigitalSequences(records, AMINO), max_rounds=2))
    assert [summary(r.hits) for r in ours] == [summary(r.hits) for r in plain]


def test_a_database_in_another_alphabet_is_refused(shared_data, tmp_path):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    db = DigitalSequences([Sequence("s1", "ACGTACGT")], DNA)
    assert "1 sequences, 8 residues, DNA" in repr(db)
    with pytest.raises(ValueError, match="digitized as DNA, the model is amino"):
        search(model, db)
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.fa: the sequence file is empty"):
        DigitalSequences(empty, AMINO)
    with pytest.raises(ValueError, match="bad: characters .#. are not amino residues"):
        DigitalSequences([Sequence("bad", "ACD#E")], AMINO)
