"""Values a profile file may not hold: NaN, infinities, negative counts, integers too large
for C, and floods of blank lines, in HMMER3 headers, node lines and Stockholm annotation.

Each must be refused with the field and its line named; kept, they gave wrong results
(a NaN in COMPO: no hits; ``GA nan``: --cut_ga dropped every hit).
"""

from __future__ import annotations

import gzip
import io
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from refusals import FUZZ, read_or_refuse, refused, write

from hmmkit.profile import read_hmmer
from hmmkit.profile.io.alignments import read_alignment
from hmmkit.profile.io.hmmer3 import MAX_BLANK_RUN, read_hmmer_all

HMM_AREA = "HMMER3 model files (read_hmmer)"
MSA_AREA = "alignment files (read_alignment)"

#: What a damaged or hostile number field may say.
BAD_NUMBERS = ["nan", "NaN", "inf", "-inf", "-1", "-7.5", "1e309", "99999999999999999999999"]


@pytest.fixture(scope="module")
def hmmer_text(shared_data):
    """globins4 as hmmbuild writes it (COMPO, NSEQ, EFFN, CKSUM and MAP lines), with the
    Pfam cutoff lines and a MAXL line added."""
    import pyhmmer
    from pyhmmer import easel

    abc = easel.Alphabet.amino()
    path = shared_data / "protein/tutorial/globins4.sto"
    with easel.MSAFile(str(path), digital=True, alphabet=abc) as handle:
        msa = handle.read()
    msa.name = b"globins4"
    hmm, _, _ = pyhmmer.plan7.Builder(abc).build_msa(msa, pyhmmer.plan7.Background(abc))
    buffer = io.BytesIO()
    hmm.write(buffer)
    text = buffer.getvalue().decode()
    extra = "MAXL  300\nGA    25.10 25.10;\nTC    26.00 26.00;\nNC    24.00 24.00;\n"
    return text.replace("CKSUM", extra + "CKSUM")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("values")


