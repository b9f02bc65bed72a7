"""Profile construction against HMMER 3.4's hmmbuild (pyhmmer's Builder) and by hand."""

from __future__ import annotations

import io
import math
from functools import cache

import numpy as np
import pytest

from hmmkit.profile import AMINO, DNA, build
from hmmkit.profile.background import mean_match_relative_entropy
from hmmkit.profile.build import (
    assign_match_columns,
    build_counts,
    consensus_line,
    entropy_target,
    entropy_weighting,
    match_columns_from_reference,
    max_emission_length,
    model_composition,
)
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.msa import from_text
from hmmkit.profile.priors import (
    background_frequencies,
    default_prior,
    estimate_parameters,
)
from hmmkit.profile.traces import count_paths, implied_trace

pyhmmer = pytest.importorskip("pyhmmer")

FAMILIES = [
    "protein/tutorial/globins4.sto",
    "protein/tutorial/fn3.sto",
    "protein/tutorial/Pkinase.sto",
    "protein/tutorial/MADE1.sto",
    "protein/pyhmmer/LuxC.sto",
    "protein/pyhmmer/LuxC.faa",
]


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


def hmmer_text_fields(hmm):
    """MAP column and MAXL of a pyhmmer model, read from its HMMER3/f text."""
    buf = io.BytesIO()
    hmm.write(buf)
    lines = buf.getvalue().decode().splitlines()
    maxl = next((int(line.split()[1]) for line in lines if line.startswith("MAXL")), None)
    start = next(i for i, line in enumerate(lines) if line.startswith("HMM "))
    k = hmm.alphabet.K
    amap = [
        int(fields[k + 1])
        for fields in (line.split() for line in lines[start + 2 :])
        if len(fields) > k + 2 and fields[0].isdigit()
    ]
    return amap, maxl


def max_differences(ours, theirs):
    t = np.abs(ours.transitions - np.asarray(theirs.transition_probabilities)).max()
    m = np.abs(ours.match_emissions[1:] - np.asarray(theirs.match_emissions)[1:]).max()
    i = np.abs(ours.insert_emissions - np.asarray(theirs.insert_emissions)).max()
    return t, m, i


@pytest.mark.parametrize("relpath", FAMILIES)
def test_default_build_matches_hmmbuild(shared_data, relpath):
    path = str(shared_data / relpath)
    theirs = hmmer_build(path)
    ours = build(path)
    ours.validate()
    assert ours.M == theirs.M
    amap, maxl = hmmer_text_fields(theirs)
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


def test_effn_entropy_reaches_target(shared_data):
    msa = read_alignment(shared_data / "protein/tutorial/Pkinase.sto")
    matassign, t, mat, ins = build_counts(msa)
    prior = default_prior(AMINO)
    bg = background_frequencies(AMINO)
    M = int(matassign.sum())
    target = entropy_target(M, AMINO)
    neff = entropy_weighting(mat, msa.nseq, prior, bg, target)
    assert 0 < neff < msa.nseq

    def entropy_at(n):
        scale = n / msa.nseq
        _, p, _ = estimate_parameters(t * scale, mat * scale, ins * scale, prior)
        return mean_match_relative_entropy(p, bg)

    # the bisection stops within 0.01 sequences of the root: the target lies between
    assert entropy_at(neff - 0.01) <= target <= entropy_at(neff + 0.01)


def test_entropy_target_rule():
    assert entropy_target(300, AMINO) == 0.59
    m = 20
    assert entropy_target(m, AMINO) == pytest.approx((45 + math.log2(m * (m + 1) / 2)) / m)
    assert entropy_target(300, DNA, target=1.0) == 1.0


def test_match_columns_by_weighted_occupancy():
    msa = from_text(list("abcd"), ["AC-D", "A--D", "-C-D", "--ED"], AMINO)
    # column 2 has residues with weight 1+1 of 4: exactly symfrac 0.5 -> match
    assert assign_match_columns(msa, np.ones(4), 0.5).tolist() == [True, True, False, True]
    # up-weighting the gapped sequences pushes column 2 below one half
    w = np.array([1.0, 2.0, 1.0, 2.0])
    assert assign_match_columns(msa, w, 0.5).tolist() == [True, False, False, True]
    assert match_columns_from_reference("xx..x-").tolist() == [1, 1, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="RF"):
        match_columns_from_reference(None)


