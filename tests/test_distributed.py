"""Training and search on a Dask cluster equal the same work in one process.

One LocalCluster (2 worker processes, 1 thread each, loopback only) serves the module.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
from factories import make_model, sample_sequences

distributed = pytest.importorskip("distributed")

from hmmkit import GMMHMM, CategoricalHMM, GaussianHMM  # noqa: E402
from hmmkit.disk_sources import FastaSource, NpyFolderSource  # noqa: E402
from hmmkit.sequences import as_continuous_batch  # noqa: E402
from hmmkit.shard_work import HMMParams, e_step_shard, score_shard  # noqa: E402
from hmmkit.sources import MemorySource  # noqa: E402
from hmmkit.training.backends import LocalBackend  # noqa: E402
from hmmkit.training.distributed import DaskBackend, partition, search_distributed  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    client.wait_for_workers(2)
    yield client
    client.close()
    cluster.close()


def corpus(family, seed=1, n=24):
    truth = make_model(family, "diag", np.random.default_rng(0))
    lengths = np.random.default_rng(seed).integers(40, 400, size=n)
    return sample_sequences(truth, lengths)


def build(family, algorithm="baum-welch"):
    common = dict(n_iter=6, tol=-np.inf, random_state=5, algorithm=algorithm)
    if family == "categorical":
        return CategoricalHMM(3, **common)
    if family == "gaussian":
        return GaussianHMM(3, "diag", **common)
    return GMMHMM(3, 2, "diag", **common)


def assert_same_fit(a, b):
    np.testing.assert_allclose(a.monitor_.history, b.monitor_.history, rtol=1e-10)
    names = ["startprob_", "transmat_"] + (
        ["emissionprob_"] if hasattr(a, "emissionprob_") else ["means_", "covars_"]
    )
    if isinstance(a, GMMHMM):
        names.append("weights_")
    for name in names:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("family", ["categorical", "gaussian", "gmm"])
def test_dask_fit_equals_in_process_fit(client, family):
    seqs = corpus(family)
    if family == "categorical":
        seqs = [s.ravel() for s in seqs]
    local = build(family).fit(seqs)
    remote = build(family).fit(seqs, backend="dask", client=client)
    assert_same_fit(local, remote)
    assert remote.monitor_.n_passes == local.monitor_.n_passes


@pytest.mark.parametrize("family", ["categorical", "gaussian"])
def test_variational_fit_on_dask_equals_in_process_fit(client, family):
    from hmmkit import VariationalCategoricalHMM, VariationalGaussianHMM

    seqs = corpus(family)
    cls = VariationalCategoricalHMM if family == "categorical" else VariationalGaussianHMM
    if family == "categorical":
        seqs = [s.ravel() for s in seqs]
    settings = dict(n_iter=6, tol=-np.inf, random_state=5)
    local = cls(3, **settings).fit(seqs)
    remote = cls(3, **settings).fit(seqs, backend="dask", client=client)
    assert_same_fit(local, remote)


def test_weights_and_state_masks_on_dask_equal_in_process(client, tmp_path):
    seqs = corpus("gaussian", seed=3)
    rng = np.random.default_rng(4)
    weights = rng.uniform(0.0, 2.0, size=len(seqs))
    masks = [rng.random((len(s), 3)) < 0.7 for s in seqs]
    for m in masks:
        m[:, 1] = True
    local = build("gaussian").fit(seqs, sample_weight=weights, state_mask=masks)
    remote = build("gaussian").fit(
        seqs, sample_weight=weights, state_mask=masks, backend="dask", client=client
    )
    assert_same_fit(local, remote)
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"s{i:03d}.npy", s)
    source = NpyFolderSource(tmp_path, max_frames=1500)
    on_disk = build("gaussian").fit(
        source, sample_weight=weights, state_mask=masks, backend="dask", client=client
    )
    assert_same_fit(local, on_disk)


@pytest.mark.parametrize("algorithm", ["alpha", "squarem"])
def test_accelerated_em_runs_unchanged_on_dask(client, algorithm):
    seqs = corpus("gaussian", seed=2)
    local = build("gaussian", algorithm).fit(seqs)
    remote = build("gaussian", algorithm).fit(seqs, backend="dask", client=client)
    assert_same_fit(local, remote)


def test_disk_source_is_read_on_the_workers(client, tmp_path):
    seqs = corpus("gaussian", seed=3, n=30)
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"utt{i:03d}.npy", s.astype(np.float32))
    source = NpyFolderSource(tmp_path, max_frames=600)
    local = build("gaussian").fit(source)
    remote = build("gaussian").fit(source, backend="dask", client=client)
    assert_same_fit(local, remote)
    # from one fixed start, the streamed fit equals the fit from memory (k-means
    # initialisation sees the frames in another order, so it is left out here)
    start = make_model("gaussian", "diag", np.random.default_rng(7))
    fixed = dict(init_params="", n_iter=4, tol=-np.inf)
    streamed, in_memory = GaussianHMM(3, "diag", **fixed), GaussianHMM(3, "diag", **fixed)
    for model in (streamed, in_memory):
        for name in ("startprob_", "transmat_", "means_", "covars_"):
            setattr(model, name, getattr(start, name))
    streamed.fit(source, backend="dask", client=client)
    in_memory.fit([s.astype(np.float32) for s in seqs])
    assert_same_fit(streamed, in_memory)


def released(client, timeout: float = 10.0) -> bool:
    """True once the cluster holds no hmmkit data (releasing is asynchronous)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [k for k in client.who_has() if "hmmkit" in str(k)]:
            return True
        time.sleep(0.05)
    return False


