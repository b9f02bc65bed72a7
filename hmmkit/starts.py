"""Where EM starts: an HMM's initial parameters (k-means, random, flat, segmental).

:class:`Initialisation` (mixed into the model class) builds the starting parameters
over the model's topology, as ``init`` and ``init_params`` say, runs HTK's segmental
initialisation (HInit) for left-right models, and refuses or warns about starts that
cannot work.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from .emissions.base import Emission
from .initialization import transition_counts, uniform_segmentation
from .sequences import SequenceBatch
from .shard_work import HMMParams, viterbi_shard
from .simplex import check_stochastic, normalize_rows
from .topology import random_over, topology_masks, uniform_over
from .training import map_shards

#: Viterbi re-segmentation rounds of the segmental k-means initialisation (HInit).
SEGMENTAL_ROUNDS = 10
#: Re-segmentation stops once at most this fraction of the frames change state.
SEGMENTAL_TOLERANCE = 1e-3


class Initialisation:
    """Starting parameters of an HMM (mixed into the model class)."""

    def _initial_params(self, batch: SequenceBatch, rng: np.random.Generator) -> HMMParams:
        """Starting parameters; those not in ``init_params`` are taken from the attributes."""
        letters = self._filled_init_letters()
        if not letters:
            return self._get_params()
        fresh = self._fresh_params(batch, rng)
        startprob = fresh.startprob if "s" in letters else self._attribute("startprob_")
        transmat = fresh.transmat if "t" in letters else self._attribute("transmat_")
        attributes = self._emission_attributes(fresh.emission)
        for letter, name in self._letter_attributes.items():
            if letter not in letters:
                attributes[name] = self._attribute(name)
        candidate = HMMParams(
            np.asarray(startprob, float),
            np.asarray(transmat, float),
            self._make_emission(attributes),
        )
        check_stochastic(candidate.startprob, "startprob_")
        check_stochastic(candidate.transmat, "transmat_")
        return candidate

    def _fresh_params(self, batch: SequenceBatch, rng: np.random.Generator) -> HMMParams:
        """Every parameter initialised by the ``init`` method."""
        start_mask, trans_mask = topology_masks(self.n_states, self.topology, self.max_jump)
        method = self._init_method()
        if method == "segmental":
            return self._segmental_init(batch, rng, start_mask, trans_mask)
        if method == "random":
            startprob, transmat = random_over(start_mask, rng), random_over(trans_mask, rng)
            emission = self._random_emission(batch, rng)
        else:
            startprob, transmat = uniform_over(start_mask), uniform_over(trans_mask)
            if method == "kmeans":
                emission = self._emission_from_labels(batch, self._kmeans_labels(batch, rng), rng)
            else:
                emission = self._global_emission(batch, rng)
        return HMMParams(startprob, transmat, emission)

    def _segmental_init(self, batch, rng, start_mask, trans_mask):
        """Uniform segmentation, then Viterbi re-segmentation until stable (HInit).

        Stops when fewer than :data:`SEGMENTAL_TOLERANCE` of the frames change state;
        later rounds re-estimate the emission starting from the previous one.
        """
        labels = uniform_segmentation(batch, self.n_states)
        emission = self._emission_from_labels(batch, labels, rng)
        for _ in range(SEGMENTAL_ROUNDS):
            start, trans = transition_counts(batch, labels, self.n_states)
            startprob = normalize_rows(
                (start + 1.0) * start_mask, uniform_over(start_mask), "state"
            )
            transmat = normalize_rows((trans + 1.0) * trans_mask, uniform_over(trans_mask), "state")
            params = HMMParams(startprob, transmat, emission)
            parts = map_shards(partial(viterbi_shard, params), batch.shards(), self.n_jobs)
            path = np.concatenate([p for p, _ in parts])
            changed = np.count_nonzero(path != labels)
            labels = path
            if changed <= SEGMENTAL_TOLERANCE * batch.n_frames:
                break
            emission = self._relabelled_emission(emission, batch, labels, rng)
        return params

    def _relabelled_emission(
        self, previous: Emission, batch: SequenceBatch, labels: np.ndarray, rng
    ) -> Emission:
        """The emission after a re-segmentation (by default estimated afresh)."""
        return self._emission_from_labels(batch, labels, rng)

    def _warn_about_symmetric_starts(self, masks: tuple[np.ndarray, np.ndarray]) -> None:
        """Warn when the start cannot separate the states, or restarts cannot differ."""
        letters, method = self._filled_init_letters(), self._init_method()
        start_mask, trans_mask = masks
        ergodic = bool(start_mask.all() and trans_mask.all())
        every = {"s", "t", *self._emission_letters}  # all alike only if all start flat
        if method == "flat" and ergodic and self.n_states > 1 and every <= set(letters):
            warnings.warn(
                "init='flat' gives every state the same parameters, and with an ergodic "
                "topology and uniform transitions EM cannot tell them apart: the states stay "
                "identical; use topology='left-right' (HTK's flat start) or another init",
                UserWarning,
                stacklevel=3,
            )
        if self.n_init > 1 and (not letters or method == "flat"):  # deterministic starts
            warnings.warn(
                f"n_init={self.n_init} restarts all begin from the same parameters "
                f"({'init_params is empty' if not letters else f'init={method!r}'}): "
                "they give the same model",
                UserWarning,
                stacklevel=3,
            )

    def _check_topology(self, params: HMMParams, masks: tuple[np.ndarray, np.ndarray]) -> None:
        """Refuse given start or transition probabilities the topology forbids (only
        the letters in ``init_params`` are initialised over the topology)."""
        start_mask, trans_mask = masks
        for name, values, mask in (
            ("startprob_", params.startprob, start_mask),
            ("transmat_", params.transmat, trans_mask),
        ):
            outside = np.argwhere((values > 0) & ~mask)
            if len(outside):
                where = tuple(int(i) for i in outside[0])
                named = isinstance(self.topology, str)
                topology = f"topology={self.topology!r}" if named else "the topology mask"
                raise ValueError(
                    f"{name} has probability at {where if len(where) > 1 else where[0]}, "
                    f"which {topology} forbids: set it to zero, or let fit initialise it "
                    "(put its letter in init_params)"
                )
