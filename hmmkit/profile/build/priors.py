"""Dirichlet-mixture priors and mean posterior parameter estimation (HMMER's p7_prior.c).

A count vector c is turned into probabilities with a mixture of Dirichlets
{q_j, alpha_j}: the posterior weight of each component is
P(j | c) ~ q_j P(c | alpha_j), and the estimate is
p_a = sum_j P(j | c) (c_a + alpha_ja) / (|c| + |alpha_j|).
HMMER's default prior uses single Dirichlets for the transitions, Sjolander's nine-
component mixture (amino) or a four-component mixture (DNA/RNA) for match emissions,
and a strong single Dirichlet for insert emissions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...special import gammaln
from ..alphabet import Alphabet, get_alphabet
from ..plan7 import DD, DM, MD
from .prior_parameters import PRIOR_PARAMETERS


@dataclass(frozen=True)
class DirichletMixture:
    """A mixture of Dirichlets: ``weights`` (Q,) summing to one, ``alpha`` (Q, K) > 0."""

    weights: np.ndarray
    alpha: np.ndarray

    def __post_init__(self) -> None:
        w = np.atleast_1d(np.asarray(self.weights, dtype=np.float64))
        a = np.atleast_2d(np.asarray(self.alpha, dtype=np.float64))
        if a.shape[0] != w.shape[0]:
            raise ValueError(f"{w.shape[0]} mixture weights but {a.shape[0]} alpha rows")
        if np.any(a <= 0) or np.any(w < 0):
            raise ValueError("Dirichlet alphas must be positive and weights non-negative")
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "alpha", a)

    @property
    def size(self) -> int:
        """Number of parameters K of each Dirichlet."""
        return self.alpha.shape[1]

    def component_posteriors(self, counts: np.ndarray) -> np.ndarray:
        """P(component | counts) for each row of ``counts`` (..., K) -> (..., Q)."""
        c = np.asarray(counts, dtype=np.float64)[..., None, :]
        a = self.alpha
        logp = (
            gammaln(a.sum(axis=-1))
            - gammaln(a).sum(axis=-1)
            + gammaln(c + a).sum(axis=-1)
            - gammaln(c.sum(axis=-1) + a.sum(axis=-1))
        )
        with np.errstate(divide="ignore"):
            logp = logp + np.log(self.weights)
        logp -= logp.max(axis=-1, keepdims=True)
        post = np.exp(logp)
        return post / post.sum(axis=-1, keepdims=True)

    def mean_posterior(self, counts: np.ndarray) -> np.ndarray:
        """Mean posterior probability vectors for each row of ``counts`` (..., K)."""
        c = np.asarray(counts, dtype=np.float64)
        if c.shape[-1] != self.size:
            raise ValueError(f"counts have {c.shape[-1]} entries per row, prior has {self.size}")
        if self.alpha.shape[0] == 1:
            p = c + self.alpha[0]
        else:
            mix = self.component_posteriors(c)
            ca = c[..., None, :] + self.alpha
            p = (mix[..., None] * ca / ca.sum(axis=-1, keepdims=True)).sum(axis=-2)
        return p / p.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class ProfilePrior:
    """The five priors of a profile HMM, as in HMMER's P7_PRIOR."""

    match_transitions: DirichletMixture  # MM, MI, MD
    insert_transitions: DirichletMixture  # IM, II
    delete_transitions: DirichletMixture  # DM, DD
    match_emissions: DirichletMixture
    insert_emissions: DirichletMixture


def _single(alpha) -> DirichletMixture:
    return DirichletMixture(np.ones(1), np.asarray(alpha, dtype=np.float64)[None, :])


def _section(alphabet: Alphabet) -> dict:
    key = "amino" if alphabet.name == "amino" else "dna"
    section = PRIOR_PARAMETERS[key]
    return section


def default_prior(alphabet: Alphabet | str) -> ProfilePrior:
    """HMMER 3.4's default prior for an alphabet (amino, or nucleic for DNA/RNA)."""
    alphabet = get_alphabet(alphabet)
    sec = _section(alphabet)
    tp = sec["transition_priors"]
    mix = sec["match_emission_mixture"]
    return ProfilePrior(
        _single(tp["match"]["alpha"]),
        _single(tp["insert"]["alpha"]),
        _single(tp["delete"]["alpha"]),
        DirichletMixture(np.asarray(mix["weights"]), np.asarray(mix["alpha"])),
        _single(sec["insert_emission_dirichlet"]),
    )