def line_of(text: str, prefix: str) -> int:
    """1-based number of the first line of ``text`` starting with ``prefix``."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.startswith(prefix))


def replace_field(text: str, tag: str, value: str) -> str:
    return re.sub(rf"(?m)^{tag} .*$", f"{tag}  {value}", text, count=1)


def test_the_unchanged_file_reads(folder, hmmer_text):
    model = read_hmmer(write(folder, "fine.hmm", hmmer_text))
    assert model.max_length == 300 and model.gathering == (25.10, 25.10)
    assert np.all(np.isfinite(model.composition))


@pytest.mark.parametrize(
    ("case", "tag", "value", "match"),
    [
        ("GA nan (--cut_ga dropped real hits)", "GA", "nan nan;", "GA: score cutoff .* not finite"),
        ("TC inf", "TC", "inf inf;", "TC: score cutoff .* not finite"),
        ("NC -inf", "NC", "-inf;", "NC: score cutoff .* not finite"),
        ("NSEQ -3", "NSEQ", "-3", "NSEQ -3 is out of range"),
        ("MAXL -1", "MAXL", "-1", "MAXL -1 is out of range"),
        ("NSEQ too large for C", "NSEQ", "99999999999", "NSEQ 99999999999 is out of range"),
        ("EFFN nan", "EFFN", "nan", "EFFN must be finite"),
        ("EFFN inf", "EFFN", "inf", "EFFN must be finite"),
        ("EFFN -1", "EFFN", "-1", "EFFN must be finite and non-negative"),
        ("CKSUM -1", "CKSUM", "-1", "CKSUM -1 is out of range"),
    ],
)
def test_header_values(folder, hmmer_text, case, tag, value, match):
    text = replace_field(hmmer_text, tag, value)
    path = write(folder, "header.hmm", text)
    exc = refused(HMM_AREA, f"header {case}", lambda: read_hmmer(path), match=match)
    assert f"header.hmm, line {line_of(text, tag + ' ')}:" in str(exc)


def test_nan_in_compo(folder, hmmer_text):
    """One 'nan' in COMPO made search return no hits."""
    start = hmmer_text.index("  COMPO")
    fields = hmmer_text[start : hmmer_text.index("\n", start)].split()
    fields[4] = "nan"
    text = (
        hmmer_text[:start] + "  " + "  ".join(fields) + hmmer_text[hmmer_text.index("\n", start) :]
    )
    path = write(folder, "compo.hmm", text)
    exc = refused(HMM_AREA, "a 'nan' in the COMPO line", lambda: read_hmmer(path), match="COMPO")
    assert f"line {line_of(text, '  COMPO')}:" in str(exc) and "'nan'" in str(exc)


@pytest.mark.parametrize(
    ("case", "value", "match"),
    [
        ("a MAP column too large for C (OverflowError)", "99999999999999999999999", "out of range"),
        ("a negative MAP column", "-5", "MAP value -5 is out of range"),
    ],
)
def test_map_column(folder, hmmer_text, case, value, match):
    lines = hmmer_text.split("\n")
    number = next(n for n, line in enumerate(lines) if line.split()[:1] == ["1"])
    fields = lines[number].split()
    fields[21] = value
    lines[number] = "      " + " ".join(fields)
    path = write(folder, "map.hmm", "\n".join(lines))
    exc = refused(HMM_AREA, case, lambda: read_hmmer(path), match=match)
    assert f"line {number + 1}: node 1: MAP" in str(exc)


@pytest.mark.parametrize("where", ["a file", "the header"])
def test_a_flood_of_blank_lines_is_refused_quickly(folder, hmmer_text, where):
    """A 300 KB gzip of 300 million newlines kept read_hmmer busy for minutes: reading
    stops after MAX_BLANK_RUN blank lines in a row."""
    path = folder / "blank.hmm.gz"
    head = "" if where == "a file" else hmmer_text[: hmmer_text.index("NSEQ")]
    with gzip.open(path, "wt", compresslevel=9) as handle:
        handle.write(head)
        for _ in range(300):
            handle.write("\n" * 1_000_000)
    assert path.stat().st_size < 400_000
    refused(
        HMM_AREA,
        f"a gzip of 300 million blank lines ({where})",
        lambda: read_hmmer(path),
        match=f"{MAX_BLANK_RUN} blank lines in a row",
    )


def test_blank_lines_between_models_still_read(folder, hmmer_text):
    path = write(folder, "spaced.hmm", hmmer_text + "\n" * 500 + hmmer_text)
    assert len(read_hmmer_all(path)) == 2


# --------------------------------------------------------------------------- fuzzing


def replace_number(data, text: str) -> str:
    """``text`` with one of its number fields (header value or node field) made bad."""
    spans = [m.span() for m in re.finditer(r"(?<=\s)-?\d+(\.\d+)?(?=\s)", text)]
    start, end = data.draw(st.sampled_from(spans))
    return text[:start] + data.draw(st.sampled_from(BAD_NUMBERS)) + text[end:]


@FUZZ
@given(data=st.data())
def test_bad_numbers_in_hmmer_files(folder, hmmer_text, data):
    """Any number field turned NaN, infinite, negative or huge: read as a valid model (a
    negative log probability can still give a distribution), or refused with the line."""
    path = write(folder, "fuzzed.hmm", replace_number(data, hmmer_text))
    for model in read_or_refuse(lambda: read_hmmer_all(path)) or []:
        model.validate()
        assert all(np.all(np.isfinite(v)) for v in model.stats.values())
        for value in (model.nseq, model.max_length, model.effn):
            assert value is None or 0 <= value < 2**31
        for cut in (model.gathering, model.trusted, model.noise):
            assert cut is None or np.all(np.isfinite(cut))
        if model.composition is not None:
            assert np.all(np.isfinite(model.composition))
        if model.alignment_map is not None:
            assert np.all((model.alignment_map >= 0) & (model.alignment_map < 2**31))


# --------------------------------------------------------------------------- Stockholm

ROW = "ACDEFGHIKL"


def sto(*lines: str) -> str:
    return "# STOCKHOLM 1.0\n" + "".join(line + "\n" for line in lines) + "//\n"


STOCKHOLM_CASES = [
    # (case, text, message, line named); Easel refuses each of them too
    (
        "a second #=GS <name> AC line (was a bare AssertionError)",
        sto("#=GS a AC P1", "#=GS a AC P2", f"a {ROW}", f"b {ROW}"),
        "a second #=GS a AC line",
        3,
    ),
    (
        "a second #=GS <name> DE line",
        sto("#=GS a DE one", "#=GS a DE two", f"a {ROW}", f"b {ROW}"),
        "a second #=GS a DE line",
        3,
    ),
    (
        "a #=GR line of the wrong length (was Biopython's TypeError)",
        sto(f"a {ROW}", "#=GR a PP 99999", f"b {ROW}"),
        "#=GR a PP has 5 aligned columns, line 2 of the same block 10",
        3,
    ),
    (
        "a #=GC line of the wrong length",
        sto(f"a {ROW}", f"b {ROW}", "#=GC RF xxxx"),
        "#=GC RF has 4 aligned columns",
        4,
    ),
    (
        "a sequence row of another length than its block",
        sto(f"a {ROW}", f"b {ROW[:-1]}"),
        "sequence 'b' has 9 aligned columns",
        3,
    ),
    (
        "a sequence line without aligned text (was without a line number)",
        sto(f"a {ROW}", "b"),
        "sequence line 'b' has no aligned text",
        3,
    ),
    ("#=GF GA 1e309", sto("#=GF GA 1e309 1e309;", f"a {ROW}"), "#=GF GA .* is not finite", 2),
    ("#=GF TC nan", sto("#=GF TC nan nan;", f"a {ROW}"), "#=GF TC .* is not finite", 2),
    ("#=GF NC not a number", sto("#=GF NC x;", f"a {ROW}"), "#=GF NC .* is not a score", 2),
    ("a #=GC line without text", sto(f"a {ROW}", "#=GC RF"), "#=GC line needs", 3),
    ("a #=GS line without a tag", sto("#=GS a", f"a {ROW}"), "#=GS line needs", 2),
    ("a #=GR line without text", sto(f"a {ROW}", "#=GR a PP"), "#=GR line needs", 3),
    (
        "#=GR for a sequence the alignment lacks",
        sto(f"a {ROW}", "#=GR z PP 9999999999"),
        "sequence 'z', which the alignment does not hold",
        3,
    ),
    (
        "#=GS for a sequence the alignment lacks",
        sto("#=GS z DE nothing", f"a {ROW}"),
        "sequence 'z', which the alignment does not hold",
        2,
    ),
    (
        "a #=GC feature twice in one block",
        sto(f"a {ROW}", f"#=GC RF {'x' * 10}", f"#=GC RF {'x' * 10}"),
        "a second #=GC RF line in one block",
        4,
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "match", "number"), STOCKHOLM_CASES, ids=[c[0] for c in STOCKHOLM_CASES]
)
def test_stockholm_annotation(folder, case, text, match, number):
    """Each refused naming the file and line; Easel (pyhmmer) refuses the same files,
    except the non-finite or unreadable score cutoffs, which it keeps as text."""
    from pyhmmer import easel

    path = write(folder, "annotated.sto", text)
    exc = refused(
        MSA_AREA, f"Stockholm: {case}", lambda: read_alignment(path, "amino"), match=match
    )
    assert str(exc).startswith(f"{path}: Stockholm line {number}:"), str(exc)
    if "#=GF" not in match:
        with pytest.raises(ValueError):
            with easel.MSAFile(str(path), "stockholm") as handle:
                handle.read()


def test_stockholm_annotation_that_reads(folder):
    """Well-formed #=GS, #=GR and #=GC lines over two blocks read as Easel reads them."""
    text = (
        "# STOCKHOLM 1.0\n#=GF ID demo\n#=GF GA 25.0 20.0;\n#=GS a AC P1\n#=GS b DE two words\n"
        f"a {ROW}\n#=GR a PP {'9' * 10}\nb {ROW.lower()}\n#=GC RF {'x' * 10}\n\n"
        f"a {ROW}\nb {ROW}\n#=GR a PP {'8' * 10}\n#=GC RF {'.' * 10}\n//\n"
    )
    msa = read_alignment(write(folder, "good.sto", text), "amino")
    assert msa.names == ["a", "b"] and msa.alen == 20 and msa.name == "demo"
    assert msa.reference == "x" * 10 + "." * 10 and msa.gathering == (25.0, 20.0)


