"""Sources that stream from disk give the sequences that were written, shard by shard."""

from __future__ import annotations

import numpy as np
import pytest
from Bio import SeqIO
from factories import make_model, sample_sequences
from hypothesis import given, settings
from hypothesis import strategies as st

from hmmkit import CategoricalHMM, GaussianHMM
from hmmkit.disk_sources import (
    FastaSource,
    HDF5Source,
    NpyFolderSource,
    ZarrSource,
    group_by_frames,
)
from hmmkit.sequences import SequenceBatch, as_continuous_batch


def gaussian_corpus(n=25, seed=1):
    truth = make_model("gaussian", "diag", np.random.default_rng(0))
    return sample_sequences(truth, np.random.default_rng(seed).integers(30, 300, size=n))


def all_sequences(source):
    return [x for key in source.shard_keys() for x in source.load(key)]


def categorical_fit(data):
    """Three iterations from one fixed start (a random start would see frames drawn in
    another order from a disk source than from memory)."""
    start = make_model("categorical", None, np.random.default_rng(3), n_states=2)
    model = CategoricalHMM(2, init_params="", n_iter=3, tol=-np.inf, n_jobs=2)
    for name in ("startprob_", "transmat_", "emissionprob_"):
        setattr(model, name, getattr(start, name))
    return model.fit(data)


def fixed_start_fit(data, n_iter=4):
    start = make_model("gaussian", "diag", np.random.default_rng(3))
    model = GaussianHMM(3, "diag", init_params="", n_iter=n_iter, tol=-np.inf, n_jobs=2)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        setattr(model, name, getattr(start, name))
    return model.fit(data)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(1, 60), min_size=1, max_size=40),
    st.integers(1, 100),
)
def test_grouping_matches_in_memory_shards(lengths, max_frames):
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    batch = SequenceBatch(np.zeros((offsets[-1], 1)), offsets)
    expected = [s.n_sequences for s in batch.shards(max_frames)]
    assert [b - a for a, b in group_by_frames(np.asarray(lengths), max_frames)] == expected


# ---------------------------------------------------------------- .npy / .npz folders


def test_npy_folder_gives_the_files_in_name_order(tmp_path):
    seqs = gaussian_corpus()
    for i, s in enumerate(seqs):
        if i % 4 == 0:
            np.savez_compressed(tmp_path / f"utt{i:03d}.npz", features=s)
        elif i % 4 == 1:
            np.save(tmp_path / f"utt{i:03d}.npy", s.astype(np.float32))
        elif i % 4 == 2:
            np.save(tmp_path / f"utt{i:03d}.npy", np.asfortranarray(s))
        else:
            np.save(tmp_path / f"utt{i:03d}.npy", s)
    (tmp_path / "notes.txt").write_text("not a feature file")
    source = NpyFolderSource(tmp_path, max_frames=500)
    assert source.n_sequences == len(seqs) and source.n_features == 2
    assert source.n_frames == sum(len(s) for s in seqs)
    assert len(source.shard_keys()) > 5
    for got, want in zip(all_sequences(source), seqs, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert got.dtype == np.float64
    assert max(source.load(k).n_frames for k in source.shard_keys()) <= 500


def test_streamed_fit_equals_fit_from_memory(tmp_path):
    seqs = gaussian_corpus()
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"{i:04d}.npy", s)
    streamed = fixed_start_fit(NpyFolderSource(tmp_path, max_frames=700))
    in_memory = fixed_start_fit(seqs)
    np.testing.assert_allclose(streamed.monitor_.history, in_memory.monitor_.history, rtol=1e-10)
    np.testing.assert_allclose(streamed.means_, in_memory.means_, rtol=1e-10)


def test_npy_folder_of_symbols_trains_a_categorical_model(tmp_path):
    truth = make_model("categorical", None, np.random.default_rng(0))
    seqs = [s.ravel() for s in sample_sequences(truth, [50, 80, 120, 60])]
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"s{i}.npy", s.astype(np.int16))
    source = NpyFolderSource(tmp_path, symbols=True, n_symbols=4, max_frames=100)
    for got, want in zip(all_sequences(source), seqs, strict=True):
        np.testing.assert_array_equal(got, want)
    a, b = categorical_fit(source), categorical_fit(seqs)
    np.testing.assert_allclose(a.emissionprob_, b.emissionprob_, rtol=1e-10)


