"""E-value calibration against HMMER's (hmmbuild via pyhmmer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hmmkit.profile.build.calibrate import (
    calibrate,
    edge_corrected_lambda,
    gumbel_fit,
    gumbel_fit_location,
)

FAMILIES = ["tutorial/globins4.sto", "tutorial/fn3.sto", "pyhmmer/LuxC.sto"]


def test_gumbel_fit_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x = stats.gumbel_r.rvs(loc=-3.0, scale=1 / 0.69, size=400, random_state=rng)
    mu, lam = gumbel_fit(x)
    loc, scale = stats.gumbel_r.fit(x)
    assert mu == pytest.approx(loc, abs=1e-3)
    assert lam == pytest.approx(1 / scale, rel=1e-3)
    # with lambda known, the location estimate is the closed-form ML one
    assert gumbel_fit_location(x, lam) == pytest.approx(mu, abs=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_calibration_matches_hmmer(shared_data, family):
    """Same lambda; MSV mu, Viterbi mu and Forward tau reproduce HMMER's simulation."""
    from hmmer_reference import build_hmm, to_profile_hmm

    reference = to_profile_hmm(build_hmm(shared_data / "protein" / family))
    ours = calibrate(reference)
    assert ours is not reference and ours.stats is not reference.stats
    for kind in ("MSV", "VITERBI", "FORWARD"):
        assert ours.stats[kind][1] == pytest.approx(reference.stats[kind][1], abs=1e-4)
    assert ours.stats["MSV"][0] == pytest.approx(reference.stats["MSV"][0], abs=1e-3)
    assert ours.stats["FORWARD"][0] == pytest.approx(reference.stats["FORWARD"][0], abs=1e-3)
    assert ours.stats["VITERBI"][0] == pytest.approx(reference.stats["VITERBI"][0], abs=1e-3)


def test_lambda_is_edge_corrected(shared_data):
    from hmmkit.profile import read_hmmer

    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    assert edge_corrected_lambda(model) == pytest.approx(model.stats["FORWARD"][1], abs=1e-4)
    assert edge_corrected_lambda(model) > math.log(2)


def test_top_hit_evalues_follow_calibration(shared_data):
    """E-values from our own calibration agree with HMMER-calibrated ones within the factor
    that a location shift of at most 0.3 bits allows."""
    from hmmer_reference import build_hmm, to_profile_hmm

    from hmmkit.profile.search import search

    model = to_profile_hmm(build_hmm(shared_data / "protein/tutorial/fn3.sto"))
    ours = calibrate(model)
    lam = model.stats["FORWARD"][1]
    factor = math.exp(lam * 0.3)
    seqs = shared_data / "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
    a, b = search(model, seqs), search(ours, seqs)
    assert [h.name for h in a] == [h.name for h in b]
    for x, y in zip(a, b, strict=True):
        assert 1 / factor <= x.evalue / y.evalue <= factor


def test_calibrate_validates_arguments(shared_data):
    from hmmkit.profile import read_hmmer

    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    with pytest.raises(ValueError, match="tail_mass"):
        calibrate(model, tail_mass=1.5)
    with pytest.raises(ValueError, match="forward_n"):
        calibrate(model, forward_n=0)
    with pytest.raises(TypeError, match="ProfileHMM"):
        calibrate("not a model")


def test_masked_model_is_calibrated_before_masking_as_hmmbuild_does(shared_data, tmp_path):
    """hmmbuild calibrates a model with an MM line before it sets the masked match emissions
    to the background: the same STATS as HMMER, and the same masked emissions."""
    from hmmer_reference import build_hmm, to_profile_hmm

    from hmmkit.profile import build, read_alignment

    rows: dict[str, str] = {}  # globins4.sto in one block, then a mask on 20 columns
    for line in (shared_data / "protein/tutorial/globins4.sto").read_text().splitlines():
        if line and not line.startswith(("#", "//")):
            name, row = line.split()
            rows[name] = rows.get(name, "") + row
    alen = len(next(iter(rows.values())))
    mask = "." * 30 + "m" * 20 + "." * (alen - 50)
    body = "".join(f"{name:<12}{row}\n" for name, row in rows.items())
    masked = tmp_path / "masked.sto"
    masked.write_text(f"# STOCKHOLM 1.0\n{body}{'#=GC MM':<12}{mask}\n//\n")
    reference = to_profile_hmm(build_hmm(masked))
    ours = calibrate(build(read_alignment(masked)))
    assert ours.model_mask.count("m") == 20
    np.testing.assert_allclose(ours.match_emissions, reference.match_emissions, atol=1e-5)
    for kind in ("MSV", "VITERBI", "FORWARD"):
        np.testing.assert_allclose(ours.stats[kind], reference.stats[kind], atol=1e-3)
