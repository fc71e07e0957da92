"""Several processes submitting at once to one store: no job lost, none run twice; one runner
per home, and on a shared PostgreSQL store several homes' runners sharing the work."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from fault_helpers import pool_workers
from helpers import wait_for
from shared_homes import shared_homes, wait_for_runners

from qnb.models import JobStatus
from qnb.runner.control import runner_alive, spawn

HERE = Path(__file__).parent


def submit_in_parallel(processes: int, per_process: int, homes: list[Path] | None = None) -> None:
    """``processes`` processes submitting ``per_process`` jobs each at once (to the homes
    given in turn, else to this process's QNB_HOME)."""
    def env(i: int) -> dict[str, str]:
        return dict(os.environ, **({"QNB_HOME": str(homes[i % len(homes)])} if homes else {}))

    procs = [subprocess.Popen([sys.executable, str(HERE / "submitter.py"), str(per_process),
                               f"p{i}"], env=env(i), stderr=subprocess.PIPE, text=True)
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


THREE_HOSTS = """
[runner]
workers = 2
"""


def test_three_runners_share_a_postgresql_store(tmp_path):
    """Three homes (three machines) on one PostgreSQL store, a runner serving each, six
    processes submitting to them at once: every job ends once, and the workers of more than
    one runner ran them (a second machine's cores are used)."""
    from qnb.store import get_store

    with shared_homes(tmp_path, 3, THREE_HOSTS) as (homes, _url):
        store = get_store()
        procs = [spawn(home, ["--serve"]) for home in homes]
        runners = wait_for_runners(store, 3)
        assert {r["pid"] for r in runners} == {p.pid for p in procs}
        for proc in procs:  # every runner's workers up before the burst
            wait_for(lambda proc=proc: len(pool_workers(proc.pid)) == 2, 120,
                     f"the workers of runner {proc.pid}")
        submit_in_parallel(6, 20, homes=homes)
        records = wait_all_final(store, 120, 300)
        assert len({r.name for r in records}) == 120
        check_exactly_once(store, records)
        by_runner = Counter(r.provider_state.get("runner") for r in records)
        assert None not in by_runner and len(by_runner) > 1, by_runner
        assert set(by_runner) <= {r["id"] for r in runners}
        assert all(p.poll() is None for p in procs)  # services: none gave up or idled out
