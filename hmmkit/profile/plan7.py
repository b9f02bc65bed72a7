"""The Plan7 architecture: its state and transition numbering, and the profile HMM value
(a core model as HMMER's P7_HMM, with its annotation).

The constants here are the only numbering of Plan7 states and transitions in the package:
the core model, the configured profile, the DP kernels and the traces all use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .alphabet import Alphabet

#: Order of the seven Plan7 transitions per node, as in HMMER files and P7_HMM.t.
TRANSITIONS = ("MM", "MI", "MD", "IM", "II", "DM", "DD")
MM, MI, MD, IM, II, DM, DD = range(7)
#: The configured profile's eighth transition column: the local/glocal entry B->M(k+1).
BM = 7

#: Rows of a profile's special-state scores: N, E, C, J; and their loop/move columns.
XN, XE, XC, XJ = range(4)
LOOP, MOVE = 0, 1
#: Per-row special-state columns of DP matrices: N, B, E, C, J.
SN, SB, SE, SC, SJ = range(5)
#: Trace state codes (HMMER's p7T_*).
ST_M, ST_D, ST_I, ST_S, ST_N, ST_B, ST_E, ST_C, ST_T, ST_J = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
STATE_NAMES = {1: "M", 2: "D", 3: "I", 4: "S", 5: "N", 6: "B", 7: "E", 8: "C", 9: "T", 10: "J"}


def check_model_name(name: str) -> None:
    """Raise ValueError unless ``name`` is one word (HMMER's NAME field; Easel refuses more)."""
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"a model name must be one word without spaces, got {name!r}")


@dataclass
class ProfileHMM:
    """A Plan7 profile HMM of length M (HMMER's core model, probabilities not scores).

    Arrays follow HMMER's indexing: node 0 is the begin node, nodes 1..M the match
    positions. ``transitions`` is (M+1, 7) in the order of :data:`TRANSITIONS`;
    node 0 holds B->M1 (as MM), B->I0 (MI), B->D1 (MD), I0 transitions; node M has
    MD = DD = 0 and DM = 1 by convention. ``match_emissions`` and ``insert_emissions``
    are (M+1, K); row 0 of ``match_emissions`` is unused (HMMER sets it to
    [1, 0, ...]).
    """

    alphabet: Alphabet
    transitions: np.ndarray
    match_emissions: np.ndarray
    insert_emissions: np.ndarray
    name: str = "unnamed"
    accession: str | None = None
    description: str | None = None
    nseq: int | None = None
    effn: float | None = None
    consensus: str | None = None  # length M, HMMER's CONS annotation (1-based as [1..M])
    reference: str | None = None  # RF annotation, length M
    consensus_structure: str | None = None  # CS annotation, length M
    model_mask: str | None = None  # MM annotation, length M
    alignment_map: np.ndarray | None = None  # MAP: alignment column of each match state
    composition: np.ndarray | None = None  # COMPO: mean match emission composition (K,)
    # E-value parameters: {"MSV": (mu, lambda), "VITERBI": (mu, lambda), "FORWARD": (tau, lambda)}
    stats: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Pfam-style score thresholds, each a pair (per-sequence, per-domain) or None
    gathering: tuple[float, float] | None = None
    trusted: tuple[float, float] | None = None
    noise: tuple[float, float] | None = None
    checksum: int | None = None
    max_length: int | None = None
    # match emissions before the MM mask set masked positions to the background: hmmbuild
    # calibrates on these (it masks after calibrating); not written to HMMER files
    unmasked_match_emissions: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def M(self) -> int:
        """Number of match states (HMMER's LENG)."""
        return self.transitions.shape[0] - 1

    def validate(self) -> None:
        """Raise ValueError unless shapes agree and every distribution sums to one."""
        check_model_name(self.name)
        m, k = self.M, self.alphabet.size
        if m < 1:
            raise ValueError("a profile HMM needs at least one match state")
        for name, arr, shape in (
            ("transitions", self.transitions, (m + 1, 7)),
            ("match_emissions", self.match_emissions, (m + 1, k)),
            ("insert_emissions", self.insert_emissions, (m + 1, k)),
        ):
            if arr.shape != shape:
                raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"{name} must hold finite non-negative probabilities")
        t = self.transitions
        for label, cols, nodes in (
            ("M", [MM, MI, MD], range(0, m + 1)),
            ("I", [IM, II], range(0, m + 1)),
            ("D", [DM, DD], range(1, m + 1)),
        ):
            sums = t[list(nodes)][:, cols].sum(axis=1)
            if not np.allclose(sums, 1.0, atol=1e-4):
                raise ValueError(f"{label} transitions do not sum to 1 at some node")
        for name, arr in (
            ("match_emissions", self.match_emissions[1:]),
            ("insert_emissions", self.insert_emissions),
        ):
            sums = arr.sum(axis=1)
            if name == "match_emissions":  # a match state may emit nothing: a query's '*'
                sums = sums[sums != 0.0]
            if not np.allclose(sums, 1.0, atol=1e-4):
                raise ValueError(f"{name} rows do not sum to 1")
