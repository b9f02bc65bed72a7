"""Sequence weights and per-frame state masks/priors, against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from factories import KINDS, fresh_like, make_model, sample_sequences

from hmmkit import CategoricalHMM
from hmmkit.annotations import annotate, check_state_mask
from hmmkit.disk_sources import NpyFolderSource
from hmmkit.sequences import SequenceBatch, as_symbol_batch
from hmmkit.shard_work import e_step_shard


def tiny_model(rng, k=3, n_symbols=4):
    return make_model("categorical", None, rng, n_states=k, n_symbols=n_symbols)


def enumerate_paths(model, x, weights=None):
    """Every state path of ``x`` with log p(x, z) + sum_t log w_t(z_t), by brute force."""
    k = model.n_states
    start, trans, emit = model.startprob_, model.transmat_, model.emissionprob_
    paths, values = [], []
    for z in itertools.product(range(k), repeat=len(x)):
        p = start[z[0]] * emit[z[0], x[0]]
        for t in range(1, len(x)):
            p *= trans[z[t - 1], z[t]] * emit[z[t], x[t]]
        if weights is not None:
            p *= np.prod([weights[t, z[t]] for t in range(len(x))])
        paths.append(z)
        values.append(p)
    return np.asarray(paths), np.asarray(values)


def brute_force(model, x, weights=None):
    """(log-likelihood, posteriors, viterbi log-prob, viterbi path, start, trans, symbols)."""
    paths, p = enumerate_paths(model, x, weights)
    k, total = model.n_states, p.sum()
    q = p / total
    posteriors = np.zeros((len(x), k))
    trans = np.zeros((k, k))
    symbols = np.zeros((model.emissionprob_.shape[1], k))
    for z, w in zip(paths, q, strict=True):
        posteriors[np.arange(len(x)), z] += w
        for t in range(1, len(x)):
            trans[z[t - 1], z[t]] += w
        for t in range(len(x)):
            symbols[x[t], z[t]] += w
    best = int(np.argmax(p))
    return np.log(total), posteriors, np.log(p[best]), paths[best], posteriors[0], trans, symbols


@pytest.fixture
def setting():
    rng = np.random.default_rng(7)
    model = tiny_model(rng)
    seqs = [rng.integers(0, 4, size=n) for n in (5, 3, 6)]
    masks = [rng.random((len(s), 3)) < 0.6 for s in seqs]
    for m in masks:
        m[np.arange(len(m)), rng.integers(0, 3, size=len(m))] = True  # one allowed each
    priors = [rng.uniform(0.0, 2.0, size=(len(s), 3)) * m for s, m in zip(seqs, masks, strict=True)]
    return model, seqs, masks, priors


@pytest.mark.parametrize("kind", ["mask", "prior"])
def test_inference_with_state_masks_equals_enumeration(setting, kind):
    model, seqs, masks, priors = setting
    given = masks if kind == "mask" else priors
    for x, g in zip(seqs, given, strict=True):
        weights = g.astype(float)
        loglik, post, best_logp, best_path, *_ = brute_force(model, x, weights)
        np.testing.assert_allclose(model.score(x, state_mask=g), loglik, rtol=1e-12)
        np.testing.assert_allclose(model.predict_proba(x, state_mask=g), post, atol=1e-12)
        logp, path = model.decode(x, state_mask=g)
        np.testing.assert_allclose(logp, best_logp, rtol=1e-12)
        np.testing.assert_array_equal(path, best_path)
        _, map_path = model.decode(x, algorithm="map", state_mask=g)
        np.testing.assert_array_equal(map_path, np.argmax(post, axis=1))
        assert np.all(post[~(weights > 0)] == 0.0)  # a disallowed state has no mass
    # the whole list at once, as one (n_frames, K) array too
    total = sum(brute_force(model, x, g.astype(float))[0] for x, g in zip(seqs, given, strict=True))
    np.testing.assert_allclose(model.score(seqs, state_mask=given), total, rtol=1e-12)
    stacked = np.concatenate(given)
    np.testing.assert_allclose(model.score(seqs, state_mask=stacked), total, rtol=1e-12)


def test_e_step_statistics_with_masks_and_weights_equal_enumeration(setting):
    model, seqs, masks, priors = setting
    sample_weight = np.array([0.5, 0.0, 2.5])
    batch = annotate(as_symbol_batch(seqs, None, n_symbols=4), sample_weight, priors, 3)
    stats = e_step_shard(model._get_params(), batch)
    expected = {"start": 0.0, "trans": 0.0, "symbol_counts": 0.0}
    loglik = 0.0
    for x, prior, w in zip(seqs, priors, sample_weight, strict=True):
        ll, _, _, _, start, trans, symbols = brute_force(model, x, prior)
        expected["start"] += w * start
        expected["trans"] += w * trans
        expected["symbol_counts"] += w * symbols
        loglik += w * ll
    for key, value in expected.items():
        np.testing.assert_allclose(stats[key], value, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(stats.log_likelihood, loglik, rtol=1e-12)


def _with_start(model, family, covariance_type, **kwargs):
    """A model of the same kind starting from ``model``'s parameters (no initialisation)."""
    fresh = fresh_like(model, family, covariance_type, init_params="", **kwargs)
    for name in ("startprob_", "transmat_", *model._letter_attributes.values()):
        setattr(fresh, name, np.copy(getattr(model, name)))
    return fresh


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_weight_two_equals_repeating_and_zero_equals_dropping(family, covariance_type):
    rng = np.random.default_rng(3)
    model = make_model(family, covariance_type, rng)
    seqs = sample_sequences(model, rng.integers(20, 60, size=7), seed=11)
    weights = np.array([2, 0, 1, 3, 0, 1, 2])
    repeated = [s for s, w in zip(seqs, weights, strict=True) for _ in range(w)]
    settings = dict(n_iter=4, tol=-np.inf)
    weighted = _with_start(model, family, covariance_type, **settings)
    weighted.fit(seqs, sample_weight=weights)
    plain = _with_start(model, family, covariance_type, **settings).fit(repeated)
    np.testing.assert_allclose(weighted.monitor_.history, plain.monitor_.history, rtol=1e-12)
    for name in ("startprob_", "transmat_", *model._letter_attributes.values()):
        np.testing.assert_allclose(getattr(weighted, name), getattr(plain, name), atol=1e-10)


