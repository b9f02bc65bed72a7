"""The protein-family recipe: a reduced end-to-end run, its errors, and hit agreement with HMMER."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from hmmkit.profile import read_hmmer

REPO = Path(__file__).resolve().parents[2]
PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def _load_recipe():
    spec = importlib.util.spec_from_file_location(
        "protein_families", REPO / "recipes" / "protein_families.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


recipe = _load_recipe()


def parse_tblout(path: Path) -> dict[str, list[str]]:
    rows = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            fields = line.split(None, 18)
            rows[fields[0]] = fields
    return rows


@pytest.fixture(scope="module")
def small_database(shared_data, tmp_path_factory) -> Path:
    """300 proteome sequences, including the three Pkinase hits of the full proteome."""
    records = recipe.read_fasta(shared_data / PROTEOME)
    keep = {"938293.PRJEB85.HG003686_277", "938293.PRJEB85.HG003686_93"}
    chosen = [r for i, r in enumerate(records) if i < 300 or r.name in keep]
    path = tmp_path_factory.mktemp("db") / "subset.faa"
    path.write_text("".join(f">{r.name} {r.description}\n{r.residues}\n" for r in chosen))
    return path


@pytest.fixture(scope="module")
def reduced_run(shared_data, small_database, tmp_path_factory):
    """globins4 and fn3, 2 folds, against the 302-sequence database."""
    out = tmp_path_factory.mktemp("recipe") / "out"
    argv = [
        "protein/tutorial/globins4.sto", "protein/tutorial/fn3.sto",
        "--database", str(small_database), "--data-dir", str(shared_data), "--out", str(out),
        "--folds", "2", "--shuffles", "2", "--seed", "3", "--cpu", "1", "--no-progress",
    ]  # fmt: skip
    code = recipe.main(argv)
    return code, out, json.loads((out / "results.json").read_text())


def test_reduced_run_writes_every_output(reduced_run):
    code, out, results = reduced_run
    assert code == 0
    for name in ("results.json", "report.md"):
        assert (out / name).stat().st_size > 0
    for key in ("globins4", "fn3"):
        for suffix in (".hmm", ".hmmer.hmm", ".tbl", ".hmmer.tbl", "_scores.png", "_roc.png"):
            assert (out / f"{key}{suffix}").stat().st_size > 0, key + suffix
        assert (out / f"{key}_roc.png").read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text()
    assert "| globins4 | hmmkit | 149 |" in report and "![fn3_roc.png](fn3_roc.png)" in report


def test_reduced_run_models_and_tables(reduced_run, shared_data):
    """The written model is the family's calibrated build; the tables are --tblout tables
    naming the same targets for both tools."""
    from hmmkit.profile import build, calibrate

    _, out, results = reduced_run
    assert results["settings"]["data_dir"] == str(shared_data)  # the folder used
    written = read_hmmer(out / "fn3.hmm")
    expected = calibrate(build(shared_data / "protein/tutorial/fn3.sto"))
    assert written.M == expected.M == 85
    for key, (a, b) in expected.stats.items():
        assert written.stats[key] == pytest.approx((a, b), abs=1e-3)
    np.testing.assert_allclose(written.match_emissions, expected.match_emissions, atol=1e-5)
    for key in ("globins4", "fn3"):
        ours_text = (out / f"{key}.tbl").read_text().splitlines()
        theirs_text = (out / f"{key}.hmmer.tbl").read_text().splitlines()
        assert ours_text[:3] == theirs_text[:3]  # the column titles
        ours, theirs = parse_tblout(out / f"{key}.tbl"), parse_tblout(out / f"{key}.hmmer.tbl")
        assert set(ours) == set(theirs)
        for name, row in ours.items():
            assert float(row[5]) == pytest.approx(float(theirs[name][5]), abs=0.5)
    fam = {f["name"]: f for f in results["families"]}
    assert fam["fn3"]["tools"]["hmmkit"]["tblout"] == "fn3.tbl"


def test_reduced_run_cross_validation_figures(reduced_run):
    _, _, results = reduced_run
    assert results["settings"]["database_sequences"] == 302
    fam = {f["name"]: f for f in results["families"]}
    glob = fam["globins4"]["tools"]
    assert glob["hmmkit"]["cv"]["folds"] == 2 and glob["hmmkit"]["cv"]["members"] == 4
    assert glob["hmmkit"]["cv"]["decoys_per_fold"] == 302 + 2 * 2
    for f in fam.values():
        for tool in ("hmmkit", "HMMER"):
            cv = f["tools"][tool]["cv"]
            assert 0.0 <= cv["sensitivity"] <= 1.0 and 0.0 <= cv["auc"] <= 1.0
            assert cv["members"] == f["nseq"]
            found = sum(e is not None and e <= 0.01 for e in cv["member_evalues"])
            assert found == cv["members_found"]
            assert len(cv["members_missed"]) == cv["members"] - found
        cmp = f["comparison"]
        assert abs(cmp["sensitivity_difference_points"]) <= 2.0
        assert abs(cmp["auc_difference"]) <= 0.01
        assert cmp["cv_bits_correlation"] is None or cmp["cv_bits_correlation"] > 0.999
    assert all(results["targets"].values())


def test_cross_validation_never_trains_on_held_out_members(shared_data):
    """Each fold's model sees only its training rows; the held-out rows are the members."""
    taken: set[str] = set()
    fam = recipe.load_family(shared_data / "protein/pyhmmer/LuxC.sto", taken)

    class Recorder:
        label = "recorder"

        def __init__(self):
            self.trained: list[list[str]] = []
            self.members: list[set[str]] = []

        def build(self, msa):
            self.trained.append(list(msa.names))
            return None

        def extend(self, base, extra):
            return base + extra

        def search(self, model, targets, E, no_filters=False):
            self.members.append({t.name.split("|", 1)[1] for t in targets if "member|" in t.name})
            return recipe.Scored({}, None)

    class NoProgress:
        def update(self, n):
            pass

    tool = Recorder()
    settings = recipe.CVSettings(folds=4, shuffles=1, seed=0, evalue=0.01)
    folds = recipe.cross_validate([tool], fam, {"recorder": []}, [], settings, NoProgress())
    assert len(folds["recorder"]) == 4
    all_names = set(fam.msa.names)
    seen = set()
    for trained, held in zip(tool.trained, tool.members, strict=True):
        assert set(trained) | held == all_names and not set(trained) & held
        seen |= held
    assert seen == all_names
    # unscored members get no score and an infinite E-value
    assert all(np.all(np.isinf(f.member_evalue)) for f in folds["recorder"])


