"""The runner process: claims queued jobs, runs local ones in a pool of worker processes,
submits and follows remote ones, honours cancel requests and writes every status change.

All store writes happen on the main thread; pool callbacks and remote I/O threads hand
their outcomes back through a queue and a self-pipe.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import queue
import select
import signal
import stat
import sys
import time
import traceback
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..backends.base import Provider, RemoteState
from ..backends.registry import make_provider
from ..models import JobRecord, JobStatus
from ..store import Store
from .control import RunnerFiles, acquire_lock
from .remote import PollSchedule

log = logging.getLogger("qnb.runner")

SUBMITTING = "submitting"
RESULT_PENDING = "DONE at the service; fetching the result"
DEFAULT_IDLE_TIMEOUT = 600.0
DEFAULT_RETRY_TIMEOUT = 900.0


def describe_exception(exc: BaseException) -> str:
    """A one-line reason for a job's ERROR, with the exception type."""
    from pebble import ProcessExpired

    if isinstance(exc, ProcessExpired):
        code = exc.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            why = "killed by " + name + (
                " (most likely out of memory)" if name == "SIGKILL" else
                " (the simulator crashed)" if name in ("SIGSEGV", "SIGABRT", "SIGBUS") else "")
        else:
            why = f"exited with code {code}"
        return f"the worker process running this job died: {why}"
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {text}"


