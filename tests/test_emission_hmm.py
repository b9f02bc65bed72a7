"""HMM over a user's emission family: the Bernoulli and von Mises emissions of
docs/custom_emissions.md, checked against independent truth (brute-force enumeration of
tiny models, scipy's von Mises density, a CategoricalHMM on the equivalent alphabet,
parameter recovery by EM), through every accelerator, threads, Dask and save/load."""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from documented_modules import write_documented_modules
from scipy.stats import vonmises

from hmmkit import HMM, CategoricalHMM, ModelFileError, load
from hmmkit.emissions import Emission


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    folder = write_documented_modules(tmp_path_factory.mktemp("documented"))
    sys.path.insert(0, str(folder))
    try:
        import bernoulli_emission
        import von_mises_emission

        yield bernoulli_emission.Bernoulli, von_mises_emission.VonMises, folder
    finally:
        sys.path.remove(str(folder))


def chain(rng, k):
    startprob = rng.dirichlet(np.ones(k))
    transmat = rng.dirichlet(np.ones(k) * 2, size=k)
    return startprob, transmat


def bernoulli_model(Bernoulli, rng, k=2, d=3):
    model = HMM(k, emission=Bernoulli)
    model.startprob_, model.transmat_ = chain(rng, k)
    model.emission_ = Bernoulli(rng.uniform(0.1, 0.9, size=(k, d)))
    return model


def von_mises_model(VonMises, rng, k=2, d=2):
    model = HMM(k, emission=VonMises)
    model.startprob_, model.transmat_ = chain(rng, k)
    model.emission_ = VonMises(rng.uniform(-3, 3, size=(k, d)), rng.uniform(0.5, 6, size=(k, d)))
    return model


def brute_force(startprob, transmat, log_b):
    """Log-likelihood, posteriors and best path by enumerating every state path."""
    t, k = log_b.shape
    paths = np.array(list(itertools.product(range(k), repeat=t)))
    scores = np.log(startprob[paths[:, 0]]) + log_b[np.arange(t), paths].sum(axis=1)
    scores += np.log(transmat[paths[:, :-1], paths[:, 1:]]).sum(axis=1)
    total = np.logaddexp.reduce(scores)
    weights = np.exp(scores - total)
    posteriors = np.stack([np.bincount(paths[:, i], weights, minlength=k) for i in range(t)])
    return total, posteriors, paths[np.argmax(scores)], scores.max()


def test_bernoulli_scores_posteriors_and_paths_equal_enumeration(families):
    Bernoulli = families[0]
    rng = np.random.default_rng(0)
    model = bernoulli_model(Bernoulli, rng)
    x = (rng.random((5, 3)) < 0.5).astype(float)
    p = model.emission_.p
    log_b = (x[:, None, :] * np.log(p) + (1 - x[:, None, :]) * np.log1p(-p)).sum(axis=2)
    total, posteriors, path, best = brute_force(model.startprob_, model.transmat_, log_b)
    assert model.score(x) == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(model.predict_proba(x), posteriors, atol=1e-12)
    log_prob, states = model.decode(x)
    np.testing.assert_array_equal(states, path)
    assert log_prob == pytest.approx(best, rel=1e-12)


def test_von_mises_scores_equal_enumeration_with_scipys_density(families):
    VonMises = families[1]
    rng = np.random.default_rng(1)
    model = von_mises_model(VonMises, rng, k=3)
    x = rng.uniform(-np.pi, np.pi, size=(4, 2))
    e = model.emission_
    log_b = vonmises.logpdf(x[:, None, :], e.kappa, loc=e.mu).sum(axis=2)
    total, posteriors, path, _ = brute_force(model.startprob_, model.transmat_, log_b)
    assert model.score(x) == pytest.approx(total, rel=1e-12)
    np.testing.assert_allclose(model.predict_proba(x), posteriors, atol=1e-12)
    np.testing.assert_array_equal(model.predict(x), path)


def as_symbols(frames):
    return (frames @ (2 ** np.arange(frames.shape[1]))).astype(np.int64)


def equivalent_categorical(model, **settings):
    """The CategoricalHMM over the 2^D patterns that the Bernoulli HMM defines."""
    p = model.emission_.p
    d = p.shape[1]
    patterns = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(float)
    table = np.prod(np.where(patterns[None] == 1, p[:, None], 1 - p[:, None]), axis=2)
    other = CategoricalHMM(model.n_states, n_symbols=2**d, **settings)
    other.startprob_, other.transmat_, other.emissionprob_ = (
        model.startprob_,
        model.transmat_,
        table,
    )
    return other


