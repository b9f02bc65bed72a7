"""What the search pipeline's stages read of one model, as HMMER's optimised profile
(P7_OPROFILE) holds it: the MSV filter, the bias filter's composition odds, the Viterbi
filter's word scores and the Forward scan's single-precision odds, all independent of
the target length (the kernels set the length-dependent N/C/J scores per target).

:meth:`ModelStages.of` derives each part from a model when a stage first asks for it; a
pressed database (:mod:`hmmkit.profile.press`) hands them over ready, and the model itself
is read only for what follows the filters (domain definition and the alignment display
of a hit).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, lru_cache

import numpy as np

from .. import dp
from ..alphabet import Alphabet
from ..background import Background
from ..config import SearchProfile, configure, special_scores
from ..dp.forward_scan import ScanProfile
from ..dp.msv import StripedMsv, striped_msv
from ..dp.striped_viterbi import StripedWords, striped_words
from ..plan7 import ProfileHMM
from .bias_filter import composition_odds

#: The target length a model's search profile is configured for before any target.
CONFIGURED_LENGTH = 400
#: The fields a model's stages carry for the pipeline's bookkeeping (name to cutoffs).
FIELDS = ("name", "accession", "description", "M", "stats", "gathering", "trusted", "noise")


class ModelStages:
    """One model as the pipeline's stages read it (local, multi-hit, against
    `background`). ``model`` and ``profile`` (its search profile, configured for
    :data:`CONFIGURED_LENGTH`) are made on first use; ``forward`` (the Forward scan's
    :class:`~hmmkit.profile.dp.ScanProfile`), ``words`` (the Viterbi filter's word
    scores), ``odds`` (the bias filter's composition odds) and the MSV byte costs come from
    the profile unless given ready."""

    def __init__(
        self, load: Callable[[], ProfileHMM], alphabet: Alphabet, fields: dict,
        background: Background | None = None, **ready,
    ) -> None:  # fmt: skip
        unknown = set(ready) - {"forward", "words", "odds", "msv_bytes"}
        if unknown:
            raise TypeError(f"ModelStages: unknown stage parts {sorted(unknown)}")
        self._load = load
        self.alphabet = alphabet
        self.background = background or Background.default(alphabet)
        self.name: str = fields["name"]
        self.accession: str | None = fields["accession"]
        self.description: str | None = fields["description"]
        self.M: int = int(fields["M"])
        self.stats: dict[str, tuple[float, float]] = fields["stats"]
        self.gathering = fields["gathering"]
        self.trusted = fields["trusted"]
        self.noise = fields["noise"]
        self.__dict__.update(ready)  # parts given ready are not derived again

    @classmethod
    def of(cls, model: ProfileHMM, background: Background | None = None) -> ModelStages:
        """The stages of `model`, each part derived when first needed."""
        fields = {name: getattr(model, name) for name in FIELDS}
        stages = cls(lambda: model, model.alphabet, fields, background)
        stages.__dict__["model"] = model
        return stages

    @cached_property
    def model(self) -> ProfileHMM:
        """The model itself."""
        return self._load()

    @cached_property
    def profile(self) -> SearchProfile:
        """The model's search profile (local, multi-hit) for targets of
        :data:`CONFIGURED_LENGTH` residues."""
        return configure(self.model, CONFIGURED_LENGTH, background=self.background)

    @cached_property
    def forward(self) -> ScanProfile:
        """What the Forward scan reads of the profile."""
        return dp.scan_profile(self.profile)

    @cached_property
    def words(self) -> tuple[np.ndarray, np.ndarray]:
        """The Viterbi filter's word scores (rwv, twv) of the profile."""
        return dp.viterbi_word_profile(self.profile.tsc, self.profile.msc)

    @cached_property
    def striped_words(self) -> StripedWords:
        """The Viterbi filter's word scores striped for its vector rows."""
        return striped_words(*self.words)

    @cached_property
    def odds(self) -> np.ndarray:
        """The bias filter's composition odds of every digital code."""
        return composition_odds(self.profile)

    @cached_property
    def msv_bytes(self) -> tuple[np.ndarray, int]:
        """The MSV filter's byte costs and bias."""
        return dp.msv_byte_profile(self.profile.msc, self.alphabet.size)

    @cached_property
    def striped_msv(self) -> StripedMsv:
        """The MSV filter's byte costs as its kernel reads them (striped rows)."""
        return striped_msv(*self.msv_bytes)

    def special_scores(self, length: int) -> np.ndarray:
        """The profile's N, E, C, J scores (4, 2) for a target of `length` residues
        (read-only: shared by every model)."""
        return _multihit_special_scores(length)


@lru_cache(maxsize=4096)
def _multihit_special_scores(length: int) -> np.ndarray:
    xsc = special_scores(True, length)
    xsc.setflags(write=False)
    return xsc
