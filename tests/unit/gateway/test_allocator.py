"""The allocator settings: a large block freed goes back to the system instead of raising the threshold."""

from __future__ import annotations

import ctypes

import pytest

from gateway.allocator import tune_allocator

libc = ctypes.CDLL(None)
if not hasattr(libc, "mallinfo2"):
    pytest.skip("glibc 2.33 or later is needed to read the allocator's counters", allow_module_level=True)


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)


def test_after_a_big_block_is_freed_the_next_large_one_is_still_mapped_apart_from_the_heap():
    assert tune_allocator()
    big = libc.malloc(4 << 20)  # by default, freeing this raises the mmap threshold to 4 MiB
    libc.free(big)
    # The count is the whole process's: a thread left by an earlier test may map or unmap a block
    # between two readings, so the check gets a few tries.
    assert any(_maps_its_own_block(512 << 10) for _ in range(5))


def _maps_its_own_block(size: int) -> bool:
    mapped_before = libc.mallinfo2().hblks
    block = libc.malloc(size)
    mapped_while_held = libc.mallinfo2().hblks
    libc.free(block)
    return mapped_while_held == mapped_before + 1
