"""Hand freed heap memory back to the operating system (glibc's malloc_trim).

Threads that allocate large arrays (aligning a whole-head volume, a page session's upload of 14 MB) each get a
glibc malloc arena; what they free stays in the arena, so the server's RSS kept the high-water mark of the busiest
moment: 964 MB -> 1,597 MB after eight page sessions with MRI, unchanged after idling (bench/bench_page_load.py).
malloc_trim(0) returns the free pages of every arena. It is called when a compute lane goes idle and when a page
leaves a result; at most once per `MIN_INTERVAL_S`, and a no-op where the C library has no malloc_trim."""
from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

MIN_INTERVAL_S = 1.0

_lock = threading.Lock()
_last = 0.0
_trim = None  # the C function, False where there is none


def _malloc_trim():
    global _trim
    if _trim is None:
        try:
            _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
            _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
        except (OSError, AttributeError):
            _trim = False
    return _trim


def trim_heap(force: bool = False) -> bool:
    """Return the heap's free pages to the OS; False when skipped (too soon after the last, or not glibc)."""
    global _last
    fn = _malloc_trim()
    if not fn:
        return False
    with _lock:
        now = time.monotonic()
        if not force and now - _last < MIN_INTERVAL_S:
            return False
        _last = now
    fn(0)
    return True
