"""hmmbuild's pipeline: the built models against HMMER 3.4's (pyhmmer's Builder), and the
steps run one at a time."""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from hmmkit.profile import DNA, build, calibrate, write_hmmer
from hmmkit.profile.build import STEPS, Builder
from hmmkit.profile.build.weights import position_based_weights
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.msa import from_text

pyhmmer = pytest.importorskip("pyhmmer")

from hmmer_reference import FAMILY_FILES  # noqa: E402

FAMILIES = FAMILY_FILES


@cache
def hmmer_build(path: str, **options):
    """hmmbuild's default pipeline (pyhmmer.plan7.Builder with its defaults)."""
    with pyhmmer.easel.MSAFile(path, digital=True) as handle:
        msa = handle.read()
        abc = handle.alphabet
    if msa.name is None:  # hmmbuild names unnamed alignments after the file
        msa.name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].encode()
    hmm, _, _ = pyhmmer.plan7.Builder(abc, **options).build_msa(msa, pyhmmer.plan7.Background(abc))
    return hmm


def max_differences(ours, theirs):
    t = np.abs(ours.transitions - np.asarray(theirs.transition_probabilities)).max()
    m = np.abs(ours.match_emissions[1:] - np.asarray(theirs.match_emissions)[1:]).max()
    i = np.abs(ours.insert_emissions - np.asarray(theirs.insert_emissions)).max()
    return t, m, i


@pytest.mark.parametrize("relpath", FAMILIES)
def test_default_build_matches_hmmbuild(shared_data, relpath):
    from hmmer_reference import map_and_max_length

    path = str(shared_data / relpath)
    theirs = hmmer_build(path)
    ours = build(path)
    ours.validate()
    assert ours.M == theirs.M
    amap, maxl = map_and_max_length(theirs)
    assert ours.alignment_map.tolist() == amap
    assert ours.effn == pytest.approx(theirs.nseq_effective, rel=1e-6)
    assert ours.nseq == theirs.nseq
    assert max(max_differences(ours, theirs)) <= 1e-6  # goal 1e-4, required 1e-3
    assert ours.consensus == theirs.consensus
    assert ours.checksum == theirs.checksum
    np.testing.assert_allclose(ours.composition, np.asarray(theirs.composition), atol=1e-6)
    assert ours.max_length == maxl
    assert ours.stats == {}
    if theirs.reference is not None:
        assert ours.reference == theirs.reference
    if theirs.consensus_structure is not None:
        assert ours.consensus_structure == theirs.consensus_structure


@pytest.mark.parametrize(
    ("relpath", "ours_kw", "hmmer_kw"),
    [
        ("protein/pyhmmer/LuxC.sto", {"weighting": "blosum"}, {"weighting": "blosum"}),
        ("protein/pyhmmer/LuxC.sto", {"weighting": "none"}, {"weighting": "none"}),
        ("protein/tutorial/MADE1.sto", {"architecture": "hand"}, {"architecture": "hand"}),
        ("protein/tutorial/fn3.sto", {"effn": "none"}, {"effective_number": "none"}),
        ("protein/tutorial/fn3.sto", {"effn": 3.5}, {"effective_number": 3.5}),
        ("protein/tutorial/MADE1.sto", {"effn": "clust"}, {"effective_number": "clust"}),
        ("protein/tutorial/Pkinase.sto", {"prior": "laplace"}, {"prior_scheme": "laplace"}),
        ("protein/tutorial/fn3.sto", {"prior": None}, {"prior_scheme": None}),
        (
            "protein/tutorial/fn3.sto",
            {"prior": None, "effn": "none"},
            {"prior_scheme": None, "effective_number": "none"},
        ),
        ("protein/tutorial/Pkinase.sto", {"symfrac": 0.3}, {"symfrac": 0.3}),
        ("protein/tutorial/fn3.sto", {"ere": 0.8}, {"ere": 0.8}),
        ("protein/tutorial/Pkinase.sto", {"esigma": 200.0}, {"esigma": 200.0}),
    ],
)
def test_build_options_match_hmmbuild(shared_data, relpath, ours_kw, hmmer_kw):
    path = str(shared_data / relpath)
    theirs = hmmer_build(path, **hmmer_kw)
    ours = build(path, **ours_kw)
    assert ours.M == theirs.M
    assert ours.effn == pytest.approx(theirs.nseq_effective, rel=1e-6)
    assert max(max_differences(ours, theirs)) <= 1e-6


