"""The Python examples of the README and the docs run as written.

Each example is taken from its Markdown file, so an example that drifts from the API
fails here. Examples that need a running Dask scheduler or files of the reader's own
(docs/distributed.md) are not run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(path: Path) -> list[str]:
    """The fenced ```python blocks of a Markdown file, in order."""
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def training_sequences() -> list[np.ndarray]:
    """Twelve 2-dimensional sequences from a two-regime process."""
    rng = np.random.default_rng(3)
    seqs = []
    for length in rng.integers(40, 90, size=12):
        regime = np.cumsum(rng.random(length) < 0.1) % 2
        seqs.append(rng.normal(size=(length, 2)) + 4.0 * regime[:, None])
    return seqs


def test_readme_quick_tour_runs(tmp_path, monkeypatch):
    block = python_blocks(ROOT / "README.md")[0]
    assert "model.fit(seqs)" in block
    monkeypatch.chdir(tmp_path)
    seqs = training_sequences()
    names = {"seqs": seqs, "x": seqs[0]}
    exec(compile(block, "README.md", "exec"), names)
    loaded = names["model"]
    # the block ends by loading what it saved: the model it fitted
    from hmmkit import GaussianHMM

    fitted = GaussianHMM(
        n_states=8, covariance_type="diag", n_iter=100, tol=1e-4, random_state=0
    ).fit(seqs)
    assert loaded.score(seqs) == fitted.score(seqs)
    assert names["posteriors"].shape == (len(seqs[0]), 8)
    np.testing.assert_allclose(names["posteriors"].sum(axis=1), 1.0)
    assert names["X"].shape == (500, 2) and names["states"].shape == (500,)
    assert names["logprob"] <= fitted.score([seqs[0]])


def test_alpha_doc_example_models_train():
    """Every model the example constructs trains with its own ``algorithm``."""

    import hmmkit

    block = python_blocks(ROOT / "docs" / "alpha_hmm.md")[0]
    statements = ast.parse(block).body
    imports = [s for s in statements if isinstance(s, ast.ImportFrom)]
    assert imports and all(s.module == "hmmkit" for s in imports)
    expressions = [s for s in statements if isinstance(s, ast.Expr)]
    algorithms = set()
    for expression in expressions:
        model = eval(compile(ast.Expression(expression.value), "docs", "eval"), vars(hmmkit))
        algorithms.add(model.algorithm)
        model.set_params(n_states=2, n_iter=30, random_state=0).fit(training_sequences())
        assert model.monitor_.n_passes >= 2
    assert algorithms == {"baum-welch", "alpha", "squarem"}


def test_priors_doc_map_adaptation_runs_and_adapts(capsys):
    block = python_blocks(ROOT / "docs" / "priors.md")[0]
    names: dict = {}
    exec(compile(block, "docs/priors.md", "exec"), names)
    base, adapted, held_out = names["base"], names["adapted"], names["held_out"]
    assert adapted.score(held_out) > base.score(held_out) + 50
    # only the means moved, and each towards the speaker's offset, by less than all of it
    np.testing.assert_array_equal(adapted.covars_, base.covars_)
    np.testing.assert_array_equal(adapted.weights_, base.weights_)
    moved = (adapted.means_ - base.means_).reshape(-1, 2)
    offset = np.array([0.8, -0.5])
    assert np.all(moved @ offset > 0) and np.all(moved @ offset < offset @ offset)
    assert capsys.readouterr().out.strip()  # it prints the two scores


def test_variational_doc_example_selects_three_states(capsys):
    block = python_blocks(ROOT / "docs" / "variational.md")[0]
    names: dict = {}
    exec(compile(block, "docs/variational.md", "exec"), names)
    elbo, big, frames = names["elbo"], names["big"], names["frames"]
    assert names["best"] == 3
    assert elbo[3] > elbo[4] > elbo[5] and elbo[3] > elbo[2] > elbo[1]
    used = frames > 20
    assert used.sum() == 3 and frames[~used].sum() < 5
    truth = names["truth"].means_
    assert np.abs(np.sort(big.means_[used], axis=0) - np.sort(truth, axis=0)).max() < 0.1
    # the printed lines are those the page shows
    page = (ROOT / "docs" / "variational.md").read_text(encoding="utf-8")
    for line in capsys.readouterr().out.strip().splitlines():
        assert f"    {line}" in page


def test_readme_begins_with_the_two_commands_and_ci_runs_the_second():
    """The README opens with install + main job and install + whole suite; .ci/run runs
    that same test command, and the recipe's default data are in the repository."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.match(r"# hmmkit\n\n```bash\n(.*?)```", text, re.S)
    assert first_block is not None
    main_job, tests = first_block[1].strip().splitlines()
    assert main_job == "pip install . && python recipes/spoken_digits.py"
    assert tests.startswith('pip install ".[test]" && ') and "-P -m pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()
    assert (ROOT / "data" / "fsdd" / "recordings" / "0_george_0.flac").is_file()


def test_getting_started_examples_run(monkeypatch, capsys):
    """The hmmlearn and HMMER users' pages run as written, from the repository's top level
    (their paths name the shipped data)."""
    monkeypatch.chdir(ROOT)
    for page in ("hmmlearn", "hmmer"):
        for block in python_blocks(ROOT / "docs" / "getting-started" / f"{page}.md"):
            exec(compile(block, f"docs/getting-started/{page}.md", "exec"), {})
    table = capsys.readouterr().out
    assert "globins4" in table and table.count("\n") > 40  # the 45 globins, as --tblout


def test_online_em_doc_example_runs_as_printed(capsys):
    block = python_blocks(ROOT / "docs" / "online_em.md")[0]
    names: dict = {}
    exec(compile(block, "docs/online_em.md", "exec"), names)
    best = names["batch"].score(names["seqs"])
    for model in (names["incremental"], names["online"]):
        assert model.monitor_.n_passes == 3
        assert best - model.score(names["seqs"]) < 1e-3 * abs(best)
    assert names["weighted"].monitor_.iter > 0
    # the printed lines are those the page shows
    page = (ROOT / "docs" / "online_em.md").read_text(encoding="utf-8")
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 2
    for line in printed:
        assert f"    {line}" in page


def test_custom_emissions_doc_runs_and_recovers_the_regimes(tmp_path, monkeypatch):
    """The two emission files and the usage block of docs/custom_emissions.md run as
    written; the fitted von Mises regimes are the ones that generated the angles."""
    from documented_modules import documented_blocks, write_documented_modules

    files, usage = documented_blocks()
    assert set(files) == {"bernoulli_emission.py", "von_mises_emission.py"}
    monkeypatch.syspath_prepend(str(write_documented_modules(tmp_path)))
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(usage[0], "docs/custom_emissions.md", "exec"), names)
    truth, model = names["truth"].emission_, names["model"].emission_
    order = [int(np.argmin(np.abs(np.angle(np.exp(1j * (truth.mu - m))).sum(axis=1))))
             for m in model.mu]  # fmt: skip
    assert sorted(order) == [0, 1, 2]
    error = np.angle(np.exp(1j * (model.mu - truth.mu[order])))
    assert np.max(np.abs(error)) < 0.05
    np.testing.assert_allclose(model.kappa, truth.kappa[order], rtol=0.15)
    assert names["states"].shape == (50,) and np.isfinite(names["log_prob"])
