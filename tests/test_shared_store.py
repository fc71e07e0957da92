"""What a team deploying a shared PostgreSQL store checks: several homes (machines), a runner
serving each; a runner that dies is replaced by another home's for its jobs, local and
remote; ``qnb runner --status`` shows every runner; a wrong store URL or a schema newer than
this qnb is refused clearly, naming the URL without its password, and writes nothing; and
no credential of a runner's environment reaches the shared database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from helpers import bell, long_circuit, wait_for
from pg_server import shared_server
from shared_homes import live_runners, shared_homes

from qnb.models import JobStatus, StoreError

TESTS = Path(__file__).resolve().parent
LEASE_SECONDS = 3
PASSWORD = "s3cret"

CONFIG = """
[runner]
workers = 1

[backends.remote]
provider = "delayed"
queue_seconds = 8
run_seconds = 0.5
service_dir = {service}
"""


def config(tmp_path: Path) -> str:
    return CONFIG.format(service=json.dumps(str(tmp_path / "delayed-service")))


def cli(*args: str, home: Path, store: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QNB_HOME": str(home), **({"QNB_STORE": store} if store else {})}
    return subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def start_runner(home: Path, *args: str) -> subprocess.Popen:
    """A runner serving ``home`` as a deployment runs one: a service, no idle exit."""
    from qnb.runner.control import spawn

    return spawn(home, ["--serve", *args])


def lease_of(store, pid: int) -> int:
    """The lease id of the runner process ``pid``, once it has joined the store."""
    return wait_for(lambda: next((r["id"] for r in live_runners(store) if r["pid"] == pid),
                                 None), 120, f"runner {pid} to join the store", interval=0.1)


def statuses(store, job_id: str) -> list[str]:
    return [s for _, s, _ in store.events(job_id)]


def test_a_killed_runners_jobs_are_taken_over_by_another_homes_runner(tmp_path):
    """A runner dies (SIGKILL, with its workers) while one of its workers runs a long local
    job and it follows a remote one: once its lease has expired, the runner of another home
    re-runs the local job and adopts the remote one; each ends DONE once."""
    import qnb
    from qnb.runner.control import runner_alive
    from qnb.store import get_store

    with shared_homes(tmp_path, 2, config(tmp_path),
                      env={"QNB_RUNNER_LEASE": str(LEASE_SECONDS)}) as (homes, _url):
        store = get_store()
        first = start_runner(homes[0])
        lost = lease_of(store, first.pid)
        local = qnb.submit(long_circuit(22, 40), shots=8, seed=1, name="long")
        remote = qnb.submit(bell(), backend="remote", shots=20, seed=2, name="remote")

        def held() -> bool:
            holder = store.holder(local.id)
            return (holder is not None and holder[1] == lost
                    and store.get(remote.id).remote_id is not None
                    and store.follower(remote.id) == lost)

        wait_for(held, 120, lambda: f"the first runner to run {store.get(local.id)} and "
                                    f"follow {store.get(remote.id)}", interval=0.1)
        os.killpg(first.pid, signal.SIGKILL)  # the runner, its fork server and its workers
        first.wait(timeout=30)
        assert not runner_alive(homes[0])
        second = start_runner(homes[1])
        taker = lease_of(store, second.pid)

        # the jobs' own records, not job.wait(): a waiting kernel would start a runner of
        # its own home, and this is about the other home's
        wait_for(lambda: store.get(local.id).is_final and store.get(remote.id).is_final, 300,
                 lambda: f"the jobs to end: {store.get(local.id)}, {store.get(remote.id)}",
                 interval=0.2)
        rec = store.get(local.id)
        assert rec.status is JobStatus.DONE, rec.error
        assert statuses(store, local.id) == ["QUEUED", "RUNNING", "QUEUED", "RUNNING", "DONE"]
        assert rec.attempts == 2 and rec.provider_state["runner"] == taker
        assert sum(store.result(local.id)["counts"][0].values()) == 8

        rec = store.get(remote.id)
        assert rec.status is JobStatus.DONE, rec.error
        assert statuses(store, remote.id)[-1] == "DONE"
        assert statuses(store, remote.id).count("DONE") == 1
        assert "ERROR" not in statuses(store, remote.id)
        assert store.follower(remote.id) == taker
        assert sum(store.result(remote.id)["counts"][0].values()) == 20
        sent = list((tmp_path / "delayed-service").glob("*.json"))
        assert [p.stem for p in sent] == [rec.remote_id]  # sent once, followed by two runners
        assert lost not in {r["id"] for r in store.runners()}  # its lease is gone
        assert not runner_alive(homes[0]) and second.poll() is None


def test_runner_status_lists_every_runner_of_the_shared_store(tmp_path):
    from qnb.runner.control import stop_runner
    from qnb.store import get_store

    with shared_homes(tmp_path, 3, config(tmp_path)) as (homes, _url):
        store = get_store()
        procs = [start_runner(homes[0], "--workers", "1"),
                 start_runner(homes[1], "--workers", "2")]
        for proc in procs:
            lease_of(store, proc.pid)

        def listed(home: Path) -> dict:
            out = cli("runner", "--status", home=home)
            assert out.returncode == 0, out.stderr
            return json.loads(out.stdout)

        for home in homes:  # the third home has no runner: it still sees the team's
            status = listed(home)
            assert status.get("state") == ("no runner of this home" if home == homes[2]
                                           else "serving"), status
            runners = {r["pid"]: r for r in status["runners"]}
            assert set(runners) == {p.pid for p in procs}, status
            for proc, workers in zip(procs, (1, 2), strict=True):
                one = runners[proc.pid]
                assert one["host"] == socket.gethostname()
                assert one["workers"] == workers and one["service"] is True
                assert datetime.fromisoformat(one["heartbeat"]) >= datetime.fromisoformat(
                    one["started"])
        assert stop_runner(homes[1])  # a runner that stops leaves the list at once
        assert [r["pid"] for r in listed(homes[2])["runners"]] == [procs[0].pid]


def _databases() -> set[str]:
    with psycopg.connect(shared_server().url(), autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}


SUBMIT = """
import qnb
from qiskit import QuantumCircuit
qc = QuantumCircuit(1)
qc.measure_all()
qnb.submit(qc, shots=10)
"""


@pytest.mark.parametrize("kind", ["unreachable", "no such database", "unknown scheme"])
def test_a_bad_store_url_is_refused_naming_it_without_its_password(tmp_path, kind):
    server = shared_server()
    url, shown, why = {
        "unreachable": (f"postgresql://u:{PASSWORD}@127.0.0.1:1/db",
                        "postgresql://u@127.0.0.1:1/db", "cannot connect"),
        "no such database": (
            f"postgresql://{server.user}:{PASSWORD}@/qnb_nowhere?host={server.socket}",
            f"postgresql://{server.user}@/qnb_nowhere?host={server.socket}",
            'database "qnb_nowhere" does not exist'),
        "unknown scheme": (f"mysql://u:{PASSWORD}@127.0.0.1/qnb", "mysql://u@127.0.0.1/qnb",
                           "the scheme 'mysql' is not one qnb knows"),
    }[kind]
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    databases = _databases()
    listing = cli("jobs", home=home, store=url)
    env = {**os.environ, "QNB_HOME": str(home), "QNB_STORE": url}
    submit = subprocess.run([sys.executable, "-c", SUBMIT], capture_output=True, text=True,
                            env=env, timeout=120, cwd=tmp_path)
    for out in (listing, submit):
        assert out.returncode != 0
        assert f"qnb job store {shown}" in out.stderr and why in out.stderr, out.stderr
        assert PASSWORD not in out.stdout + out.stderr
    assert "StoreError" in submit.stderr
    assert not list(home.iterdir())  # no store file, no runner, no log
    assert _databases() == databases


def test_a_schema_newer_than_this_qnb_is_refused_naming_the_store(tmp_path):
    from qnb.store import open_store

    server = shared_server()
    plain = server.fresh_database()
    open_store(tmp_path, url=plain).close()  # the schema this qnb makes
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("INSERT INTO qnb_schema (version) VALUES (999)")
    name = psycopg.conninfo.conninfo_to_dict(plain)["dbname"]
    url = f"postgresql://{server.user}:{PASSWORD}@/{name}?host={server.socket}"
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    out = cli("jobs", home=home, store=url)
    assert out.returncode != 0
    shown = f"postgresql://{server.user}@/{name}?host={server.socket}"
    assert f"qnb job store {shown} has schema version 999" in out.stderr, out.stderr
    assert PASSWORD not in out.stdout + out.stderr
    with pytest.raises(StoreError, match="schema version 999, newer than this qnb"):
        open_store(home, url=url)
    with psycopg.connect(plain, autocommit=True) as conn:
        assert conn.execute("SELECT MAX(version) FROM qnb_schema").fetchone()[0] == 999
        assert conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0
    assert not list(home.iterdir())


FAKE_TOKEN = "qnbTESTtoken-shared-7d41c9"
IBM = """
[backends.ibm]
provider = "ibm-runtime"
backend = "ibm_standin"
channel = "ibm_quantum_platform"
service_factory = "ibm_standin:make_service"
"""


def every_value(url: str) -> list[tuple[str, object]]:
    """(table, value) for every column of every row of every table of qnb's database."""
    found = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                found += [(table, value) for value in row]
    return found