@pytest.fixture(scope="module")
def unaligned_run(shared_data, small_database, tmp_path_factory):
    """Eight unaligned globins, seeded by globins4, refined by Baum-Welch, 2 folds."""
    records = recipe.read_fasta(shared_data / "protein/tutorial/globins45.fa")[:8]
    root = tmp_path_factory.mktemp("unaligned")
    family = root / "globins8.fa"
    family.write_text("".join(f">{r.name}\n{r.residues}\n" for r in records))
    before = family.read_text()
    out = root / "out"
    argv = [
        str(family), "--seed-alignment", "protein/tutorial/globins4.sto", "--refine",
        "--database", str(small_database), "--data-dir", str(shared_data), "--out", str(out),
        "--folds", "2", "--shuffles", "1", "--cpu", "1", "--no-progress",
    ]  # fmt: skip
    code = recipe.main(argv)
    assert family.read_text() == before
    return code, out, json.loads((out / "results.json").read_text()), records


def test_unaligned_family_is_aligned_by_training_and_refined(unaligned_run):
    from hmmkit.profile import read_alignment

    code, out, results, records = unaligned_run
    assert code == 0
    (fam,) = results["families"]
    training = fam["alignment_training"]
    assert "seed alignment DATA/protein/tutorial/globins4.sto" in training["start"]
    assert training["objective_last"] >= training["objective_first"]
    aligned = read_alignment(out / "globins8.aligned.sto")
    assert aligned.names == [r.name for r in records]
    ungapped = [row.replace("-", "").replace(".", "") for row in aligned.text()]
    assert ungapped == [r.residues.upper() for r in records]
    refined = fam["tools"]["hmmkit+BW"]
    assert refined["training"]["objective_last"] >= refined["training"]["objective_first"]
    assert refined["cv"]["members"] == 8
    for suffix in (".refined.hmm", ".refined.tbl", ".hmm", ".hmmer.hmm"):
        assert (out / f"globins8{suffix}").stat().st_size > 0
    assert read_hmmer(out / "globins8.refined.hmm").M == refined["M"]
    assert "comparison_refined" in fam
    assert "Baum-Welch" in (out / "report.md").read_text()


