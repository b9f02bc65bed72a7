"""CPU time per variational Bayes iteration, hmmkit against hmmlearn's vhmm.

    python benchmarks/variational_speed.py [--iterations 10] [--repeats 3]

Two workloads on 200 sequences of lengths uniform in 50..500 (as benchmarks/hmm_speed.py's
W1 and W2): a VariationalGaussianHMM with 8 states, diagonal covariances, 13-dim, and a
VariationalCategoricalHMM with 20 states and 20 symbols. Both libraries start from the
same posteriors (``init_params=""``) and run the same iterations with convergence
disabled, on one thread (hmmlearn with its default implementation="log"; its "scaling"
underflows on the Gaussian workload); the median CPU seconds per iteration over
``--repeats`` runs is printed as a Markdown table (the ELBOs are checked to agree).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402
from hmmlearn import vhmm  # noqa: E402

from hmmkit import VariationalCategoricalHMM, VariationalGaussianHMM  # noqa: E402

logging.getLogger("hmmlearn").setLevel(logging.ERROR)


def corpus(rng: np.random.Generator, categorical: bool):
    """200 sequences from a random 8-regime process: symbols or 13-dim frames."""
    lengths = rng.integers(50, 501, size=200)
    n = int(lengths.sum())
    regime = np.cumsum(rng.random(n) < 0.05) % 8
    if categorical:
        return (regime * 2 + rng.integers(0, 6, size=n)) % 20, lengths
    return rng.normal(size=(n, 13)) + 2.0 * regime[:, None], lengths


def starts(rng, k: int, categorical: bool, n_frames: int) -> dict:
    """Priors and posteriors of both models (hmmlearn's attribute names)."""
    out = {
        "startprob_prior_": np.full(k, 1.0 / k),
        "startprob_posterior_": rng.gamma(2.0, size=k) + 1.0,
        "transmat_prior_": np.full((k, k), 1.0 / k),
        "transmat_posterior_": rng.gamma(2.0, size=(k, k)) * n_frames / k**2 + 1.0,
    }
    if categorical:
        out["emissionprob_prior_"] = np.full((k, 20), 0.05)
        out["emissionprob_posterior_"] = rng.gamma(2.0, size=(k, 20)) * n_frames / k / 20
        return out
    out.update(
        means_prior_=np.zeros((k, 13)), means_posterior_=rng.normal(size=(k, 13)) * 3,
        beta_prior_=np.ones(k), beta_posterior_=np.full(k, n_frames / k),
        dof_prior_=np.full(k, 13.0), dof_posterior_=np.full(k, n_frames / k),
        scale_prior_=np.full((k, 13), 1e-3), scale_posterior_=np.full((k, 13), n_frames / k),
    )  # fmt: skip
    return out


def run_hmmlearn(name, X, lengths, attributes, iterations, **settings) -> tuple[float, list]:
    model = getattr(vhmm, name)(n_iter=iterations, tol=-np.inf, init_params="", **settings)
    for key, value in attributes.items():
        setattr(model, key, np.copy(value))
    begin = time.process_time()
    model.fit(X, lengths)
    return (time.process_time() - begin) / iterations, model.monitor_.history


def run_hmmkit(cls, X, lengths, attributes, iterations, **settings) -> tuple[float, list]:
    model = cls(n_iter=iterations, tol=-np.inf, init_params="", n_jobs=1, **settings)
    for key, value in attributes.items():
        if key.endswith("_posterior_"):
            setattr(model, key, np.copy(value))
    begin = time.process_time()
    model.fit(X, lengths)
    return (time.process_time() - begin) / iterations, model.monitor_.history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for label, categorical, k in (("Gaussian 8 states diag, 13-dim", False, 8),
                                  ("categorical 20 states, 20 symbols", True, 20)):  # fmt: skip
        rng = np.random.default_rng(0)
        X, lengths = corpus(rng, categorical)
        attributes = starts(rng, k, categorical, len(X))
        if categorical:
            theirs_args = ("VariationalCategoricalHMM", X[:, None], lengths, attributes)
            theirs_settings = dict(n_components=k, n_features=20)
            ours_settings = dict(
                n_states=k, n_symbols=20, startprob_prior=1.0 / k, transmat_prior=1.0 / k,
                emissionprob_prior=0.05,
            )  # fmt: skip
            cls = VariationalCategoricalHMM
        else:
            theirs_args = ("VariationalGaussianHMM", X, lengths, attributes)
            theirs_settings = dict(n_components=k, covariance_type="diag")
            ours_settings = dict(
                n_states=k, covariance_type="diag", means_prior=0.0, beta_prior=1.0,
                dof_prior=13.0, scale_prior=1e-3,
            )  # fmt: skip
            cls = VariationalGaussianHMM
        ours, theirs = [], []
        for _ in range(args.repeats):
            t_ours, h_ours = run_hmmkit(cls, X, lengths, attributes, args.iterations,
                                        **ours_settings)  # fmt: skip
            t_theirs, h_theirs = run_hmmlearn(*theirs_args, args.iterations, **theirs_settings)
            ours.append(t_ours)
            theirs.append(t_theirs)
        offset = 0.0 if categorical else len(X) * 13 / 2 * np.log(2 * np.pi)
        np.testing.assert_allclose(h_ours, np.asarray(h_theirs) - offset, rtol=1e-8)
        a, b = statistics.median(ours), statistics.median(theirs)
        rows.append(f"| {label} | {len(X)} | {a:.3f} | {b:.3f} | {b / a:.1f}x |")
    print("| workload | frames | hmmkit s/iter | hmmlearn s/iter | speed-up |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
