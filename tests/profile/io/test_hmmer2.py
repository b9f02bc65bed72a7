"""HMMER2 model files: read as HMMER3 (pyhmmer) reads them, written out as hmmconvert does."""

from __future__ import annotations

import io

import numpy as np
import pyhmmer
import pytest

from hmmkit.cli import main
from hmmkit.profile import read_hmmer, read_hmmer_all
from hmmkit.profile.io.hmmer3 import format_hmmer
from hmmkit.profile.io.hmmer3_binary import format_hmmer_binary

H2 = "protein/pyhmmer/Thioesterase.hmm2"
PROTEOME = "protein/pyhmmer/938293.PRJEB85.HG003687.faa"


def hmmer_models(path):
    with pyhmmer.plan7.HMMFile(str(path)) as handle:
        return list(handle)


def text(value):
    return value.decode() if isinstance(value, bytes) else value


def hmmconvert_text(hmm) -> str:
    """hmmconvert -a's text without its version line, COM and DATE (hmmkit keeps neither)."""
    hmm.command_line = None
    hmm.creation_time = None
    out = io.BytesIO()
    hmm.write(out)
    return out.getvalue().decode().split("\n", 1)[1]


def hmmconvert_binary_of_text(hmmer3_text: str) -> bytes:
    """hmmconvert -b of a HMMER3 text: hmmkit's binary files hold the probabilities their
    text gives (five decimals of -ln p), not the single-precision values read from HMMER2."""
    with pyhmmer.plan7.HMMFile(io.BytesIO(hmmer3_text.encode())) as handle:
        hmm = handle.read()
    out = io.BytesIO()
    hmm.write(out, binary=True)
    return out.getvalue()


def assert_same_model(ours, theirs):
    """Every probability exactly the single-precision value HMMER holds, and the annotation
    (the calibration, STATS, is compared through the text hmmconvert writes)."""
    for mine, hmmers in (
        (ours.transitions, theirs.transition_probabilities),
        (ours.match_emissions, theirs.match_emissions),
        (ours.insert_emissions, theirs.insert_emissions),
    ):
        np.testing.assert_array_equal(mine.astype(np.float32), np.asarray(hmmers))
    assert ours.name == text(theirs.name)
    assert ours.accession == text(theirs.accession)
    assert ours.description == text(theirs.description)
    assert ours.consensus == text(theirs.consensus)
    assert ours.reference == text(theirs.reference)
    assert ours.consensus_structure == text(theirs.consensus_structure)
    for ours_cut, theirs_cut in (
        (ours.gathering, theirs.cutoffs.gathering),
        (ours.trusted, theirs.cutoffs.trusted),
        (ours.noise, theirs.cutoffs.noise),
    ):
        assert ours_cut == (None if theirs_cut is None else pytest.approx(theirs_cut))


def test_hmmer2_file_reads_as_hmmer_reads_it(shared_data):
    path = shared_data / H2
    (ours,), (theirs,) = read_hmmer_all(path), hmmer_models(path)
    assert ours.M == theirs.M == 243 and ours.nseq == 278
    assert_same_model(ours, theirs)
    np.testing.assert_array_equal(ours.alignment_map[:5], [2, 3, 4, 5, 6])
    assert format_hmmer(ours).split("\n", 1)[1] == hmmconvert_text(theirs)


def test_convert_writes_hmmconverts_text_and_binary(shared_data, tmp_path, capsys):
    path = shared_data / H2
    assert main(["convert", str(path)]) == 0
    out = capsys.readouterr().out
    (theirs,) = hmmer_models(path)
    assert out.startswith("HMMER3/f ") and out.split("\n", 1)[1] == hmmconvert_text(theirs)
    binary = tmp_path / "thio.h3m"
    assert main(["convert", "-b", "-o", str(binary), str(path)]) == 0
    assert binary.read_bytes() == hmmconvert_binary_of_text(out)


def test_fetch_writes_a_hmmer2_model_as_hmmer3_text(shared_data, capsys):
    path = shared_data / H2
    assert main(["fetch", str(path), "Thioesterase"]) == 0
    assert capsys.readouterr().out == format_hmmer(read_hmmer(path))


def test_search_with_a_hmmer2_model_finds_hmmsearchs_hits(shared_data, tmp_path, capsys):
    path = shared_data / H2
    table = tmp_path / "hits.tbl"
    assert main(["search", "--tblout", str(table), str(path), str(shared_data / PROTEOME)]) == 0
    capsys.readouterr()
    rows = [line.split() for line in table.read_text().splitlines() if not line.startswith("#")]
    (hmm,) = hmmer_models(path)
    with pyhmmer.easel.SequenceFile(str(shared_data / PROTEOME), digital=True,
                                    alphabet=hmm.alphabet) as handle:  # fmt: skip
        hits = next(pyhmmer.hmmsearch([hmm], handle.read_block(), cpus=1))
    expected = [(text(h.name), f"{h.score:.1f}") for h in hits.reported]
    assert len(expected) > 0
    assert [(row[0], row[5]) for row in rows] == expected


# ------------------------------------------------------------------ files of known content


def _scores(rng, probabilities, null, star=0.0):
    """HMMER2's integer scores of `probabilities` against `null` ('*' at random for zero)."""
    out = []
    for p, q in zip(probabilities, null, strict=True):
        out.append("*" if rng.random() < star else str(int(round(1000 * np.log2(p / q)))))
    return out