def test_no_credential_of_a_runners_environment_reaches_the_shared_database(tmp_path):
    """IBM jobs run by runners of two homes that have the token in their environment (as a
    deployment gives each runner its credentials): the token is in no column of any table."""
    import ibm_standin

    import qnb
    from qnb.runner.control import ensure_runner
    from qnb.store import get_store

    env = {"PYTHONPATH": os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH"))
                                         if p),
           "QISKIT_IBM_TOKEN": FAKE_TOKEN,
           "QISKIT_IBM_INSTANCE": "crn:v1:bluemix:public:quantum-computing:us-east:a/qnbtests::",
           "QNB_IBM_STANDIN_DIR": str(tmp_path / "ibm-standin")}
    with shared_homes(tmp_path, 2, config(tmp_path) + IBM, env=env) as (homes, url):
        store = get_store()
        ibm_standin.reset(queue_seconds=0.5, run_seconds=0.2)
        for home in homes:
            ensure_runner(home)
        done = qnb.submit(bell(), backend="ibm", shots=50, seed=1, name="ibm")
        assert done.wait(timeout=180) is JobStatus.DONE, store.get(done.id).error
        ibm_standin.set_scenario(unauthorized=True)
        refused = qnb.submit(bell(), backend="ibm", shots=10, name="refused")
        assert refused.wait(timeout=120) is JobStatus.ERROR
        assert len(live_runners(store)) == 2
        values = every_value(url)
        assert any(isinstance(v, str) and done.id in v for _, v in values)  # the dump sees jobs
        leaks = [(table, str(v)[:120]) for table, v in values
                 if (FAKE_TOKEN.encode() in bytes(v) if isinstance(v, bytes | memoryview)
                     else FAKE_TOKEN in str(v))]
        assert not leaks, leaks


