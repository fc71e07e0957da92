"""This runner's lease on the store, and the jobs it takes over from runners that are gone.

A runner is known to the store by a random id and a lease it renews with each heartbeat,
never by its pid, host name or lock: several runners, on several machines, may serve one
shared store. Every few seconds (and at start) a runner looks for what runners whose lease
expired left behind, step by step:

1. remove the expired leases (on a store only one runner serves, every other lease: the
   home's lock this runner holds proves their runners gone);
2. re-queue the local jobs their workers held (or end them in ERROR once runners have lost
   a job's run ``max_attempts`` times): the store's moves are conditional, so when two
   runners try, one does it;
3. adopt the remote jobs they followed (each by exactly one runner) and follow them by
   their remote ids; a job caught while being handed over ends in ERROR, as it may or may
   not have reached its service and must not be sent twice.

On a shared store it also listens, on one connection, for submits made anywhere, and wakes
this home's idle workers; and, while a kernel of this home waits on jobs, for jobs ending
anywhere, and wakes this home's waits. So a home's kernels need no listener of their own
while its runner serves (``hears_ends``); a kernel of a home without one listens itself
(``waiters.follow_ends``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from typing import Any

from ..backends.registry import provider_kind
from ..models import JobRecord, JobStatus
from ..store import JobStore
from ..waiters import WORKERS, poke, waiting

log = logging.getLogger("qnb.runner")

DEFAULT_LEASE_SECONDS = 15.0


class Lease:
    """The lease of one runner, and its look-out for jobs that runners gone left behind."""

    def __init__(self, store: JobStore, *, workers: int, seconds: float, service: bool,
                 max_attempts: int, finish: Callable[..., None],
                 follow: Callable[[JobRecord], None], nudge: Callable[[], None]) -> None:
        self.store = store
        self.id = secrets.randbits(62) or 1
        self.workers = workers
        self.seconds = seconds
        self.service = service
        self.max_attempts = max_attempts
        self.finish = finish
        self.follow = follow
        self.nudge = nudge
        self.listener: Any = None
        self._alive: set[int] = set()

    @property
    def every(self) -> float:
        """Seconds between two looks for what runners gone left: a third of a lease."""
        return max(self.seconds / 3, 0.05)

    def start(self) -> None:
        self.store.join(self.id, host=socket.gethostname(), pid=os.getpid(),
                        workers=self.workers, lease=self.seconds, service=self.service)
        if not self.store.shared:
            gone = self.store.expire_runners(all_but=self.id)
            if gone:
                log.info("took over from %d runner(s) of this home that stopped", len(gone))
        self.take_over()
        self.listener = self.store.listen(self._heard, topic=self._topics)

    def _topics(self) -> tuple[str, ...]:
        """What this runner listens to: submits always; ends while a process of this home
        waits on jobs (a runner serving as a service, with no kernels, hears none)."""
        return ("submit", "end") if waiting(self.store.home) else ("submit",)

    @property
    def hears_ends(self) -> bool:
        """Whether this runner hears jobs end anywhere now, and wakes this home's waits:
        what the kernels of this home read in ``runner.json``."""
        listener = self.listener
        return (listener is not None and listener.connected.is_set()
                and "end" in listener.topics)

    def renew(self, running: int, following: int) -> bool:
        """The heartbeat's renewal; False if the lease was lost (it expired meanwhile). A
        store only one runner serves needs none: the home's lock says who serves it."""
        if not self.store.shared:
            return True
        return self.store.beat(self.id, lease=self.seconds, running=running,
                               following=following)

    def end(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.store.leave(self.id)

    def take_over(self) -> None:
        """Steps 1-3 of the module's text."""
        if self.store.shared:
            gone = self.store.expire_runners()
            if gone:
                log.warning("the lease of %d runner(s) expired: taking over their jobs",
                            len(gone))
        self._alive = {r["id"] for r in self.store.runners() if r["alive"]}
        for rec in self.store.orphaned():
            self._requeue(rec)
        for rec in self.store.adopt(self.id):
            if rec.remote_id:
                self.follow(rec)
            else:
                self.finish(rec.id, JobStatus.ERROR, error=(
                    "the runner stopped while submitting this job to the service; it may or "
                    "may not have reached it, so it is not sent again"))

    def _requeue(self, rec: JobRecord) -> None:
        lost = rec.attempts - rec.crashes  # runs that stopped runners lost, this one included
        if lost < self.max_attempts:
            if self.store.requeue(rec.id, "re-queued: the runner running it stopped"):
                log.warning("re-queued job %s lost by a stopped runner", rec.id)
        else:
            self.finish(rec.id, JobStatus.ERROR, error=(
                f"the runner stopped while running this job {lost} times; "
                "it is not run again"), only_from=[JobStatus.RUNNING])

    def held_elsewhere(self, job_id: str) -> bool:
        """Whether another runner with a lease runs or follows this job (it answers its
        cancel, not this one)."""
        holder = self.store.holder(job_id)
        other = holder[1] if holder is not None else self.store.follower(job_id)
        if other is None or other == self.id:
            return False
        if other not in self._alive:
            self._alive = {r["id"] for r in self.store.runners() if r["alive"]}
        return other in self._alive

    def _heard(self, what: str) -> None:
        """A job queued anywhere: wake this home's idle workers, and this runner's loop when
        the job is (or may be) a remote one to hand over. A job ended anywhere: wake this
        home's waits (a job one of its workers ended has woken them already; a second
        wake-up costs a waiting kernel one read)."""
        kind, _, provider = what.partition(" ")
        if kind == "end":
            poke(self.store.home)
            return
        if kind != "submit":
            return
        poke(self.store.home, WORKERS)
        if not provider or provider_kind(provider) == "remote":
            self.nudge()
