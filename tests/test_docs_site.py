"""The documentation site builds from docs/ with warnings as errors, so a broken link, a
missing page or a docstring Sphinx cannot read fails here (and in CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_docs_build_with_warnings_as_errors(tmp_path):
    out = tmp_path / "html"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, check=False, cwd=tmp_path, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-5000:]
    api = (out / "api" / "hmmkit.html").read_text(encoding="utf-8")
    assert "GaussianHMM" in api and "decode" in api  # generated from the docstrings
    for page in ("getting-started/hmmlearn", "getting-started/hmmer", "getting-started/htk",
                 "alpha_hmm", "variational", "custom_emissions", "priors", "distributed",
                 "robustness", "benchmarks",
                 "reports/spoken_digits/report", "reports/protein_families/report"):  # fmt: skip
        assert (out / f"{page}.html").is_file(), page


def test_a_broken_reference_fails_the_build(tmp_path):
    """The check above can fail: a page linking to a missing page is an error."""
    import shutil

    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    shutil.copy(DOCS.parent / "BENCHMARKS.md", tmp_path / "BENCHMARKS.md")
    (docs / "priors.md").write_text(
        (docs / "priors.md").read_text(encoding="utf-8") + "\nSee [gone](no_such_page.md).\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(docs), str(tmp_path / "html")],
        capture_output=True, text=True, check=False, cwd=tmp_path, timeout=900,
    )  # fmt: skip
    assert done.returncode != 0 and "no_such_page" in done.stderr
