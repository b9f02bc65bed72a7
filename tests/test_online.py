"""Incremental and stepwise (online) EM, against batch EM and brute-force free energy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from factories import KINDS, fresh_like, make_model, sample_sequences

from hmmkit import GaussianHMM
from hmmkit.disk_sources import NpyFolderSource
from hmmkit.emissions.gaussian import recentre_moments
from hmmkit.sequences import as_symbol_batch
from hmmkit.shard_work import e_step_shard
from hmmkit.stats import Stats
from hmmkit.training import ConvergenceMonitor
from hmmkit.training.online import StepSizes, incremental_em


def _with_start(model, family, covariance_type, **kwargs):
    """A model of the same kind starting from ``model``'s parameters (no initialisation)."""
    fresh = fresh_like(model, family, covariance_type, init_params="", **kwargs)
    for name in ("startprob_", "transmat_", *model._letter_attributes.values()):
        setattr(fresh, name, np.copy(getattr(model, name)))
    return fresh


def _parameters(model):
    return [
        getattr(model, n) for n in ("startprob_", "transmat_", *model._letter_attributes.values())
    ]


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_incremental_em_with_one_shard_is_batch_em(family, covariance_type):
    rng = np.random.default_rng(1)
    truth = make_model(family, covariance_type, rng)
    start = make_model(family, covariance_type, rng)
    seqs = sample_sequences(truth, rng.integers(30, 80, size=10), seed=4)
    settings = dict(n_iter=6, tol=-np.inf, transmat_prior=1.5)
    batch = _with_start(start, family, covariance_type, **settings).fit(seqs)
    incremental = _with_start(start, family, covariance_type, algorithm="incremental", **settings)
    incremental.fit(seqs)
    assert incremental.monitor_.history == batch.monitor_.history
    assert incremental.monitor_.n_passes == batch.monitor_.n_passes == 6
    for a, b in zip(_parameters(incremental), _parameters(batch), strict=True):
        np.testing.assert_array_equal(a, b)


def _log_joint(params, x, z):
    """log p(x, z) of a categorical HMM, from its probability tables."""
    emit = params.emission.emissionprob
    value = np.log(params.startprob[z[0]]) + np.log(emit[z[0], x[0]])
    for t in range(1, len(x)):
        value += np.log(params.transmat[z[t - 1], z[t]]) + np.log(emit[z[t], x[t]])
    return value


def _free_energy(shard_sequences, visited_params, params):
    """Neal & Hinton's F: each shard's exact posterior under the parameters it was last
    visited with, the expected complete log-likelihood under ``params``, plus entropy."""
    total = 0.0
    for seqs, at in zip(shard_sequences, visited_params, strict=True):
        for x in seqs:
            paths = list(itertools.product(range(len(at.startprob)), repeat=len(x)))
            log_q = np.array([_log_joint(at, x, z) for z in paths])
            log_q -= np.logaddexp.reduce(log_q)
            q = np.exp(log_q)
            log_p = np.array([_log_joint(params, x, z) for z in paths])
            total += float(q @ (log_p - log_q))
    return total


def test_incremental_em_never_lowers_the_free_energy():
    rng = np.random.default_rng(2)
    truth = make_model("categorical", None, rng, n_states=2, n_symbols=3)
    start = make_model("categorical", None, rng, n_states=2, n_symbols=3)
    seqs = sample_sequences(truth, rng.integers(2, 6, size=12), seed=9)
    shards = [as_symbol_batch(seqs[i : i + 3], None, n_symbols=3) for i in range(0, 12, 3)]
    model = _with_start(start, "categorical", None)
    params = model._for_training(model._get_params())
    model._structure = (params.startprob > 0, params.transmat > 0)
    visited = [None] * len(shards)
    before = [params]
    energies = []

    def on_step(i, new):
        visited[i] = before[0]  # shard i was E-stepped under the parameters before this M-step
        before[0] = new
        if all(v is not None for v in visited):
            energies.append(_free_energy([list(s) for s in shards], visited, new))

    monitor = ConvergenceMonitor(tol=-np.inf, n_iter=5)
    incremental_em(
        list(range(len(shards))),
        lambda p, key: e_step_shard(p, shards[key]),
        model._m_step,
        params,
        monitor,
        on_step=on_step,
    )
    assert len(energies) == 4 * 4 + 1
    steps = np.diff(energies)
    assert np.all(steps >= -1e-10 * abs(energies[0])), steps
    assert energies[-1] > energies[0] + 1e-3  # it did climb
    assert monitor.n_passes == 5