def test_trace_doctoring_removes_d_to_i_and_i_to_d():
    # columns:      M M I M ; row a: D then I -> doctored to one M
    msa = from_text(["a", "b"], ["A-CD", "AC-D"], AMINO)
    matassign = np.array([True, True, False, True])
    raw = implied_trace(msa, 0, matassign, doctor=False)
    assert [s for s, _, _ in raw] == list("BMDIME")
    doctored = implied_trace(msa, 0, matassign)
    assert doctored == [("B", 0, -1), ("M", 1, 0), ("M", 2, 2), ("M", 3, 3), ("E", 0, -1)]
    # I then D: the insert residue is pushed into the deleted match state
    msa2 = from_text(["a"], ["ACD-E"], AMINO)
    matassign2 = np.array([True, False, False, True, True])
    states = implied_trace(msa2, 0, matassign2)
    assert states == [
        ("B", 0, -1),
        ("M", 1, 0),
        ("I", 1, 1),
        ("M", 2, 2),
        ("M", 3, 4),
        ("E", 0, -1),
    ]


def test_counts_by_hand():
    # three sequences, match columns 1, 2, 4; weights 1, 2, 0.5
    msa = from_text(["a", "b", "c"], ["AC-D", "A-GD", "ACGB"], AMINO)
    matassign = np.array([True, True, False, True])
    t, mat, ins = count_paths(msa, np.array([1.0, 2.0, 0.5]), matassign)
    sym = AMINO.symbols.index
    # a: B M1 M2 M3 E ; b: B M1 (D2 I2 -> M2 with G) M3 E ; c: B M1 M2 I2 M3 E
    assert t[0, 0] == pytest.approx(3.5)  # B -> M1
    assert t[1, 0] == pytest.approx(3.5)  # M1 -> M2
    assert t[2, 0] == pytest.approx(3.0) and t[2, 1] == pytest.approx(0.5)  # M2 -> M3 / I2
    assert t[2, 3] == pytest.approx(0.5)  # I2 -> M3
    assert t[3, 0] == pytest.approx(3.5)  # M3 -> E counted as M->M
    assert mat[2, sym("C")] == pytest.approx(1.5) and mat[2, sym("G")] == pytest.approx(2.0)
    assert ins[2, sym("G")] == pytest.approx(0.5)
    # the degenerate B (D or N) splits its weight
    assert mat[3, sym("D")] == pytest.approx(3.25) and mat[3, sym("N")] == pytest.approx(0.25)
    assert t.dtype == np.float32


def test_fragment_flanks_are_not_counted():
    # row b is a fragment: its flanks become missing data, so no B->D or D->E counts
    msa = from_text(["a", "b"], ["ACDEFGHIKL", "---EF-----"], AMINO)
    matassign, t, mat, ins = build_counts(msa, weighting="none")
    assert matassign.all()
    assert t[0, 2] == 0.0 and t[:, 6].sum() == 0.0  # no B->D1, no D->D
    assert t[0, 0] == 1.0  # only row a enters at M1
    sym = AMINO.symbols.index
    # HMMER counts a fragment from its first M up to, not including, its last M
    assert mat[4, sym("E")] == 2.0 and mat[5, sym("F")] == 1.0
    assert t[4, 0] == 2.0  # M4 -> M5 seen in both rows


def test_max_emission_length(shared_data):
    path = str(shared_data / "protein/tutorial/MADE1.sto")
    ours = build(path)
    assert ours.max_length == hmmer_text_fields(hmmer_build(path))[1]
    assert max_emission_length(ours.transitions) == ours.max_length
    one = np.array([[1.0, 0, 0, 1, 0, 1, 0], [1.0, 0, 0, 1, 0, 1, 0]])
    assert max_emission_length(one) == 1


def test_consensus_and_composition_helpers():
    mat = np.array([[1, 0, 0, 0], [0.95, 0.05, 0, 0], [0.4, 0.3, 0.2, 0.1]])
    assert consensus_line(mat, DNA) == "Aa"
    assert consensus_line(mat, AMINO.__class__("amino", "ACGT")) == "Aa"
    t = np.array([[1.0, 0, 0, 1, 0, 1, 0]] * 3)
    t[2, 0] = 1.0
    ins = np.full((3, 4), 0.25)
    compo = model_composition(t, mat, ins)
    np.testing.assert_allclose(compo, (mat[1] + mat[2]) / 2, atol=1e-7)


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
