"""Test-only bridge to HMMER (via pyhmmer): build or read models and convert them to hmmkit."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyhmmer
from pyhmmer import easel, plan7

from hmmkit.profile import AMINO, DNA, RNA, ProfileHMM
from hmmkit.profile.search.tables import write_domtblout, write_tblout

_ALPHABETS = {"amino": AMINO, "DNA": DNA, "RNA": RNA}

#: The families' alignment files the tests compare with HMMER: the tutorial's four,
#: pyhmmer's LuxC as Stockholm and as aligned FASTA.
FAMILY_FILES = (
    "protein/tutorial/globins4.sto",
    "protein/tutorial/fn3.sto",
    "protein/tutorial/Pkinase.sto",
    "protein/tutorial/MADE1.sto",
    "protein/pyhmmer/LuxC.sto",
    "protein/pyhmmer/LuxC.faa",
)


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def to_profile_hmm(hmm: plan7.HMM) -> ProfileHMM:
    """Convert a pyhmmer HMM (core probabilities) to a hmmkit ProfileHMM."""
    abc = hmm.alphabet
    alphabet = AMINO if abc.is_amino() else (DNA if abc.is_nucleotide() and abc.K == 4 else RNA)
    mmu, mlam, vmu, vlam, ftau, flam = (float(v) for v in hmm.evalue_parameters.as_vector())
    stats = {"MSV": (mmu, mlam), "VITERBI": (vmu, vlam), "FORWARD": (ftau, flam)}
    compo = np.asarray(hmm.composition, dtype=float) if hmm.composition is not None else None
    return ProfileHMM(
        alphabet=alphabet,
        transitions=np.asarray(hmm.transition_probabilities, dtype=float).copy(),
        match_emissions=np.asarray(hmm.match_emissions, dtype=float).copy(),
        insert_emissions=np.asarray(hmm.insert_emissions, dtype=float).copy(),
        name=_text(hmm.name) or "unnamed",
        accession=_text(hmm.accession),
        description=_text(hmm.description),
        nseq=hmm.nseq,
        effn=hmm.nseq_effective,
        consensus=_text(hmm.consensus),
        stats=stats,
        composition=compo,
    )


def read_hmm(path: str | Path) -> plan7.HMM:
    """Read the first model of an HMMER file with pyhmmer."""
    with plan7.HMMFile(str(path)) as handle:
        return handle.read()


def build_hmm(msa_path: str | Path, name: str | None = None, dna: bool = False) -> plan7.HMM:
    """Build a model from a Stockholm/aligned FASTA file with HMMER's default hmmbuild."""
    abc = easel.Alphabet.dna() if dna else easel.Alphabet.amino()
    with easel.MSAFile(str(msa_path), digital=True, alphabet=abc) as handle:
        msa = handle.read()
    msa.name = (name or Path(msa_path).stem).encode()
    builder = plan7.Builder(abc)
    hmm, _, _ = builder.build_msa(msa, plan7.Background(abc))
    return hmm


def read_sequences(path: str | Path, dna: bool = False) -> easel.DigitalSequenceBlock:
    """Digital protein (or DNA) sequences of a FASTA file."""
    abc = easel.Alphabet.dna() if dna else easel.Alphabet.amino()
    with easel.SequenceFile(str(path), digital=True, alphabet=abc) as handle:
        return handle.read_block()


def hmmsearch(hmm: plan7.HMM, seqs, **options) -> plan7.TopHits:
    """HMMER's hmmsearch of one model (one CPU)."""
    return next(iter(pyhmmer.hmmsearch([hmm], seqs, cpus=1, **options)))


def map_and_max_length(hmm: plan7.HMM) -> tuple[list[int], int | None]:
    """The MAP column and the MAXL line of a pyhmmer model, read from its HMMER3/f text."""
    buf = io.BytesIO()
    hmm.write(buf)
    lines = buf.getvalue().decode().splitlines()
    maxl = next((int(line.split()[1]) for line in lines if line.startswith("MAXL")), None)
    start = next(i for i, line in enumerate(lines) if line.startswith("HMM "))
    k = hmm.alphabet.K
    amap = [
        int(fields[k + 1])
        for fields in (line.split() for line in lines[start + 2 :])
        if len(fields) > k + 2 and fields[0].isdigit()
    ]
    return amap, maxl


def digital_queries(records):
    """hmmkit sequence records as a digital pyhmmer block (amino acids)."""
    block = easel.TextSequenceBlock(
        easel.TextSequence(name=r.name.encode(), description=r.description.encode(),
                           sequence=r.residues)
        for r in records
    )  # fmt: skip
    return block.digitize(easel.Alphabet.amino())


def tables(results_or_tophits) -> tuple[str, str]:
    """Per-target and per-domain table rows (no header, no footer) of one query."""
    if hasattr(results_or_tophits, "write"):  # pyhmmer
        targets, domains = io.BytesIO(), io.BytesIO()
        results_or_tophits.write(targets, format="targets", header=False)
        results_or_tophits.write(domains, format="domains", header=False)
        return targets.getvalue().decode(), domains.getvalue().decode()
    targets, domains = io.StringIO(), io.StringIO()
    write_tblout(targets, results_or_tophits, header=False, footer=False)
    write_domtblout(domains, results_or_tophits, header=False, footer=False)
    return targets.getvalue(), domains.getvalue()