def hmmer2_text(rng, name, M, alphabet, *, rf=False, cs=False, mapped=True, extra=()):
    """A HMMER2 model of random parameters as HMMER 2.3 lays its files out."""
    K = 4 if alphabet.lower() == "nucleic" else 20
    symbols = "ACGT" if K == 4 else "ACDEFGHIKLMNPQRSTVWY"
    null = rng.dirichlet(np.full(K, 20.0))
    lines = ["HMMER2.0  [2.3.2]", f"NAME  {name}", *extra, f"LENG  {M}", f"ALPH  {alphabet}",
             f"RF    {'yes' if rf else 'no'}", f"CS    {'yes' if cs else 'no'}",
             f"MAP   {'yes' if mapped else 'no'}", "COM   hmmbuild x.hmm x.sto", "NSEQ  7",
             "DATE  Thu Jan  1 00:00:00 2004", "CKSUM 1234",
             "XT      -8455     -4  -1000  -1000  -8455     -4  -8455     -4",
             "NULT      -4  -8455", "NULE " + " ".join(_scores(rng, null, np.full(K, 1 / K))),
             "EVD   -45.5   0.25", "# a comment line", "HMM        " + "      ".join(symbols),
             "         m->m   m->i   m->d   i->m   i->i   d->m   d->d   b->m   m->e",
             "          -20      *  -6000"]  # fmt: skip
    for k in range(1, M + 1):
        match = _scores(rng, rng.dirichlet(np.full(K, 0.5)), null, star=0.05)
        lines.append(f"{k:6d} " + " ".join(match) + (f" {k + 2}" if mapped else ""))
        inserts = _scores(rng, rng.dirichlet(np.ones(K)), null)
        lines.append(f"     {'xyz'[k % 3] if rf else '-'} " + " ".join(inserts))
        moves = [rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2))]
        t = _scores(rng, np.concatenate(moves), np.ones(7), star=0.02)
        lines.append(f"     {'<>'[k % 2] if cs else '-'} " + " ".join(t) + "   -9000  -7000")
    lines.append("//")
    return "\n".join(lines) + "\n"


def test_models_of_known_content_read_as_hmmer_reads_them(tmp_path):
    rng = np.random.default_rng(22)
    text_ = hmmer2_text(
        rng,
        "first",
        9,
        "Nucleic",
        rf=True,
        cs=True,
        mapped=False,
        extra=[
            "ACC   SYN00001",
            "DESC  a synthetic DNA family",
            "GA    25.5 20.0;",
            "TC    30.0 22.5;",
            "NC    10.0 9.0;",
        ],
    )
    text_ += "\n" + hmmer2_text(rng, "second", 14, "nucleic", extra=["DESC"])
    text_ += hmmer2_text(rng, "third", 5, "NUCLEIC")
    path = tmp_path / "three.hmm2"
    path.write_text(text_)
    ours, theirs = read_hmmer_all(path), hmmer_models(path)
    assert [m.name for m in ours] == ["first", "second", "third"] and len(theirs) == 3
    for mine, hmmers in zip(ours, theirs, strict=True):
        assert_same_model(mine, hmmers)
        assert format_hmmer(mine).split("\n", 1)[1] == hmmconvert_text(hmmers)
        assert format_hmmer_binary(mine) == hmmconvert_binary_of_text(format_hmmer(mine))
    assert ours[0].gathering == (25.5, 20.0) and ours[0].reference == "yzxyzxyzx"
    assert ours[1].description is None and ours[1].alignment_map[0] == 3


def test_an_amino_model_of_known_content(tmp_path):
    path = tmp_path / "amino.hmm2"
    path.write_text(hmmer2_text(np.random.default_rng(5), "prot", 30, "Amino", cs=True))
    ((ours,), (theirs,)) = read_hmmer_all(path), hmmer_models(path)
    assert_same_model(ours, theirs)


# ------------------------------------------------------------------ malformed files


def _damaged(tmp_path, old, new, count=1):
    good = hmmer2_text(np.random.default_rng(1), "bad", 4, "Amino")
    assert old in good
    path = tmp_path / "bad.hmm2"
    path.write_text(good.replace(old, new, count))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ALPH  Amino", "ALPH  Protein", r"line 4: ALPH: unknown alphabet 'Protein'"),
        ("LENG  4", "LENG  four", r"line 3: LENG: 'four' is not a positive integer"),
        ("NULE ", "NULX ", r"lacks the NULE line"),
        ("NAME  bad\n", "", r"lacks the mandatory NAME line"),
        ("     2 ", "     3 ", r"line 2\d: expected node 2 of LENG 4, found '3'"),
        (
            "-20      *  -6000",
            "-20      *  -6e3",
            r"line 19: begin transitions: '-6e3' is not an "
            r"integer score or '\*'",
        ),  # fmt: skip
        ("MAP   yes", "MAP   maybe", r"line 7: MAP: must say yes or no, not 'maybe'"),
        ("//\n", "", r"file ends early \(expected '//' closing the model\)"),
    ],
)
def test_malformed_hmmer2_files_name_the_file_line_and_field(tmp_path, old, new, message):
    path = _damaged(tmp_path, old, new)
    with pytest.raises(ValueError, match=rf"bad\.hmm2, {message}" if message.startswith("line")
                       else message):  # fmt: skip
        read_hmmer(path)


def test_too_few_match_scores_name_the_node(tmp_path):
    good = hmmer2_text(np.random.default_rng(1), "bad", 4, "Amino").splitlines()
    node = next(i for i, line in enumerate(good) if line.startswith("     3 "))
    good[node] = " ".join(good[node].split()[:10])
    path = tmp_path / "short.hmm2"
    path.write_text("\n".join(good) + "\n")
    with pytest.raises(ValueError, match=rf"short\.hmm2, line {node + 1}: node 3 match "
                                         r"emissions: expected 20 values, found 9"):  # fmt: skip
        read_hmmer(path)
