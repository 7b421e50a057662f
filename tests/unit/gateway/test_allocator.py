"""The allocator settings: a large block freed goes back to the system instead of raising the threshold."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

from gateway import allocator

if not hasattr(ctypes.CDLL(None), "mallinfo2"):
    pytest.skip("glibc 2.33 or later is needed to read the allocator's counters", allow_module_level=True)

# Run in a fresh process: in a long one (the test session) malloc may serve the block from a free
# chunk left in the heap by earlier work, whatever the threshold, so only a clean heap tells.
SCENARIO = """
import ctypes, sys
from gateway.allocator import tune_allocator

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, (ctypes.c_size_t,), (ctypes.c_void_p,)
if sys.argv[1] == "tuned":
    assert tune_allocator()
big = libc.malloc(4 << 20)  # by default, freeing this raises the mmap threshold to 4 MiB
libc.free(big)
before = libc.mallinfo2().hblks
block = libc.malloc(512 << 10)
print(libc.mallinfo2().hblks - before)
libc.free(block)
"""


def _blocks_mapped_for_512_kib(mode: str) -> int:
    root = Path(__file__).resolve().parents[3]  # the repository, so the scenario imports `gateway`
    done = subprocess.run([sys.executable, "-c", SCENARIO, mode], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_after_a_big_block_is_freed_the_next_large_one_is_still_mapped_apart_from_the_heap():
    assert _blocks_mapped_for_512_kib("tuned") == 1
    assert _blocks_mapped_for_512_kib("untuned") == 0  # glibc's default: it comes from the heap


def test_the_settings_are_applied_once_per_process(monkeypatch):
    calls = []

    class Libc:
        def __init__(self, _name) -> None:
            self.mallopt = lambda parameter, value: calls.append((parameter, value)) or 1

    monkeypatch.setattr(allocator.ctypes, "CDLL", Libc)
    allocator.tune_allocator.cache_clear()
    try:
        assert allocator.tune_allocator() and allocator.tune_allocator()
    finally:
        allocator.tune_allocator.cache_clear()  # the next app applies the real settings

    assert calls == [(allocator._M_MMAP_THRESHOLD, allocator.MMAP_THRESHOLD), (allocator._M_ARENA_MAX, allocator.ARENA_MAX)]


def test_what_start_up_builds_is_frozen_out_of_collections_and_collection_resumes():
    # In a fresh interpreter: frozen objects here would stay frozen for the whole test session.
    code = (
        "import gc\n"
        "from gateway.allocator import long_lived_start\n"
        "with long_lived_start():\n"
        "    assert not gc.isenabled()\n"
        "    built = [[] for _ in range(10_000)]\n"
        "assert gc.isenabled() and gc.get_freeze_count() >= 10_000, gc.get_freeze_count()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
