"""Faults on purpose: killed kernels, runners and workers; full and read-only disks."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from fault_helpers import job_worker, kill_runner_group, runner_pid
from helpers import bell, long_circuit, wait_for
from kernel_helpers import execute, running_kernel, text_of

import qnb
from qnb.models import JobStatus, StoreError
from qnb.runner.control import ensure_runner


def wait_status(job, wanted, timeout=120.0):
    def reached():
        status = job.status()
        return status if status in wanted else None

    return wait_for(reached, timeout, f"{job} to reach {wanted}")


def test_killed_kernel_leaves_its_jobs_running_to_the_end(qnb_home):
    with running_kernel() as (km, kc):
        execute(kc, "%load_ext qnb\nfrom qiskit import QuantumCircuit\nimport sys\n"
                f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
                "from test_faults import long_circuit\n"
                "b = QuantumCircuit(2); b.h(0); b.cx(0, 1); b.measure_all()")
        execute(kc, "%qsubmit long_circuit(20, 30) -s 5 -o job")
        _, out = execute(kc, "import qnb\nqueued = [qnb.submit(b, shots=50) for _ in range(3)]\n"
                         "print(job.id, *[q.id for q in queued])")
        ids = text_of(out).split()
        assert len(ids) == 4, text_of(out)
        os.kill(km.provisioner.process.pid, signal.SIGKILL)
    jobs = [qnb.get_job(i) for i in ids]
    for job in jobs:
        assert job.wait(timeout=300) is JobStatus.DONE
    # and a new kernel sees them with their results
    with running_kernel() as (_, kc):
        _, out = execute(kc, "import qnb\nprint(sorted(j.id for j in qnb.jobs(status='DONE')))")
        assert text_of(out).strip() == str(sorted(ids))


def test_killed_runner_requeues_lost_local_work_once(qnb_home, store):
    job = qnb.submit(long_circuit(), shots=5)
    wait_status(job, {JobStatus.RUNNING})
    kill_runner_group(qnb_home)
    assert job.status() is JobStatus.RUNNING  # nobody has noticed yet
    ensure_runner(qnb_home)  # what the next submit does
    assert job.wait(timeout=300) is JobStatus.DONE
    rec = store.get(job.id)
    assert rec.attempts == 2
    assert [e[1] for e in store.events(job.id)] == ["QUEUED", "RUNNING", "QUEUED", "RUNNING",
                                                     "DONE"]


def test_work_lost_twice_ends_in_error_with_the_reason(qnb_home, store):
    (qnb_home / "config.toml").write_text("[runner]\nmax_attempts = 2\n")  # default 5
    job = qnb.submit(long_circuit(24, 60), shots=5)
    def running(n: int) -> bool:
        ensure_runner(qnb_home)  # as a wait would, should a start have raced the kill
        rec = store.get(job.id)
        return rec.attempts == n and rec.status is JobStatus.RUNNING

    for run in (1, 2):
        # this run's worker has the job (a new runner re-queued and claimed it again)
        wait_for(lambda n=run: running(n), 120, f"run {run}")
        kill_runner_group(qnb_home)
        ensure_runner(qnb_home)  # what the next submit does

    def ended() -> bool:
        ensure_runner(qnb_home)  # as a wait would, should a start have raced the kill
        return job.status().is_final

    wait_for(ended, 120, "the job to end")
    assert job.status() is JobStatus.ERROR
    assert "the runner stopped while running this job 2 times" in job.error


@pytest.mark.parametrize(("sig", "reason"), [(signal.SIGSEGV, "SIGSEGV (the simulator crashed)"),
                                             (signal.SIGKILL, "SIGKILL (most likely out of memory)")])
def test_a_job_that_crashes_its_worker_twice_ends_in_error_and_the_rest_go_on(qnb_home, sig,
                                                                             reason):
    assert qnb.submit(bell(), shots=5).wait(timeout=120) is JobStatus.DONE  # workers are warm
    job = qnb.submit(long_circuit(24, 60), shots=5)
    for crash in (1, 2):
        wait_status(job, {JobStatus.RUNNING})
        # only the job's own worker: killing one still warming up breaks the pool, which is
        # not the job's fault and is not counted against it
        worker = wait_for(lambda: job_worker(runner_pid(qnb_home)), 60, "the job's worker",
                          interval=0)
        os.kill(worker, sig)
        if crash == 1:  # counted against it, and run once more
            wait_for(lambda: job.refresh().crashes == 1, 60, "the crash to be counted")
    assert job.wait(timeout=60) is JobStatus.ERROR
    assert "the worker process running this job died" in job.error and reason in job.error
    assert "crashed its worker 2 times" in job.error
    after = qnb.submit(bell(), shots=20)
    assert after.wait(timeout=120) is JobStatus.DONE, after.error


def test_a_wait_outlives_a_killed_runner(qnb_home, store):
    """Nobody submits again after the runner dies: the kernel's own wait starts another."""
    job = qnb.submit(long_circuit(), shots=5)
    wait_status(job, {JobStatus.RUNNING})
    kill_runner_group(qnb_home)
    assert job.wait(timeout=300) is JobStatus.DONE, job.error
    assert store.get(job.id).attempts == 2


