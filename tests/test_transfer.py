"""Moving jobs between stores: a SQLite home's jobs into a shared PostgreSQL store with
``qnb export --format archive`` / ``qnb import``, and back, with results, tags and ledger."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import bell, isolated_home
from pg_server import shared_server

from qnb.models import JobRecord, JobStatus
from qnb.runner.control import stop_runner
from qnb.store import new_job_id, open_store


def cli(home: Path, *args: str, url: str | None = None, stdin: str | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "QNB_STORE"}
    env["QNB_HOME"] = str(home)
    if url:
        env["QNB_STORE"] = url
    proc = subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                          text=True, env=env, input=stdin, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def home_at(tmp_path: Path, name: str) -> Path:
    home = tmp_path / name
    home.mkdir(mode=0o700)
    return home


def seen(store) -> dict:
    """What a user would compare: each job's fields that move, its result, and the ledger."""
    jobs = {}
    for rec, result in store.scan(with_results=True):
        jobs[rec.id] = (rec.name, str(rec.status), rec.backend, rec.shots, tuple(rec.tags),
                        rec.remote_id, result)
    ledger = {row["group"]: (row["jobs"], row["shots"]) for row in store.usage()}
    return {"jobs": jobs, "ledger": ledger}


def test_a_home_moves_into_a_shared_store_and_back_with_results_tags_and_ledger(tmp_path):
    import qnb

    (tmp_path / "a").mkdir()
    with isolated_home(tmp_path / "a", env={"QNB_STORE": ""}) as home_a:  # a SQLite home
        done = qnb.submit(bell(), shots=200, seed=7, name="bell", tags=["keep", "bell"])
        assert done.wait(120) is JobStatus.DONE
        assert stop_runner(home_a)  # none follows the remote job below while it moves
        store_a = open_store(home_a)
        remote = JobRecord(id=new_job_id(), backend="ibm", provider="ibm-runtime",
                           status=JobStatus.RUNNING, shots=50, created_at=time.time(),
                           remote_id="d1abc", name="on the device")
        store_a.import_job(remote, "qpy", b"circuits")
        before = seen(store_a)
        archive = cli(home_a, "export", "--format", "archive").stdout
    assert archive.count("\n") == 2

    shared = shared_server().fresh_database()
    team_home = home_at(tmp_path, "team")
    out = cli(team_home, "import", "-", url=shared, stdin=archive).stdout
    assert "imported 2 job(s)" in out and "postgresql://" in out
    team = open_store(team_home, url=shared)
    assert seen(team) == before
    assert team.result(done.id)["counts"] == before["jobs"][done.id][-1]["counts"]
    assert team.list(tag="KEEP")[1] == 1
    again = cli(team_home, "import", "-", url=shared, stdin=archive).stdout
    assert "imported 0 job(s)" in again and "2 already there" in again

    back_home = home_at(tmp_path, "back")
    archive_back = cli(team_home, "export", "--format", "archive", url=shared).stdout
    cli(back_home, "import", "-", stdin=archive_back)
    assert seen(open_store(back_home)) == before


def test_a_running_local_job_is_queued_again_and_a_bad_archive_writes_nothing(tmp_path):
    source = open_store(home_at(tmp_path, "src"))
    running = JobRecord(id=new_job_id(), backend="aer", provider="aer",
                        status=JobStatus.RUNNING, shots=10, created_at=time.time(),
                        provider_state={"worker": 5, "runner": 9})
    source.import_job(running, "qpy", b"x")
    handing = JobRecord(id=new_job_id(), backend="ibm", provider="ibm-runtime",
                        status=JobStatus.QUEUED, shots=10, created_at=time.time(),
                        submitting=True)
    source.import_job(handing, "qpy", b"y")
    archive = cli(source.home, "export", "--format", "archive").stdout
    target_home = home_at(tmp_path, "dst")
    broken = archive + '{"format": "qnb-job/1", "record": {"id": 3}}\n'
    refused = cli(target_home, "import", "-", stdin=broken, check=False)
    assert refused.returncode == 2 and "line 3 is not a qnb job" in refused.stderr
    assert open_store(target_home).list()[1] == 0  # nothing of the good lines either
    cli(target_home, "import", "-", stdin=archive)
    target = open_store(target_home)
    moved = target.get(running.id)
    assert moved.status is JobStatus.QUEUED and "runner" not in moved.provider_state
    caught = target.get(handing.id)
    assert caught.status is JobStatus.ERROR and "not sent again" in caught.error


@pytest.mark.parametrize("bad", ["a line of text\n", '{"format": "csv"}\n'])
def test_what_is_not_an_archive_is_refused_by_line(tmp_path, bad):
    refused = cli(home_at(tmp_path, "h"), "import", "-", stdin=bad, check=False)
    assert refused.returncode == 2 and "line 1 is not a qnb job" in refused.stderr
