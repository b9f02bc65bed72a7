"""Cross-validation folds, decoy shuffles, ROC and hit agreement against independent truth."""

from __future__ import annotations

from collections import Counter
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from hmmkit.profile.evaluation import (
    hit_agreement,
    kfold_indices,
    pearson,
    roc_auc,
    roc_curve,
    sensitivity,
    shuffle_residues,
    subset_alignment,
    ungapped_sequences,
)
from hmmkit.profile.msa import from_text


def brute_force_auc(pos, neg) -> float:
    """P(positive > negative) + 0.5 P(tie), by counting every pair."""
    total = 0.0
    for p, n in product(pos, neg):
        total += 1.0 if p > n else 0.5 if p == n else 0.0
    return total / (len(pos) * len(neg))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 60), st.integers(2, 10), st.integers(0, 2**32 - 1))
def test_kfold_partitions_every_index_once(n, folds, seed):
    folds = min(folds, n)
    parts = kfold_indices(n, folds, seed)
    assert len(parts) == folds
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(n))
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    assert all(np.all(np.diff(p) > 0) for p in parts)


def test_kfold_is_reproducible_and_seeded():
    a = kfold_indices(30, 5, 7)
    b = kfold_indices(30, 5, 7)
    c = kfold_indices(30, 5, 8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


@pytest.mark.parametrize(
    "n, folds, message",
    [(1, 2, "n must be"), (5, 1, "folds must be"), (3, 4, "cannot exceed"), (5.0, 2, "n must")],
)
def test_kfold_rejects_bad_arguments(n, folds, message):
    with pytest.raises(ValueError, match=message):
        kfold_indices(n, folds)


@pytest.fixture
def small_msa():
    return from_text(
        ["a", "b", "c"],
        ["AC-DE~", "ACGDE-", "-CG.EK"],
        "amino",
        name="toy",
        reference="xxxx.x",
    )


def test_subset_alignment_keeps_rows_and_annotation(small_msa):
    sub = subset_alignment(small_msa, [2, 0])
    assert sub.names == ["c", "a"]
    assert np.array_equal(sub.codes, small_msa.codes[[2, 0]])
    assert sub.reference == "xxxx.x" and sub.name == "toy"
    assert small_msa.names == ["a", "b", "c"]  # the original is untouched


@pytest.mark.parametrize("rows", [[], [0, 0], [3], [-1]])
def test_subset_alignment_rejects_bad_rows(small_msa, rows):
    with pytest.raises(ValueError, match="rows"):
        subset_alignment(small_msa, rows)


def test_ungapped_sequences_strip_gaps_and_missing_data(small_msa):
    assert ungapped_sequences(small_msa) == [("a", "ACDE"), ("b", "ACGDE"), ("c", "CGEK")]
    assert ungapped_sequences(small_msa, [1]) == [("b", "ACGDE")]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ACDEFGHIKLMNPQRSTVWYX", min_size=0, max_size=300), st.integers(0, 99))
def test_shuffle_keeps_length_and_composition(residues, seed):
    shuffled = shuffle_residues(residues, np.random.default_rng(seed))
    assert Counter(shuffled) == Counter(residues)


def test_shuffle_permutes_and_is_seeded():
    seq = "ACDEFGHIKLMNPQRSTVWY" * 5
    a = shuffle_residues(seq, np.random.default_rng(1))
    assert a != seq
    assert a == shuffle_residues(seq, np.random.default_rng(1))
    with pytest.raises(TypeError, match="rng"):
        shuffle_residues(seq, 1)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=30),
    st.lists(st.integers(-5, 5), min_size=1, max_size=30),
)
def test_roc_auc_matches_sklearn_and_pair_counting(pos, neg):
    """Integer scores give many ties; sklearn and pair counting both count them one half."""
    auc = roc_auc(pos, neg)
    assert auc == pytest.approx(brute_force_auc(pos, neg), abs=1e-12)
    labels = [1] * len(pos) + [0] * len(neg)
    assert auc == pytest.approx(roc_auc_score(labels, pos + neg), abs=1e-12)


def test_roc_auc_with_unscored_targets():
    """-inf marks targets without a score: tied with each other, below every score."""
    pos = [10.0, -np.inf, 3.0]
    neg = [-np.inf, -np.inf, 5.0, -np.inf]
    assert roc_auc(pos, neg) == pytest.approx(brute_force_auc(pos, neg))
    assert roc_auc([1.0], [0.0]) == 1.0 and roc_auc([0.0], [1.0]) == 0.0


@pytest.mark.parametrize("pos, neg", [([], [1.0]), ([1.0], []), ([np.nan], [1.0])])
def test_roc_auc_rejects_empty_or_nan(pos, neg):
    with pytest.raises(ValueError):
        roc_auc(pos, neg)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-4, 4), min_size=1, max_size=25),
    st.lists(st.integers(-4, 4), min_size=1, max_size=25),
)
def test_roc_curve_matches_sklearn_and_its_area_is_the_auc(pos, neg):
    fpr, tpr = roc_curve(pos, neg)
    labels = [1] * len(pos) + [0] * len(neg)
    sk_fpr, sk_tpr, _ = sk_roc_curve(labels, pos + neg, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
    assert area == pytest.approx(roc_auc(pos, neg), abs=1e-12)


def test_sensitivity_counts_evalues_at_threshold():
    assert sensitivity([1e-5, 0.01, 0.02, np.inf], 0.01) == 0.5
    with pytest.raises(ValueError):
        sensitivity([], 0.01)
    with pytest.raises(ValueError):
        sensitivity([1.0], 0.0)


def test_hit_agreement():
    a = {"x": 10.0, "y": 20.0, "z": 31.0}
    b = {"y": 20.5, "z": 30.0, "w": 5.0}
    agree = hit_agreement(a, b)
    assert agree.shared == ["y", "z"]
    assert agree.only_first == ["x"] and agree.only_second == ["w"]
    assert not agree.identical
    assert agree.jaccard == pytest.approx(2 / 4)
    assert agree.max_abs_difference == pytest.approx(1.0)
    assert agree.correlation == pytest.approx(1.0)  # two points
    same = hit_agreement({}, {})
    assert same.identical and same.jaccard == 1.0 and same.correlation is None


def test_pearson_matches_numpy_and_handles_degenerate_input():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert pearson([1.0], [2.0]) is None
    assert pearson([1.0, 1.0], [2.0, 3.0]) is None
    with pytest.raises(ValueError, match="shape"):
        pearson([1.0, 2.0], [1.0])
