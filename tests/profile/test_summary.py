"""hmmstat's summary statistics against pyhmmer (HMMER) and hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hmmkit.cli import main
from hmmkit.profile import AMINO, ProfileHMM, read_hmmer
from hmmkit.profile.background import Background
from hmmkit.profile.summary import NULL_P1, summarize


@pytest.mark.parametrize("relpath", ["pyhmmer/PF02826.hmm", "pyhmmer/Thioesterase.hmm"])
def test_relative_entropy_and_information_are_hmmers(shared_data, relpath):
    from pyhmmer import plan7

    path = shared_data / "protein" / relpath
    with plan7.HMMFile(str(path)) as handle:
        hmm = handle.read()
    bg = plan7.Background(hmm.alphabet)
    summary = summarize(read_hmmer(path))
    assert summary.relative_entropy == pytest.approx(hmm.mean_match_relative_entropy(bg), abs=1e-6)
    assert summary.information == pytest.approx(hmm.mean_match_information(bg), abs=1e-6)
    assert summary.M == hmm.M


def test_two_node_model_by_hand():
    """Match emissions equal to the background: no emission entropy, no composition bias;
    the position relative entropy is node 2's entry term alone."""
    f = Background.default(AMINO).frequencies
    t = np.array([
        [0.9, 0.05, 0.05, 0.6, 0.4, 1.0, 0.0],
        [0.8, 0.15, 0.05, 0.7, 0.3, 0.6, 0.4],
        [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0],
    ])  # fmt: skip
    model = ProfileHMM(AMINO, t, np.vstack([f, f, f]), np.vstack([f, f, f]), name="flat")
    s = summarize(model)
    assert (s.relative_entropy, s.information, s.composition_kl) == pytest.approx(
        (0, 0, 0), abs=1e-6
    )
    occ1 = t[0, 0] + t[0, 1]  # occupancy of M1: entered from B directly or through I0
    occ2 = occ1 * (t[1, 0] + t[1, 1]) + (1 - occ1) * t[1, 5]
    log_mm = math.log(0.8 / NULL_P1)
    entry = (occ1 * 0.8 * log_mm + occ1 * 0.15 * (log_mm + math.log(0.7 / NULL_P1))
             + (1 - occ1) * 0.6 * math.log(0.6 / NULL_P1)) / math.log(2)  # fmt: skip
    assert s.position_relative_entropy == pytest.approx(entry / occ2)


def test_stat_command_prints_hmmstats_table(shared_data, capsys):
    assert main(["stat", str(shared_data / "protein/pyhmmer/PF02826.hmm")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["#", "idx", "name", "accession", "nseq", "eff_nseq", "M",
                                "relent", "info", "p", "relE", "compKL"]  # fmt: skip
    assert lines[2].split()[:6] == ["1", "2-Hacid_dh_C", "PF02826.20", "138", "-", "178"]
