"""The ``ibm-runtime`` adapter against a stand-in for the IBM Quantum cloud (``ibm_standin``):
the service's real status values, queue information, re-attach through
``QiskitRuntimeService.job``, network failures and their real exception types, cancel,
Sampler and Estimator PUBs run by the executor program, Runtime sessions and batches, and no
token anywhere qnb writes or shows."""

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
from test_backends_ibm import (
    aer_estimator_evs,
    aer_sampler_counts,
    assert_counts_agree,
    assert_evs_agree,
    estimator_pub,
    pub_counts,
    run_all_kinds,
    sampler_pub,
)

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
[backends.ibm-priced]
provider = "ibm-runtime"
backend = "ibm_standin"
service_factory = "ibm_standin:make_service"
price = {minute = 96.0}
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
    from qnb.store import get_store

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

    def finished() -> bool:
        rec = store.get(job_id)
        now = (str(rec.status), rec.provider_status, rec.queue_position)
        if not seen or seen[-1] != now:
            seen.append(now)
        return rec.is_final

    wait_for(finished, timeout, interval=0.02, what=lambda: f"job {job_id} to finish; seen: {seen}")
    return seen


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


def test_ibms_billed_qpu_seconds_and_the_profiles_price_reach_the_usage_ledger(standin, store):
    standin.set_scenario(queue_seconds=0.2, run_seconds=1.5)
    job = qnb.submit(bell(), backend="ibm-priced", shots=100, tags=["billed"])
    assert follow(store, job.id)[-1][0] == "DONE"
    assert job.result().metadata["qpu_seconds"] == pytest.approx(1.5)
    (row,) = qnb.usage(by="tag")
    assert (row["group"], row["jobs"], row["shots"]) == ("billed", 1, 100)
    assert row["qpu_seconds"] == pytest.approx(1.5)  # what IBM reports, not the wall clock
    assert row["cost_estimate"] == pytest.approx(96.0 * 1.5 / 60)


def test_unfinished_jobs_are_re_attached_by_remote_id_after_a_restart(standin, store,
                                                                      home):
    standin.set_scenario(queue_seconds=5)
    calls = Calls()
    job = qnb.submit(bell(), backend="ibm", shots=100, seed=1)
    sampled = qnb.Sampler(backend="ibm").run([sampler_pub()], shots=50)
    remote_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    sampled_id = wait_for(lambda: store.get(sampled.id).remote_id, what="remote id")
    assert stop_runner(home)
    ensure_runner(home)
    assert job.wait(timeout=90) is JobStatus.DONE, store.get(job.id).error
    assert store.get(job.id).remote_id == remote_id
    assert f"service.job {remote_id}" in calls()  # QiskitRuntimeService.job(remote id)
    assert calls().count("program_run ") == 2  # not sent twice
    assert sum(job.counts().values()) == 100
    # a PUB job's result, decoded by the SDK for the program the service says the job ran
    assert sampled.wait(timeout=90) is JobStatus.DONE, store.get(sampled.id).error
    assert f"service.job {sampled_id}" in calls()
    assert pub_counts(sampled.result()[0])[0].get("00", 0) > 40


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


def standin_backend():
    """The device as the service describes it: what the adapter transpiles for."""
    return ibm_standin.make_service({}).backend("ibm_standin")


def test_estimator_and_sampler_pubs_run_at_the_service_and_agree_with_aer(standin, store):
    calls = Calls()
    epub, spub = estimator_pub(), sampler_pub()
    estimated = qnb.Estimator(backend="ibm", options={"seed": 5}).run([epub], precision=0.02)
    sampled = qnb.Sampler(backend="ibm", options={"seed": 9}).run([spub], shots=2000)
    for job in (estimated, sampled):
        assert job.wait(timeout=300) is JobStatus.DONE, store.get(job.id).error
    backend = standin_backend()
    # resilience level 1 (the default) removes the readout errors Aer's exact values lack
    assert_evs_agree(estimated.result()[0], aer_estimator_evs(backend, epub, 5))
    assert_counts_agree(pub_counts(sampled.result()[0]),
                        aer_sampler_counts(backend, spub, 2000, 9), 2000)
    service_jobs = standin.jobs()
    for job in (estimated, sampled):
        sent = service_jobs[store.get(job.id).remote_id]
        assert (sent["program"], sent["session_id"]) == ("executor", None)  # job mode
    assert calls().count("program_run ") == 2


def test_a_primitive_option_the_primitive_refuses_ends_the_job_before_anything_is_sent(
        standin, store):
    calls = Calls()
    with qnb.session("ibm") as s:
        job = qnb.Estimator(options={"resilience_level": 7}).run([estimator_pub()])
    assert job.wait(timeout=60) is JobStatus.ERROR
    rec = store.get(job.id)
    assert rec.session == s.id
    assert rec.error.startswith("submission failed: ValidationError"), rec.error
    assert "resilience_level" in rec.error and "Input should be 0, 1 or 2" in rec.error
    # refused before a job was sent or a Runtime session opened
    assert not [c for c in calls() if c.startswith(("program_run", "create_session"))]


