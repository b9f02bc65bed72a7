"""hmmkit search against HMMER's hmmsearch (pyhmmer) and HMMER's published tblout."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from hmmkit.profile import read_hmmer
from hmmkit.profile.search import search

PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def parse_tblout(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            fields = line.split(None, 18)
            rows[fields[0]] = fields
    return rows


@pytest.fixture(scope="module")
def pf02826_results(shared_data):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    return search(model, shared_data / PROTEOME)


def test_pf02826_reproduces_hmmer_tblout(shared_data, pf02826_results):
    """Same 22 hits as HMMER's PF02826.tbl; every numeric column agrees."""
    expected = parse_tblout((shared_data / "protein/pyhmmer/PF02826.tbl").read_text())
    got = parse_tblout(pf02826_results.tblout())
    assert len(expected) == 22
    assert set(got) == set(expected)
    for name, row in expected.items():
        mine = got[name]
        for col in (5, 8):  # full-sequence and best-domain bit scores
            assert float(mine[col]) == pytest.approx(float(row[col]), abs=0.5)
        for col in (4, 7):  # E-values, as printed (2 significant digits)
            assert float(mine[col]) == pytest.approx(float(row[col]), rel=0.15)
        assert mine[2:4] == row[2:4]
        assert mine[10:18] == row[10:18], name  # domain number estimation columns
        assert mine[18] == row[18]  # description


def test_tblout_layout_is_hmmers(shared_data, pf02826_results):
    """Header and column widths are byte-identical to hmmsearch's per-target table."""
    ours = pf02826_results.tblout().splitlines()
    ref = (shared_data / "protein/pyhmmer/PF02826.tbl").read_text().splitlines()
    assert ours[:3] == ref[:3]
    first = next(line for line in ours if not line.startswith("#"))
    assert first == ref[3]
    buf = io.StringIO()
    pf02826_results.write_tblout(buf, header=False)
    assert not buf.getvalue().startswith("#")


@pytest.mark.parametrize(
    "family", ["tutorial/globins4.sto", "tutorial/fn3.sto", "tutorial/Pkinase.sto",
               "pyhmmer/LuxC.sto"],
)  # fmt: skip
def test_hmmer_built_models_give_hmmers_hits(shared_data, family):
    """hmmkit's search with a HMMER-built model: HMMER's hits at E <= 0.01, bits within 0.5,
    both in default mode and with every filter off (hmmsearch --max)."""
    from hmmer_reference import build_hmm, hmmsearch, read_sequences, to_profile_hmm

    hmm = build_hmm(shared_data / "protein" / family)
    model = to_profile_hmm(hmm)
    seqs = read_sequences(shared_data / PROTEOME)
    modes = [{}, {"bias_filter": False, "F1": 1.0, "F2": 1.0, "F3": 1.0}]
    if "LuxC" in family:  # M=400: filters-off mode is the slowest case; default mode only
        modes = modes[:1]
    for options in modes:
        ref = {h.name: h for h in hmmsearch(hmm, seqs, **options) if h.reported}
        ours = {h.name: h for h in search(model, shared_data / PROTEOME, **options)}
        assert {n for n, h in ours.items() if h.evalue <= 0.01} == {
            n for n, h in ref.items() if h.evalue <= 0.01
        }
        assert set(ours) == set(ref)
        for name in ref:
            assert ours[name].score == pytest.approx(ref[name].score, abs=0.5)
            assert len(ours[name].domains) == len(ref[name].domains)


