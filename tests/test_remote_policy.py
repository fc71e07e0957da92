"""The runner's remote half driven directly, without processes: a fake provider, a real
store, service calls run at once. What a user sees is the store's record of each job."""

from __future__ import annotations

import time
from concurrent.futures import Executor, Future
from typing import Any

import pytest

from qnb.backends.base import Provider, RemoteState, Submitted
from qnb.models import JobRecord, JobStatus
from qnb.runner.outcomes import Inbox
from qnb.runner.remote import RESULT_PENDING, RemoteJobs
from qnb.store import Store, new_job_id

LATER = float("inf")  # a monotonic time at which every poll is due


class Immediate(Executor):
    """Runs each call at once, on the calling thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


class FakeService(Provider):
    """A remote provider whose polls answer from a script of states and exceptions."""

    kind = "remote"

    def __init__(self, script: list[Any], *, retry_timeout: float = 900.0,
                 submit_error: BaseException | None = None) -> None:
        super().__init__({"name": "fake", "options": {"retry_timeout": retry_timeout}})
        self.script = list(script)
        self.submit_error = submit_error
        self.cancelled: list[str] = []
        self.result_state: dict[str, Any] | None = None

    def submit(self, payload_format, payload, shots, seed, options) -> Submitted:
        if self.submit_error is not None:
            raise self.submit_error
        return Submitted("remote-1", {"plan": [1, 2]})

    def poll(self, remote_id: str) -> RemoteState:
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    def result(self, remote_id: str, state: dict[str, Any]) -> dict[str, Any]:
        self.result_state = state
        return {"counts": [{"00": 3, "11": 5}]}

    def cancel(self, remote_id: str) -> None:
        self.cancelled.append(remote_id)


class Denied(Exception):
    """A refusal the fake service raises: not transient."""


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "jobs.sqlite")


def queue_job(store: Store, **fields: Any) -> JobRecord:
    rec = JobRecord(id=new_job_id(), backend="fake", provider="fake", status=JobStatus.QUEUED,
                    shots=8, created_at=time.time(), **fields)
    return store.add_job(rec, "qpy", b"circuits")


def remote_half(store: Store, provider: Provider) -> tuple[RemoteJobs, Inbox]:
    inbox = Inbox()
    remote = RemoteJobs(store, lambda rec: provider, Immediate(), inbox,
                        lambda job_id, status, **kw: store.finish(job_id, status, **kw))
    return remote, inbox


def settle(remote: RemoteJobs, inbox: Inbox, rounds: int = 20) -> None:
    """Handle what came back and poll again until nothing is followed or busy."""
    for _ in range(rounds):
        for event in inbox.drain():
            remote.handle(event)
        if not remote.active:
            return
        remote.poll_due(now=LATER)
    raise AssertionError("the remote half did not settle")


def test_a_job_is_followed_from_the_queue_to_its_result(store):
    provider = FakeService([RemoteState(JobStatus.QUEUED, "QUEUED", queue_position=4),
                            RemoteState(JobStatus.RUNNING, "RUNNING"),
                            RemoteState(JobStatus.DONE, "DONE")])
    remote, inbox = remote_half(store, provider)
    rec = queue_job(store)
    remote.submit(rec, provider)
    assert store.get(rec.id).submitting  # handed over: the store says so
    for event in inbox.drain():
        remote.handle(event)
    got = store.get(rec.id)
    assert (got.remote_id, got.submitting, got.provider_state) == ("remote-1", False,
                                                                   {"plan": [1, 2]})
    remote.poll_due(now=LATER)
    for event in inbox.drain():
        remote.handle(event)
    assert store.get(rec.id).queue_position == 4
    settle(remote, inbox)
    done = store.get(rec.id)
    assert done.status is JobStatus.DONE
    assert store.result(rec.id) == {"counts": [{"00": 3, "11": 5}]}
    assert provider.result_state == {"plan": [1, 2]}  # kept in the store, given back
    assert [e[1] for e in store.events(rec.id)] == ["QUEUED", "RUNNING", "RUNNING", "DONE"]
    assert any(e[2] == RESULT_PENDING for e in store.events(rec.id))


def test_transient_errors_are_retried_and_refusals_end_the_job(store):
    provider = FakeService([ConnectionError("reset"), TimeoutError("slow"),
                            RemoteState(JobStatus.RUNNING, "RUNNING"), Denied("no access")])
    remote, inbox = remote_half(store, provider)
    rec = queue_job(store)
    remote.submit(rec, provider)
    for event in inbox.drain():
        remote.handle(event)
    remote.poll_due(now=LATER)
    for event in inbox.drain():
        remote.handle(event)
    assert store.get(rec.id).provider_status.startswith("retrying after ConnectionError")
    assert store.get(rec.id).status is JobStatus.QUEUED  # still waiting, not failed
    settle(remote, inbox)
    failed = store.get(rec.id)
    assert failed.status is JobStatus.ERROR
    assert failed.error == "Denied: no access"


def test_a_service_down_past_retry_timeout_ends_the_job_in_error(store):
    provider = FakeService([ConnectionError("refused")] * 3, retry_timeout=1e-9)
    remote, inbox = remote_half(store, provider)
    rec = queue_job(store)
    remote.submit(rec, provider)
    settle(remote, inbox)
    failed = store.get(rec.id)
    assert failed.status is JobStatus.ERROR
    assert failed.error.startswith("gave up after") and "ConnectionError: refused" in failed.error


def test_a_failed_submission_ends_the_job_in_error_with_the_reason(store):
    provider = FakeService([], submit_error=Denied("quota exceeded"))
    remote, inbox = remote_half(store, provider)
    rec = queue_job(store)
    remote.submit(rec, provider)
    settle(remote, inbox)
    got = store.get(rec.id)
    assert got.status is JobStatus.ERROR
    assert got.error == "submission failed: Denied: quota exceeded"
    assert not got.submitting


def test_cancelling_a_followed_job_cancels_it_at_the_service(store):
    provider = FakeService([RemoteState(JobStatus.QUEUED, "QUEUED")] * 5)
    remote, inbox = remote_half(store, provider)
    rec = queue_job(store)
    remote.submit(rec, provider)
    for event in inbox.drain():
        remote.handle(event)
    assert store.request_cancel(rec.id) is JobStatus.QUEUED  # held remotely: only requested
    remote.cancel(rec.id)
    settle(remote, inbox)
    assert provider.cancelled == ["remote-1"]
    assert store.get(rec.id).status is JobStatus.CANCELLED


def test_a_job_left_by_another_runner_is_re_attached_by_its_remote_id(store):
    provider = FakeService([RemoteState(JobStatus.DONE, "DONE")])
    remote, inbox = remote_half(store, provider)
    rec = queue_job(store)
    store.begin_submit(rec.id)
    store.attach_remote(rec.id, "remote-9", {"plan": [3]})
    remote.reattach(store.get(rec.id))
    settle(remote, inbox)
    assert store.get(rec.id).status is JobStatus.DONE
    assert provider.result_state == {"plan": [3]}


class SessionService(FakeService):
    """A fake service with sessions: it opens one on the first job and reports its id."""

    def __init__(self) -> None:
        super().__init__([RemoteState(JobStatus.DONE, "DONE")] * 4)
        self.seen: list[dict[str, Any]] = []
        self.ended: list[str] = []

    def submit(self, payload_format, payload, shots, seed, options) -> Submitted:
        self.seen.append(dict(options.get("session", {})))
        return Submitted(f"remote-{len(self.seen)}", {"session_id": "svc-session-1"})

    def end_session(self, session_id: str) -> None:
        self.ended.append(session_id)


def test_a_session_is_kept_for_its_jobs_and_closed_after_the_block(store):
    provider = SessionService()
    remote, inbox = remote_half(store, provider)
    store.add_session("5e55105e55", "fake", "batch", None, time.time())
    spec = {"id": "5e55105e55", "mode": "batch", "max_time": None}
    first = queue_job(store, session="5e55105e55", options={"run": {"session": spec}})
    remote.submit(first, provider)
    settle(remote, inbox)
    second = queue_job(store, session="5e55105e55", options={"run": {"session": spec}})
    remote.end_sessions()
    assert provider.ended == []  # the block has not ended
    remote.submit(second, provider)
    settle(remote, inbox)
    # the second job joins the service's session the first one opened
    assert provider.seen[1]["remote_id"] == "svc-session-1"
    assert store.session_info("5e55105e55")["remote_id"] == "svc-session-1"
    store.close_session("5e55105e55")
    remote.end_sessions()
    settle(remote, inbox)
    assert provider.ended == ["5e55105e55"]
    remote.end_sessions()
    assert provider.ended == ["5e55105e55"]  # once