def laplace_prior(alphabet: Alphabet | str) -> ProfilePrior:
    """The plus-one (Laplace) prior: every Dirichlet all ones."""
    k = get_alphabet(alphabet).size
    return ProfilePrior(
        _single(np.ones(3)), _single(np.ones(2)), _single(np.ones(2)),
        _single(np.ones(k)), _single(np.ones(k)),
    )  # fmt: skip


def resolve_prior(prior: str | ProfilePrior | None, alphabet: Alphabet) -> ProfilePrior | None:
    """``"default"`` (hmmbuild's), ``"laplace"``, None (no prior) or a ProfilePrior."""
    if prior is None or isinstance(prior, ProfilePrior):
        return prior
    if prior == "default":
        return default_prior(alphabet)
    if prior == "laplace":
        return laplace_prior(alphabet)
    raise ValueError(f"prior must be 'default', 'laplace', None or a ProfilePrior; got {prior!r}")


def background_frequencies(alphabet: Alphabet | str) -> np.ndarray:
    """HMMER's null-model residue frequencies (amino: p7_AminoFrequencies; else uniform)."""
    alphabet = get_alphabet(alphabet)
    if alphabet.name == "amino":
        return np.asarray(PRIOR_PARAMETERS["amino"]["background"], dtype=np.float64)
    return np.full(alphabet.size, 1.0 / alphabet.size)


def relative_entropy_target(alphabet: Alphabet | str) -> float:
    """Default mean match relative entropy target in bits (0.59 amino, 0.62 nucleic)."""
    return float(_section(get_alphabet(alphabet))["relative_entropy_target_bits"])


def _f32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def estimate_parameters(
    transitions: np.ndarray,
    match: np.ndarray,
    insert: np.ndarray,
    prior: ProfilePrior | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts -> probabilities as p7_ParameterEstimation, with Plan7 boundary conventions.

    Returns (transitions (M+1,7), match emissions (M+1,K), insert emissions (M+1,K)),
    rounded to float32 precision as HMMER stores them. Node M has no M->D (renormalised)
    and D_M -> E with probability 1; node 0 has D->M = 1; match row 0 is [1, 0, ...].
    With ``prior=None`` counts are simply normalised.
    """
    t = np.array(transitions, dtype=np.float64)
    mat = np.array(match, dtype=np.float64)
    ins = np.array(insert, dtype=np.float64)
    M = t.shape[0] - 1
    if prior is None:
        return _renormalize(t, mat, ins)
    t[:, 0:3] = _f32(prior.match_transitions.mean_posterior(t[:, 0:3]))
    t[M, MD] = 0.0
    t[M, 0:3] = _f32(t[M, 0:3] / np.float32(t[M, 0:3].sum()))
    t[:, 3:5] = _f32(prior.insert_transitions.mean_posterior(t[:, 3:5]))
    if M > 1:
        t[1:M, 5:7] = _f32(prior.delete_transitions.mean_posterior(t[1:M, 5:7]))
    t[0, DM] = t[M, DM] = 1.0
    t[0, DD] = t[M, DD] = 0.0
    mat[1:] = _f32(prior.match_emissions.mean_posterior(mat[1:]))
    mat[0] = 0.0
    mat[0, 0] = 1.0
    ins[:] = _f32(prior.insert_emissions.mean_posterior(ins))
    return t, mat, ins


def normalize_counts(x: np.ndarray) -> np.ndarray:
    """Rows of counts as probabilities; an all-zero row becomes uniform (Easel's FNorm)."""
    s = x.sum(axis=-1, keepdims=True)
    n = x.shape[-1]
    return np.where(s > 0, x / np.where(s > 0, s, 1.0), 1.0 / n)


def _renormalize(t, mat, ins):
    """Plain normalisation of counts (p7_hmm_Renormalize), node M's conventions kept."""
    M = t.shape[0] - 1
    mat = normalize_counts(mat)
    ins = normalize_counts(ins)
    t[:, 0:3] = normalize_counts(t[:, 0:3])
    t[:, 3:5] = normalize_counts(t[:, 3:5])
    t[:, 5:7] = normalize_counts(t[:, 5:7])
    t[M, DM], t[M, DD] = 1.0, 0.0  # node 0's D row stays as normalised (uniform), as HMMER's
    mat[0] = 0.0
    mat[0, 0] = 1.0
    if t[M, MD] > 0.0:
        t[M, 0:3] = (0.5, 0.5, 0.0)
    return t, mat, ins
