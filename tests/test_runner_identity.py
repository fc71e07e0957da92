"""Which runner serves a store is always true: ``runner.json`` is written by the process that
takes the runner lock, checked against the lock, and ``qnb runner --status`` / ``--stop``
act on the runner that really serves the store, even after runners were killed and replaced."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest
from helpers import bell, wait_for

import qnb
from qnb.models import JobStatus
from qnb.runner.control import acquire_lock, lock_holder, runner_info


def qnb_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                          text=True, timeout=120)


def serving_processes(home: Path) -> list[psutil.Process]:
    """Live processes started for ``home``: its runner, the fork server and the workers
    (whose command lines name ``home``), zombies left to a parent excluded."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE or proc.pid == os.getpid():
            continue
        if str(home) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def hold_lock(home: Path, escape: bool = False) -> subprocess.Popen:
    """A process that takes ``home``'s runner lock as a runner does, and waits. With
    ``escape``, it also forks a child that leaves its session with the lock's descriptor:
    the lock then outlives the process that took it."""
    code = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from qnb.runner.control import acquire_lock
        fd = acquire_lock(Path({str(home)!r}))
        assert fd is not None
        if {escape!r} and os.fork() == 0:
            os.setsid()
            os.write(1, b"%d\\n" % os.getpid())
            time.sleep(600)
            os._exit(0)
        if not {escape!r}:
            os.write(1, b"%d\\n" % os.getpid())
        time.sleep(600)
    """)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_the_process_taking_the_lock_names_itself_at_once(tmp_path):
    fd = acquire_lock(tmp_path)
    try:
        info = json.loads((tmp_path / "runner.json").read_text())
        assert info["pid"] == os.getpid() and info["state"] == "starting"
        assert lock_holder(tmp_path) == os.getpid()
    finally:
        os.close(fd)
    assert lock_holder(tmp_path) is None and runner_info(tmp_path) is None


def test_a_runner_json_naming_another_process_is_not_believed(qnb_home):
    holder = hold_lock(qnb_home)
    bystander = subprocess.Popen(["sleep", "600"])
    try:
        assert int(holder.stdout.readline()) == holder.pid
        # a stale file, as a killed runner leaves it, naming a live process
        (qnb_home / "runner.json").write_text(json.dumps({"pid": bystander.pid}))
        status = qnb_cli("runner", "--status")
        assert status.returncode == 0 and json.loads(status.stdout)["pid"] == holder.pid
        stop = qnb_cli("runner", "--stop")
        assert stop.returncode == 0, stop.stderr
        assert f"pid {holder.pid}" in stop.stdout
        assert holder.wait(timeout=30) == -signal.SIGTERM
        assert bystander.poll() is None, "--stop signalled a process that was not the runner"
        assert qnb_cli("runner", "--status").stdout.strip() == "no runner is running"
    finally:
        for proc in (holder, bystander):
            proc.kill()
            proc.wait()


def test_stop_exits_non_zero_and_names_who_holds_the_lock_when_it_could_not_stop(qnb_home):
    holder = hold_lock(qnb_home, escape=True)
    escaped = int(holder.stdout.readline())
    try:
        stop = qnb_cli("runner", "--stop")
        assert stop.returncode == 1
        assert "did not stop" in stop.stderr and str(escaped) in stop.stderr
        assert holder.wait(timeout=30) is not None  # the runner itself was stopped
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(escaped, signal.SIGKILL)
        holder.kill()
        holder.wait()
    wait_for(lambda: lock_holder(qnb_home) is None, 30, "the lock to be released")
    assert qnb_cli("runner", "--stop").stdout.strip() == "no runner is running"


@pytest.mark.timeout(600)
def test_runners_killed_while_jobs_run_leave_status_and_stop_true(qnb_home):
    """The issue's steps: 300 small jobs; the runner SIGKILLed twice while they run, a job
    submitted after each kill; once all are final, ``--status`` names the live runner and
    ``--stop`` stops it and its workers."""
    jobs = [qnb.submit(bell(), shots=100) for _ in range(300)]
    killed: list[int] = []
    for _ in range(2):
        pid = wait_for(lambda: (i := runner_info(qnb_home)) and i.get("state") == "serving"
                       and i["pid"] not in killed and i["pid"], 120, "a runner serving")
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        wait_for(lambda p=pid: not psutil.pid_exists(p)
                 or psutil.Process(p).status() == psutil.STATUS_ZOMBIE, 30, "the kill")
        jobs.append(qnb.submit(bell(), shots=100))  # starts the next runner
    for job in jobs:
        assert job.wait(timeout=300) is JobStatus.DONE, job.status()

    status = qnb_cli("runner", "--status")
    assert status.returncode == 0
    live = json.loads(status.stdout)["pid"]
    assert live not in killed
    cmdline = " ".join(psutil.Process(live).cmdline())
    assert "qnb.runner" in cmdline and str(qnb_home) in cmdline, cmdline

    stop = qnb_cli("runner", "--stop")
    assert stop.returncode == 0 and f"pid {live}" in stop.stdout, (stop.stdout, stop.stderr)
    assert qnb_cli("runner", "--status").stdout.strip() == "no runner is running"
    wait_for(lambda: not serving_processes(qnb_home), 30,
             lambda: f"the runner's processes to end: {serving_processes(qnb_home)}")
