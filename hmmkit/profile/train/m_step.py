"""The M-step of profile HMM training: expected counts to parameters under the priors.

The training objective is the prior-penalised log-likelihood

    J(theta) = sum_s w_s log P(x_s | theta) + log pi(theta),

where pi is a product over the model's probability vectors of Dirichlet (mixture)
densities. For a prior component with HMMER's parameters alpha the density used is
Dirichlet(alpha + 1): its posterior mode, (c + alpha) / (|c| + |alpha|), is exactly
hmmbuild's mean posterior estimate, so for every single-Dirichlet prior (transitions,
insert emissions; all of the Laplace prior) the M-step is hmmbuild's parameter
estimation of the expected counts. For a mixture (the match emissions of the default
prior) :func:`posterior_mode` starts from the better of the current parameters and
hmmbuild's mean posterior estimate and climbs the posterior with EM steps over the
mixture component (``estimator="map"``), so the M-step never lowers J.
``estimator="mean"`` instead uses hmmbuild's estimator
(:func:`hmmkit.profile.build.priors.estimate_parameters`) for every vector.

Plan7's boundary conventions hold: node M has no M->D and D_M -> E = 1; node 0 has no
delete state; match row 0 is unused. In ``local`` mode the parameters no path uses (node
0 and node M transitions, insert emissions 0 and M) keep their values.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, logsumexp, xlogy

from ...stats import Stats
from ..build.priors import DirichletMixture, ProfilePrior, estimate_parameters, resolve_prior
from ..plan7 import DD, DM, MD, ProfileHMM

ESTIMATORS = ("map", "mean")
Params = tuple[np.ndarray, np.ndarray, np.ndarray]  # transitions, match, insert emissions

_MAX_INNER = 100  # EM steps over a mixture's components per M-step
_INNER_TOL = 1e-10




def _log_density(theta: np.ndarray, mixture: DirichletMixture) -> np.ndarray:
    """log sum_j q_j Dirichlet(theta; alpha_j + 1) for each row of ``theta`` (n, K)."""
    a = mixture.alpha  # (Q, K)
    norm = gammaln(a.sum(axis=1) + a.shape[1]) - gammaln(a + 1.0).sum(axis=1)  # (Q,)
    with np.errstate(divide="ignore"):
        logq = np.log(mixture.weights)
    terms = logq + norm + xlogy(a[None, :, :], theta[:, None, :]).sum(axis=2)  # (n, Q)
    return logsumexp(terms, axis=1)


def _subset(mixture: DirichletMixture, columns: list[int]) -> DirichletMixture:
    return DirichletMixture(mixture.weights, mixture.alpha[:, columns])


def _row_objective(counts, theta, mixture) -> np.ndarray:
    return xlogy(counts, theta).sum(axis=1) + _log_density(theta, mixture)


def posterior_mode(
    counts: np.ndarray, mixture: DirichletMixture, current: np.ndarray | None = None
) -> np.ndarray:
    """Rows maximising sum_a c_a log p_a + log pi(p) (or at least not below ``current``).

    pi is the mixture of Dirichlet(alpha_j + 1) densities. One component: the exact
    maximiser (c + alpha) / (|c| + |alpha|), hmmbuild's mean posterior estimate. A
    mixture: start from the better of ``current`` and the mean posterior estimate, then
    EM over the component label (responsibilities from the current vector, then the
    exact maximiser given them), which never lowers the objective.
    """
    c = np.asarray(counts, dtype=np.float64)
    if mixture.alpha.shape[0] == 1:
        p = c + mixture.alpha[0]
        return p / p.sum(axis=1, keepdims=True)
    theta = mixture.mean_posterior(c)
    if current is not None:
        cur = np.asarray(current, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = _row_objective(c, cur, mixture) > _row_objective(c, theta, mixture)
        theta = np.where(keep[:, None], cur, theta)
    a = mixture.alpha
    with np.errstate(divide="ignore"):
        logq = np.log(mixture.weights)
    norm = gammaln(a.sum(axis=1) + a.shape[1]) - gammaln(a + 1.0).sum(axis=1)
    for _ in range(_MAX_INNER):
        with np.errstate(divide="ignore"):
            terms = logq + norm + np.log(theta) @ a.T
        resp = np.exp(terms - logsumexp(terms, axis=1, keepdims=True))  # (n, Q)
        new = c + resp @ a
        new /= new.sum(axis=1, keepdims=True)
        delta = np.abs(new - theta).max() if new.size else 0.0
        theta = new
        if delta < _INNER_TOL:
            break
    return theta


def _normalise_or_keep(counts: np.ndarray, current: np.ndarray) -> np.ndarray:
    total = counts.sum(axis=1, keepdims=True)
    return np.where(total > 0, counts / np.where(total > 0, total, 1.0), current)


def _frozen_rows(M: int, mode: str) -> tuple[list[int], list[int]]:
    """(transition rows, insert emission rows) that no path of ``mode`` uses."""
    return ([0, M], [0, M]) if mode == "local" else ([], [])


def reestimate(
    counts: Stats,
    current: Params,
    prior: ProfilePrior | None,
    *,
    estimator: str = "map",
    mode: str = "glocal",
) -> Params:
    """The M-step: new (transitions, match, insert) from expected counts.

    ``counts`` holds ``transitions`` (M+1, 7), ``match`` and ``insert`` (M+1, K).
    ``estimator="map"`` maximises the expected complete-data log-likelihood plus
    log pi (see the module docstring); ``"mean"`` is hmmbuild's mean posterior
    estimation. With ``prior=None`` counts are normalised (vectors with no counts keep
    their current values). Plan7's boundary conventions are applied; in ``local`` mode
    rows no path uses keep their current values.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    tc = np.asarray(counts["transitions"], dtype=np.float64)
    mc = np.asarray(counts["match"], dtype=np.float64)
    ic = np.asarray(counts["insert"], dtype=np.float64)
    t0, mat0, ins0 = (np.asarray(x, dtype=np.float64) for x in current)
    M = t0.shape[0] - 1
    if prior is not None and estimator == "mean":
        t, mat, ins = estimate_parameters(tc, mc, ic, prior)
    else:
        t, mat, ins = np.zeros_like(t0), np.zeros_like(mat0), np.zeros_like(ins0)
        if prior is None:
            t[:, 0:3] = _normalise_or_keep(tc[:, 0:3], t0[:, 0:3])
            t[:, 3:5] = _normalise_or_keep(tc[:, 3:5], t0[:, 3:5])
            t[1:M, 5:7] = _normalise_or_keep(tc[1:M, 5:7], t0[1:M, 5:7])
            t[M, 0:2] = _normalise_or_keep(tc[M : M + 1, 0:2], t0[M : M + 1, 0:2])[0]
            mat[1:] = _normalise_or_keep(mc[1:], mat0[1:])
            ins[:] = _normalise_or_keep(ic, ins0)
        else:
            t[:M, 0:3] = posterior_mode(tc[:M, 0:3], prior.match_transitions, t0[:M, 0:3])
            end = _subset(prior.match_transitions, [0, 1])
            t[M, 0:2] = posterior_mode(tc[M : M + 1, 0:2], end, t0[M : M + 1, 0:2])[0]
            t[:, 3:5] = posterior_mode(tc[:, 3:5], prior.insert_transitions, t0[:, 3:5])
            if M > 1:
                t[1:M, 5:7] = posterior_mode(tc[1:M, 5:7], prior.delete_transitions, t0[1:M, 5:7])
            mat[1:] = posterior_mode(mc[1:], prior.match_emissions, mat0[1:])
            ins[:] = posterior_mode(ic, prior.insert_emissions, ins0)
        t[M, MD] = 0.0
        t[0, DM] = t[M, DM] = 1.0
        t[0, DD] = t[M, DD] = 0.0
        mat[0] = 0.0
        mat[0, 0] = 1.0
    frozen_t, frozen_i = _frozen_rows(M, mode)
    t[frozen_t] = t0[frozen_t]
    ins[frozen_i] = ins0[frozen_i]
    return t, mat, ins


