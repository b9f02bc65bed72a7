"""PipelineOptions: one value for every search entry point, checked in one place."""

from __future__ import annotations

import dataclasses
import math

import pytest

from hmmkit.cli import build_parser
from hmmkit.profile import PipelineOptions, read_hmmer
from hmmkit.profile.commands.options import pipeline_options
from hmmkit.profile.io.fasta import read_fasta
from hmmkit.profile.search import search

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def test_defaults_are_hmmsearchs():
    options = PipelineOptions()
    assert (options.E, options.domE, options.incE, options.incdomE) == (10.0, 10.0, 0.01, 0.01)
    assert (options.F1, options.F2, options.F3) == (0.02, 1e-3, 1e-5)
    assert options.bias_filter and options.null2 and not options.max
    assert (options.T, options.Z, options.domZ, options.cutoffs, options.seed) == (
        None, None, None, None, 42)  # fmt: skip


@pytest.mark.parametrize("label, value, message", [
    ("E", 0.0, "E must be > 0"),
    ("incdomE", -1.0, "incdomE must be > 0"),
    ("domE", math.nan, "domE must be > 0"),
    ("F1", 0.0, r"F1 must be in \(0, 1\]"),
    ("F3", 1.5, r"F3 must be in \(0, 1\]"),
    ("Z", 0.0, "Z must be a positive number of comparisons"),
    ("domZ", math.inf, "domZ must be a positive number of comparisons"),
    ("cutoffs", "gathering", "cutoffs must be one of"),
])  # fmt: skip
def test_an_option_out_of_range_is_named(label, value, message):
    with pytest.raises(ValueError, match=message):
        PipelineOptions(**{label: value})
    with pytest.raises(ValueError, match=message):  # replace() checks again
        PipelineOptions().replace(**{label: value})


def test_max_opens_every_filter_whatever_was_asked():
    options = PipelineOptions(max=True, F1=0.5, F3=1e-3)
    assert (options.F1, options.F2, options.F3, options.bias_filter) == (1.0, 1.0, 1.0, False)
    assert options.replace(F2=0.1).F2 == 1.0


def test_keywords_and_options_build_the_same_value():
    base = PipelineOptions(E=1e-3)
    assert PipelineOptions.of(None, E=1e-3) == base
    assert PipelineOptions.of(base) is base
    assert PipelineOptions.of(base, incE=1e-5) == PipelineOptions(E=1e-3, incE=1e-5)
    with pytest.raises(TypeError, match="unknown search option.*incdome"):
        PipelineOptions.of(None, incdome=1.0)
    with pytest.raises(TypeError, match="options must be a PipelineOptions"):
        PipelineOptions.of({"E": 1.0})
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.E = 1.0


def test_bit_thresholds_come_from_the_model_with_cutoffs(shared_data):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    assert PipelineOptions(T=20.0, incdomT=5.0).bit_thresholds(model) == (20.0, None, None, 5.0)
    seq, dom = model.gathering
    assert PipelineOptions(cutoffs="ga").bit_thresholds(model) == (seq, seq, dom, dom)
    model.trusted = None
    with pytest.raises(ValueError, match=r"has no trusted \(TC\) bit score thresholds"):
        PipelineOptions(cutoffs="tc").bit_thresholds(model)


def test_command_line_builds_the_options_it_names():
    parser = build_parser()
    args = parser.parse_args(["search", "--cut_tc", "-E", "0.5", "--incdomE", "1e-4", "--F2",
                              "0.01", "--nobias", "--nonull2", "-Z", "100", "--seed", "7",
                              "m.hmm", "db.fa"])  # fmt: skip
    assert pipeline_options(args) == PipelineOptions(
        E=0.5, incdomE=1e-4, F2=0.01, bias_filter=False, null2=False, Z=100.0, seed=7,
        cutoffs="tc",
    )  # fmt: skip
    args = parser.parse_args(["search", "--max", "m.hmm", "db.fa"])
    assert pipeline_options(args) == PipelineOptions(max=True)
    args = parser.parse_args(["jackhmmer", "q.fa", "db.fa"])
    assert pipeline_options(args) == PipelineOptions(incE=1e-3, incdomE=1e-3)


def test_search_with_options_equals_search_with_keywords(shared_data):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    records = read_fasta(shared_data / PROTEOME)[:300]
    by_keywords = search(model, records, E=1.0, domE=1.0, incE=1e-3, Z=2100)
    by_options = search(model, records, options=PipelineOptions(E=1.0, domE=1.0, incE=1e-3),
                        Z=2100)  # fmt: skip
    assert by_keywords.tblout() == by_options.tblout()
    assert by_keywords.pipeline == by_options.pipeline
    assert by_options.pipeline.options == PipelineOptions(E=1.0, domE=1.0, incE=1e-3, Z=2100)
