"""Submitting through the Python API: results equal direct Aer, bad input writes nothing."""

from __future__ import annotations

import pytest
from helpers import bell, direct_aer_counts, ghz, wait_for

import qnb
from qnb.models import JobFailed, JobStatus, SubmitError


def job_count(store) -> int:
    return store.list(limit=1)[1]


def test_bell_counts_equal_direct_aer_with_the_same_seed(qnb_home, store):
    job = qnb.submit(bell(), shots=2000, seed=11, name="bell")
    result = job.result(timeout=120)
    assert job.status() is JobStatus.DONE
    assert result.get_counts() == direct_aer_counts([bell()], 2000, 11)[0]
    assert sum(job.counts().values()) == 2000
    rec = store.get(job.id)
    assert rec.name == "bell" and rec.shots == 2000 and rec.summary["num_qubits"] == 2
    assert rec.created_at <= rec.started_at <= rec.finished_at


def test_list_of_circuits_is_one_job_with_counts_per_circuit(qnb_home):
    circuits = [ghz(n) for n in (2, 3, 4)]
    job = qnb.submit(circuits, shots=500, seed=3)
    res = job.result(timeout=120)
    assert len(res) == 3
    assert res.counts_list == direct_aer_counts(circuits, 500, 3)
    assert set(job.counts(2)) <= {"0000", "1111"}


def test_openqasm_2_and_3_text(qnb_home):
    q2 = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
          'h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')
    q3 = ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[3] c;\n'
          'x q[0];\nx q[2];\nc = measure q;\n')
    j2, j3 = qnb.submit(q2, seed=1, shots=100), qnb.submit(q3, shots=100)
    assert set(j2.counts()) <= {"00", "11"}
    assert j3.counts() == {"101": 100}


def test_cancel_a_queued_job(qnb_home, store):
    from qiskit import QuantumCircuit

    # keep both workers busy so the next job stays queued
    big = QuantumCircuit(22)
    big.h(range(22))
    for _ in range(30):
        for i in range(21):
            big.cx(i, i + 1)
    big.measure_all()
    blockers = [qnb.submit(big, shots=1, name="blocker") for _ in range(2)]
    queued = qnb.submit(bell(), name="to-cancel")
    assert queued.cancel() is JobStatus.CANCELLED
    assert queued.wait(timeout=5) is JobStatus.CANCELLED
    with pytest.raises(JobFailed, match="CANCELLED"):
        queued.result()
    for b in blockers:
        b.cancel()


def test_cancel_a_running_job_stops_its_worker(qnb_home, store):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(26)
    qc.h(range(26))
    for _ in range(40):
        for i in range(25):
            qc.cx(i, i + 1)
    qc.measure_all()
    job = qnb.submit(qc, shots=1, name="long")
    wait_for(lambda: job.status() is JobStatus.RUNNING, 60, "the long job to run")
    assert job.status() is JobStatus.RUNNING
    job.cancel()
    assert job.wait(timeout=30) is JobStatus.CANCELLED
    # the runner keeps serving: the next job runs
    assert qnb.submit(bell(), shots=10).result(timeout=60).get_counts()


def test_simulator_failure_after_queuing_ends_in_error_with_reason(qnb_home):
    from qiskit.circuit import Gate, QuantumCircuit

    qc = QuantumCircuit(1)
    qc.append(Gate("mystery", 1, []), [0])
    qc.measure_all()
    job = qnb.submit(qc)
    assert job.wait(timeout=60) is JobStatus.ERROR
    assert "mystery" in job.error
    with pytest.raises(JobFailed, match="mystery"):
        job.result()
    assert qnb.submit(bell(), shots=10).wait(timeout=60) is JobStatus.DONE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shots": 0}, "shots must be a positive integer (at most 10,000,000), got 0"),
        ({"shots": -5}, "shots must be a positive integer (at most 10,000,000), got -5"),
        ({"shots": 2.5}, "shots must be a positive integer (at most 10,000,000), got 2.5"),
        ({"shots": "many"}, "shots must be a positive integer (at most 10,000,000), got 'many'"),
        ({"backend": "nowhere"}, "unknown backend 'nowhere'; configured backends: aer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_options_are_refused_and_write_nothing(qnb_home, store, kwargs, message):
    with pytest.raises(SubmitError) as err:
        qnb.submit(bell(), **kwargs)
    assert message in str(err.value)
    assert job_count(store) == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (42, "got int"),
        ({"a": 1}, "got dict"),
        ([bell(), "nope"], "item 1 of the list is a str"),
        ([], "empty list"),
        ("hello", "not OpenQASM"),
    ],
)
def test_values_that_are_not_circuits_name_their_type(qnb_home, store, value, message):
    with pytest.raises(SubmitError, match=message):
        qnb.submit(value)
    assert job_count(store) == 0