def test_shards_stay_on_the_workers_and_params_go_once_per_iteration(client):
    seqs = corpus("gaussian", seed=4)
    batch = as_continuous_batch(seqs)
    source = MemorySource(batch, max_frames=500)
    model = make_model("gaussian", "diag", np.random.default_rng(0))
    params = HMMParams(model.startprob_, model.transmat_, model._emission())
    expected = LocalBackend(source, 1).map_reduce(e_step_shard, params)
    with DaskBackend(source, client) as backend:
        distributed.wait(backend._partitions)
        holders = {w for ws in client.who_has(backend._partitions).values() for w in ws}
        assert len(holders) == 2  # the shards are spread over both workers
        with distributed.get_task_stream(client) as stream:
            first = backend.map_reduce(e_step_shard, params)
            second = backend.map_reduce(e_step_shard, params)
        # tasks run, not data moved: under load Dask may steal an E-step task and move its
        # partition from worker to worker, which is not a reload from the client
        names = [
            task["key"]
            for task in stream.data
            if any(s["action"] == "compute" for s in task.get("startstops", ()))
        ]
        assert not [k for k in names if "shards" in k]  # nothing reloaded or resent
        assert sum("params" in k for k in names) == 2  # one parameter task per iteration
        assert sum("e_step_shard" in k for k in names) == 2 * backend.n_partitions
        scores = backend.map(score_shard, params)
    for stats in (first, second):
        assert stats.log_likelihood == pytest.approx(expected.log_likelihood, rel=1e-12)
        for key in expected:
            np.testing.assert_allclose(stats[key], expected[key], rtol=1e-12)
    np.testing.assert_allclose(np.concatenate(scores), model.score_sequences(seqs), rtol=1e-12)
    assert released(client)  # close() released all


def test_partition_covers_in_order():
    assert partition(10, 4) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert partition(2, 8) == [(0, 1), (1, 2)]


def test_bad_client_is_refused():
    source = MemorySource(as_continuous_batch([np.zeros((3, 1))]))
    with pytest.raises(TypeError, match="distributed.Client"):
        DaskBackend(source, client="tcp://127.0.0.1:8786")


