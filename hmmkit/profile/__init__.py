"""Profile HMMs: build from alignments as HMMER does, read/write HMMER3, search and align."""

from .alphabet import AMINO, DNA, RNA, Alphabet, get_alphabet
from .build import build
from .hmmer_format import iter_hmmer, read_hmmer, read_hmmer_all, write_hmmer
from .model import ProfileHMM
from .msa import DigitalMSA, read_alignment, read_alignments

__all__ = [
    "AMINO",
    "DNA",
    "RNA",
    "Alphabet",
    "DigitalMSA",
    "ProfileHMM",
    "build",
    "get_alphabet",
    "iter_hmmer",
    "read_alignment",
    "read_alignments",
    "read_hmmer",
    "read_hmmer_all",
    "write_hmmer",
]
