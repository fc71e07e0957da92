"""Noisy device models (``ibm-fake``), qiskit-ibm-runtime's local testing mode through the
``ibm-runtime`` adapter, and readout-error mitigation with mthree."""

from __future__ import annotations

import pytest
from helpers import bell, ghz, isolated_home

import qnb
from qnb.backends.ibm import is_transient, normalize_status
from qnb.models import JobStatus, SubmitError

CONFIG = """
[backends.manila]
provider = "ibm-fake"
device = "FakeManilaV2"
[backends.ibm-local]
provider = "ibm-runtime"
channel = "local"
backend = "fake_manila"
"""


@pytest.fixture(scope="module")
def profiles(tmp_path_factory):
    """One QNB_HOME (and one warm runner) for this module's tests."""
    with isolated_home(tmp_path_factory.mktemp("ibm"), CONFIG) as home:
        yield home


@pytest.fixture
def store(profiles):
    from qnb.api import get_store

    return get_store()


def device_counts(circuits, shots: int, seed: int):
    """What a user gets running the same noisy model directly with the same settings."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    sim = AerSimulator.from_backend(FakeManilaV2())
    compiled = transpile(circuits, sim, seed_transpiler=seed, optimization_level=2)
    result = sim.run(compiled, shots=shots, seed_simulator=seed).result()
    return [dict(result.get_counts(i)) for i in range(len(circuits))]


def test_a_noisy_device_model_gives_the_counts_of_the_same_model_run_directly(profiles):
    circuits = [bell(), ghz(3)]
    job = qnb.submit(circuits, backend="manila", shots=1000, seed=21)
    result = job.result(timeout=180)
    assert result.counts_list == device_counts(circuits, 1000, 21)
    ghz_counts = result.get_counts(1)
    assert ghz_counts["000"] + ghz_counts["111"] > 700  # mostly right ...
    assert len(ghz_counts) > 2  # ... but noisy, unlike the ideal simulator
    assert result.metadata["device"] == "fake_manila"


def test_a_circuit_wider_than_the_device_is_refused_before_queuing(profiles):
    before = len(qnb.jobs(limit=1000))
    with pytest.raises(SubmitError, match="6 qubits but backend 'manila' takes at most 5"):
        qnb.submit(ghz(6), backend="manila")
    assert len(qnb.jobs(limit=1000)) == before


def test_mitigation_gives_raw_and_mitigated_results_side_by_side(profiles):
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

    q = QuantumRegister(2)
    a, b = ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    two_registers = QuantumCircuit(q, a, b)
    two_registers.x(1)
    two_registers.measure(0, a[0])
    two_registers.measure(1, b[0])
    job = qnb.submit(ghz(3), backend="manila", shots=2000, seed=4,
                     run_options={"mitigate": True})
    job2 = qnb.submit(two_registers, backend="manila", shots=500, seed=2,
                      run_options={"mitigate": True})
    result = job.result(timeout=180)
    raw = result.get_counts()
    assert raw == device_counts([ghz(3)], 2000, 4)[0]  # calibration did not disturb the job
    (mitigated,) = result.extra["mitigated"]
    assert sum(mitigated.values()) == pytest.approx(1.0, abs=1e-4)
    assert min(mitigated.values()) >= 0
    ideal = {"000", "111"}
    raw_good = sum(v for k, v in raw.items() if k in ideal) / 2000
    good = sum(v for k, v in mitigated.items() if k in ideal)
    assert good > raw_good  # readout errors corrected
    info = result.metadata["mitigation"]
    assert info["method"] == "mthree" and len(info["qubits"]) == 3
    assert all(0.5 < f <= 1 for f in info["readout_fidelity"].values())
    # the widget draws both series: a histogram and the mitigated table
    widget = job.widget
    image, table = widget.image, widget.table
    assert image.value[:4] == b"\x89PNG" and "qnb-counts" in table.value
    top = max(mitigated, key=mitigated.get)
    assert top in table.value and f"{mitigated[top]:.3f}" in table.value
    # several registers: mitigated outcomes keep the raw counts' "b a" format
    result2 = job2.result(timeout=180)
    assert max(result2.get_counts(), key=result2.get_counts().get) == "1 0"
    (mitigated2,) = result2.extra["mitigated"]
    assert set(mitigated2) <= {"0 0", "0 1", "1 0", "1 1"} and mitigated2["1 0"] > 0.9


def test_local_testing_mode_runs_through_the_runtime_adapter(profiles, store):
    job = qnb.submit([bell(), ghz(3)], backend="ibm-local", shots=400, seed=8,
                     run_options={"mitigate": True})
    assert job.wait(timeout=180) is JobStatus.DONE, store.get(job.id).error
    rec = store.get(job.id)
    assert rec.remote_id and rec.provider == "ibm-runtime"
    result = job.result()
    assert [sum(c.values()) for c in result.counts_list] == [400, 400]
    assert set(max(result.get_counts(0), key=result.get_counts(0).get)) <= {"0", "1"}
    assert len(result.extra["mitigated"]) == 2
    assert result.metadata["remote_id"] == rec.remote_id
    again = qnb.submit([bell(), ghz(3)], backend="ibm-local", shots=400, seed=8)
    assert again.result(timeout=180).counts_list == result.counts_list  # seeded


def test_statuses_of_cloud_and_local_jobs_are_normalised():
    from qiskit.providers import JobStatus as QiskitStatus

    assert normalize_status("INITIALIZING") == (JobStatus.QUEUED, "INITIALIZING")
    assert normalize_status("QUEUED") == (JobStatus.QUEUED, "QUEUED")
    assert normalize_status("RUNNING") == (JobStatus.RUNNING, "RUNNING")
    assert normalize_status("DONE") == (JobStatus.DONE, "DONE")
    assert normalize_status("ERROR") == (JobStatus.ERROR, "ERROR")
    assert normalize_status("CANCELLED") == (JobStatus.CANCELLED, "CANCELLED")
    assert normalize_status(QiskitStatus.VALIDATING) == (JobStatus.QUEUED, "VALIDATING")
    assert normalize_status(QiskitStatus.DONE) == (JobStatus.DONE, "DONE")
    assert normalize_status("SOMETHING_NEW") == (JobStatus.QUEUED, "SOMETHING_NEW")


def test_network_trouble_is_transient_and_refusals_are_not():
    import requests
    from qiskit_ibm_runtime.accounts.exceptions import InvalidAccountError
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError
    from qiskit_ibm_runtime.exceptions import (
        IBMNotAuthorizedError,
        IBMRuntimeError,
        RuntimeJobFailureError,
        RuntimeJobNotFound,
    )

    def chained(outer, inner, suppress: bool):
        try:
            try:
                raise inner
            except Exception as exc:
                if suppress:
                    raise outer from None
                raise outer from exc
        except Exception as exc:
            return exc

    assert is_transient(RequestsApiError("Max retries exceeded", -1))
    assert is_transient(RequestsApiError("502 Bad Gateway", 502))
    assert is_transient(RequestsApiError("429 Too Many Requests", 429))
    assert not is_transient(RequestsApiError("400 Bad Request", 400))
    assert not is_transient(RequestsApiError("404 Not Found", 404))
    assert not is_transient(IBMNotAuthorizedError("401 Unauthorized"))
    assert not is_transient(RuntimeJobFailureError("Unable to retrieve job result."))
    assert not is_transient(RuntimeJobNotFound("Job not found"))
    assert is_transient(requests.exceptions.ConnectionError("refused"))
    assert is_transient(requests.exceptions.ReadTimeout("read timed out"))
    # QiskitRuntimeService.job wraps request failures "from None": the cause stays visible
    assert is_transient(chained(IBMRuntimeError("Failed to retrieve job"),
                                RequestsApiError("conn", -1), suppress=True))
    assert not is_transient(chained(IBMRuntimeError("Failed to retrieve job"),
                                    RequestsApiError("403", 403), suppress=True))
    # offline, the service's constructor reports an invalid account caused by no connection
    assert is_transient(chained(InvalidAccountError("Unable to retrieve instances."),
                                requests.exceptions.ConnectionError("dns"), suppress=False))
    assert not is_transient(InvalidAccountError("Unable to retrieve instances."))
    assert not is_transient(ValueError("bad circuit"))