def test_data_missing_on_a_worker_is_reported(client, tmp_path):
    for i, s in enumerate(corpus("gaussian", n=4)):
        np.save(tmp_path / f"{i}.npy", s)
    source = NpyFolderSource(tmp_path, max_frames=300)
    (tmp_path / "2.npy").unlink()  # as if the workers did not share the client's disk
    model = make_model("gaussian", "diag", np.random.default_rng(0))
    params = HMMParams(model.startprob_, model.transmat_, model._emission())
    with DaskBackend(source, client) as backend:
        with pytest.raises(FileNotFoundError, match="visible to every worker"):
            backend.map_reduce(e_step_shard, params)


def test_search_of_a_fasta_database_on_the_workers(client, shared_data):
    from hmmkit.profile import read_hmmer
    from hmmkit.profile.search import search

    folder = shared_data / "protein" / "pyhmmer"
    model = read_hmmer(folder / "PF02826.hmm")
    database = folder / "938293.PRJEB85.HG003687.faa"
    source = FastaSource(database, model.alphabet.symbols + "BJZOUX*", max_frames=20_000)
    assert len(source.shard_keys()) > 8
    results = search_distributed(model, source, client)
    single = search(model, database)
    assert results.tblout() == single.tblout()
    assert (results.nseqs, results.nresidues) == (2100, 682_583)
    assert results.pipeline == single.pipeline  # the tasks' stage counters add up
    # HMMER's own hmmsearch --tblout of this model against this proteome
    expected = [
        line.split()
        for line in (folder / "PF02826.tbl").read_text().splitlines()
        if not line.startswith("#")
    ]
    assert [h.name for h in results] == [row[0] for row in expected]
    np.testing.assert_allclose(
        [h.score for h in results], [float(r[5]) for r in expected], atol=0.1
    )


def _worker_pids(client) -> dict:
    return client.run(os.getpid)


def test_a_worker_killed_mid_fit_does_not_change_the_model(client, tmp_path):
    seqs = corpus("gaussian", seed=6, n=40)
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"utt{i:03d}.npy", s)
    source = NpyFolderSource(tmp_path, max_frames=800)
    undisturbed = build("gaussian").fit(source, backend="dask", client=client)

    before = _worker_pids(client)
    gather, calls, killed = client.gather, [], []

    def gather_then_kill(futures, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # third E-step: its tasks are submitted, none gathered yet
            victim = next(iter(before.values()))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        return gather(futures, *args, **kwargs)

    client.gather = gather_then_kill
    try:
        disturbed = build("gaussian").fit(source, backend="dask", client=client)
    finally:
        del client.gather
    assert killed
    assert_same_fit(undisturbed, disturbed)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the nanny brings a fresh worker process back
        try:
            client.wait_for_workers(2, timeout=5)
            after = _worker_pids(client)
        except Exception:  # noqa: BLE001 - the cluster is still reconnecting
            continue
        if len(after) == 2:
            break
    assert killed[0] not in after.values()


def test_without_the_dask_extra_the_import_says_what_to_install():
    """Where ``distributed`` is not installed, importing the module names the extra."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('distributed', 'dask'):\n"
        "            raise ImportError('No module named ' + repr(name))\n"
        "sys.meta_path.insert(0, Block())\n"
        "import hmmkit.training.distributed\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "pip install 'hmmkit[dask]'" in done.stderr.strip().splitlines()[-1]


def test_dask_fit_far_from_zero_keeps_the_variances(client):
    rng = np.random.default_rng(8)
    seqs = [rng.standard_normal((300, 2)) * [1.0, 0.5] + [1e9, -1e8] for _ in range(8)]
    local = GaussianHMM(1, "full", n_iter=3, random_state=0).fit(seqs)
    remote = GaussianHMM(1, "full", n_iter=3, random_state=0).fit(
        seqs, backend="dask", client=client
    )
    assert_same_fit(local, remote)
    frames = np.concatenate(seqs)
    centred = frames - frames.mean(axis=0)  # two-pass truth
    np.testing.assert_allclose(remote.covars_[0], centred.T @ centred / len(frames), rtol=1e-7)
