"""The blocks of a pressed database's filter-profile file (``.hkp``), one per model: what
the search pipeline's stages after the MSV filter read of a model (as HMMER's ``.h3p``
holds its optimised profiles), all independent of the target length.

A model's block holds, each section starting on an 8-byte boundary:

========  =======  =========  ==========================================================
section   type     shape      contents
========  =======  =========  ==========================================================
nodes     float32  (9, M+1)   the Forward scan's node vectors (a_mm .. a_dd, esc)
me        float32  (Kp, M+1)  the Forward scan's match odds by digital code
ins       float32  (Kp,)      the Forward scan's insert odds by digital code
special   float32  (3,)       the E state's loop and move probabilities, and nj
odds      float64  (Kp,)      the bias filter's composition odds by digital code
rwv       int16    (Kp, M+1)  the Viterbi filter's match word scores
twv       int16    (9, M+1)   the Viterbi filter's transition word scores
========  =======  =========  ==========================================================

(the Viterbi filter's words are saturated 16-bit values, as HMMER keeps them; its kernel
reads them widened to int32).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .dp.forward_scan import ScanProfile

_NODE_VECTORS = 9  # a_mm a_im a_dm a_bm a_mi a_ii a_md a_dd esc
_WORD_ROWS = 9


@lru_cache(maxsize=1024)
def _sections(M: int, Kp: int) -> list[tuple[str, np.dtype, tuple[int, ...]]]:
    return [
        ("nodes", np.dtype(np.float32), (_NODE_VECTORS, M + 1)),
        ("me", np.dtype(np.float32), (Kp, M + 1)),
        ("ins", np.dtype(np.float32), (Kp,)),
        ("special", np.dtype(np.float32), (3,)),
        ("odds", np.dtype(np.float64), (Kp,)),
        ("rwv", np.dtype(np.int16), (Kp, M + 1)),
        ("twv", np.dtype(np.int16), (_WORD_ROWS, M + 1)),
    ]


@lru_cache(maxsize=1024)
def _layout(M: int, Kp: int) -> tuple[tuple[str, int, int, np.dtype, tuple[int, ...]], ...]:
    """(name, first byte, end byte, type, shape) of each section of a block."""
    out, at = [], 0
    for name, dtype, shape in _sections(M, Kp):
        n_bytes = dtype.itemsize * math.prod(shape)
        out.append((name, at, at + n_bytes, dtype, shape))
        at += _padded(n_bytes)
    return tuple(out)


def _padded(n_bytes: int) -> int:
    return -(-n_bytes // 8) * 8


@lru_cache(maxsize=1024)
def block_size(M: int, Kp: int) -> int:
    """Bytes of the block of a model of `M` nodes over `Kp` digital codes."""
    return _padded(_layout(M, Kp)[-1][2])


def profile_block(forward: ScanProfile, words: tuple[np.ndarray, np.ndarray],
                  odds: np.ndarray) -> bytes:  # fmt: skip
    """The block of a model from its Forward scan profile, Viterbi filter words
    (:func:`~hmmkit.profile.dp.viterbi_word_profile`) and composition odds."""
    Kp, M1 = forward.me.shape
    rwv, twv = words
    values = {
        "nodes": np.stack(forward[:_NODE_VECTORS]),
        "me": forward.me,
        "ins": forward.ins,
        "special": np.array([forward.e_loop, forward.e_move, forward.nj]),
        "odds": odds,
        "rwv": rwv,
        "twv": twv,
    }
    out = bytearray()
    for name, dtype, shape in _sections(M1 - 1, Kp):
        value = np.asarray(values[name])
        if value.shape != shape:
            raise ValueError(f"{name}: shape {value.shape}, the block holds {shape}")
        if dtype.kind == "i" and value.size and (value.min() < -32768 or value.max() > 32767):
            raise ValueError(f"{name}: word scores outside 16 bits")
        data = np.ascontiguousarray(value, dtype=dtype).tobytes()
        out += data + bytes(_padded(len(data)) - len(data))
    return bytes(out)


def read_block(block: np.ndarray, M: int, Kp: int) -> dict:
    """The parts of a block (bytes as a uint8 array starting on an 8-byte boundary) as
    :class:`~hmmkit.profile.search.stages.ModelStages` takes them ready: ``forward``,
    ``words`` and ``odds``. The arrays view the block (the words are widened copies)."""
    if block.shape != (block_size(M, Kp),):
        raise ValueError(f"a filter-profile block of {block.size} bytes; M={M} needs "
                         f"{block_size(M, Kp)}")  # fmt: skip
    parts = {name: block[start:stop].view(dtype).reshape(shape)
             for name, start, stop, dtype, shape in _layout(M, Kp)}  # fmt: skip
    me = parts["me"]
    e_loop, e_move, nj = (np.float32(v) for v in parts["special"])
    forward = ScanProfile(*parts["nodes"], me, np.ascontiguousarray(me.T), parts["ins"],
                          e_loop, e_move, nj)  # fmt: skip
    words = (parts["rwv"].astype(np.int32), parts["twv"].astype(np.int32))
    return {"forward": forward, "words": words, "odds": parts["odds"]}