def test_stockholm_reading_is_linear(folder):
    """80,000 one-residue sequences (the check was quadratic: 47 s) read in one pass; the
    time is measured by benchmarks/profile_parsers.py, here the result is checked."""
    n = 80_000
    text = (
        "# STOCKHOLM 1.0\n" + "".join(f"s{i} {'ACDEFGHIKL'[i % 10]}\n" for i in range(n)) + "//\n"
    )
    msa = read_alignment(write(folder, "many.sto", text), "amino")
    assert msa.nseq == n and msa.alen == 1 and msa.names[-1] == f"s{n - 1}"


MARKUP = re.compile(r"(?m)^#=G[SRC] .*$")


def mutate_markup(data, text: str) -> str:
    """A copy of ``text`` with one markup line damaged: duplicated, cut short, stripped
    of its text, or its aligned text lengthened."""
    spans = [m.span() for m in MARKUP.finditer(text)]
    start, end = data.draw(st.sampled_from(spans))
    line = text[start:end]
    kind = data.draw(st.sampled_from(["duplicate", "cut", "strip", "lengthen", "cutoff"]))
    if kind == "duplicate":
        line = line + "\n" + line
    elif kind == "cut":
        line = line[: data.draw(st.integers(4, len(line) - 1))]
    elif kind == "strip":
        line = " ".join(line.split()[:-1])
    elif kind == "lengthen":
        line = line + "x"
    else:
        line = line + "\n#=GF GA " + data.draw(st.sampled_from(BAD_NUMBERS))
    return text[:start] + line + text[end:]


@FUZZ
@given(data=st.data())
def test_damaged_stockholm_markup(folder, shared_data, data):
    """Pkinase.sto (#=GS, #=GR and #=GC lines over many blocks) with one markup line
    damaged: read, or refused with a ValueError naming the file and line."""
    original = (shared_data / "protein/tutorial/Pkinase.sto").read_text()
    path = write(folder, "damaged.sto", mutate_markup(data, original))
    try:
        msa = read_alignment(path)
    except ValueError as exc:
        assert str(exc).startswith(f"{path}: Stockholm line "), str(exc)
        return
    assert msa.codes.shape == (len(msa.names), msa.alen)
    assert msa.gathering is None or np.all(np.isfinite(msa.gathering))
