"""Private by default, and a damaged store detected, refused everywhere and recovered."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import bell, wait_for
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import qnb
from qnb.models import StoreCorrupt
from qnb.runner.control import stop_runner
from qnb.store import forget_store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QNB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_home_and_everything_in_it_is_private(tmp_path, monkeypatch, usual_umask):
    home = tmp_path / "fresh" / "qnb"
    monkeypatch.setenv("QNB_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    try:
        assert qnb.submit(bell(), shots=10).wait(120) == "DONE"
        wait_for(lambda: (home / "runner.json").exists(), 30, "the runner's heartbeat")
        assert mode(home) == 0o700
        names = {"jobs.sqlite", "jobs.sqlite-wal", "jobs.sqlite-shm", "runner.lock",
                 "runner.wake", "runner.log", "runner.json"}
        assert names <= {p.name for p in home.iterdir()}
        for path in home.iterdir():
            assert mode(path) & 0o077 == 0, f"{path.name} is {mode(path):04o}"
    finally:
        stop_runner(home)
        forget_store(home)


def test_an_exposed_home_is_reported_once_and_doctor_fix_tightens_it(tmp_path, usual_umask):
    home = tmp_path / "shared-home"
    home.mkdir(mode=0o755)
    (home / "config.toml").write_text("")
    (home / "config.toml").chmod(0o644)
    first = cli("jobs", home=home)
    assert first.returncode == 0
    warnings = [line for line in first.stderr.splitlines() if "can be read by other users" in line]
    assert len(warnings) == 1 and str(home) in warnings[0] and "qnb doctor --fix" in warnings[0]
    report = cli("doctor", home=home)
    assert report.returncode == 1 and "PROBLEM" in report.stdout
    fixed = cli("doctor", "--fix", home=home)
    assert fixed.returncode == 0, fixed.stdout
    assert mode(home) == 0o700 and mode(home / "config.toml") == 0o600
    assert "can be read by other users" not in cli("jobs", home=home).stderr


def damage(db: Path) -> None:
    """Random bytes over three pages in the second half of the file, as a failing disk
    would leave them (the header and the first pages stay)."""
    import random

    data = bytearray(db.read_bytes())
    rng = random.Random(7)
    page = 4096
    pages = len(data) // page
    for at in (0.55, 0.7, 0.85):
        start = int(pages * at) * page
        data[start:start + page] = rng.randbytes(page)
    db.write_bytes(bytes(data))


def test_a_damaged_store_is_refused_everywhere_then_recovered(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("QNB_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    from qiskit import QuantumCircuit

    big = QuantumCircuit(12)
    for _ in range(200):
        big.h(range(12))
    big.measure_all()
    jobs = [qnb.submit(big if i % 2 else bell(), shots=5) for i in range(30)]
    for job in jobs:
        assert job.wait(240) == "DONE"
    stop_runner(home)
    forget_store(home)
    db = home / "jobs.sqlite"
    damage(db)
    before = db.read_bytes()

    # the runner finds it at start (quick_check) and refuses to serve it
    runner = subprocess.run([sys.executable, "-m", "qnb.runner", "--home", str(home)],
                            capture_output=True, text=True, timeout=120)
    assert runner.returncode == 2 and "qnb doctor --recover" in runner.stderr
    # the Python API, the CLI, the magics and REST refuse it, naming the file and the cure
    with pytest.raises(StoreCorrupt, match=r"jobs\.sqlite is damaged.*qnb doctor --recover"):
        qnb.submit(bell())
    with pytest.raises(StoreCorrupt):
        qnb.jobs()
    listing = cli("jobs", home=home)
    assert listing.returncode == 2 and "qnb doctor --recover" in listing.stderr
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "qnb")
    shell.user_ns["qc"] = bell()
    with pytest.raises(UsageError, match="damaged"):
        shell.run_line_magic("qsubmit", "qc")
    InteractiveShell.clear_instance()
    from qnb.server.service import JobService, ServiceError

    with pytest.raises(ServiceError) as err:
        JobService(home).list_jobs()
    assert err.value.http_status == 503 and "damaged" in err.value.message
    assert db.read_bytes() == before  # nothing was written into it

    recovered = cli("doctor", "--recover", home=home)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert "saved" in recovered.stdout and "lost" in recovered.stdout
    kept = [p for p in home.glob("jobs.sqlite.damaged-*") if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].read_bytes() == before  # the damaged file is kept as it was
    assert cli("doctor", home=home).returncode == 0
    forget_store(home)
    survivors = qnb.jobs(limit=100)
    saved = int(recovered.stdout.split(" job(s) saved")[0].rsplit(" ", 1)[1])
    assert len(survivors) == saved > 0
    assert qnb.submit(bell(), shots=10).wait(120) == "DONE"  # the store works again
    stop_runner(home)
    forget_store(home)


def test_bounds_refuse_a_job_before_anything_is_written(qnb_home):
    from qiskit import QuantumCircuit

    from qnb.models import SubmitError
    from qnb.store import get_store

    (qnb_home / "config.toml").write_text("[limits]\nmax_queued = 3\nmax_payload_mb = 0.05\n")
    wide = [QuantumCircuit(5, 5) for _ in range(400)]
    for qc in wide:
        qc.h(range(5))
        qc.measure(range(5), range(5))
    with pytest.raises(SubmitError, match=r"MB, over the limit of 0\.05 MB .*max_payload_mb"):
        qnb.submit(wide)
    assert get_store().list()[1] == 0
    (qnb_home / "config.toml").write_text("[limits]\nmax_queued = 3\n[runner]\nworkers = 1\n")
    big = QuantumCircuit(22)
    big.h(range(22))
    big.measure_all()
    jobs = []
    with pytest.raises(SubmitError, match=r"already waiting.*max_queued = 3"):
        for _ in range(10):  # one worker: the first runs, the others wait
            jobs.append(qnb.submit(big, shots=50_000))
    assert get_store().count_queued() >= 3 and get_store().list()[1] == len(jobs) <= 4
    for job in jobs:
        job.cancel()
    (qnb_home / "config.toml").write_text("[limits]\nmax_queued = 0\n")
    from qnb.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="limits.max_queued: must be positive"):
        load_config()


def test_a_home_on_a_network_filesystem_is_refused_with_the_way_out(tmp_path, monkeypatch):
    from qnb.files import filesystem_type
    from qnb.models import StoreError

    assert filesystem_type(tmp_path) not in ("", "unknown")  # read from the mount table
    monkeypatch.setenv("QNB_HOME", str(tmp_path / "on-nfs"))
    monkeypatch.setenv("QNB_FILESYSTEM_TYPE", "nfs4")
    with pytest.raises(StoreError, match=r"network filesystem \(nfs4\).*local disk"):
        qnb.submit(bell())
    refused = cli("jobs", home=tmp_path / "on-nfs")  # the variable reaches it: refused too
    assert refused.returncode == 2 and "network filesystem" in refused.stderr
    assert not (tmp_path / "on-nfs" / "jobs.sqlite").exists()  # nothing was written


def test_the_runner_ends_cleanly_on_sigterm_and_the_cli_on_sigint(tmp_path):
    import signal
    import time

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {**os.environ, "QNB_HOME": str(home)}
    runner = subprocess.Popen([sys.executable, "-m", "qnb.runner", "--home", str(home)],
                              env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: '"serving"' in (home / "runner.json").read_text()
             if (home / "runner.json").exists() else False, 60, "the runner to start")
    started = time.monotonic()
    runner.send_signal(signal.SIGTERM)
    _, err = runner.communicate(timeout=30)
    assert time.monotonic() - started < 5
    assert runner.returncode == 143 and "Traceback" not in err
    assert not (home / "runner.json").exists()  # it cleaned up after itself


def test_backups_are_online_private_and_restore_puts_one_back(qnb_home):
    from qnb.store.sqlite.backups import backups

    first = [qnb.submit(bell(), shots=10) for _ in range(3)]
    for job in first:
        assert job.wait(120) == "DONE"
    made = cli("backup", "--keep", "2", home=qnb_home)  # while the runner runs
    assert made.returncode == 0, made.stderr
    kept = backups(qnb_home)
    assert mode(kept[-1]) == 0o600 and mode(kept[-1].parent) == 0o700
    later = qnb.submit(bell(), shots=10)
    assert later.wait(120) == "DONE"
    for _ in range(3):
        assert cli("backup", "--keep", "2", home=qnb_home).returncode == 0
        import time

        time.sleep(1.1)  # backups are named by the second
    assert len(backups(qnb_home)) == 2  # the oldest beyond --keep are removed
    refused = cli("restore", str(kept[-1]), home=qnb_home)
    assert refused.returncode == 2 and "stop it first" in refused.stderr
    stop_runner(qnb_home)
    forget_store(qnb_home)
    source = kept[-1] if kept[-1].exists() else backups(qnb_home)[0]
    restored = cli("restore", str(source), home=qnb_home)
    assert restored.returncode == 0, restored.stderr
    assert "the store it replaced is" in restored.stdout
    forget_store(qnb_home)
    ids = {j.id for j in qnb.jobs(limit=100)}
    assert {j.id for j in first} <= ids
    bad = qnb_home / "not-a-backup.sqlite"
    bad.write_bytes(b"garbage" * 100)
    refused = cli("restore", str(bad), home=qnb_home)
    assert refused.returncode == 2 and "not a sound job store" in refused.stderr
