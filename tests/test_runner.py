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
    assert not (qnb_home / "runner.json").exists(), "caught too late: it already started"
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
