"""The runner's life cycle: started on demand, exits when idle, started again by the next submit."""

from __future__ import annotations

import time

from helpers import bell, wait_for

import qnb
from qnb.models import JobStatus
from qnb.runner.control import runner_alive, runner_info


def test_idle_runner_exits_and_the_next_submit_starts_a_new_one(qnb_home, monkeypatch):
    monkeypatch.setenv("QNB_RUNNER_IDLE_TIMEOUT", "1")
    job = qnb.submit(bell(), shots=10)
    assert job.wait(timeout=120) is JobStatus.DONE
    first = runner_info(qnb_home)["pid"]
    wait_for(lambda: not runner_alive(qnb_home), 60, "the idle runner to exit", interval=0.1)
    assert not runner_alive(qnb_home), "an idle runner must exit"
    assert not (qnb_home / "runner.wake").exists()
    again = qnb.submit(bell(), shots=10)
    assert again.wait(timeout=120) is JobStatus.DONE
    assert runner_info(qnb_home)["pid"] != first


def test_runner_heartbeat_says_what_it_does(qnb_home):
    job = qnb.submit(bell(), shots=10)
    job.wait(timeout=120)
    info = wait_for(  # the heartbeat is written every two seconds
        lambda: (i := runner_info(qnb_home)).get("finished", 0) >= 1 and i, 30,
        "the heartbeat to count the finished job", interval=0.2)
    assert info["workers"] >= 1 and info["finished"] >= 1
    assert time.time() - info["heartbeat"] < 30


def test_a_runner_still_starting_can_be_stopped(qnb_home):
    from qnb.runner.control import spawn, stop_runner

    proc = spawn(qnb_home)
    wait_for(lambda: runner_alive(qnb_home), 30, "the runner to take its lock", interval=0.01)
    assert runner_info(qnb_home)["state"] == "starting", "caught too late: it already started"
    assert stop_runner(qnb_home)
    assert proc.wait(timeout=30) is not None and not runner_alive(qnb_home)


def test_a_wake_that_finds_the_runner_gone_says_no_runner_listens(tmp_path, monkeypatch):
    import os

    from qnb.runner.control import RunnerFiles, wake

    fifo = RunnerFiles(tmp_path).fifo
    os.mkfifo(fifo, 0o600)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a runner listening
    try:
        assert wake(tmp_path) is True

        def closed(fd, data):  # the runner exited between the open and the write
            raise BrokenPipeError(32, "Broken pipe")

        monkeypatch.setattr(os, "write", closed)
        assert wake(tmp_path) is False  # not an error for the submit that called it
    finally:
        os.close(reader)


def _running_job(store) -> str:
    from qnb.models import JobRecord
    from qnb.store import new_job_id

    rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                    shots=10, num_circuits=1, created_at=time.time())
    store.add_job(rec, "qpy", b"-")
    store.claim(rec.id)
    return rec.id


def test_a_worker_writes_its_jobs_result_and_wakes_the_waiting_kernels(qnb_home, store):
    from qnb import waiters
    from qnb.runner.results import Written, write_from_worker

    job_id = _running_job(store)
    waiter = waiters.waiter(qnb_home)
    result = {"counts": [{"00": 6, "11": 4}], "metadata": {}}
    assert write_from_worker(str(qnb_home), job_id, result) == Written(True)
    assert store.get(job_id).status is JobStatus.DONE
    assert qnb.get_job(job_id).counts() == {"00": 6, "11": 4}
    assert waiter.sock.recv(64) == b"!"  # woken at once, not at its next timed look
    # a job that moved on meanwhile (cancelled while its result was on its way) keeps its end
    other = _running_job(store)
    store.finish(other, JobStatus.CANCELLED, error="cancelled while running")
    assert write_from_worker(qnb_home, other, result) == Written(False)
    assert store.get(other).status is JobStatus.CANCELLED and store.result(other) is None


def test_a_result_the_disk_has_no_room_for_goes_back_to_the_runner_with_the_reason(
        qnb_home, store, monkeypatch):
    import shutil
    from collections import namedtuple

    from qnb.runner import results

    job_id = _running_job(store)
    result = {"counts": [{"0": 10}], "metadata": {"padding": "x" * 50_000}}
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 90_000, 90_000))
    assert results.write_from_worker(qnb_home, job_id, result) is result  # not written
    assert store.get(job_id).status is JobStatus.RUNNING
    why = results.no_room(qnb_home, result)
    assert why is not None and "its result (0.1 MB) cannot be written" in why
    assert "0.1 MB free" in why and str(qnb_home) in why