def test_weights_and_masks_from_disk_and_threads_equal_in_memory(tmp_path):
    rng = np.random.default_rng(5)
    model = make_model("gaussian", "diag", rng)
    seqs = sample_sequences(model, rng.integers(300, 900, size=16), seed=2)
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"s{i:02d}.npy", s)
    weights = rng.uniform(0.0, 3.0, size=len(seqs))
    masks = [rng.random((len(s), 3)) < 0.8 for s in seqs]
    for m in masks:
        m[:, 0] = True
    settings = dict(n_iter=3, tol=-np.inf)
    memory = _with_start(model, "gaussian", "diag", n_jobs=1, **settings)
    memory.fit(seqs, sample_weight=weights, state_mask=masks)
    source = NpyFolderSource(tmp_path, max_frames=2000)
    assert len(source.shard_keys()) > 2
    for n_jobs in (1, 2):
        disk = _with_start(model, "gaussian", "diag", n_jobs=n_jobs, **settings)
        disk.fit(source, sample_weight=weights, state_mask=masks)
        np.testing.assert_allclose(disk.monitor_.history, memory.monitor_.history, rtol=1e-12)
        np.testing.assert_allclose(disk.means_, memory.means_, rtol=1e-10)


def test_semi_supervised_labels_pin_the_states():
    """Frames labelled with a state stay in it; the fit learns each state's symbols."""
    rng = np.random.default_rng(0)
    truth = tiny_model(rng, k=2, n_symbols=3)
    truth.emissionprob_ = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    seqs = [truth.sample(40, random_state=i) for i in range(30)]
    X = [x for x, _ in seqs]
    masks = []
    for _, z in seqs:
        m = np.ones((len(z), 2), dtype=bool)
        labelled = rng.random(len(z)) < 0.3
        m[labelled] = np.eye(2, dtype=bool)[z[labelled]]
        masks.append(m)
    model = CategoricalHMM(2, n_iter=50, random_state=1).fit(X, state_mask=masks)
    np.testing.assert_allclose(model.emissionprob_, truth.emissionprob_, atol=0.08)
    for x, m in zip(X, masks, strict=True):
        path = model.predict(x, state_mask=m)
        assert np.all(m[np.arange(len(x)), path])


def test_bad_masks_and_weights_are_refused_by_name():
    model = tiny_model(np.random.default_rng(0))
    x = np.array([0, 1, 2, 3])
    mask = np.ones((4, 3), dtype=bool)
    mask[2] = False
    with pytest.raises(ValueError, match="sequence 1, frame 2"):
        model.decode([x, x], state_mask=[np.ones((4, 3), bool), mask])
    with pytest.raises(ValueError, match=r"state_mask\[0\] must have shape \(4, 3\)"):
        model.score([x], state_mask=[np.ones((3, 3), bool)])
    with pytest.raises(ValueError, match="one array per sequence"):
        model.score([x, x], state_mask=[np.ones((4, 3), bool)])
    with pytest.raises(ValueError, match="frame 1, state 2 has weight -1"):
        prior = np.ones((4, 3))
        prior[1, 2] = -1
        model.predict_proba(x, state_mask=prior)
    with pytest.raises(TypeError, match="boolean or numeric"):
        model.score(x, state_mask=np.full((4, 3), "a"))
    fit = CategoricalHMM(3, n_iter=2)
    with pytest.raises(ValueError, match=r"sample_weight\[1\] = -1"):
        fit.fit([x, x], sample_weight=[1.0, -1.0])
    with pytest.raises(ValueError, match="one weight per sequence"):
        fit.fit([x, x], sample_weight=[1.0])
    with pytest.raises(ValueError, match="every sequence weight 0"):
        fit.fit([x, x], sample_weight=[0.0, 0.0])


def test_state_mask_log_weights():
    log_prior = check_state_mask([np.array([[True, False], [False, True]])], np.array([2]), 2)
    np.testing.assert_array_equal(log_prior, [[0.0, -np.inf], [-np.inf, 0.0]])
    batch = SequenceBatch(np.zeros(2, dtype=np.int64), np.array([0, 1, 2]))
    annotated = annotate(batch, [1.0, 2.0], np.array([[True, True], [True, False]]), 2)
    second = annotated.subset(1, 2)
    np.testing.assert_array_equal(second.weights, [2.0])
    np.testing.assert_array_equal(second.log_prior, [[0.0, -np.inf]])
