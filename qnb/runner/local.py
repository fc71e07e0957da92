"""The runner's local half: jobs run to completion in a pool of worker processes.

The pool's workers fork from a fork server that has imported ``preload`` (Qiskit, Aer and every
transpiler plugin) and are warmed with a tiny job, so a worker stopped by a cancel is
replaced warm. The pool starts with the runner, so that workers are warming while the first
job is on its way.
"""

from __future__ import annotations

import logging
import multiprocessing
import traceback
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pebble import ProcessExpired

from ..models import JobRecord, JobStatus
from ..store import Store
from .outcomes import Event, EventKind, Inbox, WorkerFailure, describe_exception
from .results import Written

log = logging.getLogger("qnb.runner")

#: ``finish(job_id, status, error=..., result=...)``
Finish = Callable[..., None]


class LocalJobs:
    """The jobs running in this runner's worker pool."""

    def __init__(self, store: Store, workers: int, inbox: Inbox, finish: Finish,
                 written: Callable[[str], None], *, max_crashes: int = 2) -> None:
        self.store = store
        self.written = written  # called for a job its worker ended DONE itself
        self.max_crashes = max_crashes
        self.workers = workers
        self.inbox = inbox
        self.finish = finish
        self.running: dict[str, Future] = {}
        self.pool = self._new_pool()

    def _new_pool(self) -> Any:
        from pebble import ProcessPool

        return ProcessPool(max_workers=self.workers, context=fork_context(),
                           initializer=_warm_worker)

    def warm_up(self) -> None:
        """Start the workers now (pebble starts them with its first task), so that they are
        ready, or nearly, when the first job comes."""
        self.pool.schedule(_started)

    def _schedule(self, spec: dict[str, Any]) -> Future:
        try:
            future = self.pool.schedule(_run_job, args=(spec,))
        except RuntimeError:  # the pool broke (see _replace_pool) before it could say so
            self._replace_pool()
            future = self.pool.schedule(_run_job, args=(spec,))
        future.pool = self.pool  # type: ignore[attr-defined]
        return future

    def _replace_pool(self) -> None:
        """pebble gives up on a pool when a worker dies with no job of its own (killed while
        warming up, out of memory): start a new pool, and re-queue what ran in the old one
        (not those jobs' fault)."""
        log.warning("the worker pool broke; starting a new one")
        self.stop()
        for job_id in list(self.running):
            del self.running[job_id]
            self.store.requeue(job_id, "re-queued: the worker pool was restarted")
        self.pool = self._new_pool()

    @property
    def free(self) -> int:
        return max(self.workers - len(self.running), 0)

    def start(self, rec: JobRecord) -> None:
        """Claim a queued job (QUEUED -> RUNNING) and send it to a worker."""
        claimed = self.store.claim(rec.id)
        if claimed is None:
            return  # cancelled meanwhile
        try:
            fmt, payload = self.store.payload(rec.id)
            spec = {"profile": claimed.options.get("profile") or
                    {"name": rec.backend, "provider": rec.provider, "options": {}},
                    "format": fmt, "payload": payload, "shots": claimed.shots,
                    "seed": claimed.seed, "options": claimed.options.get("run", {}),
                    "job_id": rec.id, "home": str(self.store.path.parent)}
            future = self._schedule(spec)
        except Exception as exc:
            self.finish(rec.id, JobStatus.ERROR, error=describe_exception(exc))
            return
        self.running[rec.id] = future
        future.add_done_callback(
            lambda f, jid=rec.id: self.inbox.put(Event(EventKind.LOCAL_DONE, jid, f)))
        if worth_an_eta(claimed):  # after the hand-off: the job is not kept waiting for it
            self._estimate(claimed)

    def _estimate(self, rec: JobRecord) -> None:
        try:
            seconds = self.store.typical_run(rec)
            if seconds is not None:
                self.store.estimate_end(rec.id, seconds)
        except Exception as exc:  # an ETA is a courtesy: the job runs without one
            log.info("no estimate for job %s: %s", rec.id, exc)

    def handle(self, event: Event) -> None:
        """Write what a worker produced, or note what it wrote itself (main thread)."""
        job_id, future = event.job_id, event.outcome
        if self.running.get(job_id) is not future:
            return  # cancelled meanwhile
        del self.running[job_id]
        try:
            result = future.result()
        except CancelledError:
            self.finish(job_id, JobStatus.CANCELLED, error="cancelled while running")
            return
        except BrokenProcessPool:
            self.store.requeue(job_id, "re-queued: the worker pool was restarted")
            if getattr(future, "pool", None) is self.pool:
                self._replace_pool()
            return
        except ProcessExpired as exc:  # its own worker died: counted against the job
            moved = self.store.worker_died(job_id, describe_exception(exc),
                                           limit=self.max_crashes)
            log.warning("job %s: %s; now %s", job_id, describe_exception(exc), moved)
            return
        except BaseException as exc:
            log.info("job %s failed: %s", job_id, "".join(traceback.format_exception_only(exc)))
            self.finish(job_id, JobStatus.ERROR, error=describe_exception(exc))
            return
        if isinstance(result, Written):
            if result.ended:
                self.written(job_id)
            return
        self.finish(job_id, JobStatus.DONE, result=result)

    def cancel(self, job_id: str) -> bool:
        """Stop a running job's worker process; False if the job does not run here."""
        future = self.running.pop(job_id, None)
        if future is None:
            return False
        future.cancel()  # pebble stops the worker process running it
        self.finish(job_id, JobStatus.CANCELLED, error="cancelled while running")
        return True

    def stop(self) -> None:
        """Stop the pool; jobs still running are lost with it (the next runner re-queues them)."""
        import contextlib

        self.pool.stop()
        with contextlib.suppress(Exception):
            self.pool.join(timeout=5)


#: a job gets an ETA when it has this many circuits or qubits (smaller ones end before
#: anyone would read one, and the estimate costs the runner a query)
ETA_MIN_CIRCUITS = 20
ETA_MIN_QUBITS = 20


def worth_an_eta(rec: JobRecord) -> bool:
    """Whether a job is big enough for the runner to estimate when it ends."""
    qubits = rec.summary.get("num_qubits")
    return rec.num_circuits >= ETA_MIN_CIRCUITS or (isinstance(qubits, int)
                                                    and qubits >= ETA_MIN_QUBITS)


def fork_context() -> Any:
    """The multiprocessing context workers come from: a fork server that imported ``preload``."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["qnb.runner.preload"])
    return ctx


def start_fork_server() -> None:
    """Start the fork server now, so that its imports (a second) overlap the runner's own
    start instead of following it; the pool's first worker would start it otherwise."""
    from multiprocessing import forkserver

    fork_context()
    forkserver.ensure_running()


def _run_job(spec: dict[str, Any]) -> dict[str, Any] | Written:
    """Run a job in a worker (which writes its result, see ``results``); its failure comes
    back as a ``WorkerFailure`` with the reason."""
    from .worker import run_job
    try:
        return run_job(spec)
    except Exception as exc:
        raise WorkerFailure(describe_exception(exc)) from None


def _started() -> None:
    """The pool's first task: it makes pebble start (and warm) the workers at once."""


def _warm_worker() -> None:
    from .worker import warm

    warm()