def _queued_job(store, provider: str = "aer") -> str:
    from qnb.models import JobRecord
    from qnb.store import new_job_id

    rec = JobRecord(id=new_job_id(), backend=provider, provider=provider,
                    status=JobStatus.QUEUED, shots=10, num_circuits=1, created_at=time.time())
    store.add_job(rec, "qpy", b"-")
    return rec.id


def test_workers_claim_the_oldest_waiting_local_job_each_once(store):
    from qnb.runner.worker import remote_providers

    skip = remote_providers()
    assert "ibm-runtime" in skip and "braket" in skip and "aer" not in skip
    remote = _queued_job(store, "ibm-runtime")
    first, second = _queued_job(store), _queued_job(store, "pennylane")
    got = store.claim_next(101, 7, remote=skip)
    assert got.id == first and got.status is JobStatus.RUNNING and got.attempts == 1
    assert store.claim_next(102, 7, remote=skip).id == second  # never the same job twice
    assert store.claim_next(103, 7, remote=skip) is None  # the remote one is not theirs
    assert store.get(remote).status is JobStatus.QUEUED
    # past a long run of remote jobs at the head of the queue, the local one is found
    for _ in range(20):
        _queued_job(store, "braket")
    third = _queued_job(store, "braket-local")
    assert store.claim_next(104, 7, remote=skip).id == third
    assert store.held_by(101, 7) == [(first, False)] and store.held_by(101, 8) == []
    assert store.holder(second) == (102, 7) and store.count_held(7) == 3
    store.request_cancel(first)
    assert store.held_by(101, 7) == [(first, True)]


def _held_job(store, worker: int, runner: int, provider: str) -> str:
    """A job RUNNING as if ``worker`` had claimed it (written so: no worker can claim it
    first)."""
    from qnb.models import JobRecord
    from qnb.store import new_job_id

    now = time.time()
    rec = JobRecord(id=new_job_id(), backend=provider, provider=provider,
                    status=JobStatus.RUNNING, shots=10, num_circuits=1, created_at=now,
                    started_at=now, attempts=1,
                    provider_state={"worker": worker, "runner": runner})
    store.import_job(rec, "qpy", b"-")
    return rec.id


def _one_worker_pool(store):
    from qnb.runner.local import LocalJobs

    pool = LocalJobs(store, 1, max_crashes=2)
    pool.start()
    (pid,) = pool.procs
    return pool, pid


def test_a_dead_workers_job_is_charged_and_one_stopped_for_a_cancel_is_not(qnb_home, store):
    import os
    import signal

    from helpers import wait_for

    pool, pid = _one_worker_pool(store)
    try:
        crashed = _held_job(store, pid, pool.runner, "no-such-provider")
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pool.procs[pid][0].is_alive(), 30, "the worker to die")
        pool.reap()
        rec = store.get(crashed)
        # charged with the crash, re-queued, then claimed by the replacement, whose run ends
        # in ERROR for the unknown provider
        assert rec.crashes == 1
        assert "killed by SIGKILL" in store.events(crashed)[1][2]
        assert wait_for(lambda: store.get(crashed).status.is_final, 120, "its second run")
        assert "no-such-provider" in store.get(crashed).error
        (pid,) = pool.procs  # the replacement
        other = _held_job(store, pid, pool.runner, "no-such-provider")
        pool._cancelling.add(pid)  # stopped to cancel a job that had just ended
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not pool.procs[pid][0].is_alive(), 30, "the worker to die")
        pool.reap()
        rec = store.get(other)
        assert rec.crashes == 0 and "stopped to cancel another job" in rec.provider_status
    finally:
        pool.stop()
    assert not pool.procs


def test_a_worker_leaves_when_its_runner_has_gone(qnb_home, store):
    from helpers import wait_for

    pool, pid = _one_worker_pool(store)
    proc, conn = pool.procs[pid]
    conn.close()  # what a runner's death does to the worker's pipe
    wait_for(lambda: not proc.is_alive(), 60, "the orphaned worker to exit")
    assert proc.exitcode == 0
    pool.procs.clear()