DEGENERATE_AMINO = """# STOCKHOLM 1.0
#=GF ID degen
seq1    ~~ACDEFGHIKLMNPZXS-TVW-Yyy
seq2    aaACDEFGHIKLMNPQRS-TVWw---
seq3    aaAC-EFGHIKLMNPQRS-TVW-Y--
seq4    aaAC-EFGHIBLMNPQRS-TVW-Y~~
seq5    ----DEFGHIKLM.............
seq6    aaACDEFGUIKLMOPJRSaTVWXY*-
//
"""
DEGENERATE_DNA = """# STOCKHOLM 1.0
#=GF ID dd
#=GC RF xxxx.xxxxxxxxx..xx
s1      ACGTaACGTNRYACgtAC
s2      ACGT.ACGUACGAC..AC
s3      AC-T.ACGTACGAC..AC
s4      ACST.ACGTACGWC..AC
s5      ----.----ACGACatAC
//
"""


@pytest.mark.parametrize(
    ("content", "alphabet", "options"),
    [
        (DEGENERATE_AMINO, "amino", {}),
        (DEGENERATE_AMINO, "amino", {"weighting": "none"}),
        (DEGENERATE_DNA, "DNA", {}),
        (DEGENERATE_DNA, "DNA", {"architecture": "hand"}),
    ],
)
def test_degenerate_residues_missing_data_and_stops_as_hmmbuild(
    tmp_path, content, alphabet, options
):
    """B/Z/J/X/U/O, IUPAC nucleotide codes, '*' and '~' are counted as HMMER counts them."""
    path = tmp_path / "degenerate.sto"
    path.write_text(content)
    abc = pyhmmer.easel.Alphabet.amino() if alphabet == "amino" else pyhmmer.easel.Alphabet.dna()
    with pyhmmer.easel.MSAFile(str(path), digital=True, alphabet=abc) as handle:
        msa = handle.read()
    theirs, _, _ = pyhmmer.plan7.Builder(abc, **options).build_msa(
        msa, pyhmmer.plan7.Background(abc)
    )
    ours = build(path, alphabet, **options)
    assert ours.M == theirs.M
    assert ours.effn == pytest.approx(theirs.nseq_effective, rel=1e-6)
    assert max(max_differences(ours, theirs)) <= 1e-6
    assert ours.consensus == theirs.consensus and ours.checksum == theirs.checksum


def test_build_rejects_bad_input(shared_data, tmp_path):
    msa = from_text(["a", "b"], ["ACGT", "AC~T"], DNA, name="x")
    with pytest.raises(ValueError, match="missing data"):
        build(msa)
    with pytest.raises(ValueError, match="name"):
        build(from_text(["a"], ["ACGT"], DNA))
    good = from_text(["a"], ["ACGT"], DNA, name="x")
    with pytest.raises(ValueError, match="RF"):
        build(good, architecture="hand")
    with pytest.raises(ValueError, match="weighting"):
        build(good, weighting="gsc")
    with pytest.raises(ValueError, match="effn"):
        build(good, effn="exp")
    with pytest.raises(ValueError, match="alphabet"):
        build(good, "amino")
    with pytest.raises(ValueError, match="match columns"):
        sparse = from_text(["a", "b", "c"], ["A--", "-C-", "--G"], DNA, name="x")
        build(sparse, symfrac=0.9, fragthresh=0.0)
    model = build(good)
    assert model.M == 4 and model.max_length is not None


