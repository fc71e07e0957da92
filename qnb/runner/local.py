"""The runner's local half: a pool of worker processes that claim local jobs from the store
and run them themselves (``worker.serve``). This side only keeps the pool whole:

- it starts the workers with the runner (they warm up while the first job is on its way);
- when a worker dies it charges the job the worker held (``JobStore.held_by``) with the crash:
  the job runs again, or ends in ERROR after ``max_crashes``; then it starts a new worker;
- to cancel a running job it stops the job's worker, and the job ends CANCELLED.

Workers fork from a fork server that imported ``preload`` (Qiskit, Aer and the transpiler's
own plugins), so a replaced worker starts warm.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import Connection
from typing import Any

from ..models import JobStatus
from ..store import JobStore
from ..waiters import WORKERS, poke
from .outcomes import describe_death
from .results import end_job

log = logging.getLogger("qnb.runner")

STOP_GRACE_SECONDS = 1.0  # a stopping pool waits this long for idle workers to leave


class LocalJobs:
    """The runner's worker processes, and the local jobs they hold."""

    def __init__(self, store: JobStore, workers: int, *, max_crashes: int = 2,
                 runner: int | None = None) -> None:
        self.store = store
        self.home = store.home
        self.workers = workers
        self.max_crashes = max_crashes
        self.runner = runner if runner is not None else os.getpid()  # the runner's lease id
        self.procs: dict[int, tuple[Any, Connection]] = {}  # pid -> (process, our pipe end)
        self._cancelling: set[int] = set()  # workers stopped to cancel the job they held

    def start(self) -> None:
        """Start the workers (each warms up, then claims what waits)."""
        while len(self.procs) < self.workers:
            self._spawn()

    def _spawn(self) -> None:
        ctx = fork_context()
        ours, theirs = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(str(self.home), self.runner, theirs),
                           name="qnb-worker")
        proc.start()
        theirs.close()
        self.procs[proc.pid] = (proc, ours)

    def sentinels(self) -> list[int]:
        """What the runner's ``select`` watches: each worker's end."""
        return [proc.sentinel for proc, _ in self.procs.values()]

    def running(self) -> int:
        """Local jobs this runner's workers hold (RUNNING)."""
        return self.store.count_held(self.runner)

    def reap(self) -> None:
        """Deal with the workers that died: the job each held runs again (or ends in ERROR
        after ``max_crashes`` deaths), ends CANCELLED if it was being cancelled, or, if its
        worker was stopped to cancel another job, is re-queued uncharged. Then replace them."""
        for pid, (proc, conn) in list(self.procs.items()):
            if proc.is_alive():
                continue
            proc.join()
            conn.close()
            del self.procs[pid]
            stopped_for_cancel = pid in self._cancelling
            self._cancelling.discard(pid)
            for job_id, cancel_requested in self.store.held_by(pid, self.runner):
                if cancel_requested:
                    end_job(self.store, job_id, JobStatus.CANCELLED,
                            error="cancelled while running", only_from=[JobStatus.RUNNING])
                elif stopped_for_cancel:
                    self.store.requeue(job_id, "re-queued: its worker was stopped to cancel "
                                               "another job, which had just ended")
                else:
                    why = describe_death(proc.exitcode)
                    moved = self.store.worker_died(job_id, why, limit=self.max_crashes)
                    log.warning("job %s: %s; now %s", job_id, why, moved)
                    if moved is JobStatus.ERROR:
                        poke(self.home)
            self._spawn()
            poke(self.home, WORKERS)  # a re-queued job is claimed at once

    def cancel(self, job_id: str) -> bool:
        """Stop the worker running ``job_id`` (``reap`` then ends the job CANCELLED); False
        if none of this runner's workers holds it."""
        holder = self.store.holder(job_id)
        if holder is None or holder[1] != self.runner or holder[0] not in self.procs:
            return False
        pid = holder[0]
        if pid not in self._cancelling:
            self._cancelling.add(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self.procs[pid][0].join(timeout=5)
        self.reap()
        return True

    def stop(self) -> None:
        """Stop the workers: idle ones leave when told, busy ones are killed (as a stopping
        runner must not keep its caller waiting; their jobs stay RUNNING, and the next runner
        runs them again)."""
        for _, conn in self.procs.values():
            with contextlib.suppress(OSError):
                conn.send("stop")
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc, conn in self.procs.values():
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
            conn.close()
        self.procs.clear()


def fork_context() -> Any:
    """The multiprocessing context workers come from: a fork server that imported ``preload``."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["qnb.runner.preload"])
    return ctx


def start_fork_server() -> None:
    """Start the fork server now, so that its imports (a second) overlap the runner's own
    start instead of following it; the first worker would start it otherwise."""
    from multiprocessing import forkserver

    fork_context()
    forkserver.ensure_running()


def _serve(home: str, runner: int, conn: Connection) -> None:
    from .worker import serve

    serve(home, runner, conn)