@pytest.mark.parametrize("d", [2, 3])
def test_bernoulli_hmm_equals_a_categorical_hmm_on_the_patterns(families, d):
    """Same likelihood, posteriors and paths; and training only start and transitions
    (the emissions stay equivalent) gives the same history and the same chain."""
    Bernoulli = families[0]
    rng = np.random.default_rng(d)
    model = bernoulli_model(Bernoulli, rng, k=3, d=d)
    seqs = [model.sample(int(n), random_state=int(n))[0] for n in rng.integers(10, 60, 12)]
    symbols = [as_symbols(s) for s in seqs]
    settings = dict(params="st", init_params="", n_iter=15, tol=-np.inf)
    other = equivalent_categorical(model, **settings)
    assert model.score(seqs) == pytest.approx(other.score(symbols), rel=1e-12)
    np.testing.assert_allclose(model.predict_proba(seqs), other.predict_proba(symbols), atol=1e-10)
    np.testing.assert_array_equal(model.predict(seqs), other.predict(symbols))
    model.set_params(**settings).fit(seqs)
    other.fit(symbols)
    np.testing.assert_allclose(model.monitor_.history, other.monitor_.history, rtol=1e-12)
    np.testing.assert_allclose(model.transmat_, other.transmat_, atol=1e-12)


def circular_error(a, b):
    return np.abs(np.angle(np.exp(1j * (a - b))))


def matched(fitted, truth):
    """The permutation of fitted states closest to the true ones."""
    k = len(truth.mu)
    return min(
        itertools.permutations(range(k)),
        key=lambda order: circular_error(fitted.mu[list(order)], truth.mu).sum(),
    )


@pytest.mark.parametrize("algorithm", ["baum-welch", "alpha", "squarem"])
def test_von_mises_em_recovers_the_generating_parameters(families, algorithm):
    VonMises = families[1]
    truth = HMM(2, emission=VonMises)
    truth.startprob_ = np.array([0.6, 0.4])
    truth.transmat_ = np.array([[0.92, 0.08], [0.12, 0.88]])
    truth.emission_ = VonMises(
        np.array([[0.5, -2.5], [2.8, 1.0]]), np.array([[5.0, 2.0], [8.0, 4.0]])
    )
    seqs = [truth.sample(400, random_state=seed)[0] for seed in range(25)]
    model = HMM(2, emission=VonMises, n_iter=300, tol=1e-8, algorithm=algorithm, n_init=3,
                random_state=0).fit(seqs)  # fmt: skip
    history = np.asarray(model.monitor_.history)
    assert np.all(np.diff(history) >= -1e-8 * np.abs(history[1:]))
    assert model.monitor_.converged
    order = list(matched(model.emission_, truth.emission_))
    fitted = model.emission_
    assert np.max(circular_error(fitted.mu[order], truth.emission_.mu)) < 0.05
    np.testing.assert_allclose(fitted.kappa[order], truth.emission_.kappa, rtol=0.1)
    np.testing.assert_allclose(model.transmat_[np.ix_(order, order)], truth.transmat_, atol=0.03)


def test_accelerators_reach_the_baum_welch_optimum_from_one_start(families):
    """From one start, α-EM and SQUAREM converge to the log-likelihood Baum-Welch
    reaches (it may still creep upwards slowly), in fewer passes over the data."""
    Bernoulli, VonMises, _ = families
    rng = np.random.default_rng(5)
    for truth in (bernoulli_model(Bernoulli, rng, k=2, d=4), von_mises_model(VonMises, rng)):
        seqs = [truth.sample(200, random_state=seed)[0] for seed in range(10)]
        finals, passes = {}, {}
        for algorithm in ("baum-welch", "alpha", "squarem"):
            model = HMM(2, emission=type(truth.emission_), n_iter=3000, tol=1e-7,
                        algorithm=algorithm, random_state=4).fit(seqs)  # fmt: skip
            assert model.monitor_.converged
            finals[algorithm], passes[algorithm] = model.score(seqs), model.monitor_.n_passes
        for algorithm in ("alpha", "squarem"):
            assert finals[algorithm] == pytest.approx(finals["baum-welch"], rel=1e-7)
            assert passes[algorithm] < passes["baum-welch"]


def test_threads_give_the_single_thread_fit(families):
    VonMises = families[1]
    truth = von_mises_model(VonMises, np.random.default_rng(6))
    seqs = [truth.sample(3000, random_state=seed)[0] for seed in range(8)]
    fits = [
        HMM(2, emission=VonMises, n_iter=10, random_state=0, n_jobs=n).fit(seqs) for n in (1, 2)
    ]
    np.testing.assert_allclose(fits[0].monitor_.history, fits[1].monitor_.history, rtol=1e-12)
    np.testing.assert_allclose(fits[0].emission_.kappa, fits[1].emission_.kappa, rtol=1e-10)


