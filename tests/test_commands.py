"""``hmmkit fit`` and ``hmmkit decode`` on corpora on disk, against the Python API."""

from __future__ import annotations

import numpy as np
import pytest
from factories import make_model, sample_sequences

from hmmkit import CategoricalHMM, GaussianHMM, GaussianMixture, load
from hmmkit.cli import main
from hmmkit.disk_sources import NpyFolderSource
from hmmkit.speech.htk import write_htk


def decoded_lines(text: str) -> dict[str, tuple[float, list[int]]]:
    rows = {}
    for line in text.strip().splitlines():
        name, score, *path = line.split("\t")
        rows[name] = (float(score), [int(s) for s in path[0].split()] if path else [])
    return rows


@pytest.fixture
def npy_corpus(tmp_path):
    truth = make_model("gaussian", "diag", np.random.default_rng(0), n_states=3, n_features=2)
    seqs = sample_sequences(truth, [40, 25, 60, 33, 50], seed=1)
    folder = tmp_path / "feats"
    folder.mkdir()
    for i, x in enumerate(seqs):
        np.save(folder / f"utt{i}.npy", x)
    return folder, seqs


def test_fit_equals_the_python_api_and_decode_prints_every_sequence(npy_corpus, tmp_path,
                                                                     capsys):  # fmt: skip
    folder, seqs = npy_corpus
    out = tmp_path / "m.npz"
    args = ["fit", str(out), str(folder), "-K", "3", "--iter", "15", "--tol=-inf", "--seed", "4"]
    assert main(args) == 0
    assert "gaussian, 3 states: 5 sequences, 208 frames; 15 iterations" in capsys.readouterr().out
    ours = load(out)
    expected = GaussianHMM(3, "diag", n_iter=15, tol=-np.inf, random_state=4)
    expected.fit(NpyFolderSource(folder))
    np.testing.assert_array_equal(ours.means_, expected.means_)
    np.testing.assert_array_equal(ours.transmat_, expected.transmat_)

    assert main(["decode", str(out), str(folder)]) == 0
    rows = decoded_lines(capsys.readouterr().out)
    assert list(rows) == [f"utt{i}" for i in range(5)]
    for i, x in enumerate(seqs):
        score, path = rows[f"utt{i}"]
        assert score == pytest.approx(ours.score(x), abs=1e-6)
        assert path == ours.decode(x)[1].tolist()
    assert main(["decode", "--score-only", "--algorithm", "map", str(out), str(folder)]) == 0
    assert all(not p for _, p in decoded_lines(capsys.readouterr().out).values())


def test_htk_folder_and_fasta_corpora(tmp_path, capsys):
    rng = np.random.default_rng(3)
    htk = tmp_path / "htk"
    htk.mkdir()
    for i in range(4):
        write_htk(htk / f"u{i}.mfc", rng.normal(size=(30 + i, 3)) + i % 2, kind="MFCC")
    assert main(["fit", str(tmp_path / "h.npz"), str(htk), "-K", "2", "--iter", "3"]) == 0
    assert "4 sequences, 126 frames" in capsys.readouterr().out
    assert main(["decode", "--score-only", str(tmp_path / "h.npz"), str(htk)]) == 0
    assert list(decoded_lines(capsys.readouterr().out)) == ["u0", "u1", "u2", "u3"]

    fasta = tmp_path / "dna.fa"
    fasta.write_text(">a\nACGTTGCA\n>b first\nGGGCCCAAATTT\n>c\nACACACGTGT\n")
    args = ["fit", str(tmp_path / "c.npz"), str(fasta), "--family", "categorical", "-K", "2",
            "--alphabet", "ACGT", "--iter", "5"]  # fmt: skip
    assert main(args) == 0
    model = load(tmp_path / "c.npz")
    assert isinstance(model, CategoricalHMM) and model.emissionprob_.shape == (2, 4)
    capsys.readouterr()
    assert main(["decode", str(tmp_path / "c.npz"), str(fasta), "--alphabet", "ACGT"]) == 0
    rows = decoded_lines(capsys.readouterr().out)
    assert list(rows) == ["a", "b", "c"] and len(rows["b"][1]) == 12
    codes = np.array(["ACGT".index(c) for c in "ACACACGTGT"])
    assert rows["c"][0] == pytest.approx(model.score(codes), abs=1e-6)


