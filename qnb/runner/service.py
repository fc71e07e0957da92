"""The runner process: one per ``QNB_HOME``; several, of several homes or machines, may serve
one shared store, each holding a lease on it (``leases``). Its main loop, step by step: wait
to be woken (or for the next poll), replace dead workers, write what the remote helpers
finished, honour cancel requests, hand queued remote jobs to their services, poll the
remote jobs that are due, beat the heart (renewing the lease), take over what runners gone
left behind, and exit when idle (never, as a service).

The local half is ``local.LocalJobs``: worker processes that claim and run local jobs
themselves (``worker``), so that no local job waits for this loop. The remote half
(services, polls, retries) is ``remote.RemoteJobs``; of this process, only the main thread
writes to the store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import stat
import sys
import time
from pathlib import Path
from typing import Any

from ..backends.base import Provider
from ..backends.registry import make_provider, provider_kind
from ..files import write_json_atomic
from ..models import JobRecord, JobStatus, StoreCorrupt, StoreError
from ..store import DEFAULT_BACKUPS, corrupt_message, open_store
from ..threads import lasting_pool
from .control import RunnerFiles, acquire_lock
from .leases import DEFAULT_LEASE_SECONDS, Lease
from .local import LocalJobs
from .outcomes import Inbox, describe_exception
from .remote import RemoteJobs
from .results import end_job
from .upkeep import HEALTH_CHECK_SECONDS, Upkeep

log = logging.getLogger("qnb.runner")

DEFAULT_IDLE_TIMEOUT = 600.0
#: a job runs again after a stopped runner lost its run, until this many runs were lost so
#: (a runner that dies on every start must not run a job for ever); not the job's fault
DEFAULT_MAX_ATTEMPTS = 5
#: a job whose own worker died (segfault, out of memory) this many times ends in ERROR
DEFAULT_MAX_CRASHES = 2


class Runner:
    """One runner serving one ``QNB_HOME``. ``serve()`` returns when idle or stopped."""

    def __init__(self, home: Path, *, workers: int | None = None,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, max_crashes: int = DEFAULT_MAX_CRASHES,
                 backups: int = DEFAULT_BACKUPS, io_threads: int = 8,
                 keep_days: float | None = None, check_every: float = HEALTH_CHECK_SECONDS,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, service: bool = False,
                 lock_fd: int | None = None) -> None:
        self.home = Path(home)
        self.lease_seconds = lease_seconds
        self.service = service  # a long-lived service: never exits when idle
        self._lock_fd = lock_fd  # taken by __main__ before its imports, or by serve()
        self.files = RunnerFiles(self.home)
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.idle_timeout = idle_timeout
        self.max_attempts = max_attempts
        self.max_crashes = max_crashes
        self.backups = backups  # daily backups kept (0: none)
        self.keep_days = keep_days  # finished jobs older than this are pruned (None: kept)
        self.check_every = check_every  # seconds between health checks of the store
        self._signal = 0
        self.io_threads = io_threads
        self.providers: dict[str, Provider] = {}
        self.stopping = False
        self.started_at = time.time()
        self.finished = 0  # jobs ended since this runner started (``_ended``)
        self._ledger_row = 0  # the newest usage ledger row counted in ``finished``
        self.last_busy = time.monotonic()
        self._last_beat = 0.0

    # -- life cycle ---------------------------------------------------------------------
    def serve(self) -> int:
        self._lock_fd = self._lock_fd if self._lock_fd is not None else acquire_lock(self.home)
        if self._lock_fd is None:
            log.info("another runner already serves %s", self.home)
            return 0
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            self.store = open_store(self.home)
            verdict = self.store.quick_check()  # a damaged store is marked, then refused
        except StoreError as exc:
            log.error("%s", exc)
            return 2
        if verdict != "ok":
            log.error("%s", corrupt_message(self.store.url, verdict))
            return 2
        self._ledger_row = self.store.ended_after(0)[1]  # jobs ended before start: not ours
        self.upkeep = Upkeep(self.store, lambda: open_store(self.home), backups=self.backups,
                             keep_days=self.keep_days, check_every=self.check_every)
        self.inbox = Inbox()
        self._open_fifo()
        self.lease = Lease(self.store, workers=self.workers, seconds=self.lease_seconds,
                           service=self.service, max_attempts=self.max_attempts,
                           finish=self._finish, follow=self._follow, nudge=self.inbox.nudge)
        self.local = LocalJobs(self.store, self.workers, max_crashes=self.max_crashes,
                               runner=self.lease.id)
        self.remote = RemoteJobs(self.store, self._provider,
                                 lasting_pool("qnb-remote", self.io_threads), self.inbox,
                                 self._finish, runner=self.lease.id)
        log.info("runner %s (lease %x) serving %s with %d workers", os.getpid(), self.lease.id,
                 self.store.url, self.workers)
        self._heartbeat(force=True)
        try:
            self.lease.start()  # takes over what stopped runners left
            self._taken_over = time.monotonic()
            self.local.start()  # after that: workers claim what waits at once
            self._loop()
        except StoreCorrupt as exc:  # a health check found it, or SQLite reported it
            log.error("%s; this runner stops serving it", exc)
            return 2
        finally:
            self._shutdown()
        return 128 + self._signal if self._signal else 0  # 143 after SIGTERM, 130 SIGINT

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
        self._signal = signum
        self.inbox.nudge()

    def _shutdown(self) -> None:
        self._close_fifo()
        self._handle_events()  # write what the helpers have finished before going
        self.local.stop()
        if hasattr(self, "lease"):
            with contextlib.suppress(StoreError):
                self.lease.end()  # its remote jobs are another runner's to follow now
        with contextlib.suppress(FileNotFoundError):
            self.files.info.unlink()
        log.info("runner %s stopped", os.getpid())

    def _heartbeat(self, force: bool = False) -> None:
        now = time.time()
        # a beat every 2 s, and at least three per lease: a short lease (QNB_RUNNER_LEASE)
        # must not expire between two beats of a runner that is only slow for a moment
        if not force and now - self._last_beat < min(2.0, self.lease_seconds / 3):
            return
        self._last_beat = now
        running, following = self.local.running(), len(self.remote.schedule.jobs)
        write_json_atomic(self.files.info, {
            "pid": os.getpid(), "state": "serving", "started_at": self.started_at,
            "heartbeat": now, "lease": f"{self.lease.id:x}", "store": self.store.url,
            "workers": self.workers, "running_local": running,
            "following_remote": following, "finished": self._ended(),
            "hears_ends": self.lease.hears_ends,
            "python": sys.executable})
        if not force and not self.lease.renew(running, following):
            log.error("this runner's lease on %s expired before it was renewed (was the "
                      "runner paused?); its jobs may be another runner's now: it stops",
                      self.store.url)
            self.stopping = True

    def _ended(self) -> int:
        """Jobs that ended since this runner started, by anyone (its workers end theirs)."""
        new, self._ledger_row = self.store.ended_after(self._ledger_row)
        self.finished += new
        return self.finished

    # -- taking over ---------------------------------------------------------------------
    def _follow(self, rec: JobRecord) -> None:
        """Follow a remote job this runner adopted (``leases``), by its remote id."""
        self.remote.reattach(rec)

    def _take_over_if_due(self) -> None:
        """Every third of a lease, what runners whose lease expired left behind."""
        if time.monotonic() - self._taken_over >= self.lease.every:
            self._taken_over = time.monotonic()
            self.lease.take_over()

    # -- main loop ----------------------------------------------------------------------
    def _loop(self) -> None:
        # The wait comes last: jobs submitted while this runner started (their wake-up came
        # before it listened) are dispatched at once.
        while not self.stopping:
            self.local.reap()
            self._handle_events()
            self._handle_cancels()
            self._dispatch()
            self.remote.poll_due()
            self._heartbeat()
            self._take_over_if_due()
            self.upkeep.run(self.local.running)
            if self.remote.sessions:
                self.remote.end_sessions()
            if self._idle_expired():
                break
            self._wait()

    def _wait(self) -> None:
        due = self.remote.next_due()
        timeout = 0.5
        if due is not None:
            timeout = max(0.0, min(timeout, due - time.monotonic()))
        wakers = [self._fifo_r, self.inbox.wake_r]
        try:  # a worker that dies wakes the loop too (its sentinel, ready until reaped)
            ready, _, _ = select.select(wakers + self.local.sentinels(), [], [], timeout)
        except InterruptedError:
            ready = []
        for fd in (fd for fd in ready if fd in wakers):
            with contextlib.suppress(BlockingIOError, OSError):
                while os.read(fd, 4096):
                    pass

    def _idle_expired(self) -> bool:
        if self.service:
            return False
        if self.remote.active or self.store.busy():
            self.last_busy = time.monotonic()
            return False
        if time.monotonic() - self.last_busy < self.idle_timeout:
            return False
        # Stop listening first, then look once more: a job written before the FIFO went
        # away is seen here; one written after finds no runner and starts a new one.
        self._close_fifo()
        if self.store.busy():  # a job queued meanwhile (or just claimed by a worker)
            self._open_fifo()
            self.last_busy = time.monotonic()
            return False
        log.info("idle for %.0f s: exiting", self.idle_timeout)
        return True

    def _handle_events(self) -> None:
        for event in self.inbox.drain():
            try:
                self.remote.handle(event)
            except Exception:
                log.exception("handling %s of job %s failed", event.kind, event.job_id)

    def _provider(self, rec: JobRecord) -> Provider:
        spec = rec.options.get("profile") or {"name": rec.backend, "provider": rec.provider}
        key = json.dumps(spec, sort_keys=True)
        prov = self.providers.get(key)
        if prov is None:
            prov = self.providers[key] = make_provider(spec)
        return prov

    def _dispatch(self) -> None:
        """Hand queued remote jobs to their services while hand-over threads are free (local
        jobs are the workers' to claim). Only as many jobs as can start are read, in queue
        order, so that the cost of a loop does not grow with the queue."""
        # no more hand-overs at once than there are threads to make them: a job marked as
        # being handed over is lost (ERROR) if the runner dies before its call
        room = self.io_threads - len(self.remote.handing)
        if room <= 0:
            return
        names = [n for n in self.store.queued_providers() if provider_kind(n) == "remote"]
        if not names:
            return
        for rec in self.store.queued(limit=room, providers=names):
            if self.remote.holds(rec.id):
                continue
            try:
                provider = self._provider(rec)
            except Exception as exc:
                self._finish(rec.id, JobStatus.ERROR, error=describe_exception(exc),
                             only_from=[JobStatus.QUEUED])
                continue
            if len(self.remote.handing) < self.io_threads:
                self.remote.submit(rec, provider)

    def _finish(self, job_id: str, status: JobStatus, *, error: str | None = None,
                result: dict[str, Any] | None = None, provider_status: str | None = None,
                only_from: list[JobStatus] | tuple[JobStatus, ...] | None = None) -> None:
        """End a job (``results.end_job``: the kernels waiting on it are woken) and log it."""
        if end_job(self.store, job_id, status, error=error, result=result,
                   provider_status=provider_status, only_from=only_from):
            log.info("job %s %s%s", job_id, status, f": {error}" if error else "")

    def _handle_cancels(self) -> None:
        for job_id in self.store.cancel_requests():
            if self.local.cancel(job_id):
                continue
            if self.remote.holds(job_id):
                self.remote.cancel(job_id)  # once no other call about it is under way
                continue
            if self.lease.held_elsewhere(job_id):
                continue  # another runner's, with a lease: it answers the cancel
            rec = self.store.get(job_id)
            if not rec.remote_id and not rec.submitting:
                # Not ours (a stopped runner's): nothing runs it any more.
                self._finish(job_id, JobStatus.CANCELLED, error="cancelled")
