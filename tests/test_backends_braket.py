"""Amazon Braket: the ``braket-local`` simulators run for real through the runner and agree
with Aer on MQT Bench circuits (Qiskit's bit order, seeds, noise on ``braket_dm``); the
``braket`` cloud adapter runs against a botocore ``Stubber`` stand-in (``braket_standin``)
with real request and response shapes and real AWS error codes: queue position, throttling
retried, refusals and failed tasks ending in ERROR with AWS's words, cancel, re-attach after
a runner restart, prices and native gates in the listing, and no secret key anywhere qnb
writes; bad profiles are refused naming the profile and the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import braket_standin
import pytest
from circuits import mqt_bench_circuits
from helpers import bell, direct_aer_counts, ghz, isolated_home, wait_for
from test_backends_ibm import assert_counts_agree

import qnb
from qnb.backends.listing import format_backends, list_backends
from qnb.config import ConfigError, load_config
from qnb.models import JobStatus, SubmitError
from qnb.runner import ensure_runner, stop_runner

TESTS = Path(__file__).resolve().parent
FAKE_KEY_ID = "AKIAQNBTESTS0FAKE0ID"
FAKE_SECRET = "qnbFAKEsecret/9f8e7d6c5b4a3210zyxwVUTSRQ+abcd"
SV1, FORTE, GARNET = braket_standin.SV1, braket_standin.FORTE, braket_standin.GARNET

CONFIG = f"""
[runner]
workers = 1
[backends.braket-sv]
provider = "braket-local"
device = "braket_sv"
[backends.braket-dm]
provider = "braket-local"
device = "braket_dm"
[backends.braket-noisy]
provider = "braket-local"
device = "braket_dm"
noise = {{depolarizing = 0.02, readout = 0.05}}
[backends.sv1]
provider = "braket"
device = "{SV1}"
region = "us-east-1"
s3_bucket = "{braket_standin.BUCKET}"
s3_prefix = "qnb/tests"
client_factory = "braket_standin:make_client"
describe_timeout = 60
{braket_standin.FORTE_PROFILE}
[backends.garnet]
provider = "braket"
device = "{GARNET}"
s3_bucket = "{braket_standin.BUCKET}"
client_factory = "braket_standin:make_client"
describe_timeout = 60
[backends.sv1-brief]
provider = "braket"
device = "{SV1}"
region = "us-east-1"
s3_bucket = "{braket_standin.BUCKET}"
client_factory = "braket_standin:make_client"
retry_timeout = 2
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One QNB_HOME (one warm runner) for the module; AWS credentials in the environment as
    a user sets them, and nothing else of boto3's chain (no files, no instance metadata)."""
    base = tmp_path_factory.mktemp("braket")
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p),
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_CONFIG_FILE": str(base / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(base / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with isolated_home(base, CONFIG, env=env) as home:
        yield home


@pytest.fixture
def store(home):
    from qnb.store import get_store

    return get_store()


@pytest.fixture
def standin(home):
    braket_standin.reset(queue_seconds=1.0, run_seconds=0.3)
    return braket_standin


class Calls:
    """The stand-in's calls since the test began."""

    def __init__(self) -> None:
        self.start = len(braket_standin.calls())

    def __call__(self, op: str | None = None) -> list[dict]:
        return [c for c in braket_standin.calls()[self.start:] if op is None or c["op"] == op]


def follow(store, job_id: str, timeout: float = 120.0) -> list[tuple]:
    """(status, provider status, queue position) as they changed until the job finished."""
    seen: list[tuple] = []

    def finished() -> bool:
        rec = store.get(job_id)
        now = (str(rec.status), rec.provider_status, rec.queue_position)
        if not seen or seen[-1] != now:
            seen.append(now)
        return rec.is_final

    wait_for(finished, timeout, interval=0.02, what=lambda: f"job {job_id} to end; seen: {seen}")
    return seen