def dna_targets(tmp_path, members, seed=0):
    """A FASTA of random DNA; every third sequence holds a mutated family member, every
    seventh an AT repeat (which the bias filter and null2 must handle)."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(120):
        seq = list(rng.choice(list("ACGT"), size=int(rng.integers(200, 2000))))
        if i % 3 == 0:
            member = list(members[rng.integers(len(members))])
            for k in np.flatnonzero(rng.random(len(member)) < 0.15):
                member[k] = rng.choice(list("ACGT"))
            at = int(rng.integers(0, len(seq)))
            seq[at:at] = member
        if i % 7 == 0:
            at = int(rng.integers(0, len(seq)))
            seq[at:at] = list("AT" * int(rng.integers(20, 80)))
        records.append(f">seq{i}\n{''.join(seq)}\n")
    path = tmp_path / "targets.fa"
    path.write_text("".join(records))
    return path


@pytest.mark.parametrize("max_mode", [False, True])
def test_dna_model_gives_hmmsearchs_hits_domains_and_evalues(shared_data, tmp_path, max_mode):
    """A DNA family (MADE1) against DNA targets: hmmsearch's hits, scores and domains."""
    from hmmer_reference import build_hmm, hmmsearch, read_sequences, to_profile_hmm

    from hmmkit.profile import read_alignment

    source = shared_data / "protein/tutorial/MADE1.sto"
    hmm = build_hmm(source, dna=True)
    members = [row.replace("-", "") for row in read_alignment(source, "DNA").text()]
    targets = dna_targets(tmp_path, members)
    options = {"bias_filter": False, "F1": 1.0, "F2": 1.0, "F3": 1.0} if max_mode else {}
    ref = {h.name: h for h in hmmsearch(hmm, read_sequences(targets, dna=True), **options)}
    ref = {n.decode() if isinstance(n, bytes) else n: h for n, h in ref.items() if h.reported}
    ours = {h.name: h for h in search(to_profile_hmm(hmm), targets, **options)}
    assert len(ref) >= 40 and set(ours) == set(ref)
    for name, theirs in ref.items():
        mine = ours[name]
        assert mine.score == pytest.approx(theirs.score, abs=0.01)
        assert mine.evalue == pytest.approx(theirs.evalue, rel=1e-3)
        for a, b in zip(mine.domains, theirs.domains, strict=True):
            assert (a.env_from, a.env_to) == (b.env_from, b.env_to)
            assert a.score == pytest.approx(b.score, abs=0.01)
            assert a.c_evalue == pytest.approx(b.c_evalue, rel=1e-3)


def test_search_accepts_sequence_lists_and_validates(shared_data):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    from hmmkit.profile.io.fasta import read_fasta

    records = read_fasta(shared_data / PROTEOME)
    hit_names = {"938293.PRJEB85.HG003685_328", "938293.PRJEB85.HG003689_19"}
    subset = [(r.name, r.residues) for r in records if r.name in hit_names]
    results = search(model, subset, Z=2100)
    assert {h.name for h in results} == hit_names
    best = results.reported()[0]
    assert best.domains[best.best_domain].env_from <= best.domains[best.best_domain].ali_from
    with pytest.raises(ValueError, match="E must be > 0"):
        search(model, subset, E=0)
    with pytest.raises(ValueError, match="not amino residues"):
        search(model, [("bad", "MKV1")])
    with pytest.raises(ValueError, match=r"^third: characters '1' are not amino"):
        search(model, [("first", "MK V"), ("second", ""), ("third", "MKV1"), ("fourth", "M2")])


