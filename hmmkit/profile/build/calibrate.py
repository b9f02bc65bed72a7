"""E-value calibration of a profile HMM, as HMMER's p7_Calibrate does.

Local scores of a profile against random sequences follow known distributions: MSV and
Viterbi scores a Gumbel, Forward scores an exponential tail, all with the same slope
lambda. HMMER fixes lambda to log 2 plus an edge correction (``p7_Lambda``) and estimates
the location parameters by brief simulations on i.i.d. sequences drawn from the background:

* MSV mu: 200 sequences of length 200, Gumbel location fit with lambda fixed;
* Viterbi mu: 200 more sequences of length 200, likewise;
* Forward tau: 200 sequences of length 100, full Gumbel fit, then the score where the
  fitted tail mass is 0.04, moved back by ``log(0.04)/lambda``.

MSV and Viterbi scores are computed exactly as HMMER's 8-bit MSV and 16-bit Viterbi filters
compute them, and random sequences come from Easel's fast generator seeded with 42, so the
simulation reproduces HMMER's. The results go in
``model.stats``, which :func:`~hmmkit.profile.io.hmmer3.write_hmmer` writes as STATS
lines.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np

from .. import dp
from ..background import Background, mean_match_relative_entropy
from ..config import configure
from ..dp.striped_viterbi import striped_words
from ..plan7 import ProfileHMM

LOG2 = math.log(2.0)


def gumbel_fit_location(x: np.ndarray, lam: float) -> float:
    """Maximum-likelihood Gumbel location for known slope `lam` (esl_gumbel_FitCompleteLoc)."""
    x = -lam * np.asarray(x, dtype=float)
    top = float(x.max())  # log-mean-exp from its largest term: no overflow for any scores
    return float(-(top + math.log(np.mean(np.exp(x - top)))) / lam)


def _lawless416(x: np.ndarray, lam: float) -> tuple[float, float]:
    e = np.exp(-lam * x)
    esum, xesum, xxesum = e.sum(), (x * e).sum(), (x * x * e).sum()
    f = 1.0 / lam - x.mean() + xesum / esum
    df = (xesum / esum) ** 2 - xxesum / esum - 1.0 / (lam * lam)
    return float(f), float(df)


def gumbel_fit(x: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood Gumbel (mu, lambda) of complete data (esl_gumbel_FitComplete)."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError("x must hold at least two distinct scores to fit a Gumbel")
    lam = math.pi / math.sqrt(6.0 * np.var(x, ddof=1))
    for _ in range(100):
        f, df = _lawless416(x, lam)
        if abs(f) < 1e-5:
            break
        lam -= f / df
        if lam <= 0.0:
            lam = 0.001
    else:  # Newton failed: bisect Lawless 4.1.6
        lo, hi = 0.001, 1.0
        while _lawless416(x, hi)[0] > 0:
            hi *= 2.0
        for _ in range(200):
            lam = 0.5 * (lo + hi)
            f = _lawless416(x, lam)[0]
            if abs(f) < 1e-5:
                break
            lo, hi = (lam, hi) if f > 0 else (lo, lam)
    mu = -math.log(np.mean(np.exp(-lam * x))) / lam
    return float(mu), float(lam)


def gumbel_invcdf(p: float, mu: float, lam: float) -> float:
    """Score whose Gumbel cumulative probability is `p`."""
    return mu - math.log(-math.log(p)) / lam


def edge_corrected_lambda(model: ProfileHMM, background: Background | None = None) -> float:
    """HMMER's lambda: log 2 + 1.44 / (M * H), H the mean match relative entropy in bits."""
    bg = background or Background.default(model.alphabet)
    H = mean_match_relative_entropy(model.match_emissions, bg.frequencies)
    return LOG2 + 1.44 / (model.M * H)


def _random_scores(profile, bg, state, n, length, kind) -> np.ndarray:
    freqs = np.asarray(bg.frequencies, dtype=np.float32)
    nullsc = bg.null_score(length)
    # the n sequences drawn back to back in one call: the draws of n calls of `length`
    packed = dp.random_iid(state, freqs, n * length)
    if kind in ("forward", "msv"):
        offsets = np.arange(n, dtype=np.int64) * length
        lengths = np.full(n, length, dtype=np.int64)
        if kind == "forward":
            scores = dp.forward_scores(profile, packed, offsets, lengths)
        else:
            prof = profile.set_length(length)
            scores = dp.msv_filter_scores(packed, offsets, lengths, prof.msc, prof.alphabet.size)
        return (scores - nullsc) / LOG2
    prof = profile.set_length(length)
    words = striped_words(*dp.viterbi_word_profile(prof.tsc, prof.msc))  # (striped once)
    out = np.empty(n)
    for s in range(n):
        sc = dp.viterbi_filter_of_words(packed[s * length : (s + 1) * length], words, prof.xsc)
        out[s] = (sc - nullsc) / LOG2
    return out


def calibrate(
    model: ProfileHMM,
    *,
    background: Background | None = None,
    seed: int = 42,
    msv_n: int = 200,
    msv_length: int = 200,
    viterbi_n: int = 200,
    viterbi_length: int = 200,
    forward_n: int = 200,
    forward_length: int = 100,
    tail_mass: float = 0.04,
    in_place: bool = False,
) -> ProfileHMM:
    """Calibrate E-value parameters (HMMER's p7_Calibrate); returns the model with ``stats``.

    ``stats`` becomes ``{"MSV": (mu, lambda), "VITERBI": (mu, lambda), "FORWARD": (tau,
    lambda)}``. The model is copied unless `in_place`. The defaults are hmmbuild's
    (--EmL/--EmN, --EvL/--EvN, --EfL/--EfN, --Eft, --seed).
    """
    if not isinstance(model, ProfileHMM):
        raise TypeError(f"model must be a ProfileHMM, got {type(model).__name__}")
    for label, value in (
        ("msv_n", msv_n), ("msv_length", msv_length), ("viterbi_n", viterbi_n),
        ("viterbi_length", viterbi_length), ("forward_n", forward_n),
        ("forward_length", forward_length),
    ):  # fmt: skip
        if int(value) < 1:
            raise ValueError(f"{label} must be a positive integer, got {value}")
    if not 0.0 < tail_mass < 1.0:
        raise ValueError(f"tail_mass must be in (0, 1), got {tail_mass}")
    if not isinstance(seed, int) or seed <= 0:
        raise ValueError(f"seed must be a positive integer, got {seed!r}")
    bg = background or Background.default(model.alphabet)
    scored = model
    if model.unmasked_match_emissions is not None:  # as hmmbuild: calibrate before masking
        scored = dataclasses.replace(model, match_emissions=model.unmasked_match_emissions)
    lam = edge_corrected_lambda(scored, bg)
    profile = configure(scored, viterbi_length, mode="local", multihit=True, background=bg)
    state = dp.rng_state(seed)

    msv = _random_scores(profile, bg, state, msv_n, msv_length, "msv")
    vit = _random_scores(profile, bg, state, viterbi_n, viterbi_length, "viterbi")
    fwd = _random_scores(profile, bg, state, forward_n, forward_length, "forward")
    mmu = gumbel_fit_location(msv, lam)
    vmu = gumbel_fit_location(vit, lam)
    gmu, glam = gumbel_fit(fwd)
    tau = gumbel_invcdf(1.0 - tail_mass, gmu, glam) + math.log(tail_mass) / lam

    out = model if in_place else copy.deepcopy(model)
    out.stats = {"MSV": (mmu, lam), "VITERBI": (vmu, lam), "FORWARD": (tau, lam)}
    return out
