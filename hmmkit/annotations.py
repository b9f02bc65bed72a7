"""Sequence weights and per-frame state priors (partial labels), attached to the data.

``sample_weight`` gives every sequence a non-negative weight: its sufficient
statistics (and its log-likelihood in the objective) are multiplied by it, so a
weight of 2 counts the sequence twice and a weight of 0 drops it.

``state_mask`` restricts or weights the states frame by frame: one ``(T_i, K)``
array per sequence (or one ``(n_frames, K)`` array for all of them), either
boolean (allowed states) or non-negative weights ``w_t(k)``. The model becomes
``p(x, z) * prod_t w_t(z_t)`` — exactly: forward-backward, Viterbi and the scores
run on the emission log-likelihoods plus ``log w_t(k)``, so a disallowed state
(weight 0) is never on a path. A frame that allows no state is refused, naming
the sequence and the frame.

Both travel with the frames inside :class:`~hmmkit.sequences.SequenceBatch`
(``weights``, ``log_prior``), so every shard, thread, disk source and Dask worker
sees its own part.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .implementations import forward_backward_for
from .sequences import SequenceBatch
from .sources import SequenceSource


def check_sample_weight(sample_weight: ArrayLike, n_sequences: int) -> np.ndarray:
    """``sample_weight`` as a float array of ``n_sequences`` finite non-negative values."""
    try:
        weights = np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"sample_weight must be an array of numbers, got {type(sample_weight).__name__}"
        ) from None
    if weights.ndim != 1 or len(weights) != n_sequences:
        raise ValueError(
            f"sample_weight must hold one weight per sequence ({n_sequences}), "
            f"got shape {weights.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"sample_weight[{i}] = {weights[i]}: weights must be finite and >= 0")
    if not np.any(weights > 0):
        raise ValueError("sample_weight gives every sequence weight 0: nothing to train on")
    return weights


def _as_frame_log_prior(value, n_frames: int, n_states: int, where: str) -> np.ndarray:
    """One mask or prior array as ``(n_frames, n_states)`` log weights."""
    array = np.asarray(value)
    if array.shape != (n_frames, n_states):
        raise ValueError(
            f"{where} must have shape ({n_frames}, {n_states}) (frames, states), got {array.shape}"
        )
    if array.dtype == bool:
        return np.where(array, 0.0, -np.inf)
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{where} must be boolean or numeric, got dtype {array.dtype}")
    weights = array.astype(float)
    bad = np.argwhere(~np.isfinite(weights) | (weights < 0))
    if len(bad):
        t, k = (int(i) for i in bad[0])
        raise ValueError(
            f"{where}: frame {t}, state {k} has weight {weights[t, k]}; "
            "state weights must be finite and >= 0"
        )
    with np.errstate(divide="ignore"):
        return np.log(weights)


def check_state_mask(state_mask, lengths: np.ndarray, n_states: int) -> np.ndarray:
    """Validated masks or priors as one ``(n_frames, n_states)`` array of log weights.

    ``state_mask`` is a list of one ``(T_i, K)`` array per sequence, or one array for
    all frames. Raises ValueError naming the sequence and frame that allows no state.
    """
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    n_frames = int(offsets[-1])
    if isinstance(state_mask, (list, tuple)):
        if len(state_mask) != len(lengths):
            raise ValueError(
                f"state_mask must hold one array per sequence ({len(lengths)}), "
                f"got {len(state_mask)}"
            )
        parts = [
            _as_frame_log_prior(m, int(n), n_states, f"state_mask[{i}]")
            for i, (m, n) in enumerate(zip(state_mask, lengths, strict=True))
        ]
        log_prior = np.concatenate(parts) if parts else np.zeros((0, n_states))
    else:
        log_prior = _as_frame_log_prior(state_mask, n_frames, n_states, "state_mask")
    empty = np.flatnonzero(np.all(log_prior == -np.inf, axis=1))
    if len(empty):
        frame = int(empty[0])
        seq = int(np.searchsorted(offsets, frame, side="right") - 1)
        raise ValueError(
            f"state_mask allows no state at sequence {seq}, frame {frame - offsets[seq]}: "
            "every frame needs at least one allowed state"
        )
    return np.ascontiguousarray(log_prior)


def annotate(
    batch: SequenceBatch, sample_weight=None, state_mask=None, n_states: int = 0
) -> SequenceBatch:
    """``batch`` with its validated weights and state log priors attached."""
    if sample_weight is None and state_mask is None:
        return batch
    weights = (
        None if sample_weight is None else check_sample_weight(sample_weight, batch.n_sequences)
    )
    log_prior = (
        None if state_mask is None else check_state_mask(state_mask, batch.lengths, n_states)
    )
    return SequenceBatch(batch.X, batch.offsets, weights, log_prior)


class AnnotatedSource(SequenceSource):
    """A source whose shards carry slices of per-sequence weights and frame priors.

    The weights and priors are in the source's sequence order. A source that knows
    its lengths (every :class:`~hmmkit.disk_sources.IndexedSource`) is not read to
    build this; another is read once to count each shard's sequences.
    """

    def __init__(
        self, source: SequenceSource, sample_weight=None, state_mask=None, n_states: int = 0
    ) -> None:
        self.source = source
        self._keys = source.shard_keys()
        lengths = getattr(source, "lengths", None)
        if lengths is None:
            lengths = np.concatenate([source.load(key).lengths for key in self._keys])
        lengths = np.asarray(lengths, dtype=np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(lengths)])
        self.n_frames = int(self._offsets[-1])
        self._weights = (
            None if sample_weight is None else check_sample_weight(sample_weight, len(lengths))
        )
        self._log_prior = (
            None if state_mask is None else check_state_mask(state_mask, lengths, n_states)
        )
        self._first: dict[Hashable, int] = {}
        first = 0
        for key in self._keys:
            self._first[key] = first
            first += self._count(key)

    def _count(self, key) -> int:
        if isinstance(key, tuple) and len(key) == 2 and hasattr(self.source, "lengths"):
            return int(key[1] - key[0])  # an IndexedSource's key: (first, stop)
        return self.source.load(key).n_sequences

    def shard_keys(self) -> list[Hashable]:
        return list(self._keys)

    def load(self, key: Hashable) -> SequenceBatch:
        shard = self.source.load(key)
        start = self._first[key]
        stop = start + shard.n_sequences
        lo, hi = self._offsets[start], self._offsets[stop]
        return SequenceBatch(
            shard.X,
            shard.offsets,
            None if self._weights is None else self._weights[start:stop],
            None if self._log_prior is None else self._log_prior[lo:hi],
        )


def with_log_prior(log_b: np.ndarray, shard: SequenceBatch) -> np.ndarray:
    """Frame log-likelihoods plus the shard's state log priors (a new array), if any."""
    if shard.log_prior is None:
        return log_b
    return log_b + shard.log_prior


