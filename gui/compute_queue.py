"""Bounded compute: at most MAX_WORKERS heavy jobs at once; others wait and can see their place in the queue."""
import threading

MAX_WORKERS = 2


class ComputeQueue:
    def __init__(self, workers: int = MAX_WORKERS):
        self._sem = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._waiting = []

    def position(self, ticket) -> int:
        with self._lock:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    def run(self, fn, on_wait=None):
        ticket = object()
        with self._lock:
            self._waiting.append(ticket)
        try:
            while not self._sem.acquire(timeout=0.5):
                if on_wait:
                    on_wait(self.position(ticket))
        finally:
            with self._lock:
                self._waiting.remove(ticket)
        try:
            return fn()
        finally:
            self._sem.release()


QUEUE = ComputeQueue()
