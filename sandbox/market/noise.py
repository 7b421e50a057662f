"""Counter-based random numbers: the n-th normal draw of a named stream, computed directly.

Synthetic history must give the same bar for the same instrument and minute whatever range is
asked for, without generating everything before it. Hashing (stream key, counter) with the
splitmix64 finaliser gives independent-looking uniforms at any position in O(1).
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sandbox.market.normal import inverse_cdf

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_A = np.uint64(0xBF58476D1CE4E5B9)
_MIX_B = np.uint64(0x94D049BB133111EB)
_TWO_POW_53 = float(2**53)


def stream_key(*parts: object) -> int:
    """A 64-bit stream identity from readable parts, e.g. (seed, "NIFTY", "minute")."""
    text = "\x1f".join(str(part) for part in parts).encode()
    return (zlib.crc32(text) << 32) | zlib.crc32(text[::-1] + b"\x00")


def _mix(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    values = (values ^ (values >> np.uint64(30))) * _MIX_A
    values = (values ^ (values >> np.uint64(27))) * _MIX_B
    return values ^ (values >> np.uint64(31))


def uniforms(key: int, counters: ArrayLike) -> NDArray[np.float64]:
    """Uniform draws in the open interval (0, 1), one per counter."""
    positions = np.asarray(counters, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        mixed = _mix(positions * _GOLDEN + np.uint64(key & 0xFFFFFFFFFFFFFFFF))
    return ((mixed >> np.uint64(11)).astype(np.float64) + 0.5) / _TWO_POW_53


def normals(key: int, counters: ArrayLike) -> NDArray[np.float64]:
    """Standard normal draws, one per counter."""
    return inverse_cdf(uniforms(key, counters))