def weight_runs(weights: np.ndarray) -> list[tuple[int, int, float]]:
    """``(first, stop, weight)`` of every run of consecutive sequences of equal weight."""
    change = np.flatnonzero(np.diff(weights) != 0) + 1
    bounds = np.concatenate([[0], change, [len(weights)]])
    return [
        (int(a), int(b), float(weights[a])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def annotated_forward_backward(
    log_b: np.ndarray,
    shard: SequenceBatch,
    startprob: np.ndarray,
    transmat: np.ndarray,
    gamma: np.ndarray | None = None,
    implementation: str = "scaling",
):
    """Forward-backward (by ``implementation``, ``"scaling"`` or ``"log"``) of a shard
    with its state priors and sequence weights.

    Returns ``(gamma, start, trans, seq_loglik, log_likelihood)``: the posteriors
    and the start and transition counts are multiplied by each sequence's weight,
    ``seq_loglik`` holds each sequence's own log-likelihood (0 for weight 0: it is
    not computed) and ``log_likelihood`` their weighted sum. Runs of equal weight go
    through the kernel together.
    """
    log_b = with_log_prior(log_b, shard)
    if shard.weights is None:
        gamma, start, trans, seq_loglik = forward_backward_for(implementation)(
            log_b, shard.offsets, startprob, transmat, gamma
        )
        return gamma, start, trans, seq_loglik, float(seq_loglik.sum())
    n_states = log_b.shape[1]
    if gamma is None:
        gamma = np.empty_like(log_b)
    start, trans = np.zeros(n_states), np.zeros((n_states, n_states))
    seq_loglik = np.zeros(shard.n_sequences)
    offsets = shard.offsets
    for first, stop, weight in weight_runs(shard.weights):
        lo, hi = offsets[first], offsets[stop]
        if weight == 0.0:
            gamma[lo:hi] = 0.0
            continue
        part, run_start, run_trans, run_loglik = forward_backward_for(implementation)(
            log_b[lo:hi], offsets[first : stop + 1] - lo, startprob, transmat, gamma[lo:hi]
        )
        if weight != 1.0:
            part *= weight
        start += weight * run_start
        trans += weight * run_trans
        seq_loglik[first:stop] = run_loglik
    total = float(shard.weights @ np.where(shard.weights > 0, seq_loglik, 0.0))
    return gamma, start, trans, seq_loglik, total


__all__: Sequence[str] = [
    "AnnotatedSource",
    "annotate",
    "annotated_forward_backward",
    "check_sample_weight",
    "check_state_mask",
    "with_log_prior",
]
