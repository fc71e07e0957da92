"""Noisy device models (``ibm-fake``), qiskit-ibm-runtime's local testing mode through the
``ibm-runtime`` adapter (plain circuits, Sampler and Estimator PUBs, sessions), and
readout-error mitigation with mthree.

The PUB helpers here (PUBs, Aer references, comparisons) serve ``test_remote_ibm`` too."""

from __future__ import annotations

import time
import warnings

import pytest
from helpers import bell, ghz, isolated_home

import qnb
from qnb.backends.ibm_status import is_transient, normalize_status
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
    from qnb.store import get_store

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


def executor_sampler_counts(circuits, shots: int, seed: int):
    """What a user gets running qiskit-ibm-runtime's (non-deprecated) Sampler directly in local
    testing mode, with the adapter's transpile settings and the seed as simulator seed."""
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime.executor_sampler import Sampler
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    backend = FakeManilaV2()
    isa = generate_preset_pass_manager(backend=backend, optimization_level=2,
                                       seed_transpiler=seed).run(circuits)
    sampler = Sampler(mode=backend)
    sampler.options.simulator.seed_simulator = seed
    result = sampler.run(isa, shots=shots).result()
    return [dict(pub.join_data().get_counts()) for pub in result]


# -- primitive PUBs and what Aer makes of them on the same noisy device -----------------------
def estimator_pub():
    """An Estimator PUB of shape (3, 4): three observables times four angles."""
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp

    theta = Parameter("theta")
    qc = QuantumCircuit(2, name="ry-cx")
    qc.ry(theta, 0)
    qc.cx(0, 1)
    observables = [[SparsePauliOp("ZZ")], [SparsePauliOp("XX")], [SparsePauliOp("IZ")]]
    return qc, observables, np.linspace(0, np.pi, 4)[:, None]


def sampler_pub():
    """A Sampler PUB of shape (3,): a measured circuit at three angles."""
    import numpy as np

    qc, _, _ = estimator_pub()
    qc = qc.copy()
    qc.measure_all()
    return qc, np.array([[0.0], [np.pi / 2], [2.5]])


def isa_circuit(backend, circuit, seed: int):
    """The circuit as the adapter transpiles it for ``backend``."""
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(backend=backend, optimization_level=2,
                                        seed_transpiler=seed).run(circuit)


def aer_estimator_evs(backend, pub, seed: int):
    """Aer's EstimatorV2 on FakeManilaV2's noise model, run on the circuit the adapter sends
    (same qubits): exact expectation values of the noisy state, without readout errors."""
    from qiskit.primitives.containers.observables_array import ObservablesArray
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import EstimatorV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    circuit, observables, values = pub
    isa = isa_circuit(backend, circuit, seed)
    laid_out = ObservablesArray.coerce(observables).apply_layout(isa.layout)
    estimator = EstimatorV2.from_backend(AerSimulator.from_backend(FakeManilaV2()))
    return estimator.run([(isa, laid_out, values)]).result()[0].data.evs


