"""Profile HMMs: build from alignments as HMMER does, read/write HMMER3, search and align."""

from .alphabet import AMINO, DNA, RNA, Alphabet, get_alphabet
from .model import ProfileHMM

__all__ = ["AMINO", "DNA", "RNA", "Alphabet", "ProfileHMM", "get_alphabet"]
