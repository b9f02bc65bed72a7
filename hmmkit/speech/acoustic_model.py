"""Continuous-speech acoustic models: unit HMMs over tied GMM states, and the utterance
graphs built from them (HTK's layout: ``sil`` at the ends, the tee model ``sp`` after
every word, alternative pronunciations as branches)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..composite import CompositeGraph, GraphBuilder, UnitModel
from ..emissions.mixture import MixtureBank
from .features import MFCCConfig
from .lexicon import Lexicon

SILENCE = "sil"
SHORT_PAUSE = "sp"
UNIT_KINDS = ("word", "phone")


def left_to_right(n_emitting: int, stay: float = 0.6) -> np.ndarray:
    """HTK's prototype transitions: entry to the first state, stay or move on."""
    n = n_emitting + 2
    transp = np.zeros((n, n))
    transp[0, 1] = 1.0
    for i in range(1, n - 1):
        transp[i, i], transp[i, i + 1] = stay, 1.0 - stay
    return transp


def edged_left_to_right(n_core: int, stay: float = 0.6, edge: float = 0.5) -> np.ndarray:
    """A left-to-right unit of ``n_core`` states between an optional first and an optional
    last state of its own (word-edge states): the entry goes to the first edge state or,
    with probability ``1 - edge``, straight to the first core state; the last core state
    moves on to the last edge state or straight to the exit alike."""
    transp = left_to_right(n_core + 2, stay)
    transp[0, 1], transp[0, 2] = edge, 1.0 - edge
    last = n_core + 1  # the last core state; the edge state and the exit follow it
    transp[last, last + 1] = (1.0 - stay) * edge
    transp[last, last + 2] = (1.0 - stay) * (1.0 - edge)
    return transp


def silence_transitions(n_emitting: int = 3) -> np.ndarray:
    """``sil`` after HTK's fix-up: the first state may skip to the last and back."""
    transp = left_to_right(n_emitting)
    if n_emitting >= 3:
        transp[1, n_emitting] = transp[n_emitting, 1] = 0.1
        transp[1] /= transp[1].sum()
        transp[n_emitting] /= transp[n_emitting].sum()
    return transp


def tee_transitions(skip: float = 0.3) -> np.ndarray:
    """``sp``: one emitting state that may be skipped."""
    return np.array([[0.0, 1 - skip, skip], [0.0, 0.6, 0.4], [0.0, 0.0, 0.0]])


def silence_tee_transitions(n_emitting: int = 3, skip: float = 0.3) -> np.ndarray:
    """A tee model over all of ``sil``'s states: ``sil``'s transitions, with the entry
    going to the first state or, with probability ``skip``, straight to the exit."""
    transp = silence_transitions(n_emitting)
    transp[0] = 0.0
    transp[0, 1], transp[0, -1] = 1.0 - skip, skip
    return transp


