"""The runner's periodic upkeep of the store (health checks, retention, backups): measured
from the runner's own start, so that it first runs soon after the start whatever the
machine's uptime; and backups that are verified, so that a damaged store never buries the
good copies."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fault_helpers import runner_log_tail
from helpers import bell, wait_for
from test_trust import damage

import qnb
from qnb.models import JobRecord, JobStatus, StoreCorrupt, StoreError
from qnb.runner.upkeep import Every
from qnb.store import CORRUPT_MARK, Store, forget_store, new_job_id


class Clock:
    """``time.monotonic`` on a machine booted ``now`` seconds ago."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_periodic_task_is_due_at_once_on_a_machine_booted_seconds_ago():
    clock = Clock(5.0)  # the monotonic clock starts near zero at boot
    hourly = Every(3600.0, clock)
    assert hourly.due(), "an hourly task must not wait for the machine's first hour"
    hourly.ran()
    clock.now += 3599.0
    assert not hourly.due()
    clock.now += 1.0
    assert hourly.due()
    hourly.ran()
    hourly.again()  # more to do: due again at once
    assert hourly.due()


# -- verified backups -------------------------------------------------------------------------
def store_with_jobs(home: Path, n: int = 300) -> Store:
    """A store of ``n`` finished jobs, checkpointed: its pages are in the file itself."""
    store = Store(home / "jobs.sqlite")
    for _ in range(n):
        rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                        shots=10, num_circuits=1, created_at=time.time(), name="x" * 200)
        store.add_job(rec, "qpy", b"\0" * 2000)
        store.claim(rec.id)
        store.finish(rec.id, JobStatus.DONE, result={"counts": [{"0": 10}]})
    store.close()
    with contextlib.closing(sqlite3.connect(home / "jobs.sqlite")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store


def aged(path: Path, stamp: str) -> Path:
    """A backup renamed as if made at ``stamp`` (backups are named by the second)."""
    return path.rename(path.with_name(f"jobs-{stamp}.sqlite"))


def test_a_damaged_store_is_marked_reported_and_never_copied_over_the_good_backups(tmp_path):
    from qnb.store.sqlite.backups import backups, check_file, make_backup

    store = store_with_jobs(tmp_path)
    good = [aged(make_backup(store, tmp_path, keep=3), stamp)
            for stamp in ("20260101-000000", "20260102-000000")]
    store.close()
    damage(tmp_path / "jobs.sqlite")
    for _ in range(5):  # five days of backups, keeping one: the first finds the damage
        with pytest.raises(StoreCorrupt) as refused:
            make_backup(Store(tmp_path / "jobs.sqlite"), tmp_path, keep=1)
        assert str(tmp_path / "jobs.sqlite") in str(refused.value)
        assert "qnb doctor --recover" in str(refused.value)
    assert backups(tmp_path) == good  # none copied, none removed
    assert all(check_file(b) == "ok" for b in good)
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [b.name for b in good]
    assert (tmp_path / CORRUPT_MARK).exists()  # every process refuses it now
    with pytest.raises(StoreCorrupt):
        Store(tmp_path / "jobs.sqlite")


def test_a_copy_that_fails_its_check_is_not_kept_and_removes_nothing(tmp_path, monkeypatch):
    from qnb.store.sqlite.backups import backups, make_backup

    store = store_with_jobs(tmp_path)
    good = aged(make_backup(store, tmp_path, keep=1), "20260101-000000")
    real = type(store).backup

    def failing_disk(self, dest):  # the copy comes out damaged (a failing backup disk)
        real(self, dest)
        damage(dest)
        return dest

    monkeypatch.setattr(type(store), "backup", failing_disk)
    with pytest.raises(StoreError, match="failed its check"):
        make_backup(store, tmp_path, keep=1)
    assert backups(tmp_path) == [good]
    assert [p.name for p in (tmp_path / "backups").iterdir()] == [good.name]
    monkeypatch.undo()
    newest = make_backup(store, tmp_path, keep=1)  # a sound copy replaces it
    assert backups(tmp_path) == [newest] and newest != good


def test_qnb_backup_of_a_damaged_store_exits_non_zero_and_writes_no_backup(tmp_path):
    store_with_jobs(tmp_path)
    damage(tmp_path / "jobs.sqlite")
    made = subprocess.run([sys.executable, "-m", "qnb.cli", "backup"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "QNB_HOME": str(tmp_path)})
    assert made.returncode != 0
    assert "is damaged" in made.stderr and str(tmp_path / "jobs.sqlite") in made.stderr
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())


def test_a_long_lived_runner_rechecks_its_store_and_stops_serving_it_once_damaged(qnb_home):
    """The store is damaged on disk while a runner serves it: the runner's periodic check
    (``check_every``) finds it, marks it, says so in its log and stops; no backup is made of
    it after the damage, and the backup made before stays."""
    from qnb.runner.control import lock_holder, runner_info
    from qnb.store.sqlite.backups import backups

    (qnb_home / "config.toml").write_text("[runner]\ncheck_every = 1\n")
    for job in [qnb.submit(bell(), shots=10) for _ in range(200)]:
        assert job.wait(120) == "DONE"
    before = wait_for(lambda: backups(qnb_home), 60, "the runner's first backup")
    pid = wait_for(lambda: (i := runner_info(qnb_home)) and i.get("state") == "serving"
                   and i["pid"], 60, "the runner to serve")
    with contextlib.closing(sqlite3.connect(qnb_home / "jobs.sqlite")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage(qnb_home / "jobs.sqlite")
    wait_for(lambda: lock_holder(qnb_home) is None, 120,
             lambda: f"runner {pid} to stop; its log ends:\n{runner_log_tail(qnb_home)}")
    log = (qnb_home / "runner.log").read_text()
    assert "is damaged" in log and "stops serving it" in log and "Traceback" not in log
    assert (qnb_home / CORRUPT_MARK).exists()
    assert backups(qnb_home) == before
    forget_store(qnb_home)
    refused = subprocess.run([sys.executable, "-m", "qnb.cli", "jobs"], capture_output=True,
                             text=True, timeout=120)  # every process refuses it from now on
    assert refused.returncode == 2 and "is damaged" in refused.stderr
    (qnb_home / "jobs.sqlite").unlink()  # the fixture's closing check is for sound stores
    (qnb_home / CORRUPT_MARK).unlink()
