"""Continuous speech from data folder to files: train, align, decode, score.

These are the functions behind ``hmmkit asr``; each reads the field's files and writes
them whole or not at all. Times in the CTM and TextGrid outputs are seconds from the
start of the utterance; the boundary before frame t lies halfway between the centres
of frames t-1 and t.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from ..atomic import atomic_output
from .acoustic_model import AcousticModel
from .alignment import Segment, align
from .background_model import fit_background
from .ctm import read_ctm, write_ctm, write_text, write_textgrid
from .data_folder import (
    DataFolder,
    check_sample_rates,
    folder_features,
    half_step_features,
    read_data_folder,
)
from .decoder import bigram_network, decode, recognizer_graph, word_loop
from .embedded import EmbeddedConfig, train_embedded
from .features import MFCCConfig
from .fmllr import apply_fmllr
from .lexicon import check_transcripts, read_lexicon
from .sat import train_sat
from .scoring import ScoreReport, read_text, score
from .speaker_adaptation import (
    ADAPT_BACKGROUND_MARGIN,
    ADAPT_BACKGROUND_PENALTY,
    ADAPTATION_METHODS,
    adapt_round,
)

#: Decode-adapt rounds of unsupervised adaptation by default (the second still gains a
#: few points; ``decode_folder``'s ``adapt_rounds``).
ADAPTATION_ROUNDS = 2
#: Adapt-realign rounds of speaker-adapted forced alignment (the second gains 1-3 points
#: of words aligned on an unseen speaker).
ALIGN_ADAPTATION_ROUNDS = 2


def _features(model_or_config, data: DataFolder, expected_rate: int | None):
    config = model_or_config
    rate = None
    if config.samplerate is None:
        rate = check_sample_rates(data, expected_rate)
    return folder_features(data, config), rate


def train(
    data_dir: str | os.PathLike,
    model_dir: str | os.PathLike,
    lexicon: str | os.PathLike | None = None,
    config: EmbeddedConfig | None = None,
    front_end: MFCCConfig | None = None,
    report: Callable[[str], None] | None = None,
    word_times: str | os.PathLike | None = None,
    stage_dirs: Mapping[int, str | os.PathLike] | None = None,
    sat_rounds: int = 0,
) -> AcousticModel:
    """Train word (or, with a lexicon, phone) models on a data folder; saves them in
    ``model_dir`` (``hmmdefs.mmf``, ``model.json``, ``training.json``). ``word_times``,
    a CTM of known word times (``utt 1 start dur word``, seconds), keeps each marked
    span for its word's units in every pass. ``stage_dirs`` (Gaussians per state ->
    folder) saves the model as it is at the end of those mixture stages too (e.g. the
    2-Gaussian model for decoding on the way to 8 for alignment). ``sat_rounds`` > 0
    adds that many rounds of speaker-adaptive training to the final model (:mod:`.sat`:
    one CMLLR transform per ``utt2spk`` speaker; not to the stages' models); such models
    are meant to be decoded with ``adapt_method="fmllr"``."""
    if isinstance(sat_rounds, bool) or not isinstance(sat_rounds, int) or sat_rounds < 0:
        raise ValueError(f"sat_rounds must be an integer >= 0, got {sat_rounds!r}")
    config = config or EmbeddedConfig()
    front_end = front_end or MFCCConfig()
    data = read_data_folder(data_dir, need_text=True)
    lex = read_lexicon(lexicon) if lexicon is not None else None
    if config.units == "phone" and lex is None:
        raise ValueError("--units phone needs --lexicon")
    if lex is not None:
        text_file = data.path / "text"
        check_transcripts(
            lex, [(u.utt, u.words, f"{text_file}:{u.text_line}") for u in data.utterances]
        )
    stages = _stage_folders(stage_dirs or {}, config)
    kept: dict[int, AcousticModel] = {}
    times = read_ctm(word_times) if word_times is not None else None
    feats, rate = _features(front_end, data, None)
    utts = [u.utt for u in data.utterances]
    transcripts = [u.words for u in data.utterances]
    model, log = train_embedded(
        utts,
        feats,
        transcripts,
        config,
        lex if config.units == "phone" else None,
        front_end,
        rate,
        report,
        word_times=times,
        word_times_source=None if word_times is None else str(word_times),
        on_stage=lambda n_mix, staged: kept.update({n_mix: staged} if n_mix in stages else {}),
    )
    for n_mix, folder in stages.items():
        _save_trained(kept[n_mix], folder, replace(config, n_mix=n_mix), log)
    if sat_rounds:
        speakers = [u.speaker for u in data.utterances]
        model, _ = train_sat(model, utts, feats, transcripts, speakers, config, sat_rounds, report)
    _save_trained(model, model_dir, config, log, sat_rounds)
    return model


def _stage_folders(stage_dirs, config: EmbeddedConfig) -> dict[int, Path]:
    """n_mix -> folder for ``train``'s ``stage_dirs``; a ValueError names a count that is
    not one of the training's stages."""
    stages = [1, *config.mixture_schedule()]
    for n_mix in stage_dirs:
        if n_mix not in stages:
            raise ValueError(
                f"no training stage has {n_mix} Gaussians per state (the stages: {stages})"
            )
    return {n_mix: Path(folder) for n_mix, folder in stage_dirs.items()}


def _save_trained(
    model: AcousticModel, folder, config: EmbeddedConfig, log, sat_rounds: int = 0
) -> None:
    """The model in ``folder`` with its ``training.json``."""
    saved = model.save(folder)
    with atomic_output(saved / "training.json") as fh:
        json.dump(
            {
                "config": asdict(config),
                "passes": log.passes,
                "skipped": sorted(log.skipped),
                "sat_rounds": sat_rounds,
            },
            fh,
            indent=1,
        )


def _seconds(segs: list[Segment], config: MFCCConfig) -> list[tuple[str, float, float]]:
    """Frame spans as seconds: a boundary between frames lies where their windows' centres
    are, half a window less half a step after the frames' starts."""
    step = config.winstep
    shift = (config.winlen - config.winstep) / 2
    return [(s.token, s.start * step + shift, s.end * step + shift) for s in segs]


def align_folder(
    model_dir: str | os.PathLike,
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    beam: float = np.inf,
    adapt_tau: float | None = None,
    adapt_method: str = "map",
    adapt_background: float = 0.0,
    half_step: bool = False,
) -> dict[str, list[tuple[str, float, float]]]:
    """Forced alignment: ``alignment.ctm`` (words), ``phones.ctm`` (phone units) and
    ``textgrid/UTT.TextGrid``; returns utt -> [(word, start, end)].

    With ``half_step`` the Viterbi path runs over frames every half step (5 ms for a 10 ms
    model; :func:`~.data_folder.half_step_features`), scored by the model as it is, so
    that boundaries fall on the finer grid; adaptation is estimated on the model's own
    frames and applied to the finer ones.

    With ``adapt_tau`` the alignment is speaker-adapted, as the Montreal Forced Aligner's
    second pass: each speaker's (``utt2spk``) means are adapted to its utterances and
    their transcripts (``adapt_method`` of :data:`ADAPTATION_METHODS`, MAP with
    ``adapt_tau`` frames of prior weight), the utterances realigned with the adapted
    model, :data:`ALIGN_ADAPTATION_ROUNDS` times over; ``adapt_background`` nats are
    charged to the word states on each utterance's background frames while adapting
    (0: none)."""
    _check_adaptation(adapt_tau, adapt_method, adapt_background)
    model = AcousticModel.load(model_dir)
    data = read_data_folder(data_dir, need_text=True)
    config = model.config
    htk = [e.utt for e in data.utterances if e.is_htk]
    if half_step and htk:
        raise ValueError(f"utterance {htk[0]}: half-step alignment needs audio, not HTK files")
    feats, _ = _features(config, data, model.sample_rate)
    models = [model] * len(feats)
    transforms = [None] * len(feats)
    if adapt_tau is not None:
        for indices in _speaker_groups(data).values():
            adapted, transform = model, None
            frames = [feats[i] for i in indices]
            for _ in range(ALIGN_ADAPTATION_ROUNDS):
                adapted, transform, moved = adapt_round(
                    model,
                    adapted,
                    transform,
                    frames,
                    [data.utterances[i].words for i in indices],
                    adapt_method,
                    adapt_tau,
                    background_penalty=adapt_background,
                )
            for i, X in zip(indices, moved, strict=True):
                models[i], feats[i], transforms[i] = adapted, X, transform
    if half_step:
        fine = half_step_features(data, config)
        moved = zip(fine, transforms, strict=True)
        feats = [X if A is None else apply_fmllr(A, X) for X, A in moved]
        config = config.with_(winstep=config.winstep / 2)
    words_out, phones_out, grids = {}, {}, {}
    for entry, X, used in zip(data.utterances, feats, models, strict=True):
        result = align(used, entry.utt, X, entry.words, beam)
        words_out[entry.utt] = _seconds(result.words, config)
        tiers = {"words": words_out[entry.utt]}
        if model.kind == "phone":
            phones_out[entry.utt] = _seconds(result.speech_units(), config)
            tiers["phones"] = phones_out[entry.utt]
        grids[entry.utt] = (tiers, (len(X) - 1) * config.winstep + config.winlen)
    out = Path(out_dir)
    (out / "textgrid").mkdir(parents=True, exist_ok=True)
    write_ctm(out / "alignment.ctm", words_out.items())
    if phones_out:
        write_ctm(out / "phones.ctm", phones_out.items())
    for utt, (tiers, duration) in grids.items():
        write_textgrid(out / "textgrid" / f"{utt}.TextGrid", tiers, duration)
    return words_out


def _check_adaptation(tau: float | None, method: str, background: float) -> None:
    """A ValueError naming the adaptation setting that is out of range."""
    if method not in ADAPTATION_METHODS:
        raise ValueError(f"adapt_method must be one of {ADAPTATION_METHODS}, got {method!r}")
    if tau is not None and not tau > 0:
        raise ValueError(f"adapt_tau must be positive (None: no adaptation), got {tau!r}")
    if not background >= 0:
        raise ValueError(f"adapt_background must be >= 0, got {background!r}")


def _speaker_groups(data: DataFolder) -> dict[str, list[int]]:
    """The utterance indices of each speaker, in the folder's order."""
    speakers: dict[str, list[int]] = {}
    for i, entry in enumerate(data.utterances):
        speakers.setdefault(entry.speaker, []).append(i)
    return speakers


def decode_folder(
    model_dir: str | os.PathLike,
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    grammar: str | os.PathLike | None = None,
    lm: str | os.PathLike | None = None,
    lm_scale: float = 1.0,
    insertion_penalty: float = 0.0,
    beam: float = 250.0,
    adapt_tau: float | None = None,
    adapt_background: float = ADAPT_BACKGROUND_PENALTY,
    adapt_method: str = "map",
    adapt_rounds: int = ADAPTATION_ROUNDS,
    adapt_background_margin: float | None = ADAPT_BACKGROUND_MARGIN,
    edge_silence: int = 0,
    background_mix: int = 0,
) -> dict[str, list[str]]:
    """Recognise every utterance: ``text`` and ``hyp.ctm`` in ``out_dir``; returns utt ->
    words. Without ``grammar`` or ``lm`` the network is a loop over the model's words.
    With ``adapt_tau`` each speaker is decoded again with means MAP-adapted to the
    previous pass's hypotheses (unsupervised speaker adaptation, ``adapt_rounds``
    decode-adapt rounds, each from the previous round's model and words), each
    utterance's background frames costing the word states ``adapt_background`` nats in
    the adaptation's E-step (0: off; a quiet frame is background only if its spectrum
    is the utterance ends' within ``adapt_background_margin`` nats, None: every quiet
    frame, see :func:`~.estep.background_frames`); ``adapt_method`` is one of
    :data:`ADAPTATION_METHODS` (with MLLR, ``adapt_tau`` is MAP's prior weight in
    "mllr+map" and otherwise only turns adaptation on). ``edge_silence`` > 0 keeps each
    utterance's first and last that many frames for ``sil`` in every pass (see
    :func:`~.decoder.decode`). ``background_mix`` > 0 fits, per speaker, a mixture of
    that many Gaussians to those edge frames of its utterances (:mod:`.background_model`)
    and, in every pass, rejects a decoded word unless its frames' emission scores exceed
    theirs under that background by more than ``-insertion_penalty`` nats: the word,
    with its penalty, must beat the speaker's own background as it beat ``sp`` (word
    loop or language model only, and it needs ``edge_silence``)."""
    if grammar is not None and lm is not None:
        raise ValueError("give a grammar or a language model, not both")
    if isinstance(background_mix, bool) or not isinstance(background_mix, int):
        raise ValueError(f"background_mix must be an integer >= 0, got {background_mix!r}")
    if background_mix < 0:
        raise ValueError(f"background_mix must be an integer >= 0, got {background_mix!r}")
    if background_mix and grammar is not None:
        raise ValueError("background_mix works with a word loop or a language model")
    if background_mix and not edge_silence:
        raise ValueError("background_mix needs edge_silence (the frames it is fitted on)")
    _check_adaptation(adapt_tau, adapt_method, adapt_background)
    if isinstance(adapt_rounds, bool) or not isinstance(adapt_rounds, int) or adapt_rounds < 1:
        raise ValueError(f"adapt_rounds must be an integer >= 1, got {adapt_rounds!r}")
    if adapt_background_margin is not None and not adapt_background_margin >= 0:
        raise ValueError(
            f"adapt_background_margin must be >= 0 (None: off), got {adapt_background_margin!r}"
        )
    model = AcousticModel.load(model_dir)
    if lm is not None:
        from .arpa import read_arpa

        network = bigram_network(read_arpa(lm), model.words())
        graph = recognizer_graph(model, network, lm_scale, insertion_penalty)
    elif grammar is not None:
        from .grammar import grammar_graph, read_jsgf

        graph = grammar_graph(model, read_jsgf(grammar), insertion_penalty)
    else:
        graph = recognizer_graph(model, word_loop(model.words()), lm_scale, insertion_penalty)
    data = read_data_folder(data_dir)
    feats, _ = _features(model.config, data, model.sample_rate)
    if isinstance(edge_silence, bool) or not isinstance(edge_silence, int) or edge_silence < 0:
        raise ValueError(f"edge_silence must be an integer >= 0, got {edge_silence!r}")
    backgrounds = [None] * len(feats)
    if background_mix:
        for indices in _speaker_groups(data).values():
            frames = [feats[i] for i in indices]
            gmm = fit_background(frames, edge_silence, background_mix)
            for i, X in zip(indices, frames, strict=True):
                backgrounds[i] = gmm.score_samples(X)
    rejection = (backgrounds, -insertion_penalty)
    hyps = [
        decode(model, graph, e.utt, X, beam, edge_silence, backgrounds[i], -insertion_penalty)
        for i, (e, X) in enumerate(zip(data.utterances, feats, strict=True))
    ]
    if adapt_tau is not None:
        hyps = _adapted_pass(
            model,
            graph,
            data,
            feats,
            hyps,
            (adapt_method, adapt_tau, adapt_background, adapt_rounds, adapt_background_margin),
            beam,
            edge_silence,
            rejection,
        )
    texts, timed = {}, {}
    for entry, hyp in zip(data.utterances, hyps, strict=True):
        texts[entry.utt] = [s.token for s in hyp.words]
        timed[entry.utt] = _seconds(hyp.words, model.config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "text", texts.items())
    write_ctm(out / "hyp.ctm", timed.items())
    return texts


def _adapted_pass(
    model, graph, data, feats, hyps, adaptation, beam, edge_silence=0, rejection=None
):
    """Decode each speaker again with means adapted to its hypotheses, round after round
    (``adaptation``: method, MAP's tau, background penalty, rounds, spectral margin;
    ``rejection``: each utterance's background scores or None, and the margin)."""
    backgrounds, reject_margin = rejection or ([None] * len(feats), 0.0)
    method, tau, background, rounds, margin = adaptation
    out = list(hyps)
    for indices in _speaker_groups(data).values():
        adapted, transform = model, None
        frames = [feats[i] for i in indices]
        for _ in range(rounds):
            words = [[s.token for s in out[i].words] for i in indices]
            adapted, transform, moved = adapt_round(
                model,
                adapted,
                transform,
                frames,
                words,
                method,
                tau,
                background_penalty=background,
                background_margin=margin,
            )
            for i, X in zip(indices, moved, strict=True):
                utt = data.utterances[i].utt
                out[i] = decode(
                    adapted, graph, utt, X, beam, edge_silence, backgrounds[i], reject_margin
                )
    return out


def score_files(
    ref_text: str | os.PathLike,
    hyp_text: str | os.PathLike,
    utt2spk: str | os.PathLike | None = None,
) -> ScoreReport:
    """Score a hypothesis ``text`` file against a reference one (speakers from ``utt2spk``
    if given, else the utterance-id prefix before ``-``)."""
    speakers = None
    if utt2spk is not None:
        speakers = {u: w[0] for u, w in read_text(utt2spk).items() if w}
    return score(read_text(ref_text), read_text(hyp_text), speakers)
