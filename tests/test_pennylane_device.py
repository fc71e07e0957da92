"""``qml.device("qnb.qubit", ...)``: PennyLane's own optimisers and gradient transforms drive
circuits through qnb, one job per batch of tapes; values equal ``default.qubit``'s.

On Aer every value comes from the exact final state in the worker; on a backend that gives
only samples and Estimator values (here ``ibm-fake``, a noisy model of an IBM device) the
device splits a batch into Estimator and Sampler jobs and refuses what needs the state."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import isolated_home
from pennylane.exceptions import DeviceError, QuantumFunctionError

import qnb

pytestmark = pytest.mark.filterwarnings("ignore::pennylane.exceptions.PennyLaneDeprecationWarning")

CONFIG = """
[runner]
workers = 1
[backends.manila]
provider = "ibm-fake"
device = "FakeManilaV2"
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with isolated_home(tmp_path_factory.mktemp("qnb-qubit"), CONFIG) as home:
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


def both(qml, fn, wires=2, **kwargs):
    """The same QNode on qnb.qubit (on Aer) and on default.qubit."""
    dev = qml.device("qnb.qubit", wires=wires, **kwargs)
    return dev, qml.QNode(fn, dev), qml.QNode(fn, qml.device("default.qubit", wires=wires))


def assert_same(ours, ref, tol=1e-9):
    assert type(ours) is type(ref)
    if isinstance(ref, tuple):
        for a, b in zip(ours, ref, strict=True):
            assert_same(a, b, tol)
    else:
        assert np.allclose(ours, ref, atol=tol)
        assert np.shape(ours) == np.shape(ref)


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
    shifted = qnb.get_job(dev.jobs[-1].id)
    assert shifted.status() == "DONE" and shifted.record.num_circuits >= 4
    assert shifted.record.shots == 0  # analytic: exact values, no shots spent


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


def test_exact_measurements_without_shots_in_one_job(home, qml):
    hermitian = np.array([[1.0, 2.0 - 1j], [2.0 + 1j, -0.5]])
    sparse = qml.SparseHamiltonian(qml.Hamiltonian([0.3, -1.2], [qml.X(0) @ qml.Y(1),
                                                                 qml.Z(1)]).sparse_matrix(),
                                   wires=[0, 1])

    def fn():
        qml.RX(0.4, 0)
        qml.Hadamard(1)
        qml.CRY(0.9, [1, 0])
        qml.GlobalPhase(0.7)  # crashed the device with KeyError before
        return (qml.probs(), qml.probs(wires=[1]), qml.state(), qml.var(qml.X(0) @ qml.Z(1)),
                qml.expval(qml.Hermitian(hermitian, 1)), qml.expval(qml.Projector([1, 0], [0, 1])),
                qml.expval(qml.Hadamard(0)), qml.expval(sparse),
                qml.expval(qml.X(0) + 2 * qml.Hermitian(hermitian, 1)))

    dev, ours, ref = both(qml, fn)
    assert_same(ours(), ref())
    job = qnb.get_job(dev.jobs[-1].id)
    assert job.record.num_circuits == 1 and job.record.shots == 0
    assert "exact, from the final statevector" in job.result().metadata["values"]


def test_with_shots_samples_come_from_aer_and_a_mixed_tape_is_one_job(home, qml):
    dev = qml.device("qnb.qubit", wires=2, seed=5)

    @qml.set_shots(shots=4000)
    @qml.qnode(dev)
    def bell():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return (qml.counts(), qml.probs(wires=[0, 1]), qml.expval(qml.X(0) @ qml.X(1)),
                qml.sample(qml.Z(0)), qml.var(qml.Hermitian(np.diag([1.0, 3.0]), 1)))

    counts, probs, xx, sample, var = bell()
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 4000
    assert probs[0] + probs[3] == pytest.approx(1.0) and probs[0] == pytest.approx(0.5, abs=0.05)
    assert xx == 1.0  # |00> + |11> is an eigenstate of XX: every shot says +1
    assert sample.shape == (4000,) and set(np.unique(sample)) == {-1, 1}
    assert var == pytest.approx(1.0, abs=0.1)
    assert len(dev.jobs) == 1 and dev.jobs[-1].record.shots == 4000

    @qml.set_shots(shots=1000)
    @qml.qnode(dev)
    def first_wire_flipped():
        qml.PauliX(0)
        return qml.counts()

    assert first_wire_flipped() == {"10": 1000}  # PennyLane order: wire 0 is the leftmost bit


