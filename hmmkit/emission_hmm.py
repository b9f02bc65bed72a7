"""An HMM over an emission family of your own (see docs/custom_emissions.md).

:class:`HMM` takes the class of an :class:`~hmmkit.emissions.base.Emission` and gives
it everything the built-in families have: ``fit`` (Baum-Welch, α-EM, SQUAREM; threads
or Dask), ``score``, ``decode``, ``predict_proba``, ``sample``, AIC/BIC and
``save``/``load``. The fitted emission is the attribute ``emission_``, an instance of
that class whose fields are the parameters.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .emissions.base import Emission
from .hmm import BaseHMM
from .initialization import kmeans
from .sequences import SequenceBatch, as_continuous_batch
from .shard_work import reestimate_from_labels
from .workspace import Workspace


def check_emission_class(family: object, name: str = "emission") -> type[Emission]:
    """Return ``family`` or raise TypeError unless it is a dataclass subclass of Emission."""
    if not (isinstance(family, type) and issubclass(family, Emission)):
        raise TypeError(
            f"{name} must be a subclass of hmmkit.emissions.Emission (the class, not an "
            f"instance), got {family!r}"
        )
    if not dataclasses.is_dataclass(family):
        raise TypeError(
            f"{name} {family.__name__} must be a frozen dataclass: its fields are its "
            "parameters and settings (see docs/custom_emissions.md)"
        )
    return family


class HMM(BaseHMM):
    """HMM whose states emit frames from an emission family of your own.

    ``emission`` is a subclass of :class:`~hmmkit.emissions.base.Emission` (a frozen
    dataclass declaring its parameter and statistic kinds); its ``initial`` classmethod
    gives the starting parameters of ``init="random"`` (the default), and
    ``init="kmeans"`` / ``"segmental"`` estimate them from frames assigned to states by
    its own M-step. Frames are real arrays ``(T, n_features)``, checked by the family's
    ``check_frames``. The fitted emission is ``emission_``; set it by hand (an instance
    of the family) to score, decode or sample without ``fit``, or to start ``fit`` from
    it with ``init_params`` left without ``e``. Parameter letters: ``s``, ``t``, ``e``
    (the emission).
    """

    _emission_letters = "e"
    _letter_attributes = {"e": "emission_"}
    _default_init = "random"

    def __init__(self, n_states: int = 1, emission: type[Emission] | None = None, **kwargs):
        super().__init__(n_states, **kwargs)
        self.emission = emission

    def _family(self) -> type[Emission]:
        """The emission class: ``emission``, else the class of a hand-set ``emission_``."""
        if self.emission is None and getattr(self, "emission_", None) is not None:
            return check_emission_class(type(self.emission_), "emission_")
        if self.emission is None:
            raise TypeError("HMM needs an emission family: HMM(n_states, emission=MyEmission)")
        return check_emission_class(self.emission)

    def _check_settings(self) -> None:
        super()._check_settings()
        self._family()

    def _as_batch(self, X, lengths, fitting: bool) -> SequenceBatch:
        known = None if fitting else getattr(self, "n_features", None)
        batch = as_continuous_batch(X, lengths, n_features=known)
        self._family().check_frames(batch.X)
        return batch

    def _prepare_fit(self, batch: SequenceBatch, source=None) -> None:
        self.n_features = batch.X.shape[1]

    def _validate_loaded(self) -> None:
        # the family validates its own fields when the loaded value is built
        self._check_settings()
        self._get_params()

    def _make_emission(self, attributes: dict) -> Emission:
        value = attributes["emission_"]
        family = self._family()
        if not isinstance(value, family):
            raise ValueError(
                f"emission_ must be a {family.__name__} value, got {type(value).__name__}"
            )
        return value

    def _emission_attributes(self, emission: Emission) -> dict:
        return {"emission_": emission}

    def _random_emission(self, batch: SequenceBatch, rng: np.random.Generator) -> Emission:
        emission = self._family().initial(self.n_states, batch.X, rng)
        if not isinstance(emission, self._family()) or emission.n_states != self.n_states:
            raise ValueError(
                f"{self._family().__name__}.initial must return a {self._family().__name__} "
                f"with {self.n_states} states"
            )
        return emission

    def _global_emission(self, batch: SequenceBatch, rng: np.random.Generator) -> Emission:
        """Every state estimated from all the frames (``init="flat"``)."""
        template = self._random_emission(batch, rng)
        stats = template.new_stats()
        workspace = Workspace()
        for shard in batch.shards():
            _, aux = template.frame_scores(shard.X, workspace)
            everywhere = np.ones((shard.n_frames, self.n_states))
            template.accumulate(shard.X, everywhere, aux, stats)
        return template.m_step(stats, self._emission_letters)

    def _emission_from_labels(self, batch, labels, rng) -> Emission:
        template = self._random_emission(batch, rng)
        return reestimate_from_labels(template, batch, labels, self._emission_letters)

    def _kmeans_labels(self, batch: SequenceBatch, rng: np.random.Generator) -> np.ndarray:
        return kmeans(batch.X, self.n_states, rng)[1]
