"""Threads that live as long as the process, for work that may import Qiskit.

A process whose first import of the Qiskit stack (qiskit, qiskit-aer, qiskit-ibm-runtime)
ran on a thread that later exited has been seen to segfault in a later Qiskit call from
another thread (qiskit 2.6, qiskit-ibm-runtime 0.51, Python 3.11). So qnb imports and calls
Qiskit only on threads that never exit: ``lasting_pool`` (the REST service, the runner's
remote I/O) and ``TimedCalls`` (backend listings that must give up after a time limit).
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_pools: dict[str, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def lasting_pool(name: str, threads: int) -> ThreadPoolExecutor:
    """The process's pool called ``name``, made on first use and never shut down (its
    threads stay once started)."""
    with _pools_lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(threads, thread_name_prefix=name)
        return pool


class TimedCalls:
    """Lasting daemon threads that run blocking calls with a time limit for the caller (a
    call that overruns goes on in its thread; the caller stops waiting)."""

    def __init__(self, name: str, most: int = 4) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._most = most

    def call(self, fn: Any, timeout: float) -> Any:
        """``fn()``'s value or exception; ``TimeoutError`` once ``timeout`` seconds pass."""
        done = threading.Event()
        box: dict[str, Any] = {}
        with self._lock:
            if self._idle == 0 and self._threads < self._most:
                self._threads += 1
                threading.Thread(target=self._serve, name=self._name, daemon=True).start()
        self._jobs.put((fn, box, done))
        if not done.wait(timeout):
            raise TimeoutError(f"no answer within {timeout:g} s")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            fn, box, done = self._jobs.get()
            with self._lock:
                self._idle -= 1
            try:
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc
            done.set()
