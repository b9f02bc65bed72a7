"""hmmlearn's variational HMMs started from given posteriors, for side-by-side runs."""

from __future__ import annotations

import logging

import numpy as np
from hmmlearn import vhmm

logging.getLogger("hmmlearn").setLevel(logging.ERROR)

#: hmmlearn's Gaussian ELBO leaves out this constant per frame and dimension.
HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


def reference_fit(cls_name: str, X, lengths, n_iter: int, attributes: dict, **settings):
    """Fit hmmlearn's ``cls_name`` for ``n_iter`` iterations from ``attributes`` (its
    ``*_prior_`` and ``*_posterior_`` values, set with ``init_params=""``)."""
    model = getattr(vhmm, cls_name)(
        n_iter=n_iter, tol=-np.inf, init_params="", implementation="scaling", **settings
    )
    for name, value in attributes.items():
        setattr(model, name, np.copy(value) if isinstance(value, np.ndarray) else value)
    return model.fit(X, lengths)


def chain_start(rng: np.random.Generator, k: int) -> dict:
    """Start and transition priors and posteriors (hmmlearn's attribute names)."""
    return {
        "startprob_prior_": np.full(k, 0.3),
        "startprob_posterior_": rng.gamma(2.0, size=k) + 0.5,
        "transmat_prior_": np.full((k, k), 0.5),
        "transmat_posterior_": rng.gamma(2.0, size=(k, k)) + 5.0,
    }


def set_posteriors(model, attributes: dict) -> None:
    """Give an hmmkit model the ``*_posterior_`` values of ``attributes``."""
    for name, value in attributes.items():
        if name.endswith("_posterior_"):
            setattr(model, name, np.copy(value))


def assert_same_run(reference, model, elbo_offset: float = 0.0) -> None:
    """Same ELBO at every iteration (to 1e-8 relative) and the same final posteriors."""
    ours = np.asarray(model.monitor_.history)
    theirs = np.asarray(reference.monitor_.history) - elbo_offset
    assert len(ours) == len(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=0)
    for name in vars(reference):
        if name.endswith("_posterior_"):
            np.testing.assert_allclose(
                getattr(model, name), getattr(reference, name), rtol=1e-8, atol=1e-10, err_msg=name
            )
