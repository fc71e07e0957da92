"""Azure Quantum: the ``azure`` provider drives the real ``azure-quantum`` SDK against a local
HTTP stand-in (``azure_standin``) that speaks the workspace's and storage's REST shapes, with
the credentials a user sets (``AZURE_QUANTUM_CONNECTION_STRING``): each target family gets its
own input format and gives counts in Qiskit's bit order, statuses of both workspace
generations, errorData and missing outputs end jobs in ERROR with a reason, throttling is
retried while refusals are not, cancel, re-attach after a restart, costEstimate in the ledger,
availability and queue time in the listing, Sampler PUBs, sessions, and no key anywhere qnb
writes. The ``azure-estimator`` profile runs the QDK's resource estimator for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import azure_standin
import pytest
from helpers import bell, direct_aer_counts, ghz, isolated_home, wait_for

import qnb
from qnb.backends.listing import format_backends, list_backends
from qnb.config import ConfigError, load_config
from qnb.models import JobStatus
from qnb.runner import ensure_runner, stop_runner

TESTS = Path(__file__).resolve().parent
FAKE_KEY = "qnbFAKEazureKEY7f3e9d1c5b2a8e4f60d1c2b3a4958677="
WS = (f'subscription_id = "{azure_standin.SUBSCRIPTION}"\n'
      f'resource_group = "{azure_standin.RESOURCE_GROUP}"\n'
      f'workspace = "{azure_standin.WORKSPACE}"\nlocation = "{azure_standin.LOCATION}"\n'
      'workspace_factory = "azure_standin:make_workspace"\ndescribe_timeout = 60\n')
RESOURCE_ID = (f"/subscriptions/{azure_standin.SUBSCRIPTION}/resourceGroups/"
               f"{azure_standin.RESOURCE_GROUP}/providers/Microsoft.Quantum/Workspaces/"
               f"{azure_standin.WORKSPACE}")
CONFIG = f"""
[runner]
workers = 1
[backends.ionq-sim]
provider = "azure"
target = "ionq.simulator"
{WS}
[backends.h2-emulator]
provider = "azure"
target = "quantinuum.sim.h2-1e"
resource_id = "{RESOURCE_ID}"
location = "{azure_standin.LOCATION}"
workspace_factory = "azure_standin:make_workspace"
describe_timeout = 60
[backends.qvm]
provider = "azure"
target = "rigetti.sim.qvm"
{WS}
[backends.aria]
provider = "azure"
target = "ionq.qpu.aria-1"
{WS}
[backends.h2]
provider = "azure"
target = "quantinuum.qpu.h2-1"
{WS}
[backends.ionq-brief]
provider = "azure"
target = "ionq.simulator"
retry_timeout = 2
{WS}
[backends.h2-continue]
provider = "azure"
target = "quantinuum.sim.h2-1e"
job_failure_policy = "Continue"
{WS}
[backends.estimator-loose]
provider = "azure-estimator"
error_budget = 0.01
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One QNB_HOME (one warm runner) for the module; the workspace's key in the
    environment as Azure's portal hands it out (a connection string), the stand-in's URL."""
    url = azure_standin.start(FAKE_KEY)
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p),
        "AZURE_QUANTUM_CONNECTION_STRING": azure_standin.connection_string(FAKE_KEY),
        azure_standin.URL_ENV: url,
    }
    with isolated_home(tmp_path_factory.mktemp("azure"), CONFIG, env=env) as home:
        yield home


@pytest.fixture
def store(home):
    from qnb.store import get_store

    return get_store()


@pytest.fixture
def standin(home):
    azure_standin.reset(queue_seconds=0.8, run_seconds=0.3)
    return azure_standin


class Calls:
    """The stand-in's calls since the test began."""

    def __init__(self) -> None:
        self.start = len(azure_standin.calls())

    def __call__(self, op: str | None = None) -> list[dict]:
        return [c for c in azure_standin.calls()[self.start:] if op is None or c["op"] == op]


def follow(store, job_id: str, timeout: float = 120.0) -> list[tuple]:
    """(status, provider status) as they changed until the job ended."""
    seen: list[tuple] = []

    def ended() -> bool:
        rec = store.get(job_id)
        now = (str(rec.status), rec.provider_status)
        if not seen or seen[-1] != now:
            seen.append(now)
        return rec.is_final

    wait_for(ended, timeout, interval=0.02, what=lambda: f"job {job_id} to end; seen: {seen}")
    return seen