class Runner:
    """One runner serving one ``QNB_HOME``. ``serve()`` returns when idle or stopped."""

    def __init__(self, home: Path, *, workers: int | None = None,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT, max_attempts: int = 2,
                 io_threads: int = 8, lock_fd: int | None = None) -> None:
        self.home = Path(home)
        self._lock_fd = lock_fd  # taken by __main__ before its imports, or by serve()
        self.files = RunnerFiles(self.home)
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.idle_timeout = idle_timeout
        self.max_attempts = max_attempts
        self.io_threads = io_threads
        self.runner_id = f"{os.getpid()}"
        self.events: queue.SimpleQueue[tuple[str, str, Any]] = queue.SimpleQueue()
        self.local: dict[str, Future] = {}
        self.remote_busy: set[str] = set()  # jobs with a submit/poll/result call under way
        self.schedule = PollSchedule()
        self.providers: dict[str, Provider] = {}
        self.records: dict[str, JobRecord] = {}
        self.stopping = False
        self.started_at = time.time()
        self.last_busy = time.monotonic()
        self.finished = 0

    # -- life cycle ---------------------------------------------------------------------
    def serve(self) -> int:
        self._lock_fd = self._lock_fd if self._lock_fd is not None else acquire_lock(self.home)
        if self._lock_fd is None:
            log.info("another runner already serves %s", self.home)
            return 0
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.store = Store.open(self.home)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._open_fifo()
        self.io = ThreadPoolExecutor(self.io_threads, thread_name_prefix="qnb-remote")
        self.pool = self._make_pool()
        log.info("runner %s serving %s with %d workers", os.getpid(), self.home, self.workers)
        self._heartbeat(force=True)
        try:
            self._recover()
            self._loop()
        finally:
            self._shutdown()
        return 0

    def _make_pool(self):
        from pebble import ProcessPool

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["qnb.runner.worker"])
        return ProcessPool(max_workers=self.workers, context=ctx,
                           initializer=_warm_worker)

    def _open_fifo(self) -> None:
        path = self.files.fifo
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISFIFO(path.lstat().st_mode):
                path.unlink()
        if not path.exists():
            os.mkfifo(path, 0o600)
        self._fifo_r = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._fifo_w = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # keeps reads from seeing EOF

    def _close_fifo(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.files.fifo.unlink()
        for fd in (self._fifo_r, self._fifo_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _shutdown(self) -> None:
        self._close_fifo()
        # Jobs still running locally are lost with the pool; the next runner re-queues them.
        self.pool.stop()
        with contextlib.suppress(Exception):
            self.pool.join(timeout=5)
        self.io.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(FileNotFoundError):
            self.files.info.unlink()
        log.info("runner %s stopped", os.getpid())

    def _heartbeat(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - getattr(self, "_last_beat", 0) < 2.0:
            return
        self._last_beat = now
        info = {"pid": os.getpid(), "started_at": self.started_at, "heartbeat": now,
                "workers": self.workers, "running_local": len(self.local),
                "following_remote": len(self.schedule.jobs), "finished": self.finished,
                "python": sys.executable}
        tmp = self.files.info.with_suffix(".tmp")
        tmp.write_text(json.dumps(info))
        tmp.replace(self.files.info)

    # -- recovery -----------------------------------------------------------------------
    def _recover(self) -> None:
        """Pick up what a previous runner left: re-queue lost local work, re-attach remote."""
        for rec in self.store.running():
            if rec.remote_id:
                self._follow(rec)
            elif rec.attempts < self.max_attempts:
                self.store.transition(
                    rec.id, JobStatus.QUEUED, expect=[JobStatus.RUNNING],
                    provider_status="re-queued: the runner running it stopped", started_at=None)
                log.warning("re-queued job %s lost by a stopped runner", rec.id)
            else:
                self._finish(rec.id, JobStatus.ERROR, error=(
                    f"the runner stopped while running this job {rec.attempts} times; "
                    "it is not retried again"))
        queued, _ = self.store.list(status=JobStatus.QUEUED, limit=1_000_000, newest_first=False)
        for rec in queued:
            if rec.remote_id:
                self._follow(rec)
            elif rec.provider_status == SUBMITTING:
                self._finish(rec.id, JobStatus.ERROR, error=(
                    "the runner stopped while submitting this job to the service; it may or "
                    "may not have reached it, so it is not sent again"))

    # -- main loop ----------------------------------------------------------------------
    def _loop(self) -> None:
        while not self.stopping:
            self._wait()
            self._drain_events()
            self._handle_cancels()
            self._dispatch()
            self._poll_remote()
            self._heartbeat()
            if self._idle_expired():
                break

    def _wait(self) -> None:
        due = self.schedule.next_due()
        timeout = 0.5
        if due is not None:
            timeout = max(0.0, min(timeout, due - time.monotonic()))
        try:
            ready, _, _ = select.select([self._fifo_r, self._wake_r], [], [], timeout)
        except InterruptedError:
            ready = []
        for fd in ready:
            with contextlib.suppress(BlockingIOError, OSError):
                while os.read(fd, 4096):
                    pass

    def _idle_expired(self) -> bool:
        if self.local or self.schedule.jobs or self.remote_busy:
            self.last_busy = time.monotonic()
            return False
        if time.monotonic() - self.last_busy < self.idle_timeout:
            return False
        # Stop listening first, then look once more: a job written before the FIFO went
        # away is seen here; one written after finds no runner and starts a new one.
        self._close_fifo()
        if self.store.queued(limit=1):
            self._open_fifo()
            self.last_busy = time.monotonic()
            return False
        log.info("idle for %.0f s: exiting", self.idle_timeout)
        return True

    def _signal_main(self, kind: str, job_id: str, payload: Any) -> None:
        self.events.put((kind, job_id, payload))
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b".")

    # -- local jobs ---------------------------------------------------------------------
    def _provider(self, rec: JobRecord) -> Provider:
        spec = rec.options.get("profile") or {"name": rec.backend, "provider": rec.provider}
        key = json.dumps(spec, sort_keys=True)
        prov = self.providers.get(key)
        if prov is None:
            prov = self.providers[key] = make_provider(spec)
        return prov

    def _dispatch(self) -> None:
        free = self.workers - len(self.local)
        for rec in self.store.queued(limit=max(free, 0) + 200):
            if rec.id in self.local or rec.id in self.remote_busy or rec.id in self.schedule.jobs:
                continue
            if rec.remote_id or rec.provider_status == SUBMITTING:
                continue
            try:
                provider = self._provider(rec)
            except Exception as exc:
                self._finish(rec.id, JobStatus.ERROR, error=describe_exception(exc),
                             expect=[JobStatus.QUEUED])
                continue
            if provider.kind == "remote":
                self._submit_remote(rec, provider)
            elif free > 0:
                self._start_local(rec)
                free -= 1

    def _start_local(self, rec: JobRecord) -> None:
        claimed = self.store.claim(rec.id, self.runner_id)
        if claimed is None:
            return  # cancelled meanwhile
        try:
            fmt, payload = self.store.payload(rec.id)
            spec = {"profile": claimed.options.get("profile") or
                    {"name": rec.backend, "provider": rec.provider, "options": {}},
                    "format": fmt, "payload": payload, "shots": claimed.shots,
                    "seed": claimed.seed, "options": claimed.options.get("run", {})}
            future = self.pool.schedule(_run_job, args=(spec,))
        except Exception as exc:
            self._finish(rec.id, JobStatus.ERROR, error=describe_exception(exc))
            return
        self.local[rec.id] = future
        future.add_done_callback(lambda f, jid=rec.id: self._signal_main("local", jid, f))

    def _local_done(self, job_id: str, future: Future) -> None:
        if self.local.get(job_id) is not future:
            return
        del self.local[job_id]
        try:
            result = future.result()
        except CancelledError:
            self._finish(job_id, JobStatus.CANCELLED, error="cancelled while running")
            return
        except BaseException as exc:
            log.info("job %s failed: %s", job_id, "".join(traceback.format_exception_only(exc)))
            self._finish(job_id, JobStatus.ERROR, error=describe_exception(exc))
            return
        self._finish(job_id, JobStatus.DONE, result=result)

    def _finish(self, job_id: str, status: JobStatus, *, error: str | None = None,
                result: dict[str, Any] | None = None, expect: list[JobStatus] | None = None,
                provider_status: str | None = None) -> None:
        ok = self.store.transition(job_id, status, error=error, result=result, expect=expect,
                                   provider_status=provider_status or str(status).lower())
        if ok:
            self.finished += 1
            log.info("job %s %s%s", job_id, status, f": {error}" if error else "")

    # -- cancel -------------------------------------------------------------------------
    def _handle_cancels(self) -> None:
        for job_id in self.store.cancel_requests():
            future = self.local.get(job_id)
            if future is not None:
                future.cancel()  # pebble stops the worker process running it
                del self.local[job_id]
                self._finish(job_id, JobStatus.CANCELLED, error="cancelled while running")
                continue
            followed = self.schedule.jobs.get(job_id)
            if followed is not None and job_id not in self.remote_busy:
                self.schedule.forget(job_id)
                rec = self.store.get(job_id)
                self.remote_busy.add(job_id)
                self.io.submit(self._remote_call, "cancelled", job_id,
                               self._provider(rec).cancel, followed.remote_id)
            elif job_id not in self.remote_busy and job_id not in self.schedule.jobs:
                rec = self.store.get(job_id)
                if not rec.remote_id and rec.provider_status != SUBMITTING:
                    # Not ours (a stopped runner's): nothing runs it any more.
                    self._finish(job_id, JobStatus.CANCELLED, error="cancelled")

    # -- remote jobs --------------------------------------------------------------------
    def _submit_remote(self, rec: JobRecord, provider: Provider) -> None:
        if not self.store.transition(rec.id, JobStatus.QUEUED, expect=[JobStatus.QUEUED],
                                     provider_status=SUBMITTING):
            return
        fmt, payload = self.store.payload(rec.id)
        self.remote_busy.add(rec.id)
        self.io.submit(self._remote_call, "submitted", rec.id, provider.submit, fmt, payload,
                       rec.shots, rec.seed, rec.options.get("run", {}))

    def _remote_call(self, kind: str, job_id: str, fn: Any, *args: Any) -> None:
        try:
            outcome: Any = fn(*args)
        except BaseException as exc:
            outcome = exc
        self._signal_main(kind, job_id, outcome)

    def _follow(self, rec: JobRecord) -> None:
        self.schedule.follow(rec.id, rec.remote_id, delay=0.0)

    def _poll_remote(self) -> None:
        for followed in self.schedule.due():
            if followed.job_id in self.remote_busy:
                self.schedule.later(followed, followed.interval)
                continue
            try:
                rec = self.store.get(followed.job_id)
                provider = self._provider(rec)
            except Exception as exc:
                self.schedule.forget(followed.job_id)
                self._finish(followed.job_id, JobStatus.ERROR, error=describe_exception(exc))
                continue
            self.records[followed.job_id] = rec
            self.remote_busy.add(followed.job_id)
            self.io.submit(self._remote_call, "polled", followed.job_id, provider.poll,
                           followed.remote_id)

    def _retry_timeout(self, job_id: str) -> float:
        rec = self.records.get(job_id) or self.store.get(job_id)
        profile = rec.options.get("profile") or {}
        return float(profile.get("options", {}).get("retry_timeout", DEFAULT_RETRY_TIMEOUT))

    def _transient(self, job_id: str, exc: BaseException) -> bool:
        rec = self.records.get(job_id) or self.store.get(job_id)
        checker = getattr(self._provider(rec), "is_transient", None)
        if checker is not None:
            return bool(checker(exc))
        return isinstance(exc, (ConnectionError, TimeoutError))

    def _remote_event(self, kind: str, job_id: str, outcome: Any) -> None:
        self.remote_busy.discard(job_id)
        if kind == "submitted":
            if isinstance(outcome, BaseException):
                self._finish(job_id, JobStatus.ERROR, expect=[JobStatus.QUEUED],
                             error="submission failed: " + describe_exception(outcome))
                return
            self.store.update(job_id, remote_id=str(outcome), provider_status="submitted")
            self.schedule.follow(job_id, str(outcome), delay=0.2)
            rec = self.store.get(job_id)
            if rec.cancel_requested:
                self._handle_cancels()
            return
        if kind == "cancelled":
            if isinstance(outcome, BaseException):
                log.warning("cancel of %s at the service failed: %s", job_id, outcome)
            self._finish(job_id, JobStatus.CANCELLED, error="cancelled",
                         expect=[JobStatus.QUEUED, JobStatus.RUNNING])
            return
        followed = self.schedule.jobs.get(job_id)
        if followed is None:
            return  # forgotten meanwhile (cancelled)
        if kind == "polled":
            self._polled(followed, outcome)
        elif kind == "result":
            if isinstance(outcome, BaseException):
                self._remote_failure(followed, outcome)
            else:
                self.schedule.forget(job_id)
                self._finish(job_id, JobStatus.DONE, result=outcome,
                             expect=[JobStatus.QUEUED, JobStatus.RUNNING])

    def _remote_failure(self, followed: Any, exc: BaseException) -> None:
        job_id = followed.job_id
        if self._transient(job_id, exc):
            failing = self.schedule.failed(followed)
            limit = self._retry_timeout(job_id)
            if failing < limit:
                self.store.update(job_id, provider_status=(
                    f"retrying after {type(exc).__name__} (failing for {failing:.0f} s)"))
                return
            msg = f"gave up after {failing:.0f} s of errors: {describe_exception(exc)}"
        else:
            msg = describe_exception(exc)
        self.schedule.forget(job_id)
        self._finish(job_id, JobStatus.ERROR, error=msg,
                     expect=[JobStatus.QUEUED, JobStatus.RUNNING])

    def _polled(self, followed: Any, state: Any) -> None:
        job_id = followed.job_id
        if isinstance(state, BaseException):
            self._remote_failure(followed, state)
            return
        state: RemoteState
        rec = self.records.get(job_id) or self.store.get(job_id)
        if state.status is JobStatus.DONE:
            # keeps it followed; not a successful poll for the error streak: a result call
            # that keeps failing transiently must still give up after retry_timeout
            self.schedule.later(followed, followed.interval)
            if rec.provider_status != RESULT_PENDING:
                self.store.update(job_id, provider_status=RESULT_PENDING, note=True)
                self.records[job_id] = self.store.get(job_id)
            self.remote_busy.add(job_id)
            self.io.submit(self._remote_call, "result", job_id, self._provider(rec).result,
                           followed.remote_id)
            return
        if state.status in (JobStatus.ERROR, JobStatus.CANCELLED):
            self.schedule.forget(job_id)
            self._finish(job_id, state.status, error=state.error or state.provider_status,
                         provider_status=state.provider_status,
                         expect=[JobStatus.QUEUED, JobStatus.RUNNING])
            return
        changed = (rec.status != state.status or rec.provider_status != state.provider_status
                   or rec.queue_position != state.queue_position
                   or rec.estimated_start != state.estimated_start)
        if changed:
            if rec.status != state.status:
                self.store.transition(job_id, state.status, provider_status=state.provider_status,
                                      expect=[rec.status], queue_position=state.queue_position,
                                      estimated_start=state.estimated_start)
            else:
                self.store.update(job_id, provider_status=state.provider_status,
                                  queue_position=state.queue_position,
                                  estimated_start=state.estimated_start)
            self.records[job_id] = self.store.get(job_id)
        self.schedule.polled(followed, state.status, state.estimated_start)

    # -- events -------------------------------------------------------------------------
    def _drain_events(self) -> None:
        while True:
            try:
                kind, job_id, payload = self.events.get_nowait()
            except queue.Empty:
                return
            try:
                if kind == "local":
                    self._local_done(job_id, payload)
                else:
                    self._remote_event(kind, job_id, payload)
            except Exception:
                log.exception("handling %s of job %s failed", kind, job_id)


def _run_job(spec: dict[str, Any]) -> dict[str, Any]:
    from .worker import run_job

    return run_job(spec)


def _warm_worker() -> None:
    from .worker import warm

    warm()
