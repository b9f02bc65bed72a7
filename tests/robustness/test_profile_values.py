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
from hmmkit.profile.hmmer_format import MAX_BLANK_RUN, read_hmmer_all

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
