"""Covariance matrices by covariance type: shapes, checks, floors and conditioning.

Compact forms: ``spherical`` (C,), ``diag`` (C, D), ``full`` (C, D, D), ``tied``
(G, D, D). These helpers expand them to full matrices, check them (finite, positive,
positive definite), floor them and keep them well conditioned, and give their
parameter kind for the accelerators and save/load.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..numeric import MAX_MAGNITUDE
from .kinds import Covariance


def expand_covariances(
    covars: np.ndarray, covariance_type: str, groups: np.ndarray, n_features: int
) -> np.ndarray:
    """Per-component variances (C, D) for spherical/diag, matrices (C, D, D) for full/tied."""
    if covariance_type == "spherical":
        return np.repeat(covars[:, None], n_features, axis=1)
    if covariance_type == "tied":
        return covars[groups]
    return covars


def compact_shape(covariance_type: str, n_components: int, n_groups: int, n_features: int):
    """Shape of the compact covariance array of a bank."""
    return {
        "spherical": (n_components,),
        "diag": (n_components, n_features),
        "full": (n_components, n_features, n_features),
        "tied": (n_groups, n_features, n_features),
    }[covariance_type]


def check_mean_values(means: np.ndarray, name: str = "means_") -> None:
    """Raise ValueError unless every mean is finite and within +-MAX_MAGNITUDE."""
    if not np.all(np.isfinite(means)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(np.abs(means) > MAX_MAGNITUDE):
        raise ValueError(
            f"{name} holds values beyond +-{MAX_MAGNITUDE:g} (largest {np.abs(means).max():.3g}),"
            " which cannot be scored in double precision"
        )


def check_covariances(
    covars: np.ndarray, covariance_type: str, shape: tuple, name: str = "covars_", basis: str = ""
) -> None:
    """Raise ValueError unless covariances have ``shape`` and are positive (definite).

    ``basis`` says where ``shape`` comes from (e.g. the means' shape), for the message.
    """
    covars = np.asarray(covars)
    if covars.shape != shape:
        source = f" ({basis})" if basis else ""
        raise ValueError(
            f"{name} must have shape {shape} for '{covariance_type}'{source}, got {covars.shape}"
        )
    if not np.all(np.isfinite(covars)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(np.abs(covars) > MAX_MAGNITUDE**2):
        raise ValueError(
            f"{name} holds values beyond {MAX_MAGNITUDE**2:g} (largest {np.abs(covars).max():.3g}),"
            " which cannot be scored in double precision"
        )
    if covariance_type in ("spherical", "diag"):
        if np.any(covars <= 0):
            raise ValueError(f"{name} must be positive")
        return
    if not np.allclose(covars, np.swapaxes(covars, -1, -2), rtol=1e-8, atol=1e-12):
        raise ValueError(f"{name} must be symmetric")
    for i, matrix in enumerate(covars):
        try:
            np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            raise ValueError(f"{name}[{i}] is not positive definite") from None


def floor_covariances(covars: np.ndarray, covariance_type: str, floor: np.ndarray) -> np.ndarray:
    """Covariances raised to at least the per-dimension ``floor`` (D,).

    Diagonal variances are clipped elementwise (HTK's variance floor); spherical
    ones at the mean floor; a full matrix S is raised to the smallest matrix with
    S' >= diag(floor), by clipping the eigenvalues of the floor-whitened matrix at 1.
    """
    if not np.any(floor > 0):
        return covars
    if covariance_type == "spherical":
        return np.maximum(covars, floor.mean())
    if covariance_type == "diag":
        return np.maximum(covars, floor)
    scale = np.sqrt(floor)
    whitened = covars / np.outer(scale, scale)
    values, vectors = np.linalg.eigh(whitened)
    need = values.min(axis=-1) < 1.0
    if not np.any(need):
        return condition_covariances(covars)
    out = covars.copy()
    v, q = values[need], vectors[need]
    clipped = np.einsum("...ij,...j,...kj->...ik", q, np.maximum(v, 1.0), q)
    out[need] = clipped * np.outer(scale, scale)
    return condition_covariances(out)


#: Smallest eigenvalue allowed in the correlation form of a covariance matrix: below
#: it, Cholesky factors and log-determinants lose every digit in double precision.
MIN_CORRELATION_EIGENVALUE = 1e-10


def condition_covariances(covars: np.ndarray) -> np.ndarray:
    """Matrices (G, D, D) whose correlation forms have eigenvalues of at least
    :data:`MIN_CORRELATION_EIGENVALUE`, each raised no more than needed.

    A floor in absolute units cannot keep a matrix well-conditioned when its features
    differ in scale by many orders of magnitude (its eigenvalues then span more than
    double precision resolves). Working on ``R = S / (s s')`` with ``s`` the standard
    deviations makes the test and the repair independent of scale, and raising R's
    eigenvalues only adds a positive semi-definite matrix to S.
    """
    sd = np.sqrt(np.diagonal(covars, axis1=-2, axis2=-1))
    outer = sd[:, :, None] * sd[:, None, :]
    correlation = covars / outer
    values, vectors = np.linalg.eigh(correlation)
    need = values.min(axis=-1) < MIN_CORRELATION_EIGENVALUE
    if not np.any(need):
        return covars
    out = covars.copy()
    v, q = np.maximum(values[need], MIN_CORRELATION_EIGENVALUE), vectors[need]
    repaired = np.einsum("...ij,...j,...kj->...ik", q, v, q)
    repaired = 0.5 * (repaired + np.swapaxes(repaired, -1, -2))
    out[need] = repaired * outer[need]
    return out


def covariance_kind(covariance_type: str, floor: np.ndarray | None) -> Covariance:
    """The parameter kind of covariances of this type, raised to ``floor`` if given."""
    floored = None
    if isinstance(floor, np.ndarray):
        floored = partial(floor_covariances, covariance_type=covariance_type, floor=floor)
    return Covariance(covariance_type, floored)


# --------------------------------------------------------------------------- the bank
