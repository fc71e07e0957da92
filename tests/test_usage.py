"""The usage ledger: every finished job leaves a row of what it used (shots, circuits, queue
and run seconds, QPU seconds and an estimated cost where known), kept after the job is pruned
and added up by backend, day, tag or status from Python, the command line and REST."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from helpers import bell, ghz
from test_trust import cli

import qnb
from qnb.models import JobRecord, JobStatus
from qnb.store import MIGRATIONS, SCHEMA_VERSION, Store, new_job_id


def finished(store: Store, *, backend: str = "aer", status: JobStatus = JobStatus.DONE,
             shots: int = 100, circuits: int = 1, tags: tuple[str, ...] = (),
             ended: float | None = None, queued: float = 2.0, ran: float = 3.0,
             metadata: dict | None = None) -> str:
    """A finished job written as it is (as an import would), ``queued`` then ``ran`` seconds."""
    end = time.time() if ended is None else ended
    rec = JobRecord(id=new_job_id(), backend=backend, provider="aer", status=status,
                    shots=shots, num_circuits=circuits, tags=list(tags),
                    created_at=end - ran - queued, started_at=end - ran, finished_at=end)
    store.import_job(rec, "qpy", b"-", result={"counts": [], "metadata": metadata or {}})
    return rec.id


def by_group(rows: list[dict]) -> dict:
    return {r["group"]: r for r in rows}


def test_a_finished_job_leaves_what_it_used_and_a_service_its_qpu_time_and_cost(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    finished(store, shots=1000, circuits=3, queued=2, ran=5)
    finished(store, shots=500, queued=1, ran=1, status=JobStatus.ERROR)
    finished(store, backend="ibm", shots=4000, circuits=2, queued=60, ran=10,
             metadata={"qpu_seconds": 7.5, "estimated_cost_usd": 12.0})
    rows = by_group(store.usage(by="backend"))
    assert set(rows) == {"aer", "ibm"}
    aer = rows["aer"]
    assert (aer["jobs"], aer["shots"], aer["circuits"]) == (2, 1500, 4)
    assert aer["queue_seconds"] == pytest.approx(3) and aer["run_seconds"] == pytest.approx(6)
    assert aer["qpu_seconds"] is None and aer["cost_estimate"] is None  # nothing reported
    ibm = rows["ibm"]
    assert (ibm["qpu_seconds"], ibm["cost_estimate"]) == (7.5, 12.0)
    assert by_group(store.usage(by="status"))["ERROR"]["jobs"] == 1


def test_the_ledger_follows_the_status_machine_and_tag_edits(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                    shots=10, created_at=time.time(), tags=["sweep"])
    store.add_job(rec, "qpy", b"-")
    assert store.usage() == []  # nothing used until it ends
    store.claim(rec.id)
    assert store.usage() == []
    store.finish(rec.id, JobStatus.DONE, result={"counts": [{"0": 10}], "metadata": {
        "qpu_seconds": 1.25, "estimated_cost_usd": float("nan")}})
    row = store.usage()[0]
    assert row["jobs"] == 1 and row["qpu_seconds"] == 1.25
    assert row["cost_estimate"] is None  # a number that is not a cost is not entered
    store.retag(rec.id, add=["paper"], remove=["sweep"])
    assert set(by_group(store.usage(by="tag"))) == {"paper"}
    cancelled = JobRecord(id=new_job_id(), backend="aer", provider="aer",
                          status=JobStatus.QUEUED, shots=10, created_at=time.time())
    store.add_job(cancelled, "qpy", b"-")
    store.request_cancel(cancelled.id)
    row = by_group(store.usage(by="status"))["CANCELLED"]
    assert row["jobs"] == 1 and row["run_seconds"] == 0  # it never ran


def test_the_ledger_outlives_pruning_and_groups_by_day_and_since(tmp_path):
    store = Store(tmp_path / "jobs.sqlite")
    day = 86400.0
    old = time.time() - 40 * day
    finished(store, ended=old, shots=7, tags=("campaign",))
    finished(store, shots=11, tags=("campaign", "calibration"))
    assert store.prune(before=time.time() - 30 * day) == 1
    assert store.list(limit=10)[1] == 1  # the job is gone ...
    assert store.usage()[0]["shots"] == 18  # ... what it used is not
    days = store.usage(by="day")
    assert [r["group"] for r in days] == [time.strftime("%Y-%m-%d", time.gmtime(old)),
                                          time.strftime("%Y-%m-%d", time.gmtime())]
    assert store.usage(since=time.time() - day)[0]["shots"] == 11
    tags = by_group(store.usage(by="tag"))
    assert tags["campaign"]["jobs"] == 2 and tags["calibration"]["jobs"] == 1
    with pytest.raises(ValueError, match="cannot group usage by 'week'; use one of backend"):
        store.usage(by="week")


def test_a_version_6_store_enters_its_finished_jobs_in_the_ledger(tmp_path):
    path = tmp_path / "jobs.sqlite"
    conn = sqlite3.connect(path)
    for v in range(1, 7):
        for statement in MIGRATIONS[v].split(";\n") if v < 6 else [MIGRATIONS[v]]:
            conn.executescript(statement)
    conn.execute("PRAGMA user_version = 6")
    for i, status in enumerate(("DONE", "QUEUED")):
        conn.execute("INSERT INTO jobs (id, seq, backend, provider, status, shots, "
                     "num_circuits, created_at, started_at, finished_at, updated_at, tags) "
                     "VALUES (?, ?, 'aer', 'aer', ?, 100, 2, 1.0, 3.0, ?, 1.0, '[\"old\"]')",
                     (f"00000000000{i}", i + 1, status, 7.0 if status == "DONE" else None))
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    (row,) = store.usage(by="tag")
    assert (row["group"], row["jobs"], row["circuits"]) == ("old", 1, 2)  # not the queued one
    assert (row["queue_seconds"], row["run_seconds"]) == (2.0, 4.0)


def test_jobs_run_by_the_runner_are_in_the_ledger_and_qnb_usage_adds_them_up(qnb_home):
    jobs = [qnb.submit(bell(), shots=300, tags=["ledger"]),
            qnb.submit([ghz(3), bell()], shots=200, tags=["ledger"])]
    for job in jobs:
        assert job.wait(120) == "DONE"
    (row,) = qnb.usage()
    assert (row["group"], row["jobs"], row["shots"], row["circuits"]) == ("aer", 2, 500, 3)
    assert row["run_seconds"] > 0 and row["queue_seconds"] >= 0
    assert qnb.usage(by="tag")[0]["group"] == "ledger"
    table = cli("usage", "--by", "tag", home=qnb_home)
    assert table.returncode == 0, table.stderr
    head, line = table.stdout.splitlines()[:2]
    assert head.split()[:4] == ["tag", "jobs", "shots", "circuits"]
    assert line.split()[:4] == ["ledger", "2", "500", "3"]
    data = json.loads(cli("usage", "--format", "json", "--since", "1h", home=qnb_home).stdout)
    assert data["groups"][0]["jobs"] == 2 and data["cost_is_estimate"] is True
    csv_text = cli("usage", "--by", "day", "--format", "csv", home=qnb_home).stdout
    assert csv_text.splitlines()[0].startswith("group,jobs,shots,circuits")
    wrong = cli("usage", "--since", "yesterday-ish", home=qnb_home)
    assert wrong.returncode != 0 and "--since" in wrong.stderr and "Traceback" not in wrong.stderr


def test_the_runner_retires_finished_jobs_past_keep_days_and_the_ledger_keeps_them(qnb_home):
    from qnb.store import get_store

    (qnb_home / "config.toml").write_text("[runner]\nkeep_days = 30\n")
    store = get_store()
    old = [finished(store, ended=time.time() - 40 * 86400, tags=("old",)) for _ in range(3)]
    recent = finished(store, ended=time.time() - 10 * 86400, tags=("recent",))
    job = qnb.submit(bell(), shots=10)  # starts the runner
    assert job.wait(120) == "DONE"
    deadline = time.monotonic() + 60
    while store.list(limit=10, tag="old")[1] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert store.list(limit=10, tag="old")[1] == 0, "the old jobs were not retired"
    assert {r.id for r in store.list(limit=10)[0]} == {recent, job.id}
    assert by_group(store.usage(by="tag"))["old"]["jobs"] == 3  # what they used stays
    assert all(not store.list(limit=1, search=i)[1] for i in old)
    log = (qnb_home / "runner.log").read_text()
    assert "retention: removed 3 finished job(s) older than 30 days" in log
