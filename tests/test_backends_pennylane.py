"""PennyLane QNodes submitted as a cell's value: run on their own device in a worker, drawn
like any other result; on a Qiskit backend when they measure in the computational basis."""

from __future__ import annotations

import textwrap

import pytest
from helpers import bell, isolated_home
from IPython.core.interactiveshell import InteractiveShell

import qnb
from qnb.models import JobStatus, SubmitError

CONFIG = """
[runner]
workers = 1
[backends.lightning]
provider = "pennylane"
device = "lightning.qubit"
[backends.default]
provider = "pennylane"
device = "default.qubit"
wires = 3
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One QNB_HOME (and one warm runner, whose worker imports PennyLane once)."""
    with isolated_home(tmp_path_factory.mktemp("pennylane"), CONFIG) as home:
        yield home


@pytest.fixture(scope="module")
def qml():
    import pennylane

    return pennylane


def test_counts_probs_and_expectation_values_come_back_from_the_device(home, qml):
    dev = qml.device("default.qubit", wires=2)

    @qml.qnode(dev)
    def bell_counts():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return qml.counts()

    @qml.qnode(dev)
    def flipped():
        qml.PauliX(0)
        return qml.probs(wires=[0, 1]), qml.expval(qml.PauliZ(0)), qml.expval(qml.PauliZ(1))

    @qml.qnode(dev)
    def correlation():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(1))

    j1 = qnb.submit(bell_counts, backend="lightning", shots=400, seed=7)
    j2 = qnb.submit(flipped, backend="lightning", shots=300)
    j3 = qnb.submit(correlation, backend="default", shots=200, seed=1)
    assert j1.record.name == "bell_counts" and j1.record.summary["framework"] == "pennylane"
    counts = j1.result(timeout=180).get_counts()
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 400
    assert j1.result().metadata["device"] == "lightning.qubit"
    again = qnb.submit(bell_counts, backend="lightning", shots=400, seed=7)
    assert again.counts() == counts  # the job's seed reaches the device
    r2 = j2.result(timeout=180)
    assert r2.extra["probs"] == [{"10": 1.0}]  # wire 0 is the leftmost bit
    assert r2.extra["expvals"] == [-1.0, 1.0]
    assert r2.get_counts() == {"10": 300}  # drawable: the sampled probabilities as counts
    assert [m["type"] for m in r2.extra["measurements"]] == ["probs", "expval", "expval"]
    r3 = j3.result(timeout=180)
    assert r3.extra["expvals"] == [1.0]
    assert set(r3.get_counts()) <= {"00", "11"}  # the same circuit, sampled to draw
    assert "computational basis" in r3.metadata["counts_source"]
    widget = j3.widget
    assert "qnb-histogram" in widget.chart.value and "qnb-counts" in widget.table.value


def test_a_qnodes_own_shots_win_unless_s_is_given(home, qml):
    dev = qml.device("default.qubit", wires=2)

    @qml.qnode(dev)
    def plus():
        qml.Hadamard(0)
        return qml.counts()

    set_the_pennylane_way = qml.set_shots(plus, 700)
    job = qnb.submit(set_the_pennylane_way, backend="default", seed=3)
    assert job.record.shots == 700
    assert sum(job.counts().values()) == 700
    assert qnb.submit(set_the_pennylane_way, backend="default", shots=50).record.shots == 50
    assert qnb.submit(plus, backend="default").record.shots == 1024  # analytic: qnb's default


def test_a_qnode_measuring_the_computational_basis_runs_on_a_qiskit_backend(home, qml):
    dev = qml.device("default.qubit", wires=3)

    @qml.qnode(dev)
    def first():
        qml.PauliX(0)
        return qml.counts()

    job = qnb.submit(first, backend="aer", shots=100)
    native = qnb.submit(first, backend="default", shots=100)
    assert job.wait(timeout=180) is JobStatus.DONE
    # every wire of the QNode's device is measured, in each framework's own bit order
    assert job.counts() == {"001": 100}
    assert native.counts() == {"100": 100}
    assert "OpenQASM" in job.record.summary["converted_from"]


def test_what_cannot_run_is_refused_before_queuing(home, qml):
    n_before = len(qnb.jobs(limit=1000))
    dev = qml.device("default.qubit", wires=4)

    @qml.qnode(dev)
    def energy():
        qml.Hadamard(0)
        return qml.expval(qml.PauliX(0))

    @qml.qnode(dev)
    def rotated(theta):
        qml.RX(theta, 0)
        return qml.counts()

    @qml.qnode(dev)
    def state():
        qml.Hadamard(0)
        return qml.state()

    @qml.qnode(dev)
    def wide():
        for w in range(4):
            qml.Hadamard(w)
        return qml.counts()

    with pytest.raises(SubmitError, match="expectation values on a PennyLane backend"):
        qnb.submit(energy, backend="aer")
    with pytest.raises(SubmitError, match=r"rotated\(theta\) needs arguments"):
        qnb.submit(rotated, backend="lightning")
    with pytest.raises(SubmitError, match="StateMP.*cannot be returned"):
        qnb.submit(state, backend="lightning")
    with pytest.raises(SubmitError, match="uses 4 wires but backend 'default' takes at most 3"):
        qnb.submit(wide, backend="default")
    with pytest.raises(SubmitError, match="runs PennyLane QNodes/tapes, not Qiskit circuits"):
        qnb.submit(bell(), backend="lightning")
    assert len(qnb.jobs(limit=1000)) == n_before
    tape = qml.workflow.construct_tape(rotated)(3.141592653589793)
    assert qnb.submit(tape, backend="lightning", shots=50).counts() == {"1": 50}


def test_a_cell_whose_value_is_a_qnode(home, capsys):
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext qnb", store_history=False)
    res = shell.run_cell(textwrap.dedent("""\
        %%qsubmit -b lightning -s 256 -o pl_job --seed 3
        import pennylane as qml
        dev = qml.device("lightning.qubit", wires=2)
        @qml.qnode(dev)
        def ghz2():
            qml.Hadamard(0)
            qml.CNOT([0, 1])
            return qml.counts(), qml.expval(qml.PauliZ(0) @ qml.PauliZ(1))
        ghz2
        """), store_history=False)
    assert res.success, res.error_in_exec
    job = shell.user_ns["pl_job"]
    result = job.result(timeout=180)
    assert set(result.get_counts()) <= {"00", "11"} and result.extra["expvals"] == [1.0]