# -- the Braket program and Qiskit's conventions (no runner) ------------------------------
def test_each_qiskit_gate_sent_to_braket_has_the_same_matrix():
    """Every gate of the translation, on a random state with its qubits in a non-trivial
    order, gives Qiskit's state vector on Braket's simulator (up to a global phase)."""
    import numpy as np
    from braket.default_simulator import StateVectorSimulator
    from braket.ir.openqasm import Program
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.quantum_info import Statevector

    from qnb.backends.braket_program import QISKIT_TO_BRAKET, to_program

    sim, std, rng = StateVectorSimulator(), get_standard_gate_name_mapping(), np.random.default_rng(5)
    for name, braket_name in QISKIT_TO_BRAKET.items():
        gate = std[name]
        gate = type(gate)(*rng.uniform(-3, 3, len(gate.params))) if gate.params else gate
        qc = QuantumCircuit(3)
        for q in range(3):
            qc.ry(rng.uniform(0, 3), q)
            qc.rz(rng.uniform(0, 3), q)
        qc.append(gate, [2, 0, 1][:gate.num_qubits])
        qc.measure_all()
        source = to_program(qc).source
        assert f"\n{braket_name} " in source or f"\n{braket_name}(" in source, source
        body = [line for line in source.splitlines() if "measure" not in line
                and not line.startswith("bit")]
        result = sim.run(Program(source="\n".join(body) + "\n#pragma braket result state_vector"),
                         shots=0)
        braket_state = np.array(result.resultTypes[0].value)
        qiskit_state = Statevector(qc.remove_final_measurements(inplace=False)).data
        big_endian = qiskit_state.reshape([2] * 3).transpose(2, 1, 0).reshape(-1)
        assert abs(np.vdot(big_endian, braket_state)) == pytest.approx(1, abs=1e-9), name


