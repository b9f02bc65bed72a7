"""Starting points for EM: k-means clustering and segmentations of sequences into states."""

from __future__ import annotations

import numpy as np

from .sequences import SequenceBatch

#: k-means runs on at most this many frames (a random subset of larger data).
KMEANS_MAX_FRAMES = 50_000


def kmeans(
    X: np.ndarray, n_clusters: int, rng: np.random.Generator, n_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeding then Lloyd iterations: ``(centers (k, D), labels (T,))``.

    Runs on a random subset of at most :data:`KMEANS_MAX_FRAMES` frames, labels all
    frames at the end. With fewer distinct frames than clusters, centres repeat.
    """
    sample = X
    if len(X) > KMEANS_MAX_FRAMES:
        sample = X[rng.choice(len(X), KMEANS_MAX_FRAMES, replace=False)]
    centers = _kmeans_plus_plus(sample, n_clusters, rng)
    for _ in range(n_iter):
        labels = _nearest(sample, centers)
        new = centers.copy()
        for k in range(n_clusters):
            members = sample[labels == k]
            if len(members):
                new[k] = members.mean(axis=0)
        if np.allclose(new, centers):
            break
        centers = new
    return centers, _nearest(X, centers)


def _kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centers = np.empty((k, X.shape[1]))
    centers[0] = X[rng.integers(len(X))]
    dist = ((X - centers[0]) ** 2).sum(axis=1)
    for i in range(1, k):
        total = dist.sum()
        idx = rng.choice(len(X), p=dist / total) if total > 0 else rng.integers(len(X))
        centers[i] = X[idx]
        dist = np.minimum(dist, ((X - centers[i]) ** 2).sum(axis=1))
    return centers


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    # distances are taken about the centres' mean, so that data far from zero do not
    # lose them to cancellation in |x|^2 - 2 x.c + |c|^2
    origin = centers.mean(axis=0)
    centers = centers - origin
    labels = np.empty(len(X), dtype=np.int64)
    step = 65536
    for lo in range(0, len(X), step):
        chunk = X[lo : lo + step] - origin
        d = (chunk**2).sum(1)[:, None] - 2.0 * chunk @ centers.T + (centers**2).sum(1)[None, :]
        labels[lo : lo + step] = np.argmin(d, axis=1)
    return labels


def uniform_segmentation(batch: SequenceBatch, n_states: int) -> np.ndarray:
    """State labels that cut every sequence into ``n_states`` equal parts in order (HInit)."""
    labels = np.empty(batch.n_frames, dtype=np.int64)
    for lo, hi in zip(batch.offsets[:-1], batch.offsets[1:], strict=True):
        t = np.arange(hi - lo)
        labels[lo:hi] = np.minimum((t * n_states) // (hi - lo), n_states - 1)
    return labels


def transition_counts(batch: SequenceBatch, labels: np.ndarray, n_states: int):
    """Counts of first states (K,) and of state-to-state moves (K, K) along labelled paths."""
    start = np.bincount(labels[batch.offsets[:-1]], minlength=n_states).astype(float)
    inner = np.ones(batch.n_frames, bool)
    inner[batch.offsets[1:] - 1] = False
    src = labels[inner]
    dst = labels[np.flatnonzero(inner) + 1]
    trans = np.zeros((n_states, n_states))
    np.add.at(trans, (src, dst), 1.0)
    return start, trans