@pytest.mark.parametrize(("mode", "service_mode"), [("session", "dedicated"),
                                                    ("batch", "batch")])
def test_a_session_runs_its_jobs_in_one_runtime_session_closed_after_the_block(
        standin, store, mode, service_mode):
    standin.set_scenario(queue_seconds=1.5)
    calls = Calls()
    with qnb.session("ibm", mode=mode, max_time=600) as s:
        plain = qnb.submit(bell(), shots=100, seed=1)
        sampled = qnb.Sampler(options={"seed": 2}).run([sampler_pub()], shots=100)
        wait_for(lambda: store.get(plain.id).remote_id and store.get(sampled.id).remote_id,
                 what="both jobs at the service")
        assert not [c for c in calls() if c.startswith("close_session")]  # still open
    for job in (plain, sampled):
        assert job.wait(timeout=120) is JobStatus.DONE, store.get(job.id).error
    recs = [store.get(job.id) for job in (plain, sampled)]
    assert [r.session for r in recs] == [s.id, s.id]
    runtime_id = recs[0].provider_state["session_id"]
    assert runtime_id and recs[1].provider_state["session_id"] == runtime_id
    # one Runtime session, opened once; the service ran both jobs in it
    assert [c for c in calls() if c.startswith("create_session")] == [
        f"create_session {runtime_id}"]
    assert [standin.jobs()[r.remote_id]["session_id"] for r in recs] == [runtime_id] * 2
    made = standin.sessions()[runtime_id]
    assert (made["mode"], made["max_ttl"], made["backend_name"]) == (
        service_mode, 600, "ibm_standin")
    # closed once the block ended and both jobs were handed over
    wait_for(lambda: f"close_session {runtime_id}" in calls(), timeout=60,
             what=lambda: f"the Runtime session to be closed; calls: {calls()}")
    assert standin.sessions()[runtime_id]["accepting_jobs"] is False
    assert sum(plain.counts().values()) == 100 and sum(sampled.counts().values()) == 300


def test_the_adapter_calls_no_deprecated_api_against_the_service(standin):
    """submit, poll, result and end_session in this process against the stand-in, with
    DeprecationWarning an error: jobs, Runtime session creation and closing included."""
    from qnb.backends.registry import make_provider

    standin.set_scenario(queue_seconds=0.3, run_seconds=0.1)
    calls = Calls()
    provider = make_provider({"name": "ibm", "provider": "ibm-runtime",
                              "options": {"backend": "ibm_standin",
                                          "service_factory": "ibm_standin:make_service"}})
    results = run_all_kinds(provider, timeout=120)
    runtime_id = results[1]["metadata"]["session_id"]
    assert results[2]["metadata"]["session_id"] == runtime_id
    assert "session_id" not in results[0]["metadata"]
    assert calls().count(f"create_session {runtime_id}") == 1
    assert f"close_session {runtime_id}" in calls()
    assert standin.sessions()[runtime_id]["accepting_jobs"] is False


def test_a_new_runner_re_attaches_the_runtime_session_an_earlier_one_opened(standin):
    """``{"remote_id": ...}`` in the session spec: ``Session.from_id`` while the service's
    session accepts jobs, a new session once it is closed."""
    from qnb.backends.registry import make_provider
    from qnb.circuits import encode

    standin.set_scenario(queue_seconds=30)
    calls = Calls()
    spec = {"name": "ibm", "provider": "ibm-runtime",
            "options": {"backend": "ibm_standin", "service_factory": "ibm_standin:make_service"}}
    session = {"id": "qnb-reattach", "mode": "batch", "max_time": None}
    payload = encode([bell()])
    first = make_provider(spec).submit("qpy", payload, 10, 1, {"session": session})
    runtime_id = first.state["session_id"]
    later = make_provider(spec)  # the provider of a runner started after a restart
    again = later.submit("qpy", payload, 10, 1, {"session": {**session, "remote_id": runtime_id}})
    assert again.state["session_id"] == runtime_id
    assert f"session_details {runtime_id}" in calls()
    later.end_session("qnb-reattach")
    assert standin.sessions()[runtime_id]["accepting_jobs"] is False
    last = make_provider(spec)
    fresh = last.submit("qpy", payload, 10, 1, {"session": {**session, "remote_id": runtime_id}})
    assert fresh.state["session_id"] not in (None, runtime_id)
    last.end_session("qnb-reattach")
    fresh_id = fresh.state["session_id"]
    for what in ("create_session", "close_session"):
        assert [c.split()[1] for c in calls() if c.startswith(what)] == [runtime_id, fresh_id]
    assert [standin.jobs()[s.remote_id]["session_id"] for s in (first, again, fresh)] == [
        runtime_id, runtime_id, fresh_id]


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
