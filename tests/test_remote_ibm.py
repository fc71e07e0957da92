"""The ``ibm-runtime`` adapter against a stand-in for the IBM Quantum cloud (``ibm_standin``):
the service's real status values, queue information, re-attach through
``QiskitRuntimeService.job``, network failures and their real exception types, cancel, and
no token anywhere qnb writes or shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ibm_standin
import pytest
from helpers import bell, isolated_home, wait_for

import qnb
from qnb.backends.listing import list_backends
from qnb.models import JobStatus
from qnb.runner import ensure_runner, stop_runner

TESTS = Path(__file__).resolve().parent
FAKE_TOKEN = "qnbTESTtoken-5c1f0a9e7d3b"

CONFIG = """
[runner]
workers = 1
[backends.ibm]
provider = "ibm-runtime"
backend = "ibm_standin"
channel = "ibm_quantum_platform"
service_factory = "ibm_standin:make_service"
describe_timeout = 60
[backends.ibm-brief]
provider = "ibm-runtime"
backend = "ibm_standin"
service_factory = "ibm_standin:make_service"
retry_timeout = 2
[backends.ibm-nowhere]
provider = "ibm-runtime"
backend = "ibm_nowhere"
service_factory = "ibm_standin:make_service"
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One QNB_HOME (and so one warm runner) for this module's tests; profiles on the
    stand-in, credentials in the environment as a user would set them."""
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p),
        "QISKIT_IBM_TOKEN": FAKE_TOKEN,
        "QISKIT_IBM_INSTANCE": "crn:v1:bluemix:public:quantum-computing:us-east:a/qnbtests::",
    }
    with isolated_home(tmp_path_factory.mktemp("ibm-remote"), CONFIG, env=env) as home:
        yield home


@pytest.fixture
def store(home):
    from qnb.api import get_store

    return get_store()


@pytest.fixture
def standin(home):
    ibm_standin.reset(queue_seconds=1.0, run_seconds=0.3)
    return ibm_standin


class Calls:
    """The stand-in's calls made since the test began."""

    def __init__(self) -> None:
        self.start = len(ibm_standin.calls())

    def __call__(self) -> list[str]:
        return ibm_standin.calls()[self.start:]



def follow(store, job_id: str, timeout: float = 90.0) -> list[tuple]:
    """(status, provider status, queue position) as they changed until the job finished."""
    seen: list[tuple] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = store.get(job_id)
        now = (str(rec.status), rec.provider_status, rec.queue_position)
        if not seen or seen[-1] != now:
            seen.append(now)
        if rec.is_final:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish; seen: {seen}")


def test_a_job_queues_at_the_service_runs_and_returns_its_counts(standin, store):
    standin.set_scenario(queue_seconds=2.5, queue_position=7)
    info = {b.name: b for b in list_backends()}["ibm"]
    assert (info.reachable, info.num_qubits, info.simulator) == (True, 5, False)
    assert info.detail.startswith("active")
    calls = Calls()
    job = qnb.submit(bell(), backend="ibm", shots=500, seed=3, name="bell-cloud")
    rec = wait_for(lambda: (r := store.get(job.id)).queue_position and r, what="queue info")
    assert rec.provider_status == "QUEUED" and 1 <= rec.queue_position <= 7
    assert rec.estimated_start is not None and rec.estimated_start > rec.created_at
    assert "queue position" in job.widget.header.value
    seen = follow(store, job.id)
    assert [s for s, _, _ in seen][-1] == "DONE", seen
    assert ("RUNNING", "RUNNING", None) in seen
    counts = job.counts()
    assert sum(counts.values()) == 500 and counts["00"] + counts["11"] > 400
    remote_id = store.get(job.id).remote_id
    assert calls().count("program_run ") == 1
    for call in ("job_get", "job_metadata", "job_results"):
        assert f"{call} {remote_id}" in calls()
    assert job.result().metadata["backend"] == "ibm_standin"


def test_unfinished_jobs_are_re_attached_by_remote_id_after_a_restart(standin, store,
                                                                      home):
    standin.set_scenario(queue_seconds=5)
    calls = Calls()
    job = qnb.submit(bell(), backend="ibm", shots=100, seed=1)
    remote_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    assert stop_runner(home)
    ensure_runner(home)
    assert job.wait(timeout=90) is JobStatus.DONE, store.get(job.id).error
    assert store.get(job.id).remote_id == remote_id
    assert f"service.job {remote_id}" in calls()  # QiskitRuntimeService.job(remote id)
    assert calls().count("program_run ") == 1  # not sent twice
    assert sum(job.counts().values()) == 100


def test_connection_errors_for_a_while_are_retried_and_the_job_completes(standin, store):
    standin.set_scenario(queue_seconds=1.0)
    job = qnb.submit(bell(), backend="ibm", shots=100, seed=2)
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    standin.set_scenario(outage_calls=2, outage_status=-1)
    seen = follow(store, job.id)
    assert seen[-1][0] == "DONE", seen
    assert any((p or "").startswith("retrying after RequestsApiError") for _, p, _ in seen), seen
    remote_id = store.get(job.id).remote_id
    assert f"refused-network job_get {remote_id}" in standin.calls()