def _sampled(seed=0, n_sequences=120):
    rng = np.random.default_rng(seed)
    truth = GaussianHMM(3, "diag")
    truth.startprob_ = np.array([0.5, 0.3, 0.2])
    truth.transmat_ = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    truth.means_ = np.array([[0.0, 0.0], [3.0, 1.0], [-2.0, 3.0]])
    truth.covars_ = np.array([[1.0, 0.5], [0.7, 1.2], [1.0, 1.0]])
    return [
        truth.sample(int(n), random_state=seed + i)[0]
        for i, n in enumerate(rng.integers(100, 300, size=n_sequences))
    ]


def _start(**kwargs):
    model = GaussianHMM(3, "diag", init_params="", **kwargs)
    model.startprob_ = np.full(3, 1 / 3)
    model.transmat_ = np.full((3, 3), 1 / 3)
    model.means_ = np.array([[0.8, -0.6], [2.2, 1.8], [-1.3, 2.2]])
    model.covars_ = np.full((3, 2), 2.0)
    return model


def test_stepwise_em_converges_near_the_batch_optimum():
    seqs = _sampled()
    batch = _start(n_iter=500, tol=1e-6).fit(seqs)
    assert batch.monitor_.converged
    best = batch.score(seqs)
    online = _start()
    for _ in range(4):
        online.partial_fit(seqs)
    assert online.monitor_.n_passes == 4 and len(online.monitor_.history) == 4
    assert abs(online.score(seqs) - best) < 1e-3 * abs(best)
    order_b, order_o = np.argsort(batch.means_[:, 0]), np.argsort(online.means_[:, 0])
    np.testing.assert_allclose(online.means_[order_o], batch.means_[order_b], atol=0.1)
    incremental = _start(n_iter=3, tol=-np.inf, algorithm="incremental").fit(seqs)
    assert abs(incremental.score(seqs) - best) < 1e-4 * abs(best)
    assert incremental.monitor_.n_passes == 3


def _component_means(params):
    emission = params.emission
    bank = getattr(emission, "bank", None) or getattr(
        getattr(emission, "mixtures", None), "bank", None
    )
    return None if bank is None else bank.means


def _about_means_of(stats, old, new):
    """Gaussian moments gathered under ``old`` re-expressed about the means of ``new``."""
    if _component_means(old) is None:
        return stats
    arrays = dict(stats)
    arrays.update(recentre_moments(stats, _component_means(old), _component_means(new)))
    return Stats(arrays, stats.log_likelihood, stats.n_sequences, stats.n_frames)