def log_prior(model: ProfileHMM | Params, prior: str | ProfilePrior | None = "default") -> float:
    """log pi(theta): the penalty term of the training objective (nats).

    Sums, over every free probability vector of the model, the log density of the
    matching prior with each component's parameters alpha + 1 (see the module
    docstring). Vectors fixed by Plan7's conventions (D_0, D_M, match row 0) do not count;
    node M's match transitions are the two-vector (MM, MI). 0.0 for ``prior=None``.
    """
    if isinstance(model, ProfileHMM):
        alphabet, (t, mat, ins) = model.alphabet, model_parameters(model)
    else:
        t, mat, ins = (np.asarray(x, dtype=np.float64) for x in model)
        alphabet = None
    if isinstance(prior, str):
        if alphabet is None:
            raise ValueError("pass a ProfilePrior (or a ProfileHMM) to name a prior by string")
        prior = resolve_prior(prior, alphabet)
    if prior is None:
        return 0.0
    M = t.shape[0] - 1
    total = _log_density(t[:M, 0:3], prior.match_transitions).sum()
    total += _log_density(t[M : M + 1, 0:2], _subset(prior.match_transitions, [0, 1])).sum()
    total += _log_density(t[:, 3:5], prior.insert_transitions).sum()
    total += _log_density(t[1:M, 5:7], prior.delete_transitions).sum()
    total += _log_density(mat[1:], prior.match_emissions).sum()
    total += _log_density(ins, prior.insert_emissions).sum()
    return float(total)


def model_parameters(model: ProfileHMM) -> Params:
    """A model's (transitions, match, insert emissions) as float64 copies."""
    return tuple(
        np.array(x, dtype=np.float64)
        for x in (model.transitions, model.match_emissions, model.insert_emissions)
    )  # type: ignore[return-value]


__all__ = ["ESTIMATORS", "Params", "log_prior", "model_parameters", "posterior_mode",
           "reestimate"]  # fmt: skip
