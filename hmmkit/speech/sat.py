"""Speaker-adaptive training (SAT) with CMLLR, as Kaldi's tri3b and HTK's HERest with
CMLLR transforms do it.

A speaker-independent model learns every training speaker's own way of speaking as
well as the words; SAT moves that variation into one CMLLR feature transform per
training speaker (:mod:`.fmllr`), so the models learn the words in a canonical space.
Each round estimates every training speaker's transform against the current model
(from the Viterbi alignment of the transformed frames to their transcripts) and then
re-estimates the model by embedded Baum-Welch on the transformed frames. A test speaker
is then decoded with its own transform, estimated from a first pass's hypotheses
(``asr decode --adapt-method fmllr``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .acoustic_model import AcousticModel
from .embedded import EmbeddedConfig, maximise
from .estep_backends import EStepSettings, StageESteps
from .fmllr import apply_fmllr
from .speaker_adaptation import speaker_fmllr


def speaker_groups(speakers: Sequence[str]) -> dict[str, list[int]]:
    """The utterance indices of each speaker, in order of first appearance."""
    groups: dict[str, list[int]] = {}
    for i, speaker in enumerate(speakers):
        groups.setdefault(speaker, []).append(i)
    return groups


def train_sat(
    model: AcousticModel,
    utts: Sequence[str],
    features: Sequence[np.ndarray],
    transcripts: Sequence[Sequence[str]],
    speakers: Sequence[str],
    config: EmbeddedConfig,
    rounds: int = 2,
    report: Callable[[str], None] | None = None,
) -> tuple[AcousticModel, dict[str, np.ndarray]]:
    """``rounds`` of speaker-adaptive training from a trained ``model``: each estimates
    every speaker's CMLLR transform and runs ``config.passes`` embedded Baum-Welch passes
    on the transformed frames (with ``config``'s beam and background penalty). Returns
    the model and the speakers' transforms (D, D + 1), bias first."""
    if not (len(utts) == len(features) == len(transcripts) == len(speakers)) or not utts:
        raise ValueError(
            "need the same positive number of utterances, features, transcripts and speakers"
        )
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    groups = speaker_groups(speakers)
    background = config.background_setting(model.config.numcep, features[0].shape[1])
    graphs = [model.transcript_graph(t, utt) for utt, t in zip(utts, transcripts, strict=True)]
    transforms: dict[str, np.ndarray] = {}
    for r in range(rounds):
        moved: list[np.ndarray] = list(features)
        for speaker, indices in groups.items():
            transforms[speaker] = speaker_fmllr(
                model,
                [features[i] for i in indices],
                [transcripts[i] for i in indices],
                transforms.get(speaker),
                iterations=1,
                beam=np.inf,
                background_penalty=config.background_penalty,
                background_margin=config.background_margin,
                background_quantile=config.background_quantile,
                edge=config.edge_silence,
            )
            for i in indices:
                moved[i] = apply_fmllr(transforms[speaker], features[i])
        with StageESteps(utts, moved, "threads", config.n_jobs) as esteps:
            estep = esteps.over(graphs)
            for _ in range(config.passes):
                total = estep(
                    EStepSettings(
                        model, config.beam, False, background, config.beam_step, config.beam_limit
                    )
                )
                if total.n_frames == 0:
                    raise ValueError("no utterance fits its transcript (all are too short)")
                model = maximise(model, total)
                if report is not None:
                    per_frame = total.log_likelihood / total.n_frames
                    report(f"SAT round {r + 1}: {per_frame:.3f} per frame")
    return model, transforms
