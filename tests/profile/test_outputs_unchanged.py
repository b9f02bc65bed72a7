"""Every byte `hmmkit build/search/scan/phmmer/jackhmmer/align` writes stays as recorded.

The commands run on the HMMER tutorial families and the proteome (and its first
``FEW`` proteins), from a scratch folder
holding the inputs under fixed names (the reports name their files), and the sha256 of
each output (stdout, the HMM files, --tblout, --domtblout, -A, -o) is compared with
``outputs_sha256.json``. A change to the profile package that changes any output fails
here. After a deliberate change of output, record the table again with
``python tests/profile/test_outputs_unchanged.py --record``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
from pathlib import Path

RECORD = Path(__file__).with_name("outputs_sha256.json")

INPUTS = {
    "globins4.sto": "protein/tutorial/globins4.sto",
    "fn3.sto": "protein/tutorial/fn3.sto",
    "Pkinase.sto": "protein/tutorial/Pkinase.sto",
    "MADE1.sto": "protein/tutorial/MADE1.sto",
    "LuxC.sto": "protein/pyhmmer/LuxC.sto",
    "globins45.fa": "protein/tutorial/globins45.fa",
    "HBB_HUMAN": "protein/tutorial/HBB_HUMAN",
    "PF02826.hmm": "protein/pyhmmer/PF02826.hmm",
    "proteome.faa": "protein/pyhmmer/938293.PRJEB85.HG003687.faa",
}

FEW = 80

# (label, command line, output files besides stdout); run in this order in one folder
RUNS: list[tuple[str, list[str], list[str]]] = [
    ("build globins4", ["build", "globins4.hmm", "globins4.sto"], ["globins4.hmm"]),
    ("build fn3", ["build", "fn3.hmm", "fn3.sto"], ["fn3.hmm"]),
    ("build Pkinase", ["build", "Pkinase.hmm", "Pkinase.sto"], ["Pkinase.hmm"]),
    ("build MADE1", ["build", "MADE1.hmm", "MADE1.sto"], ["MADE1.hmm"]),
    ("build LuxC", ["build", "LuxC.hmm", "LuxC.sto"], ["LuxC.hmm"]),
    (
        "search PF02826 proteome",
        ["search", "--tblout", "s1.tbl", "--domtblout", "s1.domtbl", "-A", "s1.sto",
         "PF02826.hmm", "proteome.faa"],
        ["s1.tbl", "s1.domtbl", "s1.sto"],
    ),
    (
        "search LuxC proteome",
        ["search", "--tblout", "s2.tbl", "--domtblout", "s2.domtbl", "-A", "s2.sto",
         "LuxC.hmm", "proteome.faa"],
        ["s2.tbl", "s2.domtbl", "s2.sto"],
    ),
    (
        "search globins4 globins45",
        ["search", "--tblout", "s3.tbl", "--domtblout", "s3.domtbl", "-A", "s3.sto",
         "globins4.hmm", "globins45.fa"],
        ["s3.tbl", "s3.domtbl", "s3.sto"],
    ),
    (
        "search fn3 few",
        ["search", "--max", "--tblout", "s4.tbl", "--domtblout", "s4.domtbl",
         "fn3.hmm", "few.faa"],
        ["s4.tbl", "s4.domtbl"],
    ),
    (
        "scan few",
        ["scan", "--tblout", "c1.tbl", "--domtblout", "c1.domtbl", "db.hmm", "few.faa"],
        ["c1.tbl", "c1.domtbl"],
    ),
    (
        "phmmer HBB_HUMAN globins45",
        ["phmmer", "--tblout", "p1.tbl", "--domtblout", "p1.domtbl", "-A", "p1.sto",
         "HBB_HUMAN", "globins45.fa"],
        ["p1.tbl", "p1.domtbl", "p1.sto"],
    ),
    (
        "jackhmmer HBB_HUMAN globins45",
        ["jackhmmer", "-N", "3", "--tblout", "j1.tbl", "--domtblout", "j1.domtbl", "-A",
         "j1.sto", "--chkhmm", "j1", "HBB_HUMAN", "globins45.fa"],
        ["j1.tbl", "j1.domtbl", "j1.sto", "j1-1.hmm", "j1-2.hmm"],
    ),
    (
        "align globins4 globins45",
        ["align", "-o", "a1.sto", "globins4.hmm", "globins45.fa"],
        ["a1.sto"],
    ),
    (
        "align fn3 few a2m trim",
        ["align", "--outformat", "a2m", "--trim", "-o", "a2.a2m", "fn3.hmm", "few.faa"],
        ["a2.a2m"],
    ),
    (
        "align Pkinase few viterbi",
        ["align", "--viterbi", "-o", "a3.sto", "Pkinase.hmm", "few.faa"],
        ["a3.sto"],
    ),
]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_all(data_root: Path, folder: Path) -> dict[str, str]:
    """Run every command in ``folder``; the sha256 of each output, keyed '<label>: <file>'."""
    from hmmkit.cli import main

    for name, source in INPUTS.items():
        shutil.copyfile(data_root / source, folder / name)
    # the first FEW proteins of the proteome: targets of the slower runs
    records = (folder / "proteome.faa").read_text().split(">")[1 : FEW + 1]
    (folder / "few.faa").write_text("".join(">" + record for record in records))
    table: dict[str, str] = {}
    here = os.getcwd()
    os.chdir(folder)
    try:
        for label, argv, files in RUNS:
            if label.startswith("scan"):
                with open("db.hmm", "wb") as db:
                    for name in ("globins4.hmm", "fn3.hmm", "Pkinase.hmm", "PF02826.hmm"):
                        db.write(Path(name).read_bytes())
            stdout = io.StringIO()
            with contextlib.redirect_stdout(stdout):
                code = main(argv)
            assert code == 0, f"{label}: exit code {code}"
            table[f"{label}: stdout"] = digest(stdout.getvalue().encode())
            for name in files:
                table[f"{label}: {name}"] = digest(Path(name).read_bytes())
    finally:
        os.chdir(here)
    return table


def test_every_output_byte_is_as_recorded(shared_data, tmp_path):
    recorded = json.loads(RECORD.read_text())
    ours = run_all(shared_data, tmp_path)
    assert list(ours) == list(recorded)
    changed = [key for key in recorded if ours[key] != recorded[key]]
    assert not changed, f"outputs changed: {changed}"


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import data_root

    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/profile/test_outputs_unchanged.py --record")
    with tempfile.TemporaryDirectory() as scratch:
        table = run_all(data_root(), Path(scratch))
    RECORD.write_text(json.dumps(table, indent=1) + "\n")
    print(f"recorded {len(table)} outputs in {RECORD}")
