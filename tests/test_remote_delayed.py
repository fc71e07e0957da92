"""Remote jobs through the runner's one poll scheduler, on the ``delayed`` provider (Aer behind
a simulated service: queue time, failures, connection trouble; its state survives restarts)."""

from __future__ import annotations

import json
import time

import pytest
from helpers import bell, direct_aer_counts, ghz, isolated_home, long_circuit, wait_for

import qnb
from qnb.models import JobStatus
from qnb.runner import ensure_runner, stop_runner
from qnb.runner.schedule import PollSchedule

CONFIG = """
[runner]
workers = 1
[backends.slow]
provider = "delayed"
queue_seconds = 1.5
run_seconds = 0.5
[backends.slow4]
provider = "delayed"
queue_seconds = 4
[backends.parked]
provider = "delayed"
queue_seconds = 600
[backends.flaky]
provider = "delayed"
queue_seconds = 0.5
transient_failures = 3
[backends.broken]
provider = "delayed"
queue_seconds = 0.2
failure_rate = 1
[backends.down]
provider = "delayed"
queue_seconds = 0.2
outage_seconds = 600
retry_timeout = 2
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One QNB_HOME, and so one warm runner, for this module's tests."""
    with isolated_home(tmp_path_factory.mktemp("delayed"), CONFIG) as home:
        yield home


@pytest.fixture
def store(home):
    from qnb.store import get_store

    return get_store()



def test_a_remote_job_queues_runs_and_returns_real_counts(home, store):
    circuits = [bell(), ghz(3)]
    job = qnb.submit(circuits, backend="slow", shots=300, seed=5)
    rec = wait_for(lambda: (r := store.get(job.id)).estimated_start and r,
                   what="the service's estimated start")
    assert rec.status is JobStatus.QUEUED and rec.remote_id
    assert rec.estimated_start > rec.created_at
    assert "estimated start" in job.widget.header.value
    assert job.wait(timeout=60) is JobStatus.DONE
    assert job.result().counts_list == direct_aer_counts(circuits, 300, 5)
    statuses = [s for _, s, _ in store.events(job.id)]
    assert statuses[0] == "QUEUED" and "RUNNING" in statuses and statuses[-1] == "DONE"
    assert job.result().metadata["remote_id"] == rec.remote_id
    service = home / "delayed-service" / f"{rec.remote_id}.json"
    assert json.loads(service.read_text())["shots"] == 300


def test_remote_jobs_outlive_the_runner_and_are_re_attached(home, store):
    job = qnb.submit(bell(), backend="slow4", shots=100, seed=1)
    remote_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    assert stop_runner(home)
    assert store.get(job.id).status is JobStatus.QUEUED  # still at the service
    ensure_runner(home)
    assert job.wait(timeout=60) is JobStatus.DONE
    assert store.get(job.id).remote_id == remote_id  # re-attached, not sent again
    sent = [json.loads(p.read_text()) for p in (home / "delayed-service").glob("*.json")]
    assert [r["id"] for r in sent].count(remote_id) == 1
    assert job.counts() == direct_aer_counts([bell()], 100, 1)[0]


def seen_provider_statuses(store, job_id: str, timeout: float = 60.0) -> list[str]:
    """Every provider status the job showed until it finished (what the widget displays)."""
    seen: list[str] = []

    def finished() -> bool:
        rec = store.get(job_id)
        if rec.provider_status and (not seen or seen[-1] != rec.provider_status):
            seen.append(rec.provider_status)
        return rec.is_final

    wait_for(finished, timeout, interval=0.02,
             what=lambda: f"job {job_id} to finish; statuses seen: {seen}")
    return seen


def test_connection_errors_are_retried_and_the_job_completes(home, store):
    job = qnb.submit(bell(), backend="flaky", shots=50, seed=2)
    seen = seen_provider_statuses(store, job.id)
    assert job.status() is JobStatus.DONE
    assert any(s.startswith("retrying after ConnectionError") for s in seen), seen
    assert sum(job.counts().values()) == 50


def test_a_failed_remote_job_ends_in_error_with_the_service_message(home, store):
    job = qnb.submit(bell(), backend="broken", shots=10)
    assert job.wait(timeout=60) is JobStatus.ERROR
    assert "the delayed service failed this job" in store.get(job.id).error


def test_a_service_that_stays_down_is_given_up_after_retry_timeout(home, store):
    job = qnb.submit(bell(), backend="down", shots=10)
    assert job.wait(timeout=90) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith("gave up after") and "ConnectionError" in error, error


def test_cancel_a_queued_remote_job(home, store):
    job = qnb.submit(bell(), backend="parked", shots=10)
    remote_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    assert job.cancel() is JobStatus.QUEUED  # requested: the service must be told
    assert job.wait(timeout=30) is JobStatus.CANCELLED
    service = json.loads((home / "delayed-service" / f"{remote_id}.json").read_text())
    assert service["cancelled"] is not None


def test_a_remote_job_behind_a_long_local_queue_goes_to_its_service_at_once(home, store):
    """The runner reads each kind's queue apart: 300 local jobs waiting for the one worker do
    not hold back a remote job submitted after them."""
    blocker = qnb.submit(long_circuit(22, 40), shots=10, name="blocker")
    wait_for(lambda: blocker.status() is JobStatus.RUNNING, what="the worker to be busy")
    waiting = [qnb.submit(bell(), shots=10) for _ in range(300)]
    remote = qnb.submit(bell(), backend="parked", shots=10)
    try:
        wait_for(lambda: store.get(remote.id).remote_id, 15, "the remote job's hand-over")
        assert sum(j.status() is JobStatus.QUEUED for j in waiting) > 250  # still waiting
    finally:
        for job in [blocker, remote, *waiting]:
            job.cancel()
    assert remote.wait(timeout=30) is JobStatus.CANCELLED


def test_the_schedule_follows_the_estimated_start_and_backs_off():
    schedule = PollSchedule()
    schedule.follow("a" * 12, "r1", delay=0)
    (job,) = schedule.due()
    schedule.polled(job, JobStatus.QUEUED, time.time() + 20)
    assert schedule.next_due() - time.monotonic() > 15  # waits for the estimate
    schedule.polled(job, JobStatus.QUEUED, time.time() - 1)
    assert schedule.next_due() - time.monotonic() <= 2.0  # estimate passed: look soon
    first = schedule.failed(job)
    assert first == 0
    assert schedule.failed(job) >= 0 and job.failures == 2
    schedule.later(job, 0.0)
    assert job.failures == 2 and job.failing_since is not None  # a re-look is not a success
