"""The runner's remote half: hand jobs to their services, follow them on one poll schedule,
retry what the provider calls transient, re-attach after a restart, cancel, fetch results.

Service calls run on I/O threads and come back as ``Event``s (a hand-over's CPU work, for
providers that ``prepare``, in a process of its own: ``offload``); ``handle`` (on the runner's
main thread) turns them into store writes. The retry policy is the provider's own
(``Provider.is_transient``, ``Provider.retry_timeout``); the poll intervals are
``schedule.PollSchedule``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from ..backends.base import Provider, RemoteState, Submitted
from ..models import JobRecord, JobStatus
from ..store import JobStore
from .offload import hand_over
from .outcomes import Event, EventKind, Inbox, describe_exception
from .schedule import Followed, PollSchedule

log = logging.getLogger("qnb.runner")

RESULT_PENDING = "DONE at the service; fetching the result"
_UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)

#: ``finish(job_id, status, error=..., result=..., provider_status=..., only_from=...)``
Finish = Callable[..., None]


class RemoteJobs:
    """Every remote job this runner follows."""

    def __init__(self, store: JobStore, provider_for: Callable[[JobRecord], Provider],
                 io: Executor, inbox: Inbox, finish: Finish, runner: int | None = None) -> None:
        self.store = store
        self.runner = runner  # the lease id: the store records this runner follows its jobs
        self.provider_for = provider_for
        self.io = io
        self.inbox = inbox
        self.finish = finish
        self.schedule = PollSchedule()
        self.busy: set[str] = set()  # jobs with a service call under way
        self.records: dict[str, JobRecord] = {}
        self.sessions: dict[str, Provider] = {}  # qnb sessions with jobs sent from here
        self.handing: set[str] = set()  # jobs being handed to their service now

    # -- what the main loop asks ----------------------------------------------------------
    def holds(self, job_id: str) -> bool:
        return job_id in self.busy or job_id in self.schedule.jobs

    @property
    def active(self) -> bool:
        return bool(self.busy or self.schedule.jobs)

    def next_due(self) -> float | None:
        return self.schedule.next_due()

    # -- submitting and following -----------------------------------------------------------
    def submit(self, rec: JobRecord, provider: Provider) -> None:
        """Hand a QUEUED job to its service (the store marks it as being handed over)."""
        if not self.store.begin_submit(rec.id, follower=self.runner):
            return
        self.handing.add(rec.id)
        fmt, payload = self.store.payload(rec.id)
        run = dict(rec.options.get("run", {}))
        if rec.session:
            self.sessions[rec.session] = provider
            info = self.store.session_info(rec.session) or {}
            if info.get("remote_id") and "session" in run:
                # the service's session an earlier job (or runner) opened: join it again
                run["session"] = {**run["session"], "remote_id": info["remote_id"]}
        self.busy.add(rec.id)
        self._call(EventKind.SUBMITTED, rec.id, hand_over, provider, fmt, payload, rec.shots,
                   rec.seed, run)

    def reattach(self, rec: JobRecord) -> None:
        """Follow a job another runner (or an earlier one) submitted, by its remote id."""
        self.schedule.follow(rec.id, rec.remote_id, delay=0.0)

    def poll_due(self, now: float | None = None) -> None:
        """Ask the services about every job whose poll is due (at monotonic time ``now``)."""
        for followed in self.schedule.due(now):
            if followed.job_id in self.busy:
                self.schedule.later(followed, followed.interval)
                continue
            try:
                rec = self.store.get(followed.job_id)
                provider = self.provider_for(rec)
            except Exception as exc:
                self.schedule.forget(followed.job_id)
                self.finish(followed.job_id, JobStatus.ERROR, error=describe_exception(exc))
                continue
            self.records[followed.job_id] = rec
            self.busy.add(followed.job_id)
            self._call(EventKind.POLLED, followed.job_id, provider.poll, followed.remote_id)

    def cancel(self, job_id: str) -> None:
        """Ask the service to cancel a followed job (once no other call about it is under way)."""
        followed = self.schedule.jobs.get(job_id)
        if followed is None or job_id in self.busy:
            return
        self.schedule.forget(job_id)
        self.busy.add(job_id)
        provider = self.provider_for(self.store.get(job_id))
        self._call(EventKind.CANCELLED, job_id, provider.cancel, followed.remote_id)

    def end_sessions(self) -> None:
        """Let providers close the service's session of each qnb session that has ended and
        whose jobs have all been handed over."""
        for session_id, provider in list(self.sessions.items()):
            info = self.store.session_info(session_id)
            if info is None or info["closed_at"] is None:
                continue
            if self.store.session_pending(session_id):  # queued, or still being handed over
                continue
            del self.sessions[session_id]
            self._call(EventKind.SESSION_ENDED, session_id, provider.end_session, session_id)

    def _call(self, kind: EventKind, job_id: str, fn: Callable[..., Any], *args: Any) -> None:
        def run() -> None:
            try:
                outcome: Any = fn(*args)
            except BaseException as exc:
                outcome = exc
            self.inbox.put(Event(kind, job_id, outcome))

        self.io.submit(run)

    # -- what came back ---------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        """Write what a service call answered (main thread)."""
        job_id, outcome = event.job_id, event.outcome
        if event.kind is EventKind.SESSION_ENDED:
            if isinstance(outcome, BaseException):
                log.warning("closing session %s at the service failed: %s", job_id, outcome)
            return
        self.busy.discard(job_id)
        if event.kind is EventKind.SUBMITTED:
            self._submitted(job_id, outcome)
        elif event.kind is EventKind.CANCELLED:
            if isinstance(outcome, BaseException):
                log.warning("cancel of %s at the service failed: %s", job_id, outcome)
            self.finish(job_id, JobStatus.CANCELLED, error="cancelled", only_from=_UNFINISHED)
        elif (followed := self.schedule.jobs.get(job_id)) is None:
            return  # forgotten meanwhile (cancelled)
        elif isinstance(outcome, BaseException):
            self._failed(followed, outcome)
        elif event.kind is EventKind.POLLED:
            self._polled(followed, outcome)
        elif event.kind is EventKind.RESULT:
            self.schedule.forget(job_id)
            self.finish(job_id, JobStatus.DONE, result=outcome, only_from=_UNFINISHED)

    def _submitted(self, job_id: str, outcome: Any) -> None:
        self.handing.discard(job_id)
        if isinstance(outcome, BaseException):
            self.finish(job_id, JobStatus.ERROR, only_from=[JobStatus.QUEUED],
                        error="submission failed: " + describe_exception(outcome))
            return
        sub = outcome if isinstance(outcome, Submitted) else Submitted(str(outcome))
        self.store.attach_remote(job_id, sub.remote_id, sub.state)
        rec = self.store.get(job_id)
        if rec.session and sub.state.get("session_id"):
            self.store.set_session_remote(rec.session, str(sub.state["session_id"]))
        self.schedule.follow(job_id, sub.remote_id, delay=0.2)
        if rec.cancel_requested:
            self.cancel(job_id)

    def _failed(self, followed: Followed, exc: BaseException) -> None:
        """Retry a transient failure with backoff until the provider's ``retry_timeout``;
        end the job in ERROR otherwise."""
        job_id = followed.job_id
        provider = self.provider_for(self.records.get(job_id) or self.store.get(job_id))
        if provider.is_transient(exc):
            failing = self.schedule.failed(followed)
            if failing < provider.retry_timeout:
                self.store.note(job_id, f"retrying after {type(exc).__name__} "
                                        f"(failing for {failing:.0f} s)")
                return
            msg = f"gave up after {failing:.0f} s of errors: {describe_exception(exc)}"
        else:
            msg = describe_exception(exc)
        self.schedule.forget(job_id)
        self.finish(job_id, JobStatus.ERROR, error=msg, only_from=_UNFINISHED)

    def _polled(self, followed: Followed, state: RemoteState) -> None:
        job_id = followed.job_id
        rec = self.records.get(job_id) or self.store.get(job_id)
        if state.status is JobStatus.DONE:
            # stays followed, and is not a successful poll for the error streak: a result
            # call that keeps failing transiently must still give up after retry_timeout
            self.schedule.later(followed, followed.interval)
            if rec.provider_status != RESULT_PENDING:
                self.store.note(job_id, RESULT_PENDING, history=True)
                self.records[job_id] = self.store.get(job_id)
            self.busy.add(job_id)
            self._call(EventKind.RESULT, job_id, self.provider_for(rec).result,
                       followed.remote_id, rec.provider_state)
            return
        if state.status.is_final:
            self.schedule.forget(job_id)
            self.finish(job_id, state.status, error=state.error or state.provider_status,
                        provider_status=state.provider_status, only_from=_UNFINISHED)
            return
        if (rec.status, rec.provider_status, rec.queue_position, rec.estimated_start) != (
                state.status, state.provider_status, state.queue_position,
                state.estimated_start):
            self.store.set_remote_state(job_id, state.status, state.provider_status,
                                        queue_position=state.queue_position,
                                        estimated_start=state.estimated_start)
            self.records[job_id] = self.store.get(job_id)
        self.schedule.polled(followed, state.status, state.estimated_start)