def test_npy_folder_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        NpyFolderSource(tmp_path / "missing")
    with pytest.raises(ValueError, match="no files"):
        NpyFolderSource(tmp_path)
    np.save(tmp_path / "a.npy", np.zeros((5, 2)))
    np.save(tmp_path / "b.npy", np.zeros((5, 3)))
    with pytest.raises(ValueError, match="different numbers of features"):
        NpyFolderSource(tmp_path)
    np.save(tmp_path / "b.npy", np.zeros((0, 2)))
    with pytest.raises(ValueError, match="b.npy has zero frames"):
        NpyFolderSource(tmp_path)
    np.save(tmp_path / "b.npy", np.array([["x", "y"]]))
    with pytest.raises(TypeError, match="b.npy must hold real numbers"):
        NpyFolderSource(tmp_path)
    bad = np.zeros((4, 2))
    bad[2, 1] = np.nan
    np.save(tmp_path / "b.npy", bad)
    source = NpyFolderSource(tmp_path)
    with pytest.raises(ValueError, match="b.npy contains NaN"):
        source.load(source.shard_keys()[0])
    np.savez(tmp_path / "c.npz", x=np.zeros((3, 2)), y=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="c.npz holds 2 arrays"):
        NpyFolderSource(tmp_path, pattern="*.npz")
    assert NpyFolderSource(tmp_path, pattern="*.npz", array="y").n_frames == 3


# ---------------------------------------------------------------- HDF5 and Zarr stores


def write_store(kind, path, seqs, **arrays):
    X = np.concatenate(seqs)
    lengths = np.array([len(s) for s in seqs])
    arrays = {"X": X, "lengths": lengths, **arrays}
    if kind == "hdf5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(path, "w") as f:
            for name, value in arrays.items():
                f.create_dataset(name, data=value, chunks=True if value.ndim else None)
        return HDF5Source
    zarr = pytest.importorskip("zarr")
    group = zarr.open_group(str(path), mode="w")
    for name, value in arrays.items():
        group.create_array(
            name, shape=value.shape, dtype=value.dtype, chunks=(1000,) + value.shape[1:]
        )
        group[name][...] = value
    return ZarrSource


@pytest.mark.parametrize("kind", ["hdf5", "zarr"])
def test_array_store_gives_the_sequences_and_trains(tmp_path, kind):
    seqs = gaussian_corpus(seed=2)
    source_class = write_store(kind, tmp_path / "corpus", seqs)
    source = source_class(tmp_path / "corpus", max_frames=600)
    assert source.n_sequences == len(seqs) and len(source.shard_keys()) > 5
    for got, want in zip(all_sequences(source), seqs, strict=True):
        np.testing.assert_array_equal(got, want)
    streamed, in_memory = fixed_start_fit(source), fixed_start_fit(seqs)
    np.testing.assert_allclose(streamed.monitor_.history, in_memory.monitor_.history, rtol=1e-10)


@pytest.mark.parametrize("kind", ["hdf5", "zarr"])
def test_array_store_errors(tmp_path, kind):
    seqs = gaussian_corpus(n=3)
    source_class = write_store(kind, tmp_path / "a", seqs, bad_lengths=np.array([5, 5]))
    with pytest.raises(ValueError, match="sum to 10"):
        source_class(tmp_path / "a", lengths="bad_lengths")
    with pytest.raises(KeyError, match="no array 'features'"):
        source_class(tmp_path / "a", frames="features")
    with pytest.raises(FileNotFoundError):
        source_class(tmp_path / "missing")


# ---------------------------------------------------------------- FASTA


FASTA = """\
>seq1 first record, wrapped
ACGTACGTAC
gtacgt

>seq2
TTTT\r
>seq3 third one
A
C
G
>seq4
ACGTN
"""


def test_fasta_records_agree_with_biopython(tmp_path):
    path = tmp_path / "db.fa"
    path.write_bytes(FASTA.encode())
    source = FastaSource(path, "ACGTN", max_frames=8)
    assert source.shard_keys() == [(0, 1), (1, 3), (3, 4)]  # 16 residues; 4 + 3; 5
    records = [r for key in source.shard_keys() for r in source.records(key)]
    truth = list(SeqIO.parse(path, "fasta"))
    assert [r.name for r in records] == [t.id for t in truth]
    assert [r.residues for r in records] == [str(t.seq).replace("\r", "") for t in truth]
    assert records[0].description == "first record, wrapped"
    codes = all_sequences(source)
    alphabet = "ACGTN"
    for got, record in zip(codes, records, strict=True):
        np.testing.assert_array_equal(got, [alphabet.index(c) for c in record.residues.upper()])
    np.testing.assert_array_equal(source.lengths, [16, 4, 3, 5])


