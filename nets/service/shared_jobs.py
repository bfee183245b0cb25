"""Identical requests in flight share one job ("single flight"): a second request for the same input and options,
arriving while the first still waits in its lane or runs, joins the first one's future instead of queueing the same
work again. Nothing is kept once the job ends, so a request that comes later computes afresh (a new result), and
distinct inputs are not helped at all. Used by the REST API (nets/service/analysis.py: analyse_async)."""
from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Future
from typing import Callable, Hashable


def job_key(raw: bytes, *parts) -> tuple:
    """The input's sha256 and everything else that changes the answer (task, model, target, force, age, options)."""
    return (hashlib.sha256(raw).hexdigest(), *parts)


class SharedJobs:
    def __init__(self):
        self._lock = threading.RLock()  # RLock: a future that is already done runs its callback at once
        self._jobs: dict[Hashable, Future] = {}
        self.joined = 0  # requests that joined a job in flight (for the health endpoint and tests)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._jobs)

    def get_or_submit(self, key: Hashable, submit: Callable[[], Future]) -> tuple[Future, bool]:
        """(the future of the job for `key`, whether it was already in flight); `submit()` starts a new one and may
        raise (e.g. a full lane), in which case nothing is recorded."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                self.joined += 1
                return job, True
            job = submit()
            self._jobs[key] = job
            job.add_done_callback(lambda f: self._forget(key, f))
            return job, False

    def _forget(self, key, job: Future) -> None:
        with self._lock:
            if self._jobs.get(key) is job:
                del self._jobs[key]
