"""Progress of the job a worker process runs: the phase (``models.PROGRESS_PHASES``:
transpiling, then simulating) and its circuits done out of all, written to the store as the
run goes (``JobStore.progress``, the phase and its count in one step),
read by ``job.progress()`` / ``job.progress_phase()``, widgets, REST and the sidebar.

A worker runs one job at a time: the runner's worker wraps each run in ``reporting`` and the
simulator and Dask code call ``report`` between parts of a run, from the thread that runs
the job. Elsewhere (another thread, a test, a Dask worker) ``report`` does nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("qnb.progress")

MIN_INTERVAL = 0.2  # seconds between two writes of one job's progress (the last always goes)


class _Reporter:
    def __init__(self, home: Path, job_id: str) -> None:
        self.home = home
        self.job_id = job_id
        self.thread = threading.get_ident()  # parts run by other threads are not the job's
        self.last = 0.0
        self.phase: str | None = None

    def __call__(self, done: int, total: int, phase: str | None) -> None:
        now = time.monotonic()
        new_phase = phase is not None and phase != self.phase
        if done < total and not new_phase and now - self.last < MIN_INTERVAL:
            return
        self.last = now
        from .store import get_store

        try:
            if new_phase:
                self.phase = phase
            get_store(self.home).progress(self.job_id, done, total, self.phase)
        except Exception as exc:  # progress is a courtesy: the run goes on without it
            log.info("progress of %s not written: %s", self.job_id, exc)


_current: _Reporter | None = None


@contextmanager
def reporting(home: Path | str, job_id: str) -> Iterator[None]:
    """Send this process's ``report`` calls to ``job_id`` in the store of ``home``."""
    global _current
    previous, _current = _current, _Reporter(Path(home), job_id)
    try:
        yield
    finally:
        _current = previous


def active() -> bool:
    """Whether progress reported now, from this thread, goes anywhere."""
    return _current is not None and _current.thread == threading.get_ident()


def report(done: int, total: int, phase: str | None = None) -> None:
    """``done`` of ``total`` circuits have gone through ``phase`` (one of
    ``models.PROGRESS_PHASES``; None: the phase is not told). Written at most every
    ``MIN_INTERVAL``, except the first report of a phase and the last of a count."""
    if active():
        _current(done, total, phase)  # type: ignore[misc]
