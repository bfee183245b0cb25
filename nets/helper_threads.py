"""Fixed pools of helper threads shared by the process (PNG encoders, the check thread), made on first use, and
work handed to them run at the CPU priority of the thread that handed it over.

The API's MRI lane runs at a lower priority (Linux nice +5, nets/service/compute_lanes.py) so that 2D answers stay
fast under load; its faithfulness check and PNG encoding run on these shared threads (nets/predictor.py,
nets/render/slice_renderer.py), which would otherwise keep the nice value of whichever thread made them first."""
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

_POOLS: dict = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(name: str, workers: int) -> ThreadPoolExecutor:
    """The process's one pool called `name` (its thread count fixed by the first call)."""
    with _POOLS_LOCK:
        if name not in _POOLS:
            _POOLS[name] = ThreadPoolExecutor(workers, thread_name_prefix=name)
        return _POOLS[name]


def submit(name: str, workers: int, fn, *args) -> Future:
    """fn(*args) on the shared pool `name`, at the caller's CPU priority."""
    return shared_pool(name, workers).submit(at_callers_priority(fn), *args)


_FREE: dict = {}


def submit_if_free(name: str, fn, *args) -> Future | None:
    """fn(*args) on the one-thread pool `name` if that thread is free now, else None and the caller does the work
    itself: a helper that speeds up one request never makes a busy server's requests wait for it."""
    with _POOLS_LOCK:
        free = _FREE.setdefault(name, threading.Semaphore(1))
    if not free.acquire(blocking=False):
        return None
    try:
        fut = submit(name, 1, fn, *args)
    except BaseException:
        free.release()
        raise
    fut.add_done_callback(lambda _: free.release())
    return fut


def _nice() -> int | None:
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except (AttributeError, OSError):
        return None


def _set_nice(value: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), value)
    except (AttributeError, OSError):  # lowering nice needs CAP_SYS_NICE: then the helper stays where it is
        pass


def at_callers_priority(fn):
    """fn wrapped to run at the nice value of the thread calling at_callers_priority (best effort: raising is always
    allowed, lowering only with CAP_SYS_NICE)."""
    caller = _nice()

    def run(*args, **kwargs):
        if caller is not None and _nice() != caller:
            _set_nice(caller)
        return fn(*args, **kwargs)
    return run
