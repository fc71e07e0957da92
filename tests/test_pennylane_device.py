"""``qml.device("qnb.qubit", ...)``: PennyLane's own optimisers and gradient transforms drive
circuits through qnb, one job per batch of tapes; values equal ``default.qubit``'s."""

from __future__ import annotations

import pytest
from helpers import isolated_home
from pennylane.exceptions import DeviceError

import qnb

pytestmark = pytest.mark.filterwarnings("ignore::pennylane.exceptions.PennyLaneDeprecationWarning")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with isolated_home(tmp_path_factory.mktemp("qnb-qubit"), "[runner]\nworkers = 1\n") as home:
        yield home


@pytest.fixture(scope="module")
def qml():
    import pennylane

    return pennylane


def circuit(qml, x):
    qml.RX(x[0], wires=0)
    qml.RY(x[1], wires=1)
    qml.CNOT(wires=[0, 1])
    qml.Rot(x[0], x[1], 0.3, wires=1)  # not a native gate: PennyLane decomposes it
    return qml.expval(qml.PauliZ(0) @ qml.PauliZ(1) + 0.5 * qml.PauliX(0) - 0.2 * qml.PauliY(1))


def test_values_and_parameter_shift_gradients_equal_default_qubit(home, qml):
    from pennylane import numpy as pnp

    dev = qml.device("qnb.qubit", wires=2, backend="aer")
    ours = qml.QNode(lambda x: circuit(qml, x), dev, diff_method="parameter-shift")
    ref = qml.QNode(lambda x: circuit(qml, x), qml.device("default.qubit", wires=2),
                    diff_method="parameter-shift")
    x = pnp.array([0.4, -0.7], requires_grad=True)
    assert float(ours(x)) == pytest.approx(float(ref(x)), abs=1e-9)
    before = len(dev.jobs)
    grad = qml.grad(ours)(x)
    assert grad == pytest.approx(qml.grad(ref)(x), abs=1e-9)
    # autograd runs the forward tape, then all the shifted tapes as one batch: two jobs
    assert len(dev.jobs) - before == 2
    shifted = dev.jobs[-1]
    assert shifted.record.primitive == "estimator" and shifted.record.num_circuits >= 4
    assert qnb.get_job(shifted.id).status() == "DONE"


def test_a_pennylane_optimiser_runs_a_vqe_through_qnb(home, qml):
    from pennylane import numpy as pnp

    dev = qml.device("qnb.qubit", wires=2)
    cost = qml.QNode(lambda x: circuit(qml, x), dev, diff_method="parameter-shift")
    opt = qml.GradientDescentOptimizer(stepsize=0.2)
    x = pnp.array([0.4, -0.7], requires_grad=True)
    start = float(cost(x))
    for _ in range(15):
        x = opt.step(cost, x)
    assert float(cost(x)) < start - 0.3
    # one job per batch: the first value, each step's value and shifted tapes, the last value
    assert len(dev.jobs) == 1 + 15 * 2 + 1


def test_counts_and_probabilities_with_shots(home, qml):
    dev = qml.device("qnb.qubit", wires=2, seed=5)

    @qml.set_shots(shots=1000)
    @qml.qnode(dev)
    def bell():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return qml.counts(), qml.probs(wires=[0, 1])

    counts, probs = bell()
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 1000
    assert probs[0] + probs[3] == pytest.approx(1.0) and probs[0] == pytest.approx(0.5, abs=0.06)
    assert dev.jobs[-1].record.primitive == "sampler"

    @qml.set_shots(shots=1000)
    @qml.qnode(dev)
    def first_wire_flipped():
        qml.PauliX(0)
        return qml.counts()

    assert first_wire_flipped() == {"10": 1000}  # PennyLane order: wire 0 is the leftmost bit


def test_what_the_device_cannot_do_is_a_clear_error(home, qml):
    dev = qml.device("qnb.qubit", wires=1)

    @qml.qnode(dev)
    def no_shots():
        qml.Hadamard(0)
        return qml.counts()

    with pytest.raises(DeviceError, match="need shots"):
        no_shots()
    with pytest.raises(DeviceError, match="needs wires"):
        qml.device("qnb.qubit")