def test_service_unavailable_then_recovered_after_a_restart(standin, store, home):
    """5xx answers while a restarted runner re-attaches through QiskitRuntimeService.job."""
    standin.set_scenario(queue_seconds=2.0)
    job = qnb.submit(bell(), backend="ibm", shots=100, seed=2)
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    assert stop_runner(home)
    standin.set_scenario(outage_calls=2, outage_status=503)
    ensure_runner(home)
    seen = follow(store, job.id)
    assert seen[-1][0] == "DONE", seen
    assert any((p or "").startswith("retrying after IBMRuntimeError") for _, p, _ in seen), seen


def test_a_failed_job_ends_in_error_with_the_services_message(standin, store):
    reason = "The instruction rzz on qubits (0, 1) exceeds the allowed angle"
    standin.set_scenario(queue_seconds=0.3, fail=reason)
    job = qnb.submit(bell(), backend="ibm", shots=10)
    assert job.wait(timeout=60) is JobStatus.ERROR
    rec = store.get(job.id)
    assert reason in rec.error and "Error code 1517" in rec.error
    assert rec.provider_status == "ERROR"
    with pytest.raises(qnb.JobFailed, match="exceeds the allowed angle"):
        job.result()


def test_refused_credentials_end_the_job_at_once_without_retries(standin, store):
    standin.set_scenario(queue_seconds=30)
    job = qnb.submit(bell(), backend="ibm", shots=10)  # retry_timeout: the default 900 s
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    standin.set_scenario(unauthorized=True)
    assert job.wait(timeout=60) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith("IBMNotAuthorizedError") and "401" in error


def test_a_service_that_stays_unreachable_is_given_up_after_retry_timeout(standin, store):
    standin.set_scenario(queue_seconds=1.0)
    job = qnb.submit(bell(), backend="ibm-brief", shots=10)
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    standin.set_scenario(outage_until=time.time() + 600)
    assert job.wait(timeout=90) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith("gave up after") and "Connection refused" in error, error


def test_results_that_keep_failing_are_given_up_after_retry_timeout(standin, store):
    standin.set_scenario(queue_seconds=0.3, run_seconds=0.1,
                         results_outage_until=time.time() + 600)
    job = qnb.submit(bell(), backend="ibm-brief", shots=10)
    assert job.wait(timeout=90) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith("gave up after") and "502" in error, error


def test_cancel_a_queued_remote_job(standin, store):
    standin.set_scenario(queue_seconds=120)
    job = qnb.submit(bell(), backend="ibm", shots=10)
    remote_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    wait_for(lambda: store.get(job.id).provider_status == "QUEUED", what="first poll")
    assert job.cancel() is JobStatus.QUEUED  # asked; the service is told next
    assert job.wait(timeout=30) is JobStatus.CANCELLED
    assert f"job_cancel {remote_id}" in standin.calls()
    record = json.loads((standin.state_dir() / "jobs" / f"{remote_id}.json").read_text())
    assert record["cancelled"] is not None


def test_an_unknown_device_fails_the_submission_with_the_services_error(standin, store):
    job = qnb.submit(bell(), backend="ibm-nowhere", shots=10)
    assert job.wait(timeout=60) is JobStatus.ERROR
    assert store.get(job.id).error == (
        "submission failed: QiskitBackendNotFoundError: 'No backend matches the criteria.'")


def widget_states(widget) -> str:
    """Every state every widget under ``widget`` would send to the front end."""
    import ipywidgets

    out, todo = [], [widget]
    while todo:
        w = todo.pop()
        out.append(json.dumps(w.get_state(), default=repr))
        for value in w.get_state().values():
            items = value if isinstance(value, (list, tuple)) else [value]
            todo.extend(v for v in items if isinstance(v, ipywidgets.Widget))
        todo.extend(getattr(w, "children", ()))
    return "\n".join(out)


def test_no_token_reaches_the_store_logs_or_outputs(standin, store, home):
    standin.set_scenario(queue_seconds=0.5)
    done = qnb.submit(bell(), backend="ibm", shots=50, seed=1, run_options={"mitigate": True})
    assert done.wait(timeout=90) is JobStatus.DONE, store.get(done.id).error
    standin.set_scenario(unauthorized=True)
    refused = qnb.submit(bell(), backend="ibm", shots=10)
    assert refused.wait(timeout=60) is JobStatus.ERROR
    assert os.environ["QISKIT_IBM_TOKEN"] == FAKE_TOKEN  # the service had it to work with
    outputs = [repr(done), json.dumps(done.result().metadata), json.dumps(done.result().extra),
               widget_states(done.widget), widget_states(refused.widget),
               json.dumps([b.to_json() for b in list_backends()])]
    for args in (["show", done.id, "--json"], ["show", refused.id], ["jobs", "--json"],
                 ["backends", "--json"]):
        proc = subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                              text=True, timeout=120, env=os.environ.copy())
        outputs.append(proc.stdout + proc.stderr)
    assert '"DONE"' in outputs[6] and "counts" in outputs[6]
    for text in outputs:
        assert FAKE_TOKEN not in text
    stop_runner(home)  # flushes the log and checkpoints nothing away
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "runner.log" for p in files)
    assert any(p.name.startswith("jobs.sqlite") for p in files)
    for path in files:
        assert FAKE_TOKEN.encode() not in path.read_bytes(), path
