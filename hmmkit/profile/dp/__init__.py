"""Compiled Plan7 dynamic programming, one module per algorithm: Forward scan,
Forward/Backward, decoding, Viterbi, optimal accuracy, MSV and the MSV/Viterbi filters,
stochastic traces in single precision, Easel's random numbers.

The kernels follow HMMER's "generic" DP (p7_GForward, p7_GBackward, p7_GViterbi,
p7_GDecoding, p7_GOptimalAccuracy/p7_GOATrace, p7_GMSV) on a profile
configured by :mod:`hmmkit.profile.config`. Every kernel names Plan7 states, transitions
and special-state columns by :mod:`hmmkit.profile.plan7`'s constants (``p7.MM``, ``p7.SN``...).

Forward/Backward work in probability (odds-ratio) space with per-row rescaling, like
HMMER's SSE implementations: emissions are odds ratios against the background, so every
row stays within a small dynamic range and no log/exp is needed in the inner loops. The
scan kernel :func:`forward_scores` (scores only, two rows, float32) is the fast path used
to score a whole database; the full-matrix kernels (float64) keep every row for posterior
decoding. Viterbi, MSV and optimal accuracy work in log / additive space.

Conventions: ``dsq`` is a uint8 array of digital codes (residue ``i`` is ``dsq[i-1]``).
Transition arrays are (M+1, 8) indexed like HMMER's profile (see :mod:`hmmkit.profile.plan7`).
Special states are stored per row in the order N, B, E, C, J.
Traces are three int arrays (state, k, i) in path order, with HMMER's state codes; ``i`` is
the residue a state emitted (0 for non-emitting steps, and for N/C/J steps that did not
emit).
"""

from __future__ import annotations

from .. import plan7 as _p7
from ..plan7 import (
    LOOP,
    MOVE,
    SC,
    SJ,
    SN,
    ST_B,
    ST_C,
    ST_D,
    ST_E,
    ST_I,
    ST_J,
    ST_M,
    ST_N,
    ST_S,
    ST_T,
    XC,
    XE,
    XJ,
    XN,
)
from .decoding import (
    domain_posteriors,
    posterior_matrix,
)
from .envelope import (
    EnvelopeWorkspace,
    align_envelope,
)
from .forward_backward import (
    PARSER_LANES,
    backward_matrix,
    backward_parser,
    domain_decoding_batch,
    forward_matrix,
    forward_parser,
    node_vectors,
)
from .forward_scan import (
    ScanProfile,
    forward_scores,
    lane_forward_row,
    lane_width,
    scan_arrays,
    scan_profile,
)
from .msv import (
    msv_byte_profile,
    msv_filter_score,
    msv_filter_scores,
    msv_filter_scores_of_bytes,
    msv_filter_scores_of_models,
    msv_score,
    roundf,
)
from .optimal_accuracy import (
    oa_trace,
    optimal_accuracy,
)
from .paths import (
    trace_domains,
    trace_score,
)
from .rng import (
    random_iid,
    rng_choose,
    rng_state,
    rng_uniform,
)
from .viterbi import (
    reverse_trace,
    trace_buffers,
    viterbi_matrix,
    viterbi_trace,
)
from .viterbi_filter import (
    special_words,
    viterbi_filter_exact,
    viterbi_filter_of_words,
    viterbi_filter_scores,
    viterbi_word_profile,
)

#: plan7's transition columns MM..BM under their public T-prefixed names.
TMM, TMI, TMD, TIM, TII, TDM, TDD, TBM = (_p7.MM, _p7.MI, _p7.MD, _p7.IM, _p7.II, _p7.DM,
                                          _p7.DD, _p7.BM)

__all__ = [
    "LOOP",
    "MOVE",
    "PARSER_LANES",
    "SC",
    "SJ",
    "SN",
    "ST_B",
    "ST_C",
    "ST_D",
    "ST_E",
    "ST_I",
    "ST_J",
    "ST_M",
    "ST_N",
    "ST_S",
    "ST_T",
    "EnvelopeWorkspace",
    "ScanProfile",
    "TBM",
    "TDD",
    "TDM",
    "TII",
    "TIM",
    "TMD",
    "TMI",
    "TMM",
    "XC",
    "XE",
    "XJ",
    "XN",
    "align_envelope",
    "backward_matrix",
    "backward_parser",
    "domain_decoding_batch",
    "domain_posteriors",
    "forward_matrix",
    "forward_parser",
    "forward_scores",
    "lane_forward_row",
    "lane_width",
    "msv_byte_profile",
    "msv_filter_score",
    "msv_filter_scores",
    "msv_filter_scores_of_bytes",
    "msv_filter_scores_of_models",
    "msv_score",
    "node_vectors",
    "oa_trace",
    "optimal_accuracy",
    "posterior_matrix",
    "random_iid",
    "reverse_trace",
    "rng_choose",
    "rng_state",
    "rng_uniform",
    "roundf",
    "scan_arrays",
    "scan_profile",
    "special_words",
    "trace_buffers",
    "trace_domains",
    "trace_score",
    "viterbi_filter_exact",
    "viterbi_filter_of_words",
    "viterbi_filter_scores",
    "viterbi_matrix",
    "viterbi_trace",
    "viterbi_word_profile",
]
