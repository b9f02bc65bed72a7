"""Search a sequence database with a profile HMM, as HMMER's hmmsearch does.

The package holds HMMER's search machinery, one job a module. The function
:func:`search` is defined here, so ``hmmkit.profile.search`` names it whether the package
or the function is meant (the lazy ``hmmkit.profile`` keeps the function bound over the
package).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays cheap to import: the pipeline loads with search()
    from ..background import Background
    from ..io.fasta import Sequence
    from ..plan7 import ProfileHMM
    from .hits import SearchResults


def search(
    model: ProfileHMM,
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
    F1: float = 0.02,
    F2: float = 1e-3,
    F3: float = 1e-5,
    bias_filter: bool = True,
    null2: bool = True,
    seed: int = 42,
    background: Background | None = None,
    n_jobs: int | None = 1,
) -> SearchResults:
    """Search `sequences` (a FASTA path or an iterable of sequences) with `model`.

    Mirrors hmmsearch: every sequence is scored with Forward; a sequence goes on to domain
    definition and null2-corrected scoring when it passes HMMER's three gates: MSV P-value
    <= `F1`, Viterbi P-value <= `F2` and Forward P-value <= `F3` (all against the
    bias-filter null when `bias_filter`; ``F1=F2=F3=1`` with ``bias_filter=False`` is
    hmmsearch's ``--max``). The MSV and Viterbi scores are computed exactly as HMMER's
    byte/word filters compute them, and only for sequences that pass the Forward gate. E-values use
    ``Z`` (default: the number of sequences searched) and the model's ``FORWARD``
    statistics (calibrated on the fly if the model has none). Reporting (`E`/`T`,
    `domE`/`domT`) and inclusion (`incE`/`incT`, `incdomE`/`incdomT`) thresholds are
    HMMER's defaults. `n_jobs` > 1 scores sequences and defines their domains on several
    cores (None: all cores), with the results of one core.
    """
    from ..io.fasta import as_sequences
    from .hits import SearchResults
    from .scoring import (
        apply_thresholds,
        check_query_model,
        check_search_options,
        hit_rank,
        residue_count,
        score_targets,
    )

    check_query_model(model)
    check_search_options(E=E, domE=domE, incE=incE, incdomE=incdomE, F1=F1, F2=F2, F3=F3, Z=Z,
                         domZ=domZ)  # fmt: skip
    records = as_sequences(sequences)
    if not records and isinstance(sequences, (str, Path)):
        raise ValueError(f"{sequences}: the sequence file is empty (no FASTA records)")
    scored, n_past = score_targets(
        model, records, F1=F1, F2=F2, F3=F3, bias_filter=bias_filter, null2=null2, seed=seed,
        background=background, n_jobs=n_jobs,
    )  # fmt: skip
    hits = sorted((hit for _, hit in scored), key=hit_rank)
    nseqs = len(records)
    results = SearchResults(
        model.name, model.accession, model.M, hits, float(Z if Z is not None else nseqs),
        0.0, nseqs, residue_count(records), n_past, model.description,
    )  # fmt: skip
    apply_thresholds(
        results, E=E, T=T, domE=domE, domT=domT, incE=incE, incT=incT, incdomE=incdomE,
        incdomT=incdomT, domZ=domZ,
    )  # fmt: skip
    return results