@dataclass
class AcousticModel:
    """Unit HMMs (``units``: name -> (tied-state indices, HTK transition matrix)) whose
    states are the mixtures of ``mixtures``; ``kind`` says whether units are words or
    phones (then ``lexicon`` maps words to phones)."""

    units: dict[str, tuple[np.ndarray, np.ndarray]]
    mixtures: MixtureBank
    kind: str = "word"
    lexicon: Lexicon | None = None
    config: MFCCConfig = field(default_factory=MFCCConfig)
    sample_rate: int | None = None
    var_floor: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.kind not in UNIT_KINDS:
            raise ValueError(f"units must be one of {UNIT_KINDS}, got {self.kind!r}")
        if self.kind == "phone" and self.lexicon is None:
            raise ValueError("phone units need a lexicon")
        for name, (states, transp) in self.units.items():
            UnitModel(name, states, transp)  # validates the shapes
            if states.max() >= self.mixtures.n_groups:
                raise ValueError(f"unit {name!r} uses a state the mixtures do not have")

    @property
    def n_transition_parameters(self) -> int:
        """Length of the flat vector of all units' transition entries."""
        return sum(t.size for _, t in self.units.values())

    def unit_models(self) -> dict[str, UnitModel]:
        """The units with their offsets into the flat transition vector."""
        out, offset = {}, 0
        for name, (states, transp) in self.units.items():
            out[name] = UnitModel(name, states, transp, offset)
            offset += transp.size
        return out

    def words(self) -> list[str]:
        """The vocabulary (lexicon words, or word units other than silences)."""
        if self.kind == "phone":
            return list(self.lexicon.entries)
        return [u for u in self.units if u not in (SILENCE, SHORT_PAUSE)]

    def pronunciations(self, word: str, where: str = "") -> list[tuple[str, ...]]:
        """The unit sequences that spell ``word``."""
        if self.kind == "phone":
            return self.lexicon.pronunciations(word, where)
        if word not in self.units or word in (SILENCE, SHORT_PAUSE):
            at = f"{where}: " if where else ""
            raise ValueError(f"{at}word {word!r} has no model (the models know {self.words()})")
        return [(word,)]

    def with_transitions(self, flat: np.ndarray) -> AcousticModel:
        """A copy whose transition matrices are read from the flat vector."""
        units, offset = {}, 0
        for name, (states, transp) in self.units.items():
            units[name] = (states, flat[offset : offset + transp.size].reshape(transp.shape))
            offset += transp.size
        return replace(self, units=units)

    # ------------------------------------------------------------------ graphs

    def word_part(
        self,
        g: GraphBuilder,
        units: dict[str, UnitModel],
        index: int,
        word: str,
        where: str = "",
        choice: int | None = None,
    ) -> tuple[int, int]:
        """One word (its pronunciations as branches) between labelled entry/exit nodes."""
        prons = self.pronunciations(word, where)
        if choice is not None:
            prons = [prons[choice]]
        branches = [
            g.chain([self.unit_part(g, units, name, index) for name in pron]) for pron in prons
        ]
        inner = branches[0] if len(branches) == 1 else g.alternatives(branches)
        entry, exit_ = g.node(label=("word", index, word)), g.node(label=("end", index))
        g.arc(entry, inner[0])
        g.arc(inner[1], exit_)
        return entry, exit_

    @staticmethod
    def unit_part(g: GraphBuilder, units: dict[str, UnitModel], name: str, index: int):
        """One occurrence of a unit, its entry and exit labelled for alignments."""
        entry, exit_ = g.unit(units[name], label=("unit", name, index))
        g.labels[exit_] = ("unit_end", name, index)
        return entry, exit_

    def transcript_graph(
        self,
        words: Sequence[str],
        where: str = "",
        short_pause: bool = True,
        choices: Sequence[int | None] | None = None,
        units: dict[str, UnitModel] | None = None,
    ) -> CompositeGraph:
        """``sil w1 [sp] w2 [sp] ... sil``: the utterance model of a transcript
        (``units``: this model's :meth:`unit_models`, when made already for many
        transcripts)."""
        if units is None:
            units = self.unit_models()
        g = GraphBuilder()
        parts = [self.unit_part(g, units, SILENCE, -1)]
        for i, word in enumerate(words):
            choice = None if choices is None else choices[i]
            parts.append(self.word_part(g, units, i, word, where, choice))
            if short_pause and SHORT_PAUSE in units and i < len(words) - 1:
                parts.append(self.unit_part(g, units, SHORT_PAUSE, i))
        parts.append(self.unit_part(g, units, SILENCE, len(words)))
        entry, exit_ = g.chain(parts)
        return g.build(entry, exit_)

    # ------------------------------------------------------------------ files

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``MODEL_DIR/hmmdefs.mmf`` (HTK text MMF) and ``model.json`` (the rest)."""
        from .mmf import write_mmf

        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        write_mmf(folder / "hmmdefs.mmf", self.units, self.mixtures, _parameter_kind(self.config))
        meta = {
            "format": "hmmkit-asr-1",
            "units": self.kind,
            "front_end": self.config.to_dict(),
            "sample_rate": self.sample_rate,
            "lexicon": None if self.lexicon is None else self.lexicon.entries,
            "var_floor": None if self.var_floor is None else self.var_floor.tolist(),
        }
        from ..atomic import atomic_output

        with atomic_output(folder / "model.json") as fh:
            json.dump(meta, fh, indent=1)
        return folder

    @classmethod
    def load(cls, directory: str | os.PathLike) -> AcousticModel:
        """Read a model folder written by :meth:`save` (or one with an HTK MMF beside
        a ``model.json``)."""
        from .mmf import read_mmf

        folder = Path(directory)
        meta_path = folder / "model.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{folder} holds no model.json (not a model folder)")
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
        if meta.get("format") != "hmmkit-asr-1":
            raise ValueError(f"{meta_path}: not an hmmkit acoustic model")
        units, mixtures = read_mmf(folder / "hmmdefs.mmf")
        lexicon = None
        if meta["lexicon"] is not None:
            lexicon = Lexicon(meta["lexicon"], f"{meta_path} (lexicon)")
        floor = meta.get("var_floor")
        return cls(
            units,
            mixtures,
            meta["units"],
            lexicon,
            MFCCConfig.from_dict(meta["front_end"]),
            meta.get("sample_rate"),
            None if floor is None else np.asarray(floor),
        )


def _parameter_kind(config: MFCCConfig) -> str:
    kind = "MFCC" + ("_E" if config.append_energy else "")
    return kind + {0: "", 1: "_D", 2: "_D_A"}[config.deltas]
