"""Numeric helpers for the compiled kernels.

:func:`exp_nonpositive` computes ``exp`` of an array of non-positive numbers in a
form the compiler vectorises (Cody-Waite range reduction, a degree-13 Taylor
polynomial, exponent added to the float's bits), about three times faster
than the scalar ``exp`` of the C library, with a relative error below 3e-16.
Inputs below -708 give 0 (the C library would give subnormal numbers down to
-745); the kernels use it for likelihoods already divided by the frame's
maximum, where such values are negligible.

:func:`log_positive` is its counterpart for logarithms of positive numbers
(scale factors, mixture sums): the exponent is read from the float's bits, the
mantissa reduced to [sqrt(1/2), sqrt(2)) and its logarithm taken by the series
``2 atanh(z)``, again without branches, so that the loop vectorises.
"""

from __future__ import annotations

import math

import numpy as np

from .compiling import njit, njit_inner

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_SMALLEST = -708.0
_FAST = {"reassoc", "contract"}


def _bitcast(source: str, target: str):
    """A compiled function reinterpreting the bits of a ``source`` scalar (``"float64"`` or
    ``"int64"``) as a ``target`` one: one LLVM bitcast, where ``ndarray.view`` costs about
    half a second of compile per pair of dtypes."""
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic

    source_type, target_type = getattr(types, source), getattr(types, target)
    target_ir = ir.IntType(64) if target == "int64" else ir.DoubleType()

    @intrinsic
    def bitcast(typingctx, value):
        if value != source_type:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], target_ir)

        return target_type(source_type), codegen

    return bitcast


#: The bits of a float64 as an int64 (``float_bits``), and back (``bits_float``); callable
#: from compiled code only.
float_bits = _bitcast("float64", "int64")
bits_float = _bitcast("int64", "float64")


@njit_inner(cache=True, nogil=True, fastmath=_FAST)
def exp_nonpositive(values):
    """Replace every element of the 1-D float64 array ``values`` (all <= 0, or -inf)
    by its exponential."""
    # straight-line code with selects (no branches) so that the loop vectorises
    for i in range(values.shape[0]):
        v = values[i]
        x = v if v > _SMALLEST else _SMALLEST
        k = np.floor(x * _LOG2E + 0.5)
        r = x - k * _LN2_HI - k * _LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        # 2^k * p: k added to the exponent field of p's bits
        scaled = bits_float(float_bits(p) + (np.int64(k) << 52))
        values[i] = scaled if v >= _SMALLEST else 0.0


_MANTISSA_BITS = np.int64(0x000FFFFFFFFFFFFF)
_ONE_BITS = np.int64(0x3FF0000000000000)
_SQRT2 = 1.4142135623730951
_TWO_52_BITS = np.int64(0x4330000000000000)
_TWO_52_PLUS_BIAS = 4503599627370496.0 + 1023.0


# error_model="numpy": IEEE division, without the zero-divisor test that would stop
# the loop vectorising (the divisor here is at least 2 - 1/sqrt(2))
@njit_inner(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def log_positive(values):
    """Replace every element of the 1-D float64 array ``values`` by its natural
    logarithm; the elements must be positive normal numbers (>= 2.2e-308) or 0,
    which gives -inf. Relative error below 5e-16."""
    for i in range(values.shape[0]):
        v = values[i]
        b = float_bits(v)
        # the biased exponent as the float 2^52 + exponent, by its bits
        biased = bits_float((b >> 52) | _TWO_52_BITS)
        m = bits_float((b & _MANTISSA_BITS) | _ONE_BITS)  # the mantissa, in [1, 2)
        high = m > _SQRT2
        m = 0.5 * m if high else m
        e = biased - _TWO_52_PLUS_BIAS
        e = e + 1.0 if high else e
        f = m - 1.0
        z = f / (2.0 + f)  # log(m) = 2 atanh(z), |z| <= 0.1716
        w = z * z
        p = 1.0 / 21.0
        p = p * w + 1.0 / 19.0
        p = p * w + 1.0 / 17.0
        p = p * w + 1.0 / 15.0
        p = p * w + 1.0 / 13.0
        p = p * w + 1.0 / 11.0
        p = p * w + 1.0 / 9.0
        p = p * w + 1.0 / 7.0
        p = p * w + 1.0 / 5.0
        p = p * w + 1.0 / 3.0
        log_m = 2.0 * z + 2.0 * z * w * p
        result = e * _LN2_HI + (e * _LN2_LO + log_m)
        values[i] = result if v > 0.0 else -np.inf


#: Frames per block in the blocked kernels: frames become the contiguous, innermost
#: axis of a small transposed copy, so that loops over frames vectorise whatever the
#: number of features or components.
FRAME_BLOCK = 64


@njit(cache=True, nogil=True, inline="always")
def log_add(a, b):
    """log(exp(a) + exp(b)) without overflow; exact for -inf operands."""
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


# min/max of two integers for kernels, inlined where they are called: the built-in
# min()/max() are numba routines compiled once per set of compile options of the kernels
# calling them (a few hundredths of a second of a first run each); these are not.
@njit(cache=True, nogil=True, inline="always")
def min_int(a, b):
    """The smaller of two integers."""
    return b if b < a else a


@njit(cache=True, nogil=True, inline="always")
def max_int(a, b):
    """The larger of two integers."""
    return b if b > a else a


@njit_inner(cache=True, nogil=True)
def gather_block(rows, start, size, block):
    """``block[:, i] = rows[start + i]`` for ``i < size``: a block of frames, transposed."""
    for i in range(size):
        for d in range(rows.shape[1]):
            block[d, i] = rows[start + i, d]


_EXPONENT_BITS = np.uint64(0x7FF0000000000000)


@njit(cache=True, nogil=True)
def all_finite(values) -> bool:
    """True when no element of the 1-D float64 array ``values`` is NaN or infinite.

    Tests the exponent bits (all ones only for NaN and infinities) with integer
    operations, which the compiler vectorises; no temporary array is made.
    """
    bits = values.view(np.uint64)
    bad = np.uint64(0)
    for i in range(bits.shape[0]):
        bad |= np.uint64((bits[i] & _EXPONENT_BITS) == _EXPONENT_BITS)
    return bad == 0


#: Largest magnitude of a real-valued frame or Gaussian mean that is accepted: beyond
#: it, squared differences (1e300) approach the float64 range and log-densities lose
#: every digit, so such data are refused up front (rescale them) rather than scored.
MAX_MAGNITUDE = 1e150


#: Elements per block of :func:`all_within`: its temporary arrays stay this small.
_CHECK_BLOCK = 1 << 16


def all_within(values: np.ndarray, bound: float) -> bool:
    """True when every element of the 1-D float64 array ``values`` satisfies
    ``|v| <= bound`` (so is not NaN).

    numpy, block by block (no temporary array beyond a block): a compiled loop is no
    faster on data checked once, and would be one more kernel for a first run to compile.
    """
    for start in range(0, values.shape[0], _CHECK_BLOCK):
        if not np.all(np.abs(values[start : start + _CHECK_BLOCK]) <= bound):
            return False
    return True