def test_fasta_trains_like_the_same_symbols_in_memory(tmp_path):
    truth = make_model("categorical", None, np.random.default_rng(0))
    seqs = [s.ravel() for s in sample_sequences(truth, np.arange(20, 400, 25))]
    lines = []
    for i, s in enumerate(seqs):
        residues = "".join("ACGT"[c] for c in s)
        lines.append(f">r{i} sampled")
        lines += [residues[j : j + 60] for j in range(0, len(residues), 60)]
    path = tmp_path / "sampled.fa"
    path.write_text("\n".join(lines) + "\n")
    source = FastaSource(path, "ACGT", max_frames=300)
    a, b = categorical_fit(source), categorical_fit(seqs)
    np.testing.assert_allclose(a.emissionprob_, b.emissionprob_, rtol=1e-10)
    np.testing.assert_allclose(a.monitor_.history, b.monitor_.history, rtol=1e-10)


def test_fasta_errors(tmp_path):
    path = tmp_path / "bad.fa"
    path.write_text(">a\nACGT\n>b\n>c\nAC\n")
    with pytest.raises(ValueError, match="'b' has no residues"):
        FastaSource(path, "ACGT")
    path.write_text("ACGT\n>a\nAC\n")
    with pytest.raises(ValueError, match="before the first '>'"):
        FastaSource(path, "ACGT")
    path.write_text(">a\nACGT\n>b\nACXT\n")
    source = FastaSource(path, "ACGT")
    with pytest.raises(ValueError, match="record 'b' has characters 'X'"):
        source.load(source.shard_keys()[0])
    with pytest.raises(ValueError, match="twice"):
        FastaSource(path, "ACGa")
    with pytest.raises(TypeError, match="alphabet"):
        FastaSource(path, 4)


def test_a_source_survives_pickling(tmp_path):
    import pickle

    seqs = gaussian_corpus(n=5)
    for i, s in enumerate(seqs):
        np.save(tmp_path / f"{i}.npy", s)
    source = NpyFolderSource(tmp_path)
    clone = pickle.loads(pickle.dumps(source))
    key = source.shard_keys()[0]
    np.testing.assert_array_equal(clone.load(key).X, as_continuous_batch(seqs).X)


def test_categorical_fit_takes_the_alphabet_of_the_source_not_of_its_sample(tmp_path):
    """A symbol found only outside the initialisation sample still has its column: the
    model takes the source's alphabet size (and never indexes past its table)."""
    from hmmkit.sources import INIT_FRAMES

    rng = np.random.default_rng(0)
    n = INIT_FRAMES // 1000 + 100  # sequences of 1,000 residues: more than the sample
    path = tmp_path / "big.fa"
    with open(path, "w") as handle:
        for i in range(n):
            residues = "".join(rng.choice(list("ACG"), 1000))
            if i == n - 1:
                residues = residues[:500] + "T" * 50 + residues[550:]
            handle.write(f">s{i}\n{residues}\n")
    source = FastaSource(path, "ACGT")
    for seed in range(3):
        model = CategoricalHMM(2, n_iter=2, tol=-np.inf, random_state=seed).fit(source)
        assert model.emissionprob_.shape == (2, 4)
        assert np.all(np.diff(model.monitor_.history) >= -1e-6)


@pytest.mark.parametrize("init", ["kmeans", "random"])
def test_a_corpus_that_fits_the_init_sample_gives_the_same_model_from_disk(tmp_path, init):
    """The whole corpus is the initialisation sample, in order, from memory or from disk:
    the same random_state gives the same model (a disk source used to shuffle it)."""
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(rng.integers(80, 160), 2)) + rng.integers(0, 3) * 3 for _ in range(60)]
    for i, x in enumerate(seqs):
        np.save(tmp_path / f"{i:04d}.npy", x)
    settings = dict(n_iter=4, tol=-np.inf, init=init, random_state=0)
    memory = GaussianHMM(3, "diag", **settings).fit(seqs)
    disk = GaussianHMM(3, "diag", **settings).fit(NpyFolderSource(tmp_path))
    np.testing.assert_allclose(disk.means_, memory.means_, rtol=1e-10)
    np.testing.assert_allclose(disk.monitor_.history, memory.monitor_.history, rtol=1e-10)


def test_a_compressed_fasta_is_refused_by_name(tmp_path):
    import gzip

    path = tmp_path / "seqs.fa.gz"
    path.write_bytes(gzip.compress(b">a\nACGT\n"))
    with pytest.raises(ValueError, match="seqs.fa.gz is gzip-compressed: .* decompress it first"):
        FastaSource(path, "ACGT")