def test_gates_without_a_decomposition_and_a_device_without_wires(home, qml):
    def fn():
        qml.Hadamard(0)
        qml.DoubleExcitationPlus(0.3, wires=[0, 1, 2, 3])
        qml.DoubleExcitationMinus(-0.8, wires=[0, 1, 2, 3])
        qml.BlockEncode(np.array([[0.1, 0.2], [0.3, 0.4]]), wires=[2, 3])
        qml.adjoint(qml.S)(1)
        return qml.state()

    _, ours, ref = both(qml, fn, wires=4)
    assert_same(ours(), ref())

    dev = qml.device("qnb.qubit")  # wires come from each circuit

    @qml.qnode(dev)
    def on_named_wires():
        qml.Hadamard("a")
        qml.CNOT(["a", "b"])
        return qml.probs(wires=["a", "b"])

    assert on_named_wires() == pytest.approx([0.5, 0, 0, 0.5])


def test_what_the_device_cannot_do_is_a_clear_error(home, qml):
    dev = qml.device("qnb.qubit", wires=1)

    @qml.qnode(dev)
    def no_shots():
        qml.Hadamard(0)
        return qml.counts()

    with pytest.raises(DeviceError, match="not accepted for analytic simulation on qnb.qubit"):
        no_shots()
    def rx(x):
        qml.RX(x, 0)
        return qml.expval(qml.Z(0))

    for method in ("adjoint", "backprop"):
        with pytest.raises(QuantumFunctionError, match=f"qnb.qubit device.* does not support {method}"):
            qml.QNode(rx, dev, diff_method=method)(0.3)
    with pytest.raises(Exception, match="Shots must be"):
        qml.device("qnb.qubit", wires=1, shots=0)


def test_on_a_backend_without_exact_states(home, qml):
    dev = qml.device("qnb.qubit", wires=2, backend="manila", seed=3)

    def fn():
        qml.RY(0.6, 0)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(0) @ qml.Z(1)), qml.var(qml.X(0) + qml.Z(1))

    expval, var = qml.QNode(fn, dev)()
    assert expval == pytest.approx(1.0, abs=0.15)  # a noisy device: close, not exact
    ref_var = qml.QNode(fn, qml.device("default.qubit", wires=2))()[1]
    assert var == pytest.approx(float(ref_var), abs=0.25)
    assert [j.record.primitive for j in dev.jobs] == ["estimator"]

    @qml.set_shots(shots=2000)
    @qml.qnode(dev)
    def sampled():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return qml.probs(), qml.expval(qml.Hermitian(np.diag([2.0, 0.0]), 1)), qml.counts()

    probs, herm, counts = sampled()
    assert probs[0] + probs[3] > 0.85 and sum(counts.values()) == 2000
    assert herm == pytest.approx(1.0, abs=0.15)
    assert dev.jobs[-1].record.primitive == "sampler"

    @qml.qnode(dev)
    def state():
        qml.Hadamard(0)
        return qml.state()

    with pytest.raises(DeviceError, match=r"backend 'manila' .*needs the exact state"):
        state()

    @qml.qnode(dev)
    def probs_without_shots():
        qml.Hadamard(0)
        return qml.probs()

    with pytest.raises(DeviceError, match=r"backend 'manila'.* without shots.*qml.set_shots"):
        probs_without_shots()