def test_circuit_without_measurements_is_refused_with_a_hint(qnb_home, store):
    with pytest.raises(SubmitError, match=r"no measurements.*measure_all"):
        qnb.submit(bell(measure=False))
    assert job_count(store) == 0


def test_circuit_wider_than_the_simulator_is_refused_before_queuing(qnb_home, store):
    from qiskit import QuantumCircuit

    from qnb.backends.simulator import memory_qubits

    width = memory_qubits() + 1
    qc = QuantumCircuit(width)
    qc.h(0)
    qc.measure_all()
    with pytest.raises(SubmitError, match=f"has {width} qubits but backend 'aer' takes at most"):
        qnb.submit(qc)
    assert job_count(store) == 0


def test_openqasm_errors_name_the_line(qnb_home, store):
    bad2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0]\ncx q[0],q[1];\n'
    with pytest.raises(SubmitError, match="OpenQASM 2 error at line 5"):
        qnb.submit(bad2)
    bad3 = ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\n'
            'h q[0];\nfoo q[1];\nc = measure q;\n')
    with pytest.raises(SubmitError, match="OpenQASM 3 error at line 6.*'foo' is not defined"):
        qnb.submit(bad3)
    with pytest.raises(SubmitError, match="OpenQASM 3 syntax error at line 4"):
        qnb.submit("OPENQASM 3.0;\nqubit[2] q;\nh q[0]\n")
    assert job_count(store) == 0


async def test_await_job_gives_the_result(qnb_home):
    job = qnb.submit(bell(), shots=300, seed=5)
    result = await job
    assert sum(result.get_counts().values()) == 300


def test_jobs_and_get_job_read_the_store(qnb_home):
    a = qnb.submit(bell(), shots=10, name="first")
    a.wait(timeout=60)
    b = qnb.submit(bell(), shots=10, name="second")
    b.wait(timeout=60)
    assert [j.id for j in qnb.jobs(limit=2)] == [b.id, a.id]
    assert qnb.get_job(a.id).name == "first"
    assert [j.id for j in qnb.jobs(status="DONE")] == [b.id, a.id]
    with pytest.raises(qnb.JobNotFound):
        qnb.get_job("ffffffffffff")


def test_the_depth_a_job_lists_is_qiskits_own_for_every_kind_of_circuit(qnb_home):
    # the depth comes from Qiskit's DAG (fast), so it must agree with QuantumCircuit.depth()
    # where the two could differ: barriers, measurements onto one clbit, delays, control
    # flow, classical variables, and random circuits
    from qiskit import QuantumCircuit
    from qiskit.circuit.random import random_circuit

    from qnb.circuits import summarize

    barriers = QuantumCircuit(3, 2)
    barriers.h(0)
    barriers.barrier()
    barriers.barrier(0, 1)
    barriers.cx(0, 1)
    barriers.measure(0, 0)
    barriers.measure(1, 0)
    barriers.delay(100, 2)
    flow = QuantumCircuit(2, 1)
    flow.h(0)
    flow.measure(0, 0)
    with flow.if_test((flow.clbits[0], 1)):
        flow.x(1)
        flow.x(1)
    variables = QuantumCircuit(2, 1)
    flag = variables.add_var("flag", True)
    variables.h(0)
    variables.store(flag, False)
    variables.measure(0, 0)
    circuits = [barriers, flow, variables] + [
        random_circuit(5, 10, measure=True, seed=s) for s in range(40)]
    for qc in circuits:
        assert summarize([qc])["depth"] == qc.depth(), qc
