"""nets/heap_trim.py: freed memory goes back to the OS (measured in a fresh process), and calls are throttled."""
import ctypes.util
import subprocess
import sys

import pytest

from nets import heap_trim

PROBE = r"""
import sys
from nets.heap_trim import trim_heap

def rss_mb():
    with open("/proc/self/status") as f:
        return int(next(l.split()[1] for l in f if l.startswith("VmRSS:"))) / 1024

blocks = [bytearray(4096) for _ in range(60_000)]  # ~240 MB of malloc'd blocks
pin = bytearray(4096)  # allocated last: the heap's top stays in use, so free() alone cannot shrink it
del blocks
freed = rss_mb()
assert trim_heap(force=True)
print(freed, rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"),
                    reason="malloc_trim is glibc's")
def test_trim_returns_freed_memory_to_the_os():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert out.returncode == 0, out.stderr
    freed, trimmed = map(float, out.stdout.split())
    assert freed - trimmed > 150, (freed, trimmed)  # most of the 240 MB left the process


def test_calls_within_the_interval_are_skipped(monkeypatch):
    calls = []
    monkeypatch.setattr(heap_trim, "_trim", lambda pad: calls.append(pad))
    monkeypatch.setattr(heap_trim, "_last", 0.0)
    assert heap_trim.trim_heap(force=True) and calls == [0]
    assert not heap_trim.trim_heap()  # at once again: skipped
    assert heap_trim.trim_heap(force=True) and calls == [0, 0]