def model_text(model) -> str:
    buf = io.StringIO()
    write_hmmer(model, buf)
    return buf.getvalue()


def test_steps_run_in_order_and_a_run_stops_where_asked(shared_data):
    msa = read_alignment(shared_data / "protein/tutorial/fn3.sto")
    for last, label in enumerate(STEPS[:-1]):
        steps = Builder().run(msa, stop_after=label)
        assert steps.done == list(STEPS[: last + 1])
        assert (steps.weights is not None) == (last >= STEPS.index("weights"))
        assert (steps.marked is not None) == (last >= STEPS.index("fragments"))
        assert (steps.match_columns is not None) == (last >= STEPS.index("columns"))
        assert (steps.counts is not None) == (last >= STEPS.index("counts"))
        assert (steps.effn is not None) == (last >= STEPS.index("effective_number"))
        assert (steps.parameters is not None) == (last >= STEPS.index("parameters"))
        assert (steps.model is not None) == (last >= STEPS.index("annotation"))
    steps = Builder().run(msa, stop_after="columns")
    np.testing.assert_array_equal(steps.weights, position_based_weights(msa))
    assert steps.M == 85 and steps.counts is None


def test_step_by_step_run_gives_the_built_model(shared_data):
    msa = read_alignment(shared_data / "protein/tutorial/MADE1.sto")
    builder = Builder(weighting="blosum", effn="clust")
    steps = builder.start(msa)
    while steps.done != list(STEPS[: STEPS.index("annotation") + 1]):
        builder.step(steps)
    model = steps.model
    assert model_text(model) == model_text(build(msa, weighting="blosum", effn="clust"))
    assert model.effn == steps.effn and model.M == steps.M
    np.testing.assert_array_equal(model.transitions, steps.parameters[0])


def test_calibration_step_is_calibrate(shared_data):
    msa = read_alignment(shared_data / "protein/tutorial/globins4.sto")
    steps = Builder(seed=7).run(msa, stop_after="calibration")
    assert steps.done == list(STEPS)
    expected = calibrate(build(msa), seed=7)
    assert steps.model.stats == expected.stats
    assert model_text(steps.model) == model_text(expected)
    with pytest.raises(ValueError, match="every step"):
        Builder().step(steps)


def test_builder_rejects_bad_options():
    for options, word in [
        ({"weighting": "gsc"}, "weighting"),
        ({"architecture": "slow"}, "architecture"),
        ({"fragthresh": 1.5}, "fragthresh"),
        ({"effn": "exp"}, "effn"),
        ({"effn": -1.0}, "effn"),
    ]:
        with pytest.raises(ValueError, match=word):
            Builder(**options)
    msa = from_text(["a"], ["ACGT"], "DNA")
    with pytest.raises(ValueError, match="stop_after"):
        Builder().run(msa, stop_after="everything")
    # an unnamed alignment can be taken through the counts; a model needs a name
    assert Builder().run(msa, stop_after="parameters").parameters is not None
    with pytest.raises(ValueError, match="name"):
        Builder().run(msa)
    assert Builder().run(msa, name="x").model.name == "x"


def test_the_documented_builder_example_runs(shared_data, capsys):
    """docs/getting-started/hmmer.md's Builder example, on the shipped data."""
    page = Path(__file__).resolve().parents[3] / "docs/getting-started/hmmer.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    block = next(b for b in blocks if "Builder" in b)
    block = block.replace('"data/', f'"{shared_data.as_posix()}/')
    names: dict = {}
    exec(compile(block, "hmmer.md", "exec"), names)
    assert names["steps"].done[-1] == "effective_number"
    built = build(shared_data / "protein/tutorial/globins4.sto", weighting="blosum", effn="clust")
    assert names["steps"].effn == built.effn
    assert names["match"].shape == (names["steps"].M + 1, 20)
    assert capsys.readouterr().out