def registers_circuit():
    """X on qubits 0 and 2 of 3, measured into two registers out of order: Qiskit reads
    '1 10' (register b first, a's bits from the highest)."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    a, b = ClassicalRegister(2, "a"), ClassicalRegister(1, "b")
    qc = QuantumCircuit(QuantumRegister(3), a, b, name="regs")
    qc.x(0)
    qc.x(2)
    qc.measure(0, b[0])
    qc.measure(2, a[1])
    qc.measure(1, a[0])
    return qc


# -- the formats, statuses and errors (no runner) -------------------------------------------
@pytest.mark.parametrize(("raw", "ours"), [
    ("Waiting", "QUEUED"), ("Queued", "QUEUED"), ("Executing", "RUNNING"),
    ("Finishing", "RUNNING"), ("Succeeded", "DONE"), ("Completed", "DONE"),
    ("Failed", "ERROR"), ("CancellationRequested", "CANCELLED"), ("Cancelling", "CANCELLED"),
    ("Cancelled", "CANCELLED"), ("SomethingNew", "QUEUED")])
def test_azure_statuses_of_both_generations_map_onto_qnbs(raw, ours):
    from qnb.backends.azure_status import normalize_status

    assert normalize_status(raw) == (JobStatus(ours), raw)


def test_a_failure_without_error_data_says_so_and_never_null_null():
    from qnb.backends.azure_status import failure_text

    assert failure_text({"code": "InvalidInputData", "message": "bad gate"}, "j1") == (
        "InvalidInputData: bad gate")
    for empty in (None, {}, {"code": None, "message": None}, {"code": "null", "message": ""}):
        text = failure_text(empty, "job-42")
        assert "null" not in text and "job-42" in text and "gives no reason" in text


def test_throttling_and_network_trouble_are_transient_and_refusals_are_not():
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    from qnb.backends.azure_status import is_transient

    def http(status: int) -> HttpResponseError:
        err = HttpResponseError(message=f"HTTP {status}")
        err.status_code = status
        return err

    for exc in (http(429), http(503), http(500), ServiceRequestError("no route"),
                ServiceResponseError("reset"), ConnectionResetError("reset")):
        assert is_transient(exc), exc
    for exc in (http(400), http(403), ResourceNotFoundError("JobNotFound"),
                ClientAuthenticationError("bad key"), ValueError("x")):
        assert not is_transient(exc), exc


# -- the provider through the runner ----------------------------------------------------------
@pytest.mark.parametrize(("backend", "fmt", "content"), [
    ("ionq-sim", "ionq.circuit.v1", "application/json"),
    ("h2-emulator", "honeywell.openqasm.v1", "application/qasm"),
    ("qvm", "qir.v1", "qir.v1")])
def test_each_target_gets_its_format_and_gives_counts_in_qiskits_bit_order(
        standin, store, backend, fmt, content):
    calls = Calls()
    job = qnb.submit([registers_circuit(), bell()], backend=backend, shots=200, seed=4)
    assert job.wait(timeout=180) is JobStatus.DONE, store.get(job.id).error
    assert job.counts(0) == {"1 10": 200} == direct_aer_counts([registers_circuit()], 200, 4)[0]
    assert set(job.counts(1)) == {"00", "11"} and sum(job.counts(1).values()) == 200
    creates = calls("CreateJob")
    assert len(creates) == 2  # Azure takes one circuit a job
    assert {c["body"]["inputDataFormat"] for c in creates} == {fmt}
    assert all(c["body"]["inputParams"]["shots"] == 200 for c in creates)
    ids = store.get(job.id).remote_id.split()
    assert ids == [c["job"] for c in creates]
    container = standin.jobs()[ids[0]]["container"]
    sent = standin.blob(container, "inputData")
    if fmt == "ionq.circuit.v1":
        body = json.loads(sent)
        assert body["gateset"] == "qis" and {g["gate"] for g in body["circuit"]} <= {
            "x", "y", "z", "h", "s", "si", "t", "ti", "v", "vi", "rx", "ry", "rz", "cnot",
            "swap"}
        assert job.result().extra["probabilities"][1] == pytest.approx({"00": .5, "11": .5})
    elif fmt == "honeywell.openqasm.v1":
        assert sent.startswith(b"OPENQASM 2.0;")
    else:
        assert b"@ENTRYPOINT__main" in sent and b"@__quantum__qis__m__body" in sent
    # the output was read from storage with a ranged GET answered 206
    assert [c["status"] for c in calls("GetBlob")] == [200, 200]


def test_a_job_queues_runs_and_reports_azures_words_with_an_eta(standin, store):
    standin.set_scenario(generation=1, queue_seconds=2.5, run_seconds=1.5)
    job = qnb.submit(bell(), backend="ionq-sim", shots=100)
    rec = wait_for(lambda: (r := store.get(job.id)).estimated_start and r, what="an ETA")
    created = standin.jobs()[rec.remote_id]["created"]
    assert rec.provider_status == "Waiting"
    assert rec.estimated_start == pytest.approx(created + 3, abs=1.0)  # providerStatus: 3 s
    seen = follow(store, job.id)
    assert ("RUNNING", "Executing") in seen and seen[-1][0] == "DONE", seen
    standin.set_scenario(generation=2)
    second = qnb.submit(bell(), backend="ionq-sim", shots=100)
    seen = follow(store, second.id)
    assert ("QUEUED", "Queued") in seen and seen[-1][0] == "DONE", seen


def test_the_listing_shows_availability_and_queue_time(standin):
    info = {b.name: b for b in list_backends()}
    assert info["ionq-sim"].reachable and info["ionq-sim"].simulator
    assert info["ionq-sim"].detail == "ionq.simulator: Available, average queue 3 s"
    assert not info["h2"].reachable and "Unavailable, average queue 24.0 h" in info["h2"].detail
    assert "resource estimates" in info["azure-estimator"].detail
    text = format_backends(list(info.values()))
    assert "aria" in text and "average queue 2.0 h" in text


def test_a_failed_job_ends_in_error_with_error_data(standin, store):
    standin.set_scenario(fail={"code": "InvalidInputData", "message": "The circuit uses more "
                                                                      "qubits than the target."})
    job = qnb.submit(bell(), backend="ionq-sim", shots=10)
    assert job.wait(timeout=120) is JobStatus.ERROR
    rec = store.get(job.id)
    assert rec.error == "InvalidInputData: The circuit uses more qubits than the target."
    assert rec.provider_status == "Failed"
    standin.set_scenario(fail={})  # Azure gives no errorData at all
    silent = qnb.submit(bell(), backend="ionq-sim", shots=10)
    assert silent.wait(timeout=120) is JobStatus.ERROR
    error = store.get(silent.id).error
    assert "null" not in error and store.get(silent.id).remote_id in error, error
    with pytest.raises(qnb.JobFailed, match="gives no reason"):
        silent.result()


def test_a_job_that_succeeds_without_output_ends_in_error_saying_so(standin, store):
    standin.set_scenario(no_output=True)
    job = qnb.submit(bell(), backend="h2-emulator", shots=10)
    assert job.wait(timeout=120) is JobStatus.ERROR
    error = store.get(job.id).error
    assert "Completed but its output cannot be read" in error and "BlobNotFound" in error, error
    assert store.get(job.id).remote_id in error


def test_costestimate_reaches_the_result_and_the_usage_ledger(standin, store):
    job = qnb.submit(ghz(3), backend="aria", shots=100, tags=["azure-priced"])
    assert job.wait(timeout=120) is JobStatus.DONE, store.get(job.id).error
    (cost,) = job.result().metadata["cost_estimate"]
    billed = standin.jobs()[store.get(job.id).remote_id]["costEstimate"]
    assert cost["currency"] == "USD" and cost["total"] == billed["estimatedTotal"] > 0
    assert {e["unit"] for e in cost["events"]} == {"1q gate shot", "2q gate shot"}
    used = {r["group"]: r for r in qnb.usage(by="tag")}["azure-priced"]
    assert used["cost_estimate"] == pytest.approx(billed["estimatedTotal"])
    proc = subprocess.run([sys.executable, "-m", "qnb.cli", "usage", "--by", "backend"],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    line = next(x for x in proc.stdout.splitlines() if x.startswith("aria"))
    assert f"{billed['estimatedTotal']:.2f}" in line


def test_throttling_is_retried_and_the_job_completes(standin, store):
    standin.set_scenario(queue_seconds=1.0)
    job = qnb.submit(bell(), backend="ionq-sim", shots=50)
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    calls = Calls()
    # more 429s than azure-core's own retries (10) take: qnb's policy retries the rest
    standin.fail_next("GetJob", 429, "TooManyRequests", "Rate limit exceeded.", 14)
    seen = follow(store, job.id)
    assert seen[-1][0] == "DONE", seen
    assert any((p or "").startswith("retrying after AzureServiceError") for _, p in seen), seen
    assert [c["status"] for c in calls("GetJob")][:14] == [429] * 14
    assert sum(job.counts().values()) == 50


def test_throttling_that_never_ends_is_given_up_after_retry_timeout(standin, store):
    job = qnb.submit(bell(), backend="ionq-brief", shots=10)
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    standin.fail_next("GetJob", 429, "TooManyRequests", "Rate limit exceeded.", 10_000)
    assert job.wait(timeout=120) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith("gave up after") and "429" in error and "TooManyRequests" in error


@pytest.mark.parametrize(("op", "status", "code", "message"), [
    ("CreateJob", 403, "QuotaExceeded", "Quota exceeded for provider ionq: 10 of 10 jobs."),
    ("CreateJob", 401, "Unauthorized", "The API key is not valid for this workspace."),
    ("GetJob", 404, "JobNotFound", "Job was not found in workspace qnb-ws.")])
def test_refusals_end_the_job_at_once_with_azures_message(standin, store, op, status, code,
                                                         message):
    calls = Calls()
    if op == "GetJob":
        standin.set_scenario(queue_seconds=30)
    else:
        standin.fail_next(op, status, code, message, 100)
    job = qnb.submit(bell(), backend="ionq-sim", shots=10)
    if op == "GetJob":
        wait_for(lambda: store.get(job.id).remote_id, what="remote id")
        standin.fail_next(op, status, code, message, 100)
    assert job.wait(timeout=120) is JobStatus.ERROR
    error = store.get(job.id).error
    assert f"HTTP {status}, {code}): {message}" in error, error
    assert len(calls(op)) == 1  # not retried
    if op == "CreateJob":
        assert error.startswith("submission failed: ") and store.get(job.id).remote_id is None


def test_cancel_a_queued_job(standin, store):
    standin.set_scenario(queue_seconds=120)
    job = qnb.submit(bell(), backend="ionq-sim", shots=10)
    azure_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    wait_for(lambda: store.get(job.id).provider_status == "Queued", what="first poll")
    calls = Calls()
    job.cancel()
    assert job.wait(timeout=60) is JobStatus.CANCELLED
    assert [c["job"] for c in calls("CancelJob")] == [azure_id]
    assert standin.jobs()[azure_id].get("cancel_at") is not None


def test_unfinished_jobs_are_re_attached_by_azure_job_id_after_a_restart(standin, store, home):
    standin.set_scenario(queue_seconds=5)
    calls = Calls()
    job = qnb.submit([bell(), ghz(3)], backend="qvm", shots=100)
    remote_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    assert stop_runner(home)
    restarted = len(calls())
    ensure_runner(home)
    assert job.wait(timeout=120) is JobStatus.DONE, store.get(job.id).error
    assert store.get(job.id).remote_id == remote_id
    assert len(calls("CreateJob")) == 2  # not sent again
    after = {c["job"] for c in calls()[restarted:] if c["op"] == "GetJob"}
    assert set(remote_id.split()) <= after
    assert set(job.counts(1)) == {"000", "111"}


def test_sampler_pubs_run_one_azure_job_per_parameter_point(standin, store):
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("t")
    qc = QuantumCircuit(1)
    qc.ry(theta, 0)
    qc.measure_all()
    calls = Calls()
    job = qnb.Sampler(backend="h2-emulator").run([(qc, np.array([[0.0], [np.pi]]))], shots=64)
    result = job.result()
    counts = result[0].join_data()
    assert counts.shape == (2,)
    assert counts.get_counts(0) == {"0": 64} and counts.get_counts(1) == {"1": 64}
    assert len(calls("CreateJob")) == 2


def test_a_session_opens_one_azure_session_with_its_failure_policy(standin, store):
    standin.set_scenario(queue_seconds=1.0)
    calls = Calls()
    with qnb.session("h2-continue") as s:
        first = qnb.submit(bell(), shots=20)
        second = qnb.submit(ghz(3), shots=20)
        wait_for(lambda: store.get(first.id).remote_id and store.get(second.id).remote_id,
                 what="both jobs at Azure")
        assert not calls("CloseSession")
    for job in (first, second):
        assert job.wait(timeout=120) is JobStatus.DONE, store.get(job.id).error
    recs = [store.get(j.id) for j in (first, second)]
    azure_session = recs[0].provider_state["session_id"]
    assert [r.session for r in recs] == [s.id] * 2
    assert [standin.jobs()[r.remote_id]["sessionId"] for r in recs] == [azure_session] * 2
    assert [c["session"] for c in calls("OpenSession")] == [azure_session]
    assert standin.sessions()[azure_session]["jobFailurePolicy"] == "Continue"
    wait_for(lambda: calls("CloseSession"), what="the Azure session to be closed")
    assert standin.sessions()[azure_session]["status"] == "Succeeded"


def test_no_key_reaches_the_store_logs_or_outputs(standin, store, home):
    done = qnb.submit(bell(), backend="ionq-sim", shots=20, seed=1)
    assert done.wait(timeout=120) is JobStatus.DONE, store.get(done.id).error
    standin.fail_next("CreateJob", 401, "Unauthorized", "The API key is not valid.", 5)
    refused = qnb.submit(bell(), backend="qvm", shots=10)
    assert refused.wait(timeout=120) is JobStatus.ERROR
    assert FAKE_KEY in os.environ["AZURE_QUANTUM_CONNECTION_STRING"]  # the SDK had it
    outputs = [repr(done), json.dumps(done.result().metadata), repr(refused),
               json.dumps([b.to_json() for b in list_backends()])]
    for args in (["show", done.id, "--json"], ["show", refused.id], ["jobs", "--json"],
                 ["backends"]):
        proc = subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                              text=True, timeout=180, env=os.environ.copy())
        outputs.append(proc.stdout + proc.stderr)
    assert "ionq.simulator: Available" in outputs[-1]
    for text in outputs:
        assert FAKE_KEY not in text and FAKE_KEY[:20] not in text
    stop_runner(home)
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "runner.log" for p in files)
    for path in files:
        assert FAKE_KEY[:20].encode() not in path.read_bytes(), path


# -- bad profiles -------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "field", "words"), [
    ('target = "ionq.simulator"\nlocation = "eastus"', "subscription_id",
     ["missing field 'subscription_id'", "resource_id"]),
    (f'target = "ionq.simulator"\nresource_id = "{RESOURCE_ID}"', "location",
     ["missing field 'location'"]),
    (f'target = "ionq"\nresource_id = "{RESOURCE_ID}"\nlocation = "eastus"', "target",
     ["is not an Azure Quantum target name"]),
    (f'target = "pasqal.sim.emu-tn"\nresource_id = "{RESOURCE_ID}"\nlocation = "eastus"',
     "target", ["does not run gate-model circuits"]),
    ('target = "ionq.simulator"\nresource_id = "/subscriptions/x"\nlocation = "eastus"',
     "resource_id", ["must look like /subscriptions/"]),
    (f'target = "ionq.simulator"\nresource_id = "{RESOURCE_ID}"\nlocation = "East US"',
     "location", ["is not an Azure region name"]),
    (f'target = "ionq.simulator"\nresource_id = "{RESOURCE_ID}"\nlocation = "eastus"\n'
     'job_failure_policy = "Stop"', "job_failure_policy", ["'Abort' or 'Continue'"]),
])
def test_a_bad_azure_profile_names_the_profile_and_the_field(qnb_home, body, field, words):
    (qnb_home / "config.toml").write_text(f'[backends.mine]\nprovider = "azure"\n{body}\n')
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert "backends.mine" in msg and f".{field}:" in msg, msg
    for word in words:
        assert word in msg, msg


@pytest.mark.parametrize(("key", "value"), [
    ("connection_string", azure_standin.connection_string(FAKE_KEY)),
    ("api_key", FAKE_KEY), ("description", f"ours; ApiKey={FAKE_KEY};")])
def test_a_key_in_a_profile_is_refused_without_repeating_it(qnb_home, key, value):
    (qnb_home / "config.toml").write_text(textwrap.dedent(f"""
        [backends.az]
        provider = "azure"
        target = "ionq.simulator"
        resource_id = "{RESOURCE_ID}"
        location = "eastus"
        {key} = "{value}"
        """))
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert key in msg and "never keeps Azure credentials" in msg
    assert FAKE_KEY not in msg and FAKE_KEY[:20] not in msg


# -- the resource estimator ---------------------------------------------------------------------
def qft(n: int):
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import QFTGate

    qc = QuantumCircuit(n, name=f"qft{n}")
    qc.h(range(n))
    qc.append(QFTGate(n), range(n))
    qc.measure_all()
    return qc


def test_the_estimator_runs_in_a_worker_and_its_figures_are_drawn(home, store):
    from qnb.backends.azure_estimator import summary

    job = qnb.submit([qft(12), qft(20)], backend="azure-estimator")
    assert job.wait(timeout=240) is JobStatus.DONE, store.get(job.id).error
    small, big = (summary(e) for e in job.result().extra["resource_estimates"])
    for s in (small, big):
        # surface code: every logical qubit takes many physical ones; factories add more
        assert s["physical_qubits"] == s["qubits_for_algorithm"] + s["qubits_for_t_factories"]
        assert s["physical_qubits"] > 10 * s["logical_qubits"] > 0
        assert s["t_factories"] >= 1 and s["runtime_ns"] > 0
        assert sum(s["error_budget"].values()) == pytest.approx(1e-3)  # the default budget
    assert big["logical_qubits"] > small["logical_qubits"]
    assert big["t_states"] > small["t_states"]
    html = job._repr_mimebundle_()["text/html"]
    assert f"{big['physical_qubits']:,}</b> physical qubits" in html
    assert "qnb-estimate-bar" in html and "T factories" in html
    text = job._repr_mimebundle_()["text/plain"]
    assert f"{small['physical_qubits']:,} physical qubits" in text
    assert "counts" not in text
    widget = job.widget  # the live widget shows the same figures once the job has ended
    assert wait_for(lambda: f"{big['physical_qubits']:,}</b>" in widget.message.value)
    # the header says what the job is: an estimate of two circuits, not a run of shots
    assert "resource estimate · 2 circuits" in widget.header.value
    assert "shots" not in widget.header.value and "shots" not in html
    assert job.record.shots == 0
    shown = subprocess.run([sys.executable, "-m", "qnb.cli", "show", job.id], text=True,
                           capture_output=True, env=dict(os.environ), timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert f"{big['physical_qubits']:,} physical qubits" in shown.stdout  # qnb show, too


def test_an_estimate_has_figures_not_counts(home, store):
    from qnb.server.service import JobService

    job = qnb.submit(qft(10), backend="azure-estimator", name="qft10")
    assert job.wait(timeout=240) is JobStatus.DONE, store.get(job.id).error
    (figures,) = job.estimates()
    report = figures["report"]  # the estimator's own report is kept beside the figures
    assert figures["physical_qubits"] == report["physicalCounts"]["physicalQubits"] > 0
    assert figures["t_factories"] == report["physicalCounts"]["breakdown"]["numTfactories"] >= 1
    assert figures["runtime"] == report["physicalCountsFormatted"]["runtime"]
    assert set(figures["error_budget"]) == {"logical", "rotations", "tstates"}
    for read in (job.counts, job.result().get_counts):
        with pytest.raises(ValueError, match=r"resource estimate.*job\.estimates\(\)"):
            read()
    # the sidebar's REST answer carries the same figures, the raw report left out
    detail = JobService(home).get_job(job.id)
    assert detail["counts"] == [] and detail["shots"] == 0
    assert detail["estimates"] == [{k: v for k, v in figures.items() if k != "report"}]
    counted = qnb.submit(bell(), backend="aer", shots=10)
    with pytest.raises(ValueError, match="gives counts, not resource estimates"):
        counted.estimates()
    assert counted.wait(timeout=60) is JobStatus.DONE
    assert "estimates" not in JobService(home).get_job(counted.id)


def test_a_larger_error_budget_needs_no_more_qubits(home, store):
    from qnb.backends.azure_estimator import summary

    tight = qnb.submit(qft(16), backend="azure-estimator")
    loose = qnb.submit(qft(16), backend="estimator-loose")
    for job in (tight, loose):
        assert job.wait(timeout=240) is JobStatus.DONE, store.get(job.id).error
    t, lo = (summary(j.result().extra["resource_estimates"][0]) for j in (tight, loose))
    assert sum(lo["error_budget"].values()) == pytest.approx(0.01)
    assert lo["code_distance"] <= t["code_distance"]
    assert lo["physical_qubits"] <= t["physical_qubits"]
