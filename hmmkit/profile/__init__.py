"""Profile HMMs: build from alignments as HMMER does, read/write HMMER3, search, scan, align,
and search long DNA targets on both strands (nhmmer)."""

from typing import TYPE_CHECKING

from ..lazy import export_lazily

if TYPE_CHECKING:
    from .align import Alignment, align
    from .alphabet import AMINO, DNA, RNA, Alphabet, get_alphabet
    from .build import build
    from .build.calibrate import calibrate
    from .emit import consensus_sequence, emit
    from .io.alignments import read_alignment, read_alignments
    from .io.hmmer3 import iter_hmmer, read_hmmer, read_hmmer_all, write_hmmer
    from .iterate import Round, iterative_search
    from .long_target import LongTargetResults, nhmmer
    from .msa import DigitalMSA
    from .plan7 import ProfileHMM
    from .search import search
    from .search.hits import SearchResults
    from .search.options import PipelineOptions
    from .search.pipeline import Pipeline
    from .search.scan import scan
    from .search.targets import DigitalSequences
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
    "calibrate": ".build.calibrate",
    "consensus_sequence": ".emit",
    "emit": ".emit",
    "iter_hmmer": ".io.hmmer3",
    "read_hmmer": ".io.hmmer3",
    "read_hmmer_all": ".io.hmmer3",
    "write_hmmer": ".io.hmmer3",
    "Round": ".iterate",
    "iterative_search": ".iterate",
    "LongTargetResults": ".long_target",
    "nhmmer": ".long_target",
    "ProfileHMM": ".plan7",
    "DigitalMSA": ".msa",
    "read_alignment": ".io.alignments",
    "read_alignments": ".io.alignments",
    "scan": ".search.scan",
    "SearchResults": ".search.hits",
    "PipelineOptions": ".search.options",
    "DigitalSequences": ".search.targets",
    "Pipeline": ".search.pipeline",
    "search": ".search",
    "from_sequence": ".seqmodel",
    "train": ".train",
})  # fmt: skip

__all__ = [
    "AMINO",
    "Alignment",
    "DNA",
    "DigitalSequences",
    "RNA",
    "Alphabet",
    "DigitalMSA",
    "LongTargetResults",
    "Pipeline",
    "PipelineOptions",
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
    "nhmmer",
    "read_alignment",
    "read_alignments",
    "read_hmmer",
    "read_hmmer_all",
    "scan",
    "search",
    "train",
    "write_hmmer",
]