def aer_sampler_counts(backend, pub, shots: int, seed: int):
    """Aer's SamplerV2 on FakeManilaV2's noise model: counts per parameter point."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import SamplerV2
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    circuit, values = pub
    isa = isa_circuit(backend, circuit, seed)
    sampler = SamplerV2.from_backend(AerSimulator.from_backend(FakeManilaV2()), seed=seed + 1)
    joined = sampler.run([(isa, values)], shots=shots).result()[0].join_data()
    return [joined.get_counts(i) for i in range(joined.shape[0])]


def assert_evs_agree(pub_result, reference) -> None:
    """Every expectation value within 4.5 of its reported standard errors of the reference,
    and no systematic offset (the z-scores' root mean square below 2)."""
    import numpy as np

    evs, stds = pub_result.data.evs, pub_result.data.stds
    assert evs.shape == reference.shape and (stds > 0).all()
    z = (evs - reference) / stds
    assert np.abs(z).max() < 4.5 and np.sqrt((z ** 2).mean()) < 2, (evs, stds, reference)


def assert_counts_agree(counts, reference, shots: int) -> None:
    """Two samples of each point's distribution agree outcome by outcome within 5 standard
    errors (two-sample test on each outcome's frequency)."""
    import math

    assert len(counts) == len(reference)
    for got, ref in zip(counts, reference, strict=True):
        assert sum(got.values()) == sum(ref.values()) == shots
        for outcome in set(got) | set(ref):
            p1, p2 = got.get(outcome, 0) / shots, ref.get(outcome, 0) / shots
            pooled = (p1 + p2) / 2
            assert abs(p1 - p2) <= 5 * math.sqrt(pooled * (1 - pooled) * 2 / shots) + 2 / shots, (
                outcome, got, ref)


def pub_counts(pub_result):
    joined = pub_result.join_data()
    return [joined.get_counts(i) for i in range(joined.shape[0])]


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
    chart, table = widget.chart, widget.table
    assert ">raw</text>" in chart.value and ">mitigated</text>" in chart.value  # both series
    assert "qnb-counts" in table.value
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
    # the counts of qiskit-ibm-runtime's executor Sampler with its default options, run directly
    assert again.result().counts_list == executor_sampler_counts([bell(), ghz(3)], 400, 8)


def test_estimator_pubs_in_local_testing_mode_agree_with_aer_on_the_device_noise_model(
        profiles, store):
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    from qiskit_ibm_runtime.results import EstimatorPubResult

    pub = estimator_pub()
    job = qnb.Estimator(backend="ibm-local", options={"seed": 5}).run([pub], precision=0.02)
    assert job.wait(timeout=300) is JobStatus.DONE, store.get(job.id).error
    rec = store.get(job.id)
    assert (rec.primitive, rec.provider, rec.shots) == ("estimator", "ibm-runtime", 0)
    (pub_result,) = job.result()
    assert isinstance(pub_result, EstimatorPubResult) and pub_result.data.evs.shape == (3, 4)
    # resilience level 1 (the default) removes the readout errors Aer's exact values lack
    assert_evs_agree(pub_result, aer_estimator_evs(FakeManilaV2(), pub, 5))
    assert job.summary()[0]["shape"] == [3, 4]


def test_sampler_pubs_with_a_parameter_array_in_local_testing_mode(profiles, store):
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    pub = sampler_pub()
    job = qnb.Sampler(backend="ibm-local", options={"seed": 9}).run([pub], shots=2000)
    again = qnb.submit([pub], backend="ibm-local", primitive="sampler", shots=2000, seed=9)
    assert job.wait(timeout=300) is JobStatus.DONE, store.get(job.id).error
    counts = pub_counts(job.result()[0])
    assert_counts_agree(counts, aer_sampler_counts(FakeManilaV2(), pub, 2000, 9), 2000)
    assert counts[0].get("00", 0) > 1800 and counts[2].get("11", 0) > 1500
    assert pub_counts(again.result(timeout=300)[0]) == counts  # seeded: repeatable
    assert job.counts() == dict(job.result()[0].join_data().get_counts())


def test_options_a_primitive_does_not_take_end_the_job_in_error(profiles, store):
    sampler = qnb.Sampler(backend="ibm-local", options={"resilience_level": 1})
    job = sampler.run([sampler_pub()], shots=10)
    assert job.wait(timeout=120) is JobStatus.ERROR
    error = store.get(job.id).error
    assert "SamplerOptions" in error and "resilience_level" in error, error
    assert "Extra inputs are not permitted" in error
    with pytest.raises(qnb.JobFailed, match="resilience_level"):
        job.result()


def test_a_session_in_local_testing_mode_groups_its_jobs(profiles, store):
    with qnb.session("ibm-local", max_time=120) as s:
        plain = qnb.submit(bell(), shots=100, seed=3)
        estimated = qnb.Estimator(options={"seed": 3, "resilience_level": 0}).run(
            [(bell(measure=False), "ZZ")], precision=0.05)
    for job in (plain, estimated):
        assert job.wait(timeout=180) is JobStatus.DONE, store.get(job.id).error
        rec = store.get(job.id)
        assert rec.session == s.id and rec.backend == "ibm-local"
        assert "session_id" not in rec.provider_state  # local testing mode: no service session
    assert estimated.result()[0].data.evs > 0.8


def test_the_adapter_calls_no_deprecated_api(profiles):
    """submit, poll, result and end_session, for plain circuits, Sampler and Estimator PUBs and
    a session, with DeprecationWarning an error (mthree's own use of Qiskit aside)."""
    from qnb.backends.registry import make_provider

    provider = make_provider({"name": "ibm-local", "provider": "ibm-runtime",
                              "options": {"backend": "fake_manila", "channel": "local"}})
    run_all_kinds(provider, timeout=180)


def run_all_kinds(provider, timeout: float) -> list[dict]:
    """Run a plain-circuit job with mitigation, a Sampler PUB job and an Estimator PUB job (the
    PUB jobs in a session) through ``provider``'s remote half, as the runner does, with
    DeprecationWarning an error; their results."""
    from qnb import circuits
    from qnb.primitives import pubs

    session = {"id": "qnbsession1", "mode": "session", "max_time": 300.0}
    jobs = [("qpy", circuits.encode([bell()]), 200, {"mitigate": True}),
            ("sampler-pubs", pubs.encode(pubs.coerce("sampler", [sampler_pub()], shots=100)),
             100, {"session": session}),
            ("estimator-pubs", pubs.encode(pubs.coerce("estimator", [estimator_pub()])), 0,
             {"precision": 0.05, "primitive_options": {"resilience_level": 0},
              "session": session})]
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        # mthree (readout mitigation) iterates over CircuitInstruction, deprecated in Qiskit
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="mthree")
        for fmt, payload, shots, options in jobs:
            submitted = provider.submit(fmt, payload, shots, 7, options)
            deadline = time.monotonic() + timeout
            while (state := provider.poll(submitted.remote_id)).status is not JobStatus.DONE:
                assert not state.status.is_final, state
                assert time.monotonic() < deadline, state
                time.sleep(0.2)
            results.append(provider.result(submitted.remote_id, submitted.state))
        provider.end_session("qnbsession1")
    assert results[0]["counts"][0] and results[0]["mitigated"]
    assert [r["primitive"] for r in results[1:]] == ["sampler", "estimator"]
    assert results[2]["pubs"][0]["shape"] == [3, 4]
    return results


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
