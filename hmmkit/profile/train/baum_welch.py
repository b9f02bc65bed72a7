"""Baum-Welch training of a profile HMM on unaligned sequences, with hmmbuild's priors.

Training starts from a built :class:`~hmmkit.profile.plan7.ProfileHMM` or from a uniform
model of length M (:func:`uniform_model`) and runs the engine's EM loop
(:func:`hmmkit.training.baum_welch`): the E-step sums expected counts over every path of
every sequence (compiled, :mod:`.expected_counts`, which defines the ``glocal`` and
``local`` path models precisely), the M-step (:mod:`.m_step`) turns counts into
probabilities with the Dirichlet (mixture) priors of :mod:`hmmkit.profile.build.priors`.

The objective is the prior-penalised log-likelihood J (see :mod:`.m_step`). With
``estimator="map"`` (the default) each M-step never lowers J, and neither does
Baum-Welch: the monitor's ``history`` is J after each E-step and never decreases.
``estimator="mean"`` uses hmmbuild's estimator (float32-rounded as HMMER stores
parameters) for every vector, which reproduces hmmbuild's parameterisation but carries
no such guarantee: it can lower J.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ...settings import check_count
from ...stats import Stats
from ...training import ConvergenceMonitor, baum_welch
from ..alphabet import Alphabet, get_alphabet
from ..build.annotation import consensus_line, max_emission_length, model_composition
from ..build.priors import ProfilePrior, background_frequencies, resolve_prior
from ..digital import code_table, digitize
from ..io.fasta import Sequence, as_sequences
from ..msa import guess_alphabet
from ..plan7 import DD, DM, ProfileHMM
from .expected_counts import MODES, expected_counts
from .m_step import ESTIMATORS, Params, log_prior, model_parameters, reestimate


@dataclass
class TrainingMonitor(ConvergenceMonitor):
    """The engine's convergence monitor, also keeping J's two parts per iteration.

    ``history[i]`` is the prior-penalised log-likelihood J of the parameters at the start
    of iteration i; ``log_likelihoods[i]`` and ``log_priors[i]`` are its two terms (nats).
    """

    log_likelihoods: list[float] = field(default_factory=list)
    log_priors: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def degeneracy_table(alphabet: Alphabet) -> np.ndarray:
    """(Kp, K) 0/1 matrix of the residues each digital code denotes (gap, ``*``, ``~``:
    none)."""
    return code_table(alphabet).degeneracy.copy()


def digitize_training_set(
    sequences: str | os.PathLike | Iterable, alphabet: Alphabet | None
) -> tuple[list[Sequence], list[np.ndarray], Alphabet]:
    """Read and digitise training sequences (gap characters removed).

    Returns (records, digital codes, alphabet); the alphabet is guessed when None.
    ValueError for an empty set, an empty sequence or a ``*`` (which no state emits).
    """
    if isinstance(sequences, os.PathLike):
        sequences = Path(sequences)
    records = as_sequences(sequences, strip_gaps=True)
    if not records:
        raise ValueError("sequences: no sequences to train on")
    if alphabet is None:
        alphabet = guess_alphabet([r.residues for r in records])
    alphabet = get_alphabet(alphabet)
    codes = []
    for rec in records:
        if not rec.residues:
            raise ValueError(f"sequences: {rec.name!r} is empty")
        if "*" in rec.residues:
            raise ValueError(f"sequences: {rec.name!r} contains '*', which no state emits")
        codes.append(digitize(rec.residues, alphabet, name=rec.name))
    return records, codes, alphabet


def uniform_model(
    M: int, alphabet: Alphabet | str = "amino", *, name: str = "uniform"
) -> ProfileHMM:
    """A model of length ``M`` with uniform transitions and background emissions.

    Every state's transitions are equally likely (M: 1/3 each of MM, MI, MD; I and D:
    1/2 each; node M: 1/2 each of M->E and M->I), and every match and insert state emits
    HMMER's background residue frequencies, so that the first E-step aligns sequences by
    position alone. Flexible transitions matter: starting from strongly M->M-biased
    transitions, Baum-Welch settles in poorer local optima.
    """
    if isinstance(M, bool) or not isinstance(M, int | np.integer) or M < 1:
        raise ValueError(f"M must be a positive integer, got {M!r}")
    alphabet = get_alphabet(alphabet)
    t = np.zeros((M + 1, 7))
    t[:, 0:3] = 1.0 / 3.0
    t[M, 0:3] = (0.5, 0.5, 0.0)
    t[:, 3:5] = 0.5
    t[:, 5:7] = 0.5
    t[0, DM] = t[M, DM] = 1.0
    t[0, DD] = t[M, DD] = 0.0
    bg = background_frequencies(alphabet)
    mat = np.tile(bg, (M + 1, 1))
    mat[0] = 0.0
    mat[0, 0] = 1.0
    ins = np.tile(bg, (M + 1, 1))
    model = ProfileHMM(alphabet, t, mat, ins, name=name, nseq=0, effn=0.0)
    return _annotate(model)


# --------------------------------------------------------------------------------------
# E-step and training
# --------------------------------------------------------------------------------------


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def _check_weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"weights must have one value per sequence ({n}), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    if not np.any(w > 0):
        raise ValueError("weights are all zero: no sequence would be trained on")
    return w


def sequence_log_likelihoods(
    model: ProfileHMM,
    sequences: str | os.PathLike | Iterable,
    *,
    mode: str = "glocal",
    n_jobs: int | None = None,
) -> np.ndarray:
    """log P(x | model) of each sequence under the training path model (nats)."""
    return _e_step(model, sequences, mode=mode, n_jobs=n_jobs)[1]


def _e_step(model, sequences, *, mode, n_jobs, weights=None):
    _check_mode(mode)
    if not isinstance(model, ProfileHMM):
        raise TypeError(f"model must be a ProfileHMM, got {type(model).__name__}")
    model.validate()
    _, codes, _ = digitize_training_set(sequences, model.alphabet)
    w = _check_weights(weights, len(codes))
    counts = expected_counts(
        *model_parameters(model), codes, degeneracy_table(model.alphabet), mode=mode, weights=w,
        background=background_frequencies(model.alphabet), n_jobs=n_jobs,
    )  # fmt: skip
    return counts, counts[3], codes, w


def count_expected(
    model: ProfileHMM,
    sequences: str | os.PathLike | Iterable,
    *,
    mode: str = "glocal",
    weights: np.ndarray | None = None,
    n_jobs: int | None = None,
) -> Stats:
    """Expected counts (the E-step) of ``sequences`` under ``model``.

    Returns Stats with ``transitions`` (M+1, 7), ``match`` and ``insert`` (M+1, K) and
    the total (weighted) log-likelihood in nats.
    """
    (tc, mc, ic, ll), _, codes, w = _e_step(
        model, sequences, mode=mode, n_jobs=n_jobs, weights=weights
    )
    return Stats(
        {"transitions": tc, "match": mc, "insert": ic},
        float(w @ ll), len(codes), int(sum(len(c) for c in codes)),
    )  # fmt: skip


def _annotate(model: ProfileHMM) -> ProfileHMM:
    model.composition = model_composition(
        model.transitions, model.match_emissions, model.insert_emissions
    )
    model.consensus = consensus_line(model.match_emissions, model.alphabet)
    if model.alphabet.name in ("DNA", "RNA"):
        model.max_length = max_emission_length(model.transitions)
    return model


def train(
    model_or_length: ProfileHMM | int,
    sequences: str | os.PathLike | Iterable,
    *,
    alphabet: Alphabet | str | None = None,
    mode: str = "glocal",
    prior: str | ProfilePrior | None = "default",
    estimator: str = "map",
    weights: np.ndarray | None = None,
    n_iter: int = 100,
    tol: float = 1e-3,
    n_jobs: int | None = None,
    verbose: bool = False,
    name: str | None = None,
) -> tuple[ProfileHMM, TrainingMonitor]:
    """Baum-Welch training of a profile HMM on unaligned ``sequences``.

    ``model_or_length`` is a starting :class:`ProfileHMM` (e.g. from :func:`build` or
    :func:`read_hmmer`) or a length M for :func:`uniform_model`. ``sequences`` is a FASTA
    path or an iterable of sequences (strings, (name, residues) pairs, records); gap
    characters are ignored. ``mode`` is the path model, ``"glocal"`` (whole sequences
    through the core model) or ``"local"`` (HMMER's local uni-hit model with uniform
    entry), defined in :mod:`hmmkit.profile.train.expected_counts`. ``prior`` is ``"default"``
    (hmmbuild's Dirichlet-mixture priors), ``"laplace"``, a ProfilePrior or None
    (maximum likelihood). ``estimator``: ``"map"`` (monotone, default) or ``"mean"``
    (hmmbuild's estimator). ``weights`` multiply each sequence's counts and
    log-likelihood. Iterates until the objective gains less than ``tol`` nats or after
    ``n_iter`` iterations, E-steps on ``n_jobs`` threads (None: all cores).

    Returns the trained model (no E-value statistics: calibrate before searching with
    E-values; no alignment map) and the monitor with the objective per iteration.
    """
    _check_mode(mode)
    check_count(n_iter, "n_iter", minimum=0)
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if isinstance(model_or_length, ProfileHMM):
        start = model_or_length
        start.validate()
        if alphabet is not None and get_alphabet(alphabet) != start.alphabet:
            raise ValueError(
                f"alphabet {alphabet!r} differs from the model's {start.alphabet.name}"
            )
        records, codes, alpha = digitize_training_set(sequences, start.alphabet)
    elif isinstance(model_or_length, int | np.integer) and not isinstance(model_or_length, bool):
        records, codes, alpha = digitize_training_set(sequences, alphabet)
        start = uniform_model(int(model_or_length), alpha)
    else:
        raise TypeError(
            "model_or_length must be a ProfileHMM or a positive int, "
            f"got {type(model_or_length).__name__}"
        )
    if start.M < 2 and mode == "local":
        raise ValueError("local training needs a model of at least 2 match states")
    prior_obj = resolve_prior(prior, alpha)
    w = _check_weights(weights, len(codes))
    degeneracy = degeneracy_table(alpha)
    background = background_frequencies(alpha)
    n_frames = int(sum(len(c) for c in codes))
    monitor = TrainingMonitor(tol=tol, n_iter=n_iter, verbose=verbose)

    def e_step(params: Params) -> Stats:
        tc, mc, ic, ll = expected_counts(
            *params, codes, degeneracy, mode=mode, weights=w, background=background,
            n_jobs=n_jobs,
        )  # fmt: skip
        if not np.all(np.isfinite(ll[w > 0])):
            bad = records[int(np.flatnonzero(~np.isfinite(ll) & (w > 0))[0])].name
            raise ValueError(f"sequence {bad!r} has probability zero under the model")
        loglik = float(w @ np.where(w > 0, ll, 0.0))
        penalty = log_prior(params, prior_obj)
        monitor.log_likelihoods.append(loglik)
        monitor.log_priors.append(penalty)
        stats = {"transitions": tc, "match": mc, "insert": ic}
        return Stats(stats, loglik + penalty, len(codes), n_frames)

    def m_step(stats: Stats, params: Params) -> Params:
        return reestimate(stats, params, prior_obj, estimator=estimator, mode=mode)

    t, mat, ins = baum_welch(e_step, m_step, model_parameters(start), monitor)
    trained = replace(
        start,
        transitions=t,
        match_emissions=mat,
        insert_emissions=ins,
        name=name or start.name,
        nseq=len(codes),
        effn=float(w.sum()),
        alignment_map=None,
        checksum=None,
        stats={},
    )
    return _annotate(trained), monitor


__all__ = [
    "TrainingMonitor",
    "count_expected",
    "degeneracy_table",
    "digitize_training_set",
    "sequence_log_likelihoods",
    "train",
    "uniform_model",
]
