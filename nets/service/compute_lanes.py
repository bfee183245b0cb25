"""Bounded compute in separate lanes, so fast work never waits behind slow work:

- "2d": chest X-rays and skin photos (about 0.1 s each),
- "prep": a new brain MRI's alignment to the template (about 2 s; a volume seen recently is cached),
- "3d": brain MRI prediction and explanation (about 0.6 s),
- "long": occlusion sensitivity (about a minute).

Each lane runs at most `workers` jobs at once; callers wait in line and can see their place. A lane holds at most
`max_waiting` waiting jobs; one more is refused at once with QueueFullError (the API answers a JSON 503 with
Retry-After, the page a message) instead of growing an unbounded line. The API's jobs run on one fixed thread pool
per lane (created once, `workers` threads), so the thread count stays flat under load; page sessions run their job
in their own session thread (PyWebIO's output calls need it) after taking a slot of the same lane, except an MRI's
two stages, which run on the pools (run_pooled) while the session thread shows the progress they report.

An MRI goes through "prep" and then "3d": two stages, so under load volumes are aligned while another is explained.
Sizes come from the environment (defaults for 2 CPU cores): XAI_WORKERS_2D=2, XAI_WORKERS_PREP=2, XAI_WORKERS_3D=1,
XAI_WORKERS_LONG=1, XAI_QUEUE_MAX=16 (waiting jobs per lane). The API's prep, 3d and long pool threads run at a
lower CPU priority (Linux nice XAI_NICE_PREP=15, XAI_NICE_3D=5, XAI_NICE_LONG=10; their OpenMP threads inherit it),
so on a busy machine a chest film gets the CPU first (a page's MRI too: run_pooled).
"""
from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

from nets.errors import InputError
from nets.heap_trim import trim_heap


class QueueFullError(InputError):
    """The lane's line is full: try again after `retry_after` seconds."""
    code = "server_busy"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class ComputeLane:
    def __init__(self, name: str, workers: int, max_waiting: int, nice: int = 0):
        self.name, self.workers, self.max_waiting = name, max(1, workers), max(0, max_waiting)
        self.nice = max(0, nice)
        self._sem = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._waiting: list = []
        self._mean_s = None  # running mean of job seconds, for Retry-After
        self._pool = None
        self._running = 0

    def position(self, ticket) -> int:
        with self._lock:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def retry_after(self) -> int:
        """Seconds until a place is likely free: the line ahead times the mean job time, per worker."""
        with self._lock:
            ahead = len(self._waiting) + 1
        return max(1, math.ceil((self._mean_s or 2.0) * ahead / self.workers))

    def _enter(self):
        ticket = object()
        with self._lock:
            if len(self._waiting) >= self.max_waiting:
                full = True
            else:
                full = False
                self._waiting.append(ticket)
        if full:
            wait = self.retry_after()
            raise QueueFullError(f"The server is busy ({self.max_waiting} {self.name} jobs waiting); "
                                 f"please try again in {wait} s.", wait)
        return ticket

    def _acquire(self, ticket, on_wait=None):
        try:
            while not self._sem.acquire(timeout=0.5):
                if on_wait:
                    on_wait(self.position(ticket))
        finally:
            with self._lock:
                self._waiting.remove(ticket)

    def _timed(self, fn):
        t0 = time.perf_counter()
        with self._lock:
            self._running += 1
        try:
            return fn()
        finally:
            self._sem.release()
            dt = time.perf_counter() - t0
            with self._lock:
                self._mean_s = dt if self._mean_s is None else 0.8 * self._mean_s + 0.2 * dt
                self._running -= 1
                idle = not self._running and not self._waiting
            if idle:  # the lane's busy spell is over: give its freed arrays back to the OS (nets/heap_trim.py)
                trim_heap()

    def _lower_priority(self):
        """Runs once in each pool thread: its Linux nice value raised by `nice` (threads it creates inherit it)."""
        if self.nice:
            try:
                tid = threading.get_native_id()
                os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + self.nice))
            except (AttributeError, OSError):
                pass  # not Linux, or not permitted: same priority as the rest

    def _start_all_threads(self):
        """Make every pool thread now (the executor would add them one by one under load): the thread count is
        fixed from the first job on. Each start-up task waits until all threads hold one."""
        barrier = threading.Barrier(self.workers)
        for _ in range(self.workers):
            self._pool.submit(lambda: barrier.wait(timeout=10))

    def run(self, fn, on_wait=None):
        """Run fn in the caller's thread once a slot is free (on_wait(place) every 0.5 s while waiting)."""
        ticket = self._enter()
        self._acquire(ticket, on_wait)
        return self._timed(fn)

    def run_pooled(self, fn, on_wait=None, poll=None):
        """As run, but fn runs on the lane's pool, at its priority, while the caller's thread waits for it (a page
        session's MRI work is then niced like the API's): on_wait(place) when the place in line changes, poll()
        about every 0.1 s and once at the end (e.g. to show the progress fn reported from the pool)."""
        ticket, job = self._submit(fn)
        shown = None
        while True:
            done, _ = wait([job], timeout=0.1)
            if poll:
                poll()
            if done:
                return job.result()
            place = self.position(ticket)
            if on_wait and place and place != shown:
                on_wait(place)
            shown = place

    def submit(self, fn) -> Future:
        """Queue fn on this lane's fixed thread pool; raises QueueFullError at once when the line is full."""
        return self._submit(fn)[1]

    def _submit(self, fn) -> tuple:
        ticket = self._enter()
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"lane-{self.name}",
                                                initializer=self._lower_priority)
                self._start_all_threads()

        def job():
            self._acquire(ticket)
            return self._timed(fn)
        return ticket, self._pool.submit(job)


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


NICE = {"2d": 0, "prep": 15, "3d": 5, "long": 10}
# two 2D workers: with eight clients on 2 idle cores, chest / skin p95 fell from 4.3-5.6x to 3.0-3.9x single-client
# (bench_load, 3 rounds; RSS flat at 854 MB), while MRI stayed a queue behind its one worker (7.5x -> 8x)
# two prep workers (alignment is single-threaded scipy) at nice 15: with eight clients each uploading a new volume
# (bench_load --distinct, 3 rounds), MRI p95 went from 6.5-7.3x single-client (one prep worker) to 5.0-5.6x, 2D
# 3.0-6.5x in two runs: the rounds shrank from 17.5-19.7 s to 14.6-16.4 s (README, Under load)
WORKERS = {"2d": 2, "prep": 2, "3d": 1, "long": 1}
LANES = {name: ComputeLane(name, _env_int(f"XAI_WORKERS_{name.upper()}", WORKERS[name]), _env_int("XAI_QUEUE_MAX", 16),
                           _env_int(f"XAI_NICE_{name.upper()}", NICE[name]))
         for name in ("2d", "prep", "3d", "long")}


def lane_for(task: str) -> ComputeLane:
    """The lane of a task: 'mri' -> 3d, 'chest' / 'skin' -> 2d, 'occlusion' -> long, 'prep' -> prep."""
    return LANES[{"mri": "3d", "occlusion": "long", "prep": "prep"}.get(task, "2d")]