@pytest.mark.slow
def test_a_killed_runner_fails_no_job_that_was_not_its_own_fault(qnb_home, store):
    # jobs of some tens of milliseconds: workers that claim jobs themselves run 300 Bell
    # jobs in a second or two, which could leave nothing running for the second kill
    jobs = [qnb.submit(long_circuit(14, 10), shots=10) for _ in range(300)]

    def running() -> int:
        ensure_runner(qnb_home)  # as a wait would, should a start have raced the kill
        return store.list(status="RUNNING")[1]

    for _ in range(2):
        wait_for(running, 60, "a running job", interval=0.01)
        kill_runner_group(qnb_home)
        ensure_runner(qnb_home)
        time.sleep(0.8)
    for job in jobs:
        assert job.wait(timeout=300) is JobStatus.DONE, job.error


@pytest.fixture
def tiny_disk(tmp_path, monkeypatch):
    """QNB_HOME on a real 2 MiB tmpfs (needs root, as in CI)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root; CI runs as root")
    home = mnt / "home"
    home.mkdir(mode=0o700)  # as qnb makes a new home: private
    monkeypatch.setenv("QNB_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    yield mnt, home
    from qnb.runner.control import stop_runner
    from qnb.store import forget_store

    stop_runner(home)
    forget_store(home)
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def integrity(home) -> str:
    import sqlite3

    conn = sqlite3.connect(f"file:{home / 'jobs.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_full_disk_refuses_the_submit_cleanly(tiny_disk):
    mnt, home = tiny_disk
    first = qnb.submit(bell(), shots=10)
    first.wait(timeout=120)
    filler = mnt / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    with pytest.raises(StoreError, match="full"):
        qnb.submit([bell()] * 300, shots=10)
    assert [j.id for j in qnb.jobs()] == [first.id]
    filler.unlink()
    assert qnb.submit(bell(), shots=10).wait(timeout=120) is JobStatus.DONE
    assert integrity(home) == "ok"


def test_read_only_disk_refuses_the_submit_cleanly(tiny_disk):
    mnt, home = tiny_disk
    first = qnb.submit(bell(), shots=10)
    first.wait(timeout=120)
    from qnb.runner.control import stop_runner

    stop_runner(home)
    from qnb.store import forget_store

    forget_store(home)  # files open for writing would keep the remount from happening
    def remounted_read_only() -> bool:
        return subprocess.run(["mount", "-o", "remount,ro", str(mnt)],
                              capture_output=True).returncode == 0

    # the runner's helpers may take a moment to exit
    wait_for(remounted_read_only, 30, "the disk to be free (it stayed busy)", interval=0.2)
    try:
        with pytest.raises(StoreError, match="read-only|cannot be opened|cannot write"):
            qnb.submit(bell(), shots=10)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
    assert [j.id for j in qnb.jobs()] == [first.id]
    assert integrity(home) == "ok"
