"""Profile HMMs: build from alignments as HMMER does, read/write HMMER3, search, scan and align."""

from typing import TYPE_CHECKING

from ..lazy import export_lazily

if TYPE_CHECKING:
    from .align import Alignment, align
    from .alphabet import AMINO, DNA, RNA, Alphabet, get_alphabet
    from .build import build
    from .calibrate import calibrate
    from .emit import consensus_sequence, emit
    from .hmmer_format import iter_hmmer, read_hmmer, read_hmmer_all, write_hmmer
    from .iterate import Round, iterative_search
    from .msa import DigitalMSA, read_alignment, read_alignments
    from .plan7 import ProfileHMM
    from .scan import scan
    from .search import SearchResults, search
    from .seqmodel import from_sequence
    from .train import train

export_lazily(__name__, {
    "Alignment": ".align",
    "align": ".align",
    "AMINO": ".alphabet",
    "DNA": ".alphabet",
    "RNA": ".alphabet",
    "Alphabet": ".alphabet",
    "get_alphabet": ".alphabet",
    "build": ".build",
    "calibrate": ".calibrate",
    "consensus_sequence": ".emit",
    "emit": ".emit",
    "iter_hmmer": ".hmmer_format",
    "read_hmmer": ".hmmer_format",
    "read_hmmer_all": ".hmmer_format",
    "write_hmmer": ".hmmer_format",
    "Round": ".iterate",
    "iterative_search": ".iterate",
    "ProfileHMM": ".plan7",
    "DigitalMSA": ".msa",
    "read_alignment": ".msa",
    "read_alignments": ".msa",
    "scan": ".scan",
    "SearchResults": ".search",
    "search": ".search",
    "from_sequence": ".seqmodel",
    "train": ".train",
})  # fmt: skip

__all__ = [
    "AMINO",
    "Alignment",
    "DNA",
    "RNA",
    "Alphabet",
    "DigitalMSA",
    "ProfileHMM",
    "Round",
    "SearchResults",
    "align",
    "build",
    "calibrate",
    "consensus_sequence",
    "emit",
    "from_sequence",
    "get_alphabet",
    "iter_hmmer",
    "iterative_search",
    "read_alignment",
    "read_alignments",
    "read_hmmer",
    "read_hmmer_all",
    "scan",
    "search",
    "train",
    "write_hmmer",
]