def test_refinement_never_lowers_the_objective(shared_data):
    """The recipe's refinement: hmmbuild-weighted Baum-Welch from the build."""
    from hmmkit.profile import build, read_alignment

    msa = read_alignment(shared_data / "protein/tutorial/globins4.sto")
    start = build(msa)
    model, record = recipe.refine(start, msa, mode="glocal", n_iter=5, cpu=1)
    assert record["objective_last"] >= record["objective_first"]
    assert model.M == start.M and model.name == start.name
    model.validate()


def test_seed_alignment_without_unaligned_family_is_refused(shared_data, tmp_path, capsys):
    argv = [
        "protein/tutorial/globins4.sto", "--seed-alignment", "protein/tutorial/globins4.sto",
        "--data-dir", str(shared_data), "--out", str(tmp_path),
    ]  # fmt: skip
    code, err = _run_cli(argv, capsys)
    assert code == 2 and len(err) == 1 and "--seed-alignment" in err[0]


def _run_cli(argv, capsys):
    code = recipe.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def test_missing_family_is_a_one_line_error(shared_data, tmp_path, capsys):
    code, err = _run_cli(
        ["no/such/family.sto", "--data-dir", str(shared_data), "--out", str(tmp_path)], capsys
    )
    assert code == 2 and len(err) == 1 and "family no/such/family.sto not found" in err[0]


def test_dna_family_against_protein_database_is_refused(shared_data, tmp_path, capsys):
    code, err = _run_cli(
        ["protein/tutorial/MADE1.sto", "--data-dir", str(shared_data), "--out", str(tmp_path)],
        capsys,
    )
    assert code == 2 and len(err) == 1
    assert "MADE1" in err[0] and "is DNA but the database" in err[0]


def test_missing_data_folder_is_a_one_line_error(tmp_path, capsys):
    code, err = _run_cli(["--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path)], capsys)
    assert code == 2 and len(err) == 1 and "data folder" in err[0]


def test_unreadable_family_is_a_one_line_error(shared_data, tmp_path, capsys):
    bad = tmp_path / "bad.sto"
    bad.write_text("this is not an alignment\n")
    code, err = _run_cli([str(bad), "--data-dir", str(shared_data), "--out", str(tmp_path)], capsys)
    assert code == 2 and len(err) == 1 and "cannot read family" in err[0]


def test_outputs_never_overwrite_inputs(shared_data, tmp_path, capsys):
    family = tmp_path / "fam.sto"
    family.write_text((shared_data / "protein/tutorial/globins4.sto").read_text())
    clash = tmp_path / "fam.tbl"  # the hmmkit hit table of a family named fam
    clash.write_text(">x\nACDEFGHIKLMNPQRSTVWY\n")
    before = clash.read_text()
    code, err = _run_cli([str(family), "--database", str(clash), "--out", str(tmp_path)], capsys)
    assert code == 2 and "would overwrite the input" in err[0]
    assert clash.read_text() == before


def test_bad_numbers_are_refused(capsys):
    with pytest.raises(SystemExit) as info:
        recipe.main(["--folds", "1"])
    assert info.value.code == 2
    assert "--folds must be at least 2" in capsys.readouterr().err


def test_help_describes_the_recipe(capsys):
    with pytest.raises(SystemExit) as info:
        recipe.main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--database", "--data-dir", "--out", "--folds", "--seed", "--no-hmmer"):
        assert option in text


@pytest.mark.parametrize("family", ["tutorial/Pkinase.sto", "pyhmmer/LuxC.sto"])
def test_hit_sets_match_hmmer_on_the_proteome(shared_data, tmp_path, family):
    """Issue target: with the models each tool builds, the same hits at E <= 0.01."""
    pytest.importorskip("pyhmmer")
    taken: set[str] = set()
    fam = recipe.load_family(shared_data / "protein" / family, taken)
    database = recipe.read_fasta(shared_data / PROTEOME)
    runs = {}
    for tool in (recipe.HmmkitTool(1), recipe.HmmerTool(1, "amino")):
        runs[tool.label] = recipe.search_database(tool, fam, tool.prepare(database), tmp_path, 0.01)
    cmp = recipe.compare(runs["hmmkit"], runs["HMMER"], 0.01)
    assert cmp["hits_identical"], (cmp["hits_only_hmmkit"], cmp["hits_only_hmmer"])
    assert cmp["hits_shared"]  # both families have proteome hits
    assert cmp["bits_max_difference_reported"] < 0.5
