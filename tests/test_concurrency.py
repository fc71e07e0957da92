"""Several processes submitting at once to one store: no job lost, none run twice, one runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import wait_for

from qnb.models import JobStatus
from qnb.runner.control import runner_alive, spawn

HERE = Path(__file__).parent


def submit_in_parallel(processes: int, per_process: int) -> None:
    procs = [subprocess.Popen([sys.executable, str(HERE / "submitter.py"), str(per_process),
                               f"p{i}"], env=dict(os.environ), stderr=subprocess.PIPE, text=True)
             for i in range(processes)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert "database is locked" not in err


def wait_all_final(store, expected: int, timeout: float) -> list:
    def all_final() -> list | None:
        records, total = store.list(limit=expected + 10)
        return records if total == expected and all(r.is_final for r in records) else None

    return wait_for(all_final, timeout, f"all {expected} jobs to finish in {timeout} s",
                    interval=0.25)


def check_exactly_once(store, records) -> None:
    assert all(r.status is JobStatus.DONE for r in records), {r.status for r in records}
    for r in records:
        statuses = [e[1] for e in store.events(r.id)]
        assert statuses == ["QUEUED", "RUNNING", "DONE"], (r.id, statuses)
        assert r.attempts == 1
        assert sum(store.result(r.id)["counts"][0].values()) == 16


def test_four_processes_submit_at_once(qnb_home, store):
    submit_in_parallel(4, 25)
    records = wait_all_final(store, 100, 300)
    assert len({r.name for r in records}) == 100
    check_exactly_once(store, records)


def test_only_one_runner_serves_a_store(qnb_home):
    procs = [spawn(qnb_home) for _ in range(4)]
    wait_for(lambda: sum(p.poll() is None for p in procs) <= 1, 60,
             "all runners but one to give up", interval=0.1)
    alive = [p for p in procs if p.poll() is None]
    assert len(alive) == 1 and runner_alive(qnb_home)
    assert all(p.returncode == 0 for p in procs if p not in alive)


@pytest.mark.slow
def test_eight_processes_submit_250_jobs_each(qnb_home, store):
    submit_in_parallel(8, 250)
    records = wait_all_final(store, 2000, 1500)
    check_exactly_once(store, records)
