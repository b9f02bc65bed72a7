"""hmmalign --mapali: the model's own alignment comes first, each of its sequences laid out
on the model's match columns (MAP) exactly as in that alignment."""

from __future__ import annotations

import re

import numpy as np
import pytest

from hmmkit.cli import main
from hmmkit.profile import dp
from hmmkit.profile.align import align
from hmmkit.profile.build import Builder
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.mapali import check_mapali, mapped_paths

FAMILIES = ["globins4", "fn3", "Pkinase"]


def built(shared_data, family: str):
    msa = read_alignment(shared_data / f"protein/tutorial/{family}.sto")
    return msa, Builder().build(msa, family)


@pytest.mark.parametrize("family", FAMILIES)
def test_mapped_rows_hold_the_alignments_own_columns(shared_data, family):
    msa, model = built(shared_data, family)
    targets = read_fasta(shared_data / "protein/tutorial/globins45.fa")[:3]
    aln = align(model, targets, mapali=msa)
    plain = align(model, targets)
    assert aln.names[: msa.nseq] == msa.names
    assert aln.reference.count("x") == model.M
    rf = np.array([c == "x" for c in aln.reference])
    cols = np.asarray(model.alignment_map) - 1
    for row, original in zip(aln.rows, msa.text(), strict=False):
        row = np.array(list(row))
        assert "".join(row[rf]) == "".join(original[c] for c in cols)
        # between two match columns, the same residues as in the alignment
        bounds = np.concatenate([[-1], cols, [msa.alen]])
        mapped_bounds = np.concatenate([[-1], np.nonzero(rf)[0], [len(row)]])
        for k in range(model.M + 1):
            was = re.sub(r"[-.]", "", original[bounds[k] + 1 : bounds[k + 1]])
            now = re.sub(r"[-.]", "", "".join(row[mapped_bounds[k] + 1 : mapped_bounds[k + 1]]))
            assert now.upper() == was.upper()
            assert now == now.lower()
    # the aligned sequences keep their alignment to the model and their PP lines
    for mapped, alone, pp in zip(aln.rows[msa.nseq :], plain.rows, aln.posteriors[msa.nseq :],
                                 strict=True):  # fmt: skip
        assert "".join(np.array(list(mapped))[rf]) == "".join(
            c for c, r in zip(alone, plain.reference, strict=True) if r == "x"
        )
        assert pp
    assert aln.posteriors[: msa.nseq] == [""] * msa.nseq


def test_undoctored_paths_reproduce_the_alignment():
    from hmmkit.profile.msa import from_text

    msa = from_text(["s1", "s2", "s3"], ["AC-D", "AC-D", "A-ED"], "amino", name="t")
    model = Builder(weighting="none").build(msa)
    _, traces = mapped_paths(model, msa)
    aln = align(model, ["ACD"], mapali=msa)
    assert aln.rows == ["AC.D", "AC.D", "A-eD", "AC.D"]  # D2 then I2: not merged into M2
    assert [list(t[0]) for t in traces][2][2:4] == [dp.ST_D, dp.ST_I]


def test_mapali_must_be_the_models_own_alignment(shared_data, tmp_path, capsys):
    msa, model = built(shared_data, "globins4")
    other, _ = built(shared_data, "fn3")
    with pytest.raises(ValueError, match="not the alignment model globins4 was built from"):
        check_mapali(model, other)
    hmm = tmp_path / "g.hmm"
    src = shared_data / "protein/tutorial"
    assert main(["build", str(hmm), str(src / "globins4.sto")]) == 0
    out = tmp_path / "out.sto"
    args = ["align", "--mapali", str(src / "fn3.sto"), "-o", str(out), str(hmm)]
    assert main([*args, str(src / "globins45.fa")]) != 0
    assert "not the alignment" in capsys.readouterr().err and not out.exists()
    args[2] = str(src / "globins4.sto")
    assert main([*args, str(src / "globins45.fa")]) == 0
    text = out.read_text()
    assert text.index("HBB_HUMAN ") < text.index("MYG_ESCGI ")