def test_a_job_ending_on_another_machine_wakes_the_kernel_waiting_on_it(tmp_path):
    # the waiting process (home 0) has no runner; the job is claimed and ended through
    # another home's handle on the store, as another machine's runner would. The kernel's
    # waiter socket must receive the wake-up (a NOTIFY on the ends' channel), not only
    # come round to its 50 ms safety-net look
    import select

    from qnb.store import open_store
    from qnb.waiters import follow_ends, stop_following_ends, waiter

    with shared_homes(tmp_path, 2, config(tmp_path), env={"QNB_RUNNER_AUTOSTART": "0"}) as (
            homes, url):
        import qnb

        job = qnb.submit(bell(), shots=10)
        own = waiter(homes[0])
        listening = follow_ends(job._store)
        elsewhere = open_store(homes[1], url=url)
        submits_heard: list[str] = []
        submits_ear = elsewhere.listen(submits_heard.append)  # topic "submit" alone
        try:
            wait_for(lambda: listening.connected.is_set() and submits_ear.connected.is_set(),
                     30, "the listeners to connect")
            _drain(own)
            assert elsewhere.claim(job.id) is not None
            assert elsewhere.finish(job.id, JobStatus.DONE, result={"counts": [{"00": 10}]})
            ready, _, _ = select.select([own.sock], [], [], 60)
            assert own.sock in ready, "no wake-up reached the waiting kernel"
            assert job.wait(timeout=60) is JobStatus.DONE
            assert job.counts() == {"00": 10}
            # a listener of submits hears no ends (notifications arrive in commit order: once
            # this submit is heard, the end above would have been heard before it, if it were)
            last = qnb.submit(bell(), shots=10)
            wait_for(lambda: submits_heard, 30, "the submit to be heard")
            assert submits_heard == [f"submit {last.record.provider}"], submits_heard
            elsewhere.finish(last.id, JobStatus.CANCELLED, error="not run")
        finally:
            submits_ear.stop()
            stop_following_ends()
            elsewhere.close()


