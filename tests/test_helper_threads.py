"""Work handed to a shared helper thread runs at the priority of the thread that handed it over (Linux nice)."""
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from nets.helper_threads import at_callers_priority, shared_pool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")


def _nice():
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_shared_thread_takes_each_callers_nice_value():
    pool = ThreadPoolExecutor(1)  # made here: the helper starts at this thread's nice value
    start = _nice()
    seen = []

    def caller(extra):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, start + extra))
        seen.append(pool.submit(at_callers_priority(_nice)).result())

    t = threading.Thread(target=caller, args=(5,))
    t.start(), t.join()
    assert seen == [min(19, start + 5)]  # raised to the niced caller's value
    seen.append(pool.submit(at_callers_priority(_nice)).result())  # a caller at the start value
    if os.geteuid() == 0:  # lowering a nice value needs CAP_SYS_NICE; without it the helper stays niced
        assert seen[1] == start
    pool.shutdown()


def test_a_shared_pool_is_made_once_per_name():
    a = shared_pool("test-pool", 1)
    assert shared_pool("test-pool", 3) is a and a._max_workers == 1 and shared_pool("other-test-pool", 1) is not a


def test_a_busy_helper_is_not_waited_for():
    """submit_if_free hands work over only when the helper is free: a second caller meanwhile gets None (and does
    the work itself), and the helper is offered again once its work is done."""
    from nets.helper_threads import submit_if_free
    go = threading.Event()
    first = submit_if_free("test-free", go.wait, 30)
    assert first is not None and submit_if_free("test-free", int, 1) is None
    go.set()
    assert first.result(timeout=30) is True
    deadline = time.time() + 10
    again = None
    while again is None and time.time() < deadline:  # the release runs just after the result
        again = submit_if_free("test-free", int, 7)
    assert again is not None and again.result(timeout=30) == 7
