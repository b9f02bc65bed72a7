"""Random profile cores for the training tests."""

from __future__ import annotations

import numpy as np

from hmmkit.profile.plan7 import DD, DM, MD


def random_core(M, K, rng):
    """A random core model with Plan7's boundary conventions."""
    t = np.zeros((M + 1, 7))
    t[:, 0:3] = rng.dirichlet(np.ones(3), M + 1)
    t[:, 3:5] = rng.dirichlet(np.ones(2), M + 1)
    t[:, 5:7] = rng.dirichlet(np.ones(2), M + 1)
    t[M, MD] = 0.0
    t[M, 0:3] /= t[M, 0:3].sum()
    t[0, DM] = t[M, DM] = 1.0
    t[0, DD] = t[M, DD] = 0.0
    mat = rng.dirichlet(np.ones(K), M + 1)
    mat[0] = 0.0
    mat[0, 0] = 1.0
    return t, mat, rng.dirichlet(np.ones(K), M + 1)