@pytest.mark.parametrize("family,covariance_type", KINDS)
def test_partial_fit_is_the_stepwise_recursion(family, covariance_type):
    """With decay 1 and offset 1 (eta_k = 1/(k+1)) the running statistics are the mean of
    the shards' statistics scaled to the whole data, each under the parameters of its time;
    the fit climbs from its start."""
    rng = np.random.default_rng(6)
    truth = make_model(family, covariance_type, rng)
    start = make_model(family, covariance_type, rng)
    seqs = sample_sequences(truth, rng.integers(300, 600, size=40), seed=3)
    model = _with_start(start, family, covariance_type)
    before = model.score(seqs)
    model.partial_fit(seqs, decay=1.0, offset=1.0)
    reference = _with_start(start, family, covariance_type)
    params = reference._for_training(reference._get_params())
    reference._structure = (params.startprob > 0, params.transmat > 0)
    source = reference._as_source(seqs, None, False)
    shards = [source.load(key) for key in source.shard_keys()]
    assert len(shards) >= 3
    n_frames = sum(s.n_frames for s in shards)
    running, previous = None, None
    for k, shard in enumerate(shards):
        stats = e_step_shard(params, shard).scaled(n_frames / shard.n_frames)
        if k > 0:
            running = _about_means_of(running, previous, params)
        running = stats if k == 0 else running.scaled(k / (k + 1)) + stats.scaled(1 / (k + 1))
        previous, params = params, reference._m_step(running, params)
    reference._set_params(params)
    assert model._online_state.n_updates == len(shards)
    for a, b in zip(_parameters(model), _parameters(reference), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    for _ in range(2):
        model.partial_fit(seqs)
    assert model.score(seqs) > before
    assert model.monitor_.n_passes == 3 and len(model.monitor_.history) == 3
    assert StepSizes(1.0, 1.0)(0) == 1.0 and StepSizes(1.0, 1.0)(1) == 0.5
    np.testing.assert_allclose(StepSizes(0.7, 2.0)(3), 5.0**-0.7)


def test_partial_fit_initialises_an_empty_model_and_continues():
    seqs = _sampled(n_sequences=30)
    model = GaussianHMM(3, "diag", random_state=0)
    model.partial_fit(seqs[:15])
    after_one = model.score(seqs)
    model.partial_fit(seqs[15:])
    assert model.monitor_.n_passes == 2
    assert model.score(seqs) > after_one - 1e-6 * abs(after_one)
    # the same start as fit's initialisation
    fitted = GaussianHMM(3, "diag", random_state=0, n_iter=1, tol=-np.inf).fit(seqs[:15])
    assert fitted.monitor_.history[0] == pytest.approx(model.monitor_.history[0], rel=0.05)


def test_online_methods_from_disk_equal_in_memory(tmp_path):
    seqs = _sampled(n_sequences=40)
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"u{i:03d}.npy", s)
    source = NpyFolderSource(tmp_path)
    memory, disk = _start(), _start()
    for _ in range(2):
        memory.partial_fit(seqs)
        disk.partial_fit(source)
    assert disk._online_state.n_updates == memory._online_state.n_updates > 2
    np.testing.assert_allclose(disk.means_, memory.means_, rtol=1e-10)
    np.testing.assert_allclose(disk.monitor_.history, memory.monitor_.history, rtol=1e-12)
    settings = dict(n_iter=3, tol=-np.inf, algorithm="incremental")
    a = _start(**settings).fit(seqs)
    b = _start(**settings).fit(source)
    np.testing.assert_allclose(b.monitor_.history, a.monitor_.history, rtol=1e-12)
    np.testing.assert_allclose(b.transmat_, a.transmat_, rtol=1e-10)


def test_bad_step_sizes_and_backends_are_refused():
    seqs = _sampled(n_sequences=4)
    with pytest.raises(ValueError, match=r"decay \(kappa\) must be in \(0.5, 1\]"):
        _start().partial_fit(seqs, decay=0.4)
    with pytest.raises(ValueError, match=r"offset \(t0\) must be >= 1"):
        _start().partial_fit(seqs, offset=0.5)
    with pytest.raises(ValueError, match="backend='threads' only"):
        _start(algorithm="incremental").fit(seqs, backend="dask", client=object())


def test_variational_models_have_no_stepwise_em():
    from hmmkit import VariationalGaussianHMM

    with pytest.raises(NotImplementedError, match="has no partial_fit"):
        VariationalGaussianHMM(2).partial_fit(_sampled(n_sequences=2))


@pytest.mark.parametrize(
    "family,covariance_type", [("gaussian", "diag"), ("gaussian", "full"), ("gmm", "tied")]
)
def test_restated_moments_equal_moments_gathered_about_the_new_means(family, covariance_type):
    """The same frame weights, gathered about one model's means and restated about
    another's, give that other model's statistics."""
    from hmmkit.training.online import restated

    rng = np.random.default_rng(8)
    a = make_model(family, covariance_type, rng)
    b = make_model(family, covariance_type, rng)
    x = sample_sequences(a, [300], seed=1)[0] + 50.0  # far from zero
    pa, pb = a._get_params(), b._get_params()
    weights = rng.random((len(x), pa.emission.new_stats()["n"].shape[0]))
    stats = {}
    for name, p in (("a", pa), ("b", pb)):
        moments = p.emission.new_stats()
        bank = _component_means(p) is not None and (
            getattr(p.emission, "bank", None) or p.emission.mixtures.bank
        )
        bank.accumulate(x, weights, moments)
        stats[name] = Stats({k: moments[k] for k in ("n", "s1", "s2")})
    moved = restated(stats["a"], pa, pb)
    for key in ("n", "s1", "s2"):
        np.testing.assert_allclose(moved[key], stats["b"][key], rtol=1e-9, atol=1e-8)
    assert restated(stats["a"], pa, pa) is stats["a"]