def _drain(own) -> None:
    """Read away the wake-ups already queued (the submit's own)."""
    import contextlib

    with contextlib.suppress(BlockingIOError):
        while own.sock.recv(64):
            pass


def _listeners(url: str) -> int:
    """Connections listening to the store's notifications (each costs the server a wake-up
    for every notification in its database)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND application_name = 'qnb-listen'"
                            ).fetchone()[0]


def test_a_home_whose_runner_hears_the_ends_needs_no_listener_of_its_own(tmp_path):
    # a home's runner listens for submits, and for ends while a kernel of its home waits:
    # then it wakes that kernel when a job ends anywhere, and the kernel gives up a
    # listener of its own; a job ended through another home still wakes it at once. Once
    # the runner has stopped, the kernel listens itself again.
    import select
    import time

    import qnb
    from qnb.runner.control import HEARS_SECONDS, hears_ends, runner_info, stop_runner
    from qnb.store import get_store, open_store
    from qnb.waiters import stop_following_ends, waiter

    with shared_homes(tmp_path, 2, config(tmp_path), env={"QNB_RUNNER_AUTOSTART": "0"}) as (
            homes, url):
        store = get_store()
        job = qnb.submit(bell(), shots=10)  # no runner yet: it waits, QUEUED
        elsewhere = open_store(homes[1], url=url)
        lease = 4242  # another machine's runner, alive, whose worker 1 runs the jobs
        elsewhere.join(lease, host="elsewhere", pid=1, workers=1, lease=600, service=True)
        try:
            assert elsewhere.claim_next(1, lease).id == job.id
            runner = start_runner(homes[0])
            wait_for(lambda: (runner_info(homes[0]) or {}).get("state") == "serving", 120,
                     "the runner to serve", interval=0.2)
            assert _listeners(url) == 1  # the runner's, for submits: nobody here waits yet
            assert not hears_ends(homes[0], store.url)
            with pytest.raises(TimeoutError):
                job.wait(timeout=0.05)  # the kernel waits, with a listener of its own
            wait_for(lambda: hears_ends(homes[0], store.url), 60,
                     "the runner to hear the ends for the waiting kernel", interval=0.2)
            with pytest.raises(TimeoutError):
                job.wait(timeout=0.05)  # ... which it gives up now
            wait_for(lambda: _listeners(url) == 1, 30, "the kernel's listener to close")
            own = waiter(homes[0])
            _drain(own)
            assert elsewhere.finish(job.id, JobStatus.DONE, result={"counts": [{"00": 10}]})
            ready, _, _ = select.select([own.sock], [], [], 60)
            assert own.sock in ready, "the runner did not wake the waiting kernel"
            assert job.wait(timeout=60) is JobStatus.DONE
            assert _listeners(url) == 1

            assert stop_runner(homes[0]) and runner.wait(30) is not None
            time.sleep(HEARS_SECONDS)  # what the kernel last saw of the runner is stale
            second = qnb.submit(bell(), shots=10)
            assert elsewhere.claim_next(1, lease).id == second.id
            with pytest.raises(TimeoutError):
                second.wait(timeout=0.05)
            wait_for(lambda: _listeners(url) == 1, 30, "the kernel to listen itself")
            elsewhere.finish(second.id, JobStatus.CANCELLED, error="not run")
            assert second.wait(timeout=60) is JobStatus.CANCELLED
        finally:
            stop_following_ends()
            elsewhere.leave(lease)
            elsewhere.close()


def test_listening_to_a_topic_that_does_not_exist_is_refused_naming_it(tmp_path):
    from qnb.store import open_store

    store = open_store(tmp_path, url=shared_server().fresh_database())
    try:
        with pytest.raises(ValueError, match="cannot listen to 'ends': the topics are "
                                             "'submit', 'end'"):
            store.listen(lambda note: None, topic=("submit", "ends"))
        assert _listeners(store.url) == 0  # nothing started
    finally:
        store.close()