def test_counts_are_in_qiskits_bit_order_with_its_registers():
    """X on qubit 0 of 2 reads '01' as in Qiskit; measurements into several registers, in
    any order, come back as Aer writes them."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    from qnb.backends.registry import make_provider
    from qnb.circuits import encode

    x0 = QuantumCircuit(2)
    x0.x(0)
    x0.measure_all()
    a, b = ClassicalRegister(2, "a"), ClassicalRegister(1, "b")
    regs = QuantumCircuit(QuantumRegister(3), a, b)
    regs.x(0)
    regs.x(2)
    regs.measure(0, b[0])
    regs.measure(2, a[1])
    regs.measure(1, a[0])
    provider = make_provider({"name": "b", "provider": "braket-local",
                              "options": {"device": "braket_sv"}})
    out = provider.run("qpy", encode([x0, regs]), 50, 1, {})
    assert out["counts"] == [{"01": 50}, {"1 10": 50}]
    assert out["counts"] == direct_aer_counts([x0, regs], 50, 1)


def test_the_local_widths_are_the_simulators_own():
    from braket.default_simulator import DensityMatrixSimulator, StateVectorSimulator

    from qnb.backends.braket_local import DEVICES

    assert DEVICES["braket_sv"][1] == StateVectorSimulator().properties.paradigm.qubitCount
    assert DEVICES["braket_dm"][1] == DensityMatrixSimulator().properties.paradigm.qubitCount


@pytest.mark.parametrize(("status", "ours"), [
    ("CREATED", "QUEUED"), ("QUEUED", "QUEUED"), ("RUNNING", "RUNNING"), ("COMPLETED", "DONE"),
    ("FAILED", "ERROR"), ("CANCELLING", "CANCELLED"), ("CANCELLED", "CANCELLED")])
def test_braket_statuses_map_onto_qnbs(status, ours):
    from qnb.backends.braket_status import normalize_status

    assert normalize_status(status) == (JobStatus(ours), status)


def test_network_trouble_and_throttling_are_transient_and_refusals_are_not():
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    from qnb.backends.braket_status import is_transient

    def aws(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"},
                            "ResponseMetadata": {"HTTPStatusCode": status}}, "GetQuantumTask")

    url = "https://braket.us-east-1.amazonaws.com/quantum-task"
    for exc in (EndpointConnectionError(endpoint_url=url), ReadTimeoutError(endpoint_url=url),
                aws("ThrottlingException", 429), aws("InternalServiceException", 500),
                aws("SomethingNew", 503), ConnectionResetError("reset")):
        assert is_transient(exc), exc
    for exc in (aws("ValidationException", 400), aws("AccessDeniedException", 403),
                aws("ResourceNotFoundException", 404), aws("ServiceQuotaExceededException", 402),
                aws("DeviceOfflineException", 424), NoCredentialsError(), ValueError("x")):
        assert not is_transient(exc), exc


def test_device_arns_name_their_region_when_they_have_one():
    from qnb.backends.braket_status import parse_device_arn

    forte = parse_device_arn(FORTE)
    assert (forte.region, forte.simulator, forte.vendor, forte.device) == (
        "us-east-1", False, "ionq", "Forte-1")
    sv1 = parse_device_arn(SV1)
    assert (sv1.region, sv1.simulator) == (None, True)
    with pytest.raises(ValueError, match="is not a Braket device ARN"):
        parse_device_arn("arn:aws:ec2:us-east-1::device/qpu/ionq/Forte-1")


# -- braket-local through the runner --------------------------------------------------------
def test_a_local_job_runs_in_the_runner_and_matches_aer(home, store):
    x0 = qnb.submit(_x_on_qubit_0(), backend="braket-sv", shots=100, seed=3)
    names = ["ghz_n3", "qft_n5", "grover_n4"]
    bench = mqt_bench_circuits()
    real = qnb.submit([bench[n] for n in names], backend="braket-sv", shots=4000, seed=5)
    assert x0.wait(timeout=240) is JobStatus.DONE, store.get(x0.id).error
    assert x0.counts() == {"01": 100}
    assert real.wait(timeout=240) is JobStatus.DONE, store.get(real.id).error
    result = real.result()
    assert result.metadata["simulator"] == "braket.default_simulator StateVectorSimulator"
    assert_counts_agree(result.counts_list, direct_aer_counts([bench[n] for n in names], 4000, 5),
                        4000)


@pytest.mark.slow
def test_every_mqt_bench_circuit_gives_aers_distribution_on_both_local_simulators(home):
    bench = mqt_bench_circuits()
    circuits = list(bench.values())
    reference = direct_aer_counts(circuits, 4000, 17)
    sv = qnb.submit(circuits, backend="braket-sv", shots=4000, seed=17)
    small = [qc for qc in circuits if qc.num_qubits <= 6]
    dm = qnb.submit(small, backend="braket-dm", shots=4000, seed=17)
    assert sv.wait(timeout=600) is JobStatus.DONE, sv.id
    assert_counts_agree(sv.result().counts_list, reference, 4000)
    assert dm.wait(timeout=600) is JobStatus.DONE
    assert_counts_agree(dm.result().counts_list, direct_aer_counts(small, 4000, 17), 4000)


def test_a_seeded_local_job_gives_the_same_counts_again(home):
    qc = _spread(3)
    first = qnb.submit(qc, backend="braket-sv", shots=500, seed=11)
    again = qnb.submit(qc, backend="braket-sv", shots=500, seed=11)
    other = qnb.submit(qc, backend="braket-sv", shots=500, seed=12)
    counts = [j.result(timeout=240).get_counts(0) for j in (first, again, other)]
    assert counts[0] == counts[1] and counts[0] != counts[2]
    assert len(counts[0]) == 8


def test_noise_on_the_density_matrix_simulator_shows_in_the_counts(home):
    shots = 2000
    clean = qnb.submit(ghz(3), backend="braket-dm", shots=shots, seed=4)
    noisy = qnb.submit(ghz(3), backend="braket-noisy", shots=shots, seed=4)
    clean_counts = clean.result(timeout=240).get_counts(0)
    noisy_counts = noisy.result(timeout=240).get_counts(0)
    assert set(clean_counts) == {"000", "111"}
    wrong = shots - noisy_counts.get("000", 0) - noisy_counts.get("111", 0)
    # readout flips alone spoil 1 - 0.95**3 = 14% of the shots; depolarising adds more
    assert 0.08 * shots < wrong < 0.4 * shots, noisy_counts
    info = {b.name: b for b in list_backends()}
    assert "noise: depolarizing 0.02, readout 0.05" in info["braket-noisy"].detail
    assert (info["braket-sv"].num_qubits, info["braket-dm"].num_qubits) == (26, 13)


def test_a_mid_circuit_measurement_ends_the_job_in_error_saying_why(home, store):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(1, 2)
    qc.h(0)
    qc.measure(0, 0)
    qc.h(0)
    qc.measure(0, 1)
    job = qnb.submit(qc, backend="braket-sv", shots=10)
    assert job.wait(timeout=240) is JobStatus.ERROR
    assert "after it was measured" in store.get(job.id).error


def test_primitive_pubs_are_refused_before_anything_is_queued(home):
    from qiskit.quantum_info import SparsePauliOp

    before = len(qnb.jobs(limit=1000))
    with pytest.raises(SubmitError, match="runs Qiskit circuits, not Estimator PUBs"):
        qnb.submit([(bell(measure=False), SparsePauliOp("ZZ"))], backend="braket-sv")
    assert len(qnb.jobs(limit=1000)) == before


# -- braket (cloud) against the stand-in ---------------------------------------------------
def test_the_listing_shows_qubits_gates_status_and_price(standin):
    info = {b.name: b for b in list_backends()}
    sv1, forte, garnet = info["sv1"], info["forte"], info["garnet"]
    assert (sv1.reachable, sv1.num_qubits, sv1.simulator) == (True, 34, True)
    assert sv1.detail.startswith("Amazon Braket SV1: ONLINE")
    assert sv1.price == "$0.075/minute (list price)"
    assert (forte.reachable, forte.num_qubits, forte.simulator) == (True, 36, False)
    assert forte.native_gates == ["gpi", "gpi2", "ms"]
    assert forte.price == "$0.3/task + $0.08/shot"
    assert "12 tasks queued" in forte.detail and "native gates: gpi, gpi2, ms" in forte.detail
    assert (garnet.reachable, garnet.num_qubits) == (False, 20)
    assert "IQM Garnet: OFFLINE" in garnet.detail
    text = format_backends(list(info.values()))
    assert "forte" in text and "$0.3/task + $0.08/shot" in text


def test_a_task_queues_runs_and_returns_its_counts(standin, store):
    standin.set_scenario(queue_seconds=2.5, run_seconds=2.5, queue_position=7)
    calls = Calls()
    job = qnb.submit(bell(), backend="sv1", shots=500, name="bell-braket")
    rec = wait_for(lambda: (r := store.get(job.id)).queue_position and r, what="queue position")
    assert rec.provider_status == "QUEUED" and 1 <= rec.queue_position <= 7
    assert "queue position" in job.widget.header.value
    seen = follow(store, job.id)
    assert seen[-1][0] == "DONE", seen
    assert ("RUNNING", "RUNNING", None) in seen
    counts = job.counts()
    assert sum(counts.values()) == 500 and set(counts) == {"00", "11"}
    (create,) = calls("CreateQuantumTask")
    params = create["params"]
    assert (params["deviceArn"], params["shots"], params["outputS3Bucket"],
            params["outputS3KeyPrefix"]) == (SV1, 500, braket_standin.BUCKET, "qnb/tests")
    source = json.loads(params["action"])["source"]
    assert "cnot q[0], q[1];" in source and "include" not in source
    arn = store.get(job.id).remote_id
    assert arn.startswith("arn:aws:braket:us-east-1:") and ":quantum-task/" in arn
    (get,) = calls("GetObject")
    assert get["params"]["Key"] == f"qnb/tests/{arn.rsplit('/', 1)[1]}/results.json"
    assert job.result().metadata["task_arns"] == [arn]
    # SV1 bills its run time, at least 3 s a task: the ledger keeps it as service seconds
    assert job.result().metadata["billed_seconds"] == pytest.approx(3.0)
    (used,) = [r for r in qnb.usage(by="backend") if r["group"] == "sv1"]
    assert used["qpu_seconds"] == pytest.approx(3.0)


def test_a_qpu_gets_only_its_gates_and_the_job_its_estimated_cost(standin, store):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cp(0.7, 0, 1)
    qc.ccx(0, 1, 2)
    qc.sdg(2)
    qc.measure_all()
    standin.set_scenario(queue_seconds=0.3)
    calls = Calls()
    job = qnb.submit([qc, bell()], backend="forte", shots=100, seed=2, tags=["priced"])
    assert job.wait(timeout=120) is JobStatus.DONE, store.get(job.id).error
    creates = calls("CreateQuantumTask")
    assert len(creates) == 2  # a task per circuit, each in IonQ's supported operations
    for call in creates:
        source = json.loads(call["params"]["action"])["source"]
        assert braket_program_gates(source) <= set(braket_standin.IONQ_GATES), source
    result = job.result()
    assert set(result.get_counts(1)) == {"00", "11"}
    assert result.metadata["estimated_cost_usd"] == pytest.approx(2 * (0.3 + 100 * 0.08))
    assert len(result.metadata["task_arns"]) == 2
    assert "billed_seconds" not in result.metadata  # a QPU bills per task and shot instead
    assert store.get(job.id).remote_id == " ".join(result.metadata["task_arns"])
    priced = {r["group"]: r for r in qnb.usage(by="tag")}["priced"]  # and in the ledger
    assert priced["cost_estimate"] == pytest.approx(2 * (0.3 + 100 * 0.08))


def test_a_managed_simulators_billed_duration_is_its_run_time_at_least_three_seconds():
    from braket.task_result import GateModelTaskResult

    from qnb.backends.braket_status import billed_seconds

    def result(extra: dict) -> GateModelTaskResult:
        return GateModelTaskResult.parse_obj({
            "braketSchemaHeader": {"name": "braket.task_result.gate_model_task_result",
                                   "version": "1"},
            "measurements": [[0]], "measuredQubits": [0],
            "taskMetadata": {"braketSchemaHeader": {"name": "braket.task_result.task_metadata",
                                                    "version": "1"},
                             "id": "task", "shots": 1, "deviceId": "sv1"},
            "additionalMetadata": {"action": {
                "braketSchemaHeader": {"name": "braket.ir.openqasm.program", "version": "1"},
                "source": "OPENQASM 3;"}, **extra}})

    header = {"name": "braket.task_result.simulator_metadata", "version": "1"}
    assert billed_seconds(result({"simulatorMetadata": {"braketSchemaHeader": header,
                                                        "executionDuration": 7250}})) == 7.25
    assert billed_seconds(result({"simulatorMetadata": {"braketSchemaHeader": header,
                                                        "executionDuration": 12}})) == 3.0
    assert billed_seconds(result({})) is None


def braket_program_gates(source: str) -> set[str]:
    from qnb.backends.braket_program import gates_used

    return gates_used(source)


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServiceException"])
def test_throttling_and_internal_errors_are_retried_and_the_job_completes(standin, store, code):
    standin.set_scenario(queue_seconds=1.0)
    job = qnb.submit(bell(), backend="sv1", shots=100)
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    calls = Calls()
    standin.fail_next("GetQuantumTask", code, "Rate exceeded", 2)
    seen = follow(store, job.id)
    assert seen[-1][0] == "DONE", seen
    assert any((p or "").startswith(f"retrying after {code}") for _, p, _ in seen), seen
    assert [c["error"] for c in calls("GetQuantumTask")][:2] == [code, code]
    assert sum(job.counts().values()) == 100


def test_a_service_that_keeps_throttling_is_given_up_after_retry_timeout(standin, store):
    job = qnb.submit(bell(), backend="sv1-brief", shots=10)
    wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    standin.fail_next("GetQuantumTask", "ThrottlingException", "Rate exceeded", -1)
    assert job.wait(timeout=90) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith("gave up after") and "ThrottlingException" in error, error


REFUSALS = {
    "ValidationException": "Caller doesn't have access to amazon-braket-qnb-tests or it "
                           "doesn't exist.",
    "AccessDeniedException": "User: arn:aws:iam::123456789012:user/qnb-tests is not authorized "
                             "to perform: braket:CreateQuantumTask",
    "ServiceQuotaExceededException": "You have reached the maximum number of concurrent "
                                     "quantum tasks for this device.",
}


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_a_refused_submission_ends_in_error_with_awss_message(standin, store, code):
    standin.fail_next("CreateQuantumTask", code, REFUSALS[code], -1)
    calls = Calls()
    job = qnb.submit(bell(), backend="sv1", shots=10)
    assert job.wait(timeout=120) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith(f"submission failed: {code}: ") and REFUSALS[code] in error, error
    assert len(calls("CreateQuantumTask")) == 1  # not retried
    assert store.get(job.id).remote_id is None


@pytest.mark.parametrize("code", ["ResourceNotFoundException", "AccessDeniedException"])
def test_a_refused_status_call_ends_the_job_at_once_with_awss_message(standin, store, code):
    standin.set_scenario(queue_seconds=30)
    job = qnb.submit(bell(), backend="sv1", shots=10)
    arn = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    message = f"Quantum task {arn} not found" if code.startswith("Resource") else (
        "User: arn:aws:iam::123456789012:user/qnb-tests is not authorized to perform: "
        "braket:GetQuantumTask")
    calls = Calls()
    standin.fail_next("GetQuantumTask", code, message, -1)
    assert job.wait(timeout=60) is JobStatus.ERROR
    error = store.get(job.id).error
    assert error.startswith(f"{code}: ") and message in error, error
    assert [c["error"] for c in calls("GetQuantumTask")] == [code]  # once: not retried


def test_a_failed_task_ends_in_error_with_its_failure_reason(standin, store):
    reason = "The circuit exceeds the maximum number of two-qubit gates the device allows."
    standin.set_scenario(queue_seconds=0.3, fail=reason)
    job = qnb.submit(bell(), backend="sv1", shots=10)
    assert job.wait(timeout=120) is JobStatus.ERROR
    rec = store.get(job.id)
    assert rec.error == reason and rec.provider_status == "FAILED"
    with pytest.raises(qnb.JobFailed, match="maximum number of two-qubit gates"):
        job.result()


def test_cancel_a_queued_task(standin, store):
    standin.set_scenario(queue_seconds=120)
    job = qnb.submit(bell(), backend="sv1", shots=10)
    arn = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    wait_for(lambda: store.get(job.id).provider_status == "QUEUED", what="first poll")
    calls = Calls()
    assert job.cancel() is JobStatus.QUEUED  # asked; Braket is told next
    assert job.wait(timeout=60) is JobStatus.CANCELLED
    (cancel,) = calls("CancelQuantumTask")
    assert cancel["params"]["quantumTaskArn"] == arn and cancel["error"] is None
    assert standin.tasks()[arn]["cancelled"] is not None


def test_unfinished_tasks_are_re_attached_by_arn_after_a_restart(standin, store, home):
    standin.set_scenario(queue_seconds=5)
    calls = Calls()
    job = qnb.submit([bell(), ghz(3)], backend="sv1", shots=100)
    remote_id = wait_for(lambda: store.get(job.id).remote_id, what="remote id")
    assert stop_runner(home)
    restarted = len(calls())
    ensure_runner(home)
    assert job.wait(timeout=120) is JobStatus.DONE, store.get(job.id).error
    assert store.get(job.id).remote_id == remote_id
    assert len(calls("CreateQuantumTask")) == 2  # one per circuit, not sent again
    after = [c["params"]["quantumTaskArn"] for c in calls()[restarted:]
             if c["op"] == "GetQuantumTask"]
    assert set(remote_id.split()) <= set(after)
    assert set(job.counts(1)) == {"000", "111"}


def test_no_secret_key_reaches_the_store_logs_or_outputs(standin, store, home):
    standin.set_scenario(queue_seconds=0.3)
    done = qnb.submit(bell(), backend="forte", shots=50, seed=1)
    assert done.wait(timeout=120) is JobStatus.DONE, store.get(done.id).error
    standin.fail_next("CreateQuantumTask", "AccessDeniedException", REFUSALS[
        "AccessDeniedException"], -1)
    refused = qnb.submit(bell(), backend="sv1", shots=10)
    assert refused.wait(timeout=120) is JobStatus.ERROR
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == FAKE_SECRET  # boto3 had it to work with
    outputs = [repr(done), json.dumps(done.result().metadata), repr(refused),
               json.dumps([b.to_json() for b in list_backends()])]
    for args in (["show", done.id, "--json"], ["show", refused.id], ["jobs", "--json"],
                 ["backends"]):
        proc = subprocess.run([sys.executable, "-m", "qnb.cli", *args], capture_output=True,
                              text=True, timeout=180, env=os.environ.copy())
        outputs.append(proc.stdout + proc.stderr)
    assert '"DONE"' in outputs[4] and "counts" in outputs[4]
    assert "forte" in outputs[-1] and "IonQ Forte 1: ONLINE" in outputs[-1]
    for text in outputs:
        assert FAKE_SECRET not in text and FAKE_KEY_ID not in text
    stop_runner(home)
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "runner.log" for p in files)
    assert any(p.name.startswith("jobs.sqlite") for p in files)
    for path in files:
        data = path.read_bytes()
        assert FAKE_SECRET.encode() not in data and FAKE_KEY_ID.encode() not in data, path


# -- bad profiles ---------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "field", "words"), [
    ('provider = "braket"\ndevice = "arn:aws:braket:::device/ionq/Forte-1"\n'
     's3_bucket = "amazon-braket-x"', "device", ["is not a Braket device ARN"]),
    ('provider = "braket"\ndevice = "ionq"\ns3_bucket = "amazon-braket-x"', "device",
     ["is not a Braket device ARN"]),
    (f'provider = "braket"\ndevice = "{FORTE}"', "s3_bucket",
     ["missing field 's3_bucket'", "writes every task's results to S3"]),
    (f'provider = "braket"\ndevice = "{FORTE}"\ns3_bucket = "Not_A_Bucket"', "s3_bucket",
     ["is not an S3 bucket name"]),
    (f'provider = "braket"\ndevice = "{FORTE}"\nregion = "eu-west-2"\ns3_bucket = "amazon-b"',
     "region", ["the device is in us-east-1, not eu-west-2"]),
    (f'provider = "braket"\ndevice = "{FORTE}"\ns3_bucket = "amazon-b"\nprice = {{hour = 1}}',
     "price", ["unknown price unit 'hour'"]),
    ('provider = "braket-local"\ndevice = "braket_ahs"', "device",
     ["unknown local device 'braket_ahs'", "'braket_sv' or 'braket_dm'"]),
    ('provider = "braket-local"\ndevice = "braket_sv"\nnoise = {depolarizing = 0.1}', "noise",
     ["noise needs the density-matrix simulator"]),
    ('provider = "braket-local"\ndevice = "braket_dm"\nnoise = {damping = 0.1}', "noise",
     ["unknown noise 'damping'"]),
    ('provider = "braket-local"\ndevice = "braket_dm"\nnoise = {readout = 0.9}', "noise",
     ["readout must be a probability from 0 to 0.5"]),
])
def test_a_bad_braket_profile_names_the_profile_and_the_field(qnb_home, body, field, words):
    (qnb_home / "config.toml").write_text(f"[backends.mine]\n{body}\n")
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert "config.toml" in msg and "backends.mine" in msg and f".{field}:" in msg, msg
    for word in words:
        assert word in msg, msg
    with pytest.raises(SubmitError, match="backends.mine"):
        qnb.submit(bell(), backend="mine")
    assert not (qnb_home / "jobs.sqlite").exists() or qnb.jobs() == []


def test_a_key_in_a_profile_is_refused_without_repeating_it(qnb_home):
    (qnb_home / "config.toml").write_text(textwrap.dedent(f"""
        [backends.aws]
        provider = "braket"
        device = "{SV1}"
        s3_bucket = "amazon-braket-x"
        aws_secret_access_key = "{FAKE_SECRET}"
        """))
    with pytest.raises(ConfigError) as err:
        load_config()
    msg = str(err.value)
    assert "aws_secret_access_key" in msg and "never keeps AWS credentials" in msg
    assert FAKE_SECRET not in msg


# -- helpers ------------------------------------------------------------------------------
def _x_on_qubit_0():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, name="x0")
    qc.x(0)
    qc.measure_all()
    return qc


def _spread(n: int):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n, name=f"spread{n}")
    qc.h(range(n))
    qc.measure_all()
    return qc
