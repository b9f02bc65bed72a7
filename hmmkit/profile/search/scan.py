"""Sequences against a database of profile HMMs, as HMMER's hmmscan.

Each (sequence, model) comparison runs the same pipeline as :func:`~.search.search`
(HMMER's hmmscan and hmmsearch share it); only the bookkeeping is turned around: one
result per query sequence, whose hits are the models, E-values counted over the number of
models searched (Z) and domain E-values over the models reported for that sequence (domZ).
With `cutoffs`, each model's own Pfam GA, TC or NC bit score thresholds decide reporting
and inclusion, model by model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..alidisplay import AlignmentDisplay
from ..background import Background
from ..digital import digitize_batch
from ..io.fasta import Sequence, as_sequences
from ..plan7 import ProfileHMM
from .hits import SearchResults
from .scoring import (
    apply_thresholds,
    check_query_model,
    check_search_options,
    hit_rank,
    msv_gate,
    null_scores,
    residue_count,
    score_targets,
)

#: The model attribute holding each kind of Pfam cutoff.
CUTOFF_FIELDS = {"ga": "gathering", "tc": "trusted", "nc": "noise"}


def scan(
    models: str | Path | ProfileHMM | Iterable[ProfileHMM],
    sequences: str | Path | Iterable[Sequence | tuple[str, str] | str],
    *,
    E: float = 10.0,
    T: float | None = None,
    domE: float = 10.0,
    domT: float | None = None,
    incE: float = 0.01,
    incT: float | None = None,
    incdomE: float = 0.01,
    incdomT: float | None = None,
    Z: float | None = None,
    domZ: float | None = None,
    cutoffs: str | None = None,
    F1: float = 0.02,
    F2: float = 1e-3,
    F3: float = 1e-5,
    bias_filter: bool = True,
    null2: bool = True,
    seed: int = 42,
    background: Background | None = None,
    n_jobs: int | None = 1,
) -> list[SearchResults]:
    """Search every sequence against each model of `models` (an HMMER3 file, one model
    or an iterable of models, read one at a time), as hmmscan does.

    Returns one :class:`~.search.SearchResults` per sequence, in input order: its
    ``query_name`` is the sequence, ``M`` its length, and its hits are the models (hit
    ``name``, ``accession``, ``description`` and ``length`` are the model's), ranked.
    ``Z`` defaults to the number of models. `cutoffs` ``"ga"``, ``"tc"`` or ``"nc"``
    replaces the thresholds by each model's Pfam bit score cutoffs (hmmscan's
    ``--cut_ga``/``--cut_tc``/``--cut_nc``). The other options are :func:`~.search.search`'s.
    """
    if cutoffs is not None and cutoffs not in CUTOFF_FIELDS:
        raise ValueError(f"cutoffs must be one of {sorted(CUTOFF_FIELDS)} or None, got {cutoffs!r}")
    records = as_sequences(sequences)
    if not records and isinstance(sequences, (str, Path)):
        raise ValueError(f"{sequences}: the sequence file is empty (no FASTA records)")
    check_search_options(E=E, domE=domE, incE=incE, incdomE=incdomE, F1=F1, F2=F2, F3=F3, Z=Z,
                         domZ=domZ)  # fmt: skip
    per_query: list[list] = [[] for _ in records]
    per_query_cutoffs: list[list] = [[] for _ in records]
    first = None
    n_models = n_nodes = 0
    pressed = _pressed(models, background, cutoffs)
    if pressed is not None:
        n_models, n_nodes = pressed.n_models, pressed.n_nodes
    for model, subset in _models_and_targets(models, pressed, records, F1):
        check_query_model(model, first, "the model database")
        first = first or model
        if pressed is None:
            n_models += 1
            n_nodes += model.M
        model_cutoffs = _model_cutoffs(model, cutoffs)
        targets = records if subset is None else [records[j] for j in subset]
        scored, _ = score_targets(
            model, targets, F1=F1, F2=F2, F3=F3, bias_filter=bias_filter, null2=null2,
            seed=seed, background=background, n_jobs=n_jobs,
        )  # fmt: skip
        display = AlignmentDisplay(model)
        for idx, hit in scored:
            idx = idx if subset is None else int(subset[idx])
            for d in hit.domains:  # the model is at hand only now
                d.display = display.domain(d)
            per_query[idx].append(
                replace(hit, name=model.name, accession=model.accession,
                        description=model.description or "", length=model.M)
            )  # fmt: skip
            per_query_cutoffs[idx].append(model_cutoffs)
    if n_models == 0:
        raise ValueError("models: the model database holds no model")
    out = []
    for rec, hits, hit_cutoffs in zip(records, per_query, per_query_cutoffs, strict=True):
        order = sorted(range(len(hits)), key=lambda n: hit_rank(hits[n]))
        result = SearchResults(
            rec.name, None, residue_count([rec]), [hits[n] for n in order],
            float(Z if Z is not None else n_models), 0.0, n_models, n_nodes, len(hits),
            rec.description or None,
        )  # fmt: skip
        apply_thresholds(
            result, E=E, T=T, domE=domE, domT=domT, incE=incE, incT=incT, incdomE=incdomE,
            incdomT=incdomT, domZ=domZ,
            cutoffs=[hit_cutoffs[n] for n in order] if cutoffs else None,
        )  # fmt: skip
        out.append(result)
    return out


def _pressed(models, background: Background | None, cutoffs: str | None):
    """The pressed database of a model file path (None without one, or when the scan
    needs what it does not keep: a background other than HMMER's default)."""
    if not isinstance(models, (str, Path)) or background is not None:
        return None
    from ..press import open_pressed

    pressed = open_pressed(models)
    if pressed is not None and cutoffs is not None:
        lacking = [n for n, has in zip(pressed.names, pressed.has_cutoffs(cutoffs),
                                       strict=True) if not has]  # fmt: skip
        if lacking:
            raise ValueError(f"model {lacking[0]} has no {CUTOFF_FIELDS[cutoffs]} "
                             f"({cutoffs.upper()}) bit score thresholds")  # fmt: skip
    return pressed


def _models_and_targets(models, pressed, records, F1: float):
    """(model, indices of the records to score, None for all) for each model to score:
    with a pressed database only the models with a record past the MSV filter's first
    gate, read from the binary file (the pipeline's own result on the others is none)."""
    if pressed is None:
        for model in _iter_models(models):
            yield model, None
        return
    if F1 >= 1.0:  # no MSV gate: every model scores every record
        for i in range(pressed.n_models):
            yield pressed.model(i), None
        return
    batch = digitize_batch(records, pressed.alphabet)
    nullsc = null_scores(Background.default(pressed.alphabet), batch.lengths)

    def gate(candidates, usc, null, msv_stats):
        return msv_gate(candidates, usc, null, msv_stats, F1)

    for i, subset in pressed.candidates(batch.X, batch.starts, batch.lengths, nullsc, gate):
        yield pressed.model(i), subset


def _iter_models(models) -> Iterable[ProfileHMM]:
    if isinstance(models, ProfileHMM):
        return [models]
    if isinstance(models, (str, Path)):
        from ..io.hmmer3 import iter_hmmer

        return iter_hmmer(models)
    return models


def _model_cutoffs(model: ProfileHMM, cutoffs: str | None) -> tuple[float, float] | None:
    """The model's (sequence, domain) bit score cutoffs of kind `cutoffs`."""
    if cutoffs is None:
        return None
    pair = getattr(model, CUTOFF_FIELDS[cutoffs])
    if pair is None:
        raise ValueError(f"model {model.name} has no {CUTOFF_FIELDS[cutoffs]} "
                         f"({cutoffs.upper()}) bit score thresholds")  # fmt: skip
    return tuple(pair)