def test_bad_corpora_and_models_are_refused(npy_corpus, tmp_path, capsys):
    folder, _ = npy_corpus
    (tmp_path / "empty").mkdir()
    (tmp_path / "x.fa").write_text(">a\nACGT\n")
    cases = [
        (["fit", str(tmp_path / "m.npz"), str(tmp_path / "nowhere"), "-K", "2"], "does not exist"),
        (["fit", str(tmp_path / "m.npz"), str(tmp_path / "empty"), "-K", "2"], "no .npy/.npz"),
        (
            [
                "fit",
                str(tmp_path / "m.npz"),
                str(tmp_path / "x.fa"),
                "--family",
                "categorical",
                "-K",
                "2",
            ],
            "--alphabet",
        ),  # fmt: skip
        (["fit", str(tmp_path / "m.hmm"), str(folder), "-K", "2"], "written as .npz"),
    ]
    for args, message in cases:
        assert main(args) == 1
        assert message in capsys.readouterr().err
    mixture = GaussianMixture(2).fit(np.random.default_rng(0).normal(size=(50, 2)))
    mixture.save(tmp_path / "gm.npz")
    assert main(["decode", str(tmp_path / "gm.npz"), str(folder)]) == 1
    assert "not an HMM" in capsys.readouterr().err
    other = make_model("gaussian", "diag", np.random.default_rng(1), n_features=5)
    other.save(tmp_path / "five.npz")
    assert main(["decode", str(tmp_path / "five.npz"), str(folder)]) == 1
    assert "features" in capsys.readouterr().err


def test_adapt_moves_the_means_towards_the_new_data(tmp_path, capsys):
    rng = np.random.default_rng(5)
    base_model = GaussianHMM(2, "diag", n_iter=20, random_state=0)
    centres = np.array([[0.0, 0.0], [5.0, 5.0]])

    def corpus(folder, shift, n):
        folder.mkdir()
        seqs = []
        for i in range(n):
            states = (np.arange(60) // 20) % 2
            x = centres[states] + shift + rng.normal(scale=0.5, size=(60, 2))
            np.save(folder / f"u{i}.npy", x)
            seqs.append(x)
        return seqs

    general = corpus(tmp_path / "general", 0.0, 30)
    shift = np.array([1.0, -0.5])
    speaker = corpus(tmp_path / "speaker", shift, 2)
    held_out = [centres[(np.arange(60) // 20) % 2] + shift + rng.normal(scale=0.5, size=(60, 2))
                for _ in range(4)]  # fmt: skip
    base_model.fit(general)
    base_model.save(tmp_path / "base.npz")
    out = tmp_path / "adapted.npz"
    args = ["adapt", str(tmp_path / "base.npz"), str(out), str(tmp_path / "speaker"), "--tau", "20"]
    assert main(args) == 0
    assert "tau 20 frames, params 'm'" in capsys.readouterr().out
    adapted = load(out)
    expected = load(tmp_path / "base.npz").set_params(
        means_prior=base_model.means_, means_weight=20.0, init_params="", params="m", n_iter=5
    )
    np.testing.assert_allclose(adapted.means_, expected.fit(speaker).means_, rtol=1e-12)
    np.testing.assert_array_equal(adapted.covars_, base_model.covars_)
    np.testing.assert_array_equal(adapted.transmat_, base_model.transmat_)
    moved = adapted.means_ - base_model.means_
    # each state saw about 60 frames: it moves about 60 / (60 + 20) of the way, not all of it
    assert np.all(moved @ shift > 0.5 * shift @ shift)
    assert np.all(moved @ shift < 0.95 * shift @ shift)
    assert adapted.score(held_out) > base_model.score(held_out)


def test_adapt_refuses_what_it_cannot_adapt(npy_corpus, tmp_path, capsys):
    folder, _ = npy_corpus
    symbols = CategoricalHMM(2)
    symbols.startprob_, symbols.transmat_ = np.full(2, 0.5), np.full((2, 2), 0.5)
    symbols.emissionprob_ = np.full((2, 3), 1 / 3)
    symbols.save(tmp_path / "symbols.npz")
    gaussian = GaussianHMM(3, n_iter=2, random_state=0).fit(NpyFolderSource(folder))
    gaussian.save(tmp_path / "g.npz")
    out = str(tmp_path / "a.npz")
    for argv, message in [
        (["adapt", str(tmp_path / "symbols.npz"), out, str(folder)], "GaussianHMM or GMMHMM"),
        (["adapt", str(tmp_path / "g.npz"), out, str(folder), "--tau", "0"], "--tau must"),
        (["adapt", str(tmp_path / "g.npz"), str(tmp_path / "a.hmm"), str(folder)], "npz"),
    ]:
        assert main(argv) != 0
        assert message in capsys.readouterr().err