def test_unusual_residues_score_as_in_hmmer(shared_data):
    """Degenerate codes and internal stop codons ('*', which HMMER's vectorized DP lets
    insert states emit) give HMMER's scores, hits and domains (hmmsearch --max)."""
    from hmmer_reference import hmmsearch, read_hmm
    from pyhmmer import easel

    from hmmkit.profile.io.fasta import read_fasta

    hmm = read_hmm(shared_data / "protein/pyhmmer/PF02826.hmm")
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    records = read_fasta(shared_data / PROTEOME)[:150]
    odd = "X*BZJUO"
    edited = [
        (r.name, r.residues[: len(r.residues) // 2] + odd[n % len(odd)] * (1 + n % 3)
         + r.residues[len(r.residues) // 2 :])
        for n, r in enumerate(records)
    ]  # fmt: skip
    abc = easel.Alphabet.amino()
    block = easel.TextSequenceBlock(
        [easel.TextSequence(name=name.encode(), sequence=seq) for name, seq in edited]
    ).digitize(abc)
    options = {"bias_filter": False, "F1": 1.0, "F2": 1.0, "F3": 1.0, "E": 1e9, "domE": 1e9}
    ref = {h.name: h for h in hmmsearch(hmm, block, **options)}
    ours = {h.name: h for h in search(model, edited, **options)}
    assert set(ours) == set(ref)
    for name, hit in ref.items():
        assert ours[name].pre_score == pytest.approx(hit.pre_score, abs=0.01)
        assert ours[name].score == pytest.approx(hit.score, abs=0.05)
        assert len(ours[name].domains) == len(hit.domains)


def test_multicore_scan_agrees_with_one_core(shared_data):
    from hmmkit.profile import dp
    from hmmkit.profile.config import configure
    from hmmkit.profile.digital import digitize
    from hmmkit.profile.io.fasta import read_fasta

    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    codes = [digitize(r.residues, model.alphabet) for r in read_fasta(shared_data / PROTEOME)]
    lengths = np.array([len(c) for c in codes])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    profile = configure(model)
    one = dp.forward_scores(profile, np.concatenate(codes), offsets, lengths, n_jobs=1)
    two = dp.forward_scores(profile, np.concatenate(codes), offsets, lengths, n_jobs=2)
    np.testing.assert_array_equal(one, two)


def _hit_numbers(hit) -> tuple:
    """Every number search gives a hit and its domains (compared bit for bit)."""
    domains = tuple(
        (d.env_from, d.env_to, d.ali_from, d.ali_to, d.hmm_from, d.hmm_to, d.env_score,
         d.correction, d.score, d.bias, d.lnP, d.accuracy)
        for d in hit.domains
    )  # fmt: skip
    return (hit.score, hit.pre_score, hit.sum_score, hit.bias, hit.lnP, hit.nexpected,
            hit.nregions, hit.nclustered, hit.nenvelopes, domains)  # fmt: skip


MAX = dict(F1=1.0, F2=1.0, F3=1.0, bias_filter=False)


def test_search_on_two_threads_gives_the_one_thread_results(shared_data):
    """Domain definition split over threads (--max: every sequence is defined) changes
    nothing: the same hits, domains, scores and tables, bit for bit."""
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    one = search(model, shared_data / PROTEOME, n_jobs=1, **MAX)
    two = search(model, shared_data / PROTEOME, n_jobs=2, **MAX)
    assert len(one.hits) > 1000
    assert one.tblout() == two.tblout()
    for a, b in zip(one.hits, two.hits, strict=True):
        assert a.name == b.name
        assert _hit_numbers(a) == _hit_numbers(b), a.name


def test_domain_definition_in_blocks_and_parts_changes_nothing(shared_data, monkeypatch):
    """The sequences past Forward decoded and defined in blocks (here of 300, so that the
    proteome's 2,100 take seven, the last one smaller), each decoded in one lane batch per
    thread and defined in parts of 3 that two threads take in turn: every hit as one
    block on one thread, bit for bit."""
    from hmmkit.profile.search import scoring

    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    one = search(model, shared_data / PROTEOME, n_jobs=1, **MAX)
    monkeypatch.setattr(scoring, "DEFINE_BLOCK", 300)
    monkeypatch.setattr(scoring, "DEFINE_PART", 3)
    for jobs in (1, 2):
        other = search(model, shared_data / PROTEOME, n_jobs=jobs, **MAX)
        assert one.tblout() == other.tblout()
        assert [_hit_numbers(h) for h in one.hits] == [_hit_numbers(h) for h in other.hits]


def test_filters_in_blocks_on_two_threads_change_nothing(shared_data, monkeypatch):
    """The default pipeline with its filters taken block by block (blocks of 64 sequences,
    so that the proteome makes 33 that two threads take in turn), thresholds loosened so
    that every stage has work (Viterbi runs decided at once and deferred, hundreds of
    sequences defined): the one-thread hits, bit for bit, and the same stage counters."""
    from hmmkit.profile.search import scoring

    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    loose = dict(F1=0.3, F2=0.05, F3=0.02)
    one = search(model, shared_data / PROTEOME, n_jobs=1, **loose)
    monkeypatch.setattr(scoring, "FILTER_BLOCK", 64)
    two = search(model, shared_data / PROTEOME, n_jobs=2, **loose)
    counts = [(p.n_past_msv, p.n_past_bias, p.n_past_vit, p.n_past_fwd)
              for p in (one.pipeline, two.pipeline)]  # fmt: skip
    assert counts[0] == counts[1]
    assert counts[0][1] > counts[0][2] > counts[0][3] > 200  # every gate decides something
    assert one.tblout() == two.tblout()
    assert [_hit_numbers(h) for h in one.hits] == [_hit_numbers(h) for h in two.hits]


def test_search_results_do_not_depend_on_the_batch_around_a_sequence(shared_data):
    """A sequence gets the same hit whatever it is searched with: the proteome shuffled
    and cut into parts of 1 to 1,300 sequences (so that its Forward score comes from the
    one-at-a-time kernel, the narrow or the full lane kernel, and its domains from the
    one-sequence or the batch decoding), each part after a filler sequence of random length
    (every sequence lands at another offset of the packed batch) and searched on one or
    two threads, gives every hit of the whole-proteome search, bit for bit."""
    from hmmkit.profile.io.fasta import Sequence, read_fasta

    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    records = read_fasta(shared_data / PROTEOME)
    whole = {hit.name: _hit_numbers(hit) for hit in search(model, records, **MAX).hits}
    assert len(whole) > 1000
    rng = np.random.default_rng(5)
    order = rng.permutation(len(records))
    sizes = (1, 2, 3, 5, 7, 8, 20, 127, 128, 511, 512)
    bounds = np.cumsum((0, *sizes, len(records) - sum(sizes)))
    seen = 0
    for n, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        filler = "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), size=rng.integers(1, 60)))
        part = [Sequence("filler", filler)] + [records[i] for i in order[a:b]]
        for hit in search(model, part, n_jobs=1 + n % 2, **MAX).hits:
            if hit.name != "filler":
                assert _hit_numbers(hit) == whole[hit.name], (b - a, hit.name)
                seen += 1
    assert seen == len(whole)


def test_touching_domains_are_cut_into_hmmers_regions(shared_data):
    """Two of seven LuxC domains touch (no linker): the posterior that ends the first falls
    within 3e-6 of HMMER's threshold, on one side in double precision and on the other in
    HMMER's single precision. The regions, envelopes and every table column are hmmsearch's
    (seven regions, none clustered; in double precision six, one of them clustered into
    862-1263 against HMMER's 862-1262). The sequence: domains emitted from HMMER's LuxC
    model joined by random linkers."""
    from hmmer_reference import build_hmm, hmmsearch, read_sequences, to_profile_hmm

    path = Path(__file__).with_name("luxc_tandem.fa")
    hmm = build_hmm(shared_data / "protein/pyhmmer/LuxC.sto")
    options = dict(MAX, E=1000, domE=1000)
    ref = hmmsearch(hmm, read_sequences(path), **options)
    ours = search(to_profile_hmm(hmm), path, **options)
    for fmt, table in (("targets", ours.tblout()), ("domains", _domtblout(ours))):
        buf = io.BytesIO()
        ref.write(buf, format=fmt, header=False)
        assert [line for line in table.splitlines() if line[:1] != "#"] == (
            buf.getvalue().decode().splitlines())  # fmt: skip
    (hit,) = ours.hits
    assert (hit.nregions, hit.nclustered, len(hit.domains)) == (7, 0, 7)
    assert (hit.domains[2].env_from, hit.domains[2].env_to) == (862, 1262)


def _domtblout(results) -> str:
    out = io.StringIO()
    results.write_domtblout(out)
    return out.getvalue()


@pytest.mark.parametrize("max_mode", [False, True])
def test_tables_are_hmmers(shared_data, max_mode):
    """Every reported hit and domain (envelope, alignment and model coordinates, scores,
    E-values, accuracy): hmmsearch's --tblout and --domtblout rows, byte for byte (HMMER 3.4
    via pyhmmer)."""
    from hmmer_reference import hmmsearch, read_hmm, read_sequences

    options = {"bias_filter": False, "F1": 1.0, "F2": 1.0, "F3": 1.0} if max_mode else {}
    hmm = read_hmm(shared_data / "protein/pyhmmer/PF02826.hmm")
    ref = hmmsearch(hmm, read_sequences(shared_data / PROTEOME), **options)
    buf = io.BytesIO()
    ref.write(buf, format="domains")
    expected = [line for line in buf.getvalue().decode().splitlines() if line]
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    results = search(model, shared_data / PROTEOME, **options)
    out = io.StringIO()
    results.write_domtblout(out)
    got = out.getvalue().splitlines()
    assert got[:3] == expected[:3]
    rows = [line for line in expected if not line.startswith("#")]
    assert len(rows) > 30
    assert [line for line in got if not line.startswith("#")] == rows
    buf = io.BytesIO()
    ref.write(buf, format="targets")
    targets = [line for line in buf.getvalue().decode().splitlines() if line[:1] not in "#"]
    assert [line for line in results.tblout().splitlines() if line[:1] not in "#"] == targets


@pytest.mark.parametrize("filters", [{"F1": 1.0}, {"F1": 1.0, "F2": 0.01}, {"F2": 1.0}])
def test_opened_filter_gates_give_hmmsearchs_hits(shared_data, filters):
    """With F1 opened the MSV P-value still decides whether the Viterbi filter runs, as in
    HMMER's pipeline (F1=1 used to drop a hit hmmsearch reports)."""
    from hmmer_reference import hmmsearch, read_hmm, read_sequences

    path = shared_data / "protein/pyhmmer/PF02826.hmm"
    ours = search(read_hmmer(path), shared_data / PROTEOME, **filters)
    theirs = hmmsearch(read_hmm(path), read_sequences(shared_data / PROTEOME), **filters)
    names = {h.name.decode() if isinstance(h.name, bytes) else h.name for h in theirs.reported}
    assert {h.name for h in ours.hits if h.reported} == names


@pytest.mark.parametrize("all_consensus_columns", [True, False])
@pytest.mark.parametrize(
    "query,targets",
    [("pyhmmer/PF02826.hmm", PROTEOME), ("tutorial/Pkinase.sto", PROTEOME),
     ("tutorial/globins4.sto", "protein/tutorial/globins45.fa")],
)  # fmt: skip
def test_alignment_of_included_domains_is_hmmsearch_A(
    shared_data, query, targets, all_consensus_columns
):
    """Byte for byte the Stockholm file hmmsearch -A writes (rows, PP lines, PP_cons, RF)."""
    from hmmer_reference import build_hmm, hmmsearch, read_hmm, read_sequences, to_profile_hmm

    path = shared_data / "protein" / query
    hmm = read_hmm(path) if query.endswith(".hmm") else build_hmm(path)
    hits = hmmsearch(hmm, read_sequences(shared_data / targets))
    msa = hits.to_msa(hmm.alphabet, all_consensus_cols=all_consensus_columns)
    msa.name, msa.accession, msa.description = hmm.name, hmm.accession, hmm.description
    buf = io.BytesIO()
    msa.write(buf, "stockholm")
    results = search(to_profile_hmm(hmm), shared_data / targets)
    aln = results.alignment(all_consensus_columns=all_consensus_columns)
    assert len(aln) == sum(d.included for h in results.included() for d in h.domains) >= 4
    assert aln.to_stockholm() == buf.getvalue().decode()


def test_alignment_is_none_without_included_domains(shared_data):
    model = read_hmmer(shared_data / "protein/pyhmmer/PF02826.hmm")
    results = search(model, [("random", "MKVLAAGIVGLPNVGKSTLFNALTKAG")])
    assert results.alignment() is None


@pytest.mark.parametrize(
    "query,targets",
    [("pyhmmer/PF02826.hmm", PROTEOME), ("pyhmmer/Thioesterase.hmm", PROTEOME),
     ("tutorial/Pkinase.sto", PROTEOME),
     ("tutorial/globins4.sto", "protein/tutorial/globins45.fa")],
)  # fmt: skip
def test_domain_alignment_lines_are_hmmsearchs(shared_data, query, targets):
    """Model, match, target and posterior lines of every reported domain as HMMER's."""
    from hmmer_reference import build_hmm, hmmsearch, read_hmm, read_sequences, to_profile_hmm

    from hmmkit.profile.alidisplay import AlignmentDisplay

    path = shared_data / "protein" / query
    hmm = read_hmm(path) if query.endswith(".hmm") else build_hmm(path)
    ref = {
        h.name.decode() if isinstance(h.name, bytes) else h.name: h
        for h in hmmsearch(hmm, read_sequences(shared_data / targets))
        if h.reported
    }
    model = to_profile_hmm(hmm)
    display = AlignmentDisplay(model)
    n = 0
    for hit in search(model, shared_data / targets).reported():
        theirs = [d.alignment for d in ref[hit.name].domains if d.reported]
        mine = [display.domain(d) for d in hit.domains if d.reported]
        for a, b in zip(mine, theirs, strict=True):
            assert (a.model, a.match, a.target, a.posteriors) == (
                b.hmm_sequence,
                b.identity_sequence,
                b.target_sequence,
                b.posterior_probabilities,
            ), hit.name
            assert (a.hmm_from, a.hmm_to, a.target_from, a.target_to) == (
                b.hmm_from,
                b.hmm_to,
                b.target_from,
                b.target_to,
            )
            n += 1
    assert n >= 1


def test_msv_gate_keeps_exactly_what_the_exact_test_keeps():
    """The gate refuses scores far below its edge without the exact P-value; what it keeps,
    and the log P-values it records, equal testing every candidate."""
    import math
    import sys

    from hmmkit.profile.search.evalues import gumbel_logsurv

    search_module = sys.modules["hmmkit.profile.search.scoring"]
    mu, lam, F1 = -9.87, 0.7096, 0.02
    edge = mu - math.log(-math.log1p(-F1)) / lam
    rng = np.random.default_rng(0)
    bits = np.concatenate([rng.normal(-12, 4, 500), edge + np.array([-1e-12, 0.0, 1e-12]),
                           [np.inf, 40.0]])  # fmt: skip
    null = rng.normal(-6, 1, len(bits))
    usc = null + bits * math.log(2.0)
    candidates = np.arange(len(bits))
    logP = np.full(len(bits), np.nan)
    kept = search_module.msv_gate(candidates, usc, null, (mu, lam), F1, logP)
    exact = [
        i
        for i in candidates
        if gumbel_logsurv((usc[i] - null[i]) / math.log(2.0), mu, lam) <= math.log(F1)
    ]
    assert kept.tolist() == exact and len(exact) > 3
    for i in kept:
        assert logP[i] == gumbel_logsurv((usc[i] - null[i]) / math.log(2.0), mu, lam)
