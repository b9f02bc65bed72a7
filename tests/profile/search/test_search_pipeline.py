"""The pipeline's stage counters against HMMER's own (P7_PIPELINE, read through pyhmmer),
and the statistics summary hmmsearch prints."""

from __future__ import annotations

import io

import pytest

from hmmkit.profile import Pipeline, PipelineOptions, read_hmmer, scan
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.search import search
from hmmkit.profile.search.report import write_pipeline_statistics

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"
COUNTERS = {
    "n_models": "nmodels", "n_nodes": "nnodes", "n_sequences": "nseqs",
    "n_residues": "nres", "n_past_msv": "n_past_msv", "n_past_bias": "n_past_bias",
    "n_past_vit": "n_past_vit", "n_past_fwd": "n_past_fwd",
}  # fmt: skip


def hmmer_counters(tophits) -> dict[str, int]:
    """HMMER's pipeline counters of a search, as pyhmmer keeps them with its hits."""
    state = tophits.__getstate__()["pipeline"]
    return {ours: int(state[theirs]) for ours, theirs in COUNTERS.items()}


def our_counters(pipeline: Pipeline) -> dict[str, int]:
    return {name: getattr(pipeline, name) for name in COUNTERS}


@pytest.fixture(scope="module")
def proteome(shared_data):
    from hmmer_reference import read_sequences

    path = shared_data / PROTEOME
    return read_fasta(path), read_sequences(path)


@pytest.mark.parametrize("source", ["pyhmmer/PF02826.hmm", "pyhmmer/Thioesterase.hmm",
                                    "tutorial/globins4.sto", "tutorial/fn3.sto",
                                    "tutorial/Pkinase.sto"])  # fmt: skip
@pytest.mark.parametrize("options", [
    {}, {"bias_filter": False}, {"F1": 0.1, "F2": 0.01, "F3": 1e-3},
])  # fmt: skip
def test_stage_counters_are_hmmsearchs(shared_data, proteome, source, options):
    """Every family against the proteome: as many sequences pass each filter as in HMMER."""
    from hmmer_reference import build_hmm, hmmsearch, read_hmm, to_profile_hmm

    path = shared_data / "protein" / source
    hmm = read_hmm(path) if source.endswith(".hmm") else build_hmm(path)
    records, digital = proteome
    results = search(to_profile_hmm(hmm), records, **options)
    expected = hmmer_counters(hmmsearch(hmm, digital, **options))
    assert our_counters(results.pipeline) == expected
    assert results.n_past_forward == expected["n_past_fwd"]
    assert (results.nseqs, results.nresidues) == (expected["n_sequences"], expected["n_residues"])


def test_with_filters_off_every_sequence_passes_every_stage(shared_data, proteome):
    from hmmer_reference import hmmsearch, read_hmm

    hmm = read_hmm(shared_data / "protein/pyhmmer/Thioesterase.hmm")
    records, digital = proteome
    results = search(read_hmmer(shared_data / "protein/pyhmmer/Thioesterase.hmm"),
                     records[:200], max=True)  # fmt: skip
    expected = hmmer_counters(hmmsearch(hmm, digital[:200], bias_filter=False, F1=1.0, F2=1.0,
                                        F3=1.0))  # fmt: skip
    assert our_counters(results.pipeline) == expected
    assert results.pipeline.n_past_fwd == 200


def test_scan_counts_each_querys_comparisons_as_hmmscan(shared_data, proteome):
    import pyhmmer
    from hmmer_reference import read_hmm

    protein = shared_data / "protein/pyhmmer"
    names = ["PF02826", "Thioesterase"]
    records, digital = proteome
    picked = [0, 1, 2] + [n for n, r in enumerate(records) if r.name.endswith(("_328", "_19"))]
    ours = scan([read_hmmer(protein / f"{name}.hmm") for name in names],
                [records[n] for n in picked])  # fmt: skip
    theirs = pyhmmer.hmmscan([digital[n] for n in picked],
                             [read_hmm(protein / f"{name}.hmm") for name in names], cpus=1)
    for result, tophits in zip(ours, theirs, strict=True):
        assert result.pipeline.mode == "scan"
        assert our_counters(result.pipeline) == hmmer_counters(tophits), result.query_name
    assert sum(r.pipeline.n_past_fwd for r in ours) >= 2


def test_pipelines_of_parts_add_up_to_the_whole(shared_data, proteome):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    records, _ = proteome
    whole = search(model, records).pipeline
    parts = [search(model, records[a : a + 700]).pipeline for a in range(0, 2100, 700)]
    assert parts[0] + parts[1] + parts[2] == whole
    with pytest.raises(ValueError, match="same options and mode"):
        parts[0] + Pipeline(PipelineOptions(E=1.0))


def test_statistics_summary_is_laid_out_as_hmmsearchs():
    """The summary of a published hmmsearch run (the model, database and counts it names),
    written from the same counters: line for line HMMER's, bar the timing lines."""
    hmmer = """\
Internal pipeline statistics summary:
-------------------------------------
Query model(s):                              1  (173 nodes)
Target sequences:                           64  (12693 residues searched)
Passed MSV filter:                         4  (0.0625); expected 1.3 (0.02)
Passed bias filter:                        3  (0.046875); expected 1.3 (0.02)
Passed Vit filter:                         2  (0.03125); expected 0.1 (0.001)
Passed Fwd filter:                         2  (0.03125); expected 0.0 (1e-05)
Initial search space (Z):                 64  [actual number of targets]
Domain search space  (domZ):               2  [number of targets reported over threshold]
"""
    pipeline = Pipeline(PipelineOptions(), "search", 1, 173, 64, 12693, 4, 3, 2, 2)
    results = _Summary(pipeline, Z=64.0, domZ=2.0)
    out = io.StringIO()
    write_pipeline_statistics(out, results)
    assert out.getvalue() == hmmer


def test_scan_summary_names_the_query_sequence_and_the_set_sizes():
    pipeline = Pipeline(PipelineOptions(Z=15438.0), "scan", 15438, 2695333, 1, 103, 734, 734,
                        113, 11)  # fmt: skip
    out = io.StringIO()
    write_pipeline_statistics(out, _Summary(pipeline, Z=15438.0, domZ=7.0))
    lines = out.getvalue().splitlines()
    assert lines[2:5] == [
        "Query sequence(s):                         1  (103 residues searched)",
        "Target model(s):                       15438  (2695333 nodes)",
        "Passed MSV filter:                       734  (0.047545); expected 308.8 (0.02)",
    ]
    assert lines[-2] == "Initial search space (Z):              15438  [as set by --Z on cmdline]"


class _Summary:
    """The parts of a search's results the summary reads."""

    def __init__(self, pipeline, Z, domZ):
        self.pipeline, self.Z, self.domZ = pipeline, Z, domZ


def test_search_results_carry_the_summary(shared_data, proteome):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    records, _ = proteome
    results = search(model, records, domZ=50)
    out = io.StringIO()
    write_pipeline_statistics(out, results)
    text = out.getvalue()
    assert "Target sequences:                         2100  (682583 residues searched)" in text
    assert text.endswith("Domain search space  (domZ):              50  "
                         "[as set by --domZ on cmdline]\n")  # fmt: skip
