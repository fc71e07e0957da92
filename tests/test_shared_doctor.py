"""``qnb doctor`` on a shared store: reachable and whole, who serves it, and jobs that wait
with nobody to run them."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from pg_server import shared_server

from qnb.models import JobRecord, JobStatus
from qnb.store import new_job_id, open_store


def doctor(home, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QNB_HOME": str(home), "QNB_STORE": url}
    return subprocess.run([sys.executable, "-m", "qnb.cli", "doctor"], capture_output=True,
                          text=True, env=env, timeout=120)


def test_doctor_checks_the_shared_store_and_says_when_nobody_serves_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    url = shared_server().fresh_database()
    store = open_store(home, url=url)
    fine = doctor(home, url)
    assert fine.returncode == 0, fine.stdout
    assert "is reachable and whole" in fine.stdout and "no job waits" in fine.stdout
    store.add_job(JobRecord(id=new_job_id(), backend="aer", provider="aer",
                            status=JobStatus.QUEUED, shots=10, created_at=time.time()),
                  "qpy", b"x")
    waiting = doctor(home, url)
    assert waiting.returncode == 1 and "no runner serves it" in waiting.stdout
    store.join(7, host="node-b", pid=1, workers=2, lease=60)
    served = doctor(home, url)
    assert served.returncode == 0 and "1 runner(s) serve it (on node-b)" in served.stdout
    store._conn().execute("DROP TABLE payloads CASCADE")  # a careless migration
    damaged = doctor(home, url)
    assert damaged.returncode == 1 and "tables missing: payloads" in damaged.stdout
    assert store.url in damaged.stdout


def test_doctor_names_an_unreachable_store_without_its_password(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    bad = doctor(home, "postgresql://alice:s3cret@127.0.0.1:1/qnb")
    assert bad.returncode == 1
    assert "cannot connect" in bad.stdout and "postgresql://alice@127.0.0.1:1/qnb" in bad.stdout
    assert "s3cret" not in bad.stdout + bad.stderr