def test_dask_fit_equals_the_threaded_fit(families):
    distributed = pytest.importorskip("distributed")
    Bernoulli, _, folder = families
    truth = bernoulli_model(Bernoulli, np.random.default_rng(7), k=2, d=5)
    seqs = [truth.sample(500, random_state=seed)[0] for seed in range(12)]
    settings = dict(n_iter=8, tol=-np.inf, random_state=0, algorithm="squarem")
    local = HMM(2, emission=Bernoulli, **settings).fit(seqs)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster) as client:
            client.upload_file(str(folder / "bernoulli_emission.py"))
            remote = HMM(2, emission=Bernoulli, **settings).fit(seqs, backend="dask", client=client)
    np.testing.assert_allclose(remote.monitor_.history, local.monitor_.history, rtol=1e-12)
    np.testing.assert_allclose(remote.emission_.p, local.emission_.p, atol=1e-12)


def test_save_and_load_rebuild_the_family_by_its_module(families, tmp_path):
    Bernoulli, VonMises, _ = families
    model = HMM(2, emission=VonMises, n_iter=5, random_state=0)
    seqs = [von_mises_model(VonMises, np.random.default_rng(8)).sample(100)[0] for _ in range(3)]
    model.fit(seqs)
    model.save(tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert type(loaded) is HMM and loaded.emission is VonMises
    assert type(loaded.emission_) is VonMises
    np.testing.assert_array_equal(loaded.emission_.kappa, model.emission_.kappa)
    assert loaded.score(seqs) == model.score(seqs)
    assert loaded.monitor_.history == model.monitor_.history
    # settings of the emission are kept
    binary = bernoulli_model(Bernoulli, np.random.default_rng(9))
    binary.emission_ = Bernoulli(binary.emission_.p, pseudo_count=0.5)
    binary.save(tmp_path / "b.npz")
    assert load(tmp_path / "b.npz").emission_.pseudo_count == 0.5


def rewrite_meta(path, change):
    with np.load(path) as archive:
        arrays = dict(archive)
    meta = json.loads(arrays["__hmmkit__"].tobytes())
    change(meta)
    arrays["__hmmkit__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **arrays)


def test_a_family_that_cannot_be_imported_is_refused_by_name(families, tmp_path):
    VonMises = families[1]
    path = tmp_path / "m.npz"
    von_mises_model(VonMises, np.random.default_rng(10)).save(path)

    def elsewhere(meta):
        meta["values"]["emission_"]["module"] = "no_such_module_of_angles"

    rewrite_meta(path, elsewhere)
    with pytest.raises(ModelFileError, match="no_such_module_of_angles.*importable"):
        load(path)

    def not_an_emission(meta):
        meta["values"]["emission_"].update(module="collections", **{"class": "OrderedDict"})

    von_mises_model(VonMises, np.random.default_rng(10)).save(path)
    rewrite_meta(path, not_an_emission)
    with pytest.raises(ModelFileError, match="not a Emission subclass"):
        load(path)


def test_invalid_emission_fields_in_a_file_are_refused_by_the_family(families, tmp_path):
    VonMises = families[1]
    path = tmp_path / "m.npz"
    von_mises_model(VonMises, np.random.default_rng(13)).save(path)
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays["emission_.kappa"] = -arrays["emission_.kappa"]
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError, match="invalid model: .*kappa finite and positive"):
        load(path)


def test_a_family_defined_in_a_function_cannot_be_saved(families, tmp_path):
    Bernoulli = families[0]

    @dataclass(frozen=True)
    class Local(Bernoulli):
        pass

    model = bernoulli_model(Bernoulli, np.random.default_rng(11))
    model.emission_ = Local(model.emission_.p)
    with pytest.raises(ValueError, match="inside a function"):
        model.save(tmp_path / "m.npz")


def test_bad_frames_and_bad_families_are_refused_clearly(families):
    Bernoulli, VonMises, _ = families
    with pytest.raises(ValueError, match="frame 1, feature 0 is 0.5"):
        HMM(2, emission=Bernoulli).fit([np.array([[1.0, 0.0], [0.5, 1.0]])])
    with pytest.raises(TypeError, match="the class, not an instance"):
        HMM(2, emission=VonMises(np.zeros((2, 1)), np.ones((2, 1)))).fit([np.zeros((5, 1))])
    with pytest.raises(TypeError, match="needs an emission family"):
        HMM(2).fit([np.zeros((5, 1))])

    class NotADataclass(Emission):
        pass

    with pytest.raises(TypeError, match="frozen dataclass"):
        HMM(2, emission=NotADataclass).fit([np.zeros((5, 1))])


def test_undeclared_kinds_are_refused_by_the_accelerators(families):
    VonMises = families[1]

    @dataclass(frozen=True)
    class Silent(VonMises):
        parameters = {}
        statistics = {}

    Silent.__qualname__ = "Silent"
    seqs = [von_mises_model(VonMises, np.random.default_rng(12)).sample(80)[0]]
    with pytest.raises(TypeError, match="Silent declares no parameter kinds"):
        HMM(2, emission=Silent, algorithm="squarem", random_state=0).fit(seqs)
    with pytest.raises(ValueError, match="Silent does not declare"):
        HMM(2, emission=Silent, algorithm="alpha", n_iter=5, random_state=0).fit(seqs)
