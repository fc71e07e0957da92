"""The worker's transpile cache: a cached transpile gives the same counts as an uncached one
for the same seed, and only circuits of the same structure share an entry."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import direct_aer_counts, ghz
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from qnb.backends import simulator


@pytest.fixture(autouse=True)
def empty_cache():
    simulator._COMPILED.clear()
    simulator._TEMPLATES.clear()
    yield
    simulator._COMPILED.clear()
    simulator._TEMPLATES.clear()


@pytest.fixture
def transpiled(monkeypatch) -> list[int]:
    """How many circuits each run of the transpiler was given, in order."""
    runs: list[int] = []
    real = simulator.pass_manager

    def counting(sim, level, seed):
        pm = real(sim, level, seed)

        class Counting:
            def run(self, circuits, **kwargs):
                runs.append(len(circuits))
                return pm.run(circuits, **kwargs)

        return Counting()

    monkeypatch.setattr(simulator, "pass_manager", counting)
    return runs


def ansatz_circuit(qubits: int = 4) -> QuantumCircuit:
    from qiskit.circuit.library import efficient_su2

    qc = efficient_su2(qubits, reps=2)
    qc.measure_all()
    return qc


@pytest.mark.parametrize("level", [None, 0, 1, 3])
def test_bound_circuits_of_one_ansatz_are_transpiled_once_and_count_as_fresh_ones(
        transpiled, level):
    """An optimiser's loop: a new set of angles every step, one job at a time. The ansatz is
    transpiled once; every step's counts are those of a fresh transpile with the seed."""
    qc = ansatz_circuit()
    rng = np.random.default_rng(7)
    for step in range(6):
        bound = qc.assign_parameters(rng.uniform(-np.pi, np.pi, qc.num_parameters))
        out = simulator.run_circuits(simulator.simulator({}), [bound], shots=1000, seed=11,
                                     optimization_level=level)
        assert out["counts"] == direct_aer_counts([bound], 1000, 11, level), step
    assert transpiled == [1]


def test_special_angles_count_as_fresh_transpiles_too():
    """Angles the transpiler could simplify away when it sees them (0, pi/2, pi) give the
    counts of a fresh transpile all the same."""
    qc = ansatz_circuit(3)
    rng = np.random.default_rng(1)
    circuits = [qc.assign_parameters(np.zeros(qc.num_parameters))] + [
        qc.assign_parameters(rng.choice([0, np.pi / 4, np.pi / 2, np.pi, -np.pi / 2],
                                        qc.num_parameters)) for _ in range(4)]
    out = simulator.run_circuits(simulator.simulator({}), circuits, shots=1000, seed=3,
                                 optimization_level=None)
    assert out["counts"] == direct_aer_counts(circuits, 1000, 3)
    assert len(simulator._TEMPLATES) == 1


def test_circuits_differing_in_one_gate_qubit_or_measurement_are_never_confused(transpiled):
    def circuit(gate: str = "ry", qubit: int = 0, measured: tuple = (0, 1, 2),
                angle: float = 0.7) -> QuantumCircuit:
        qc = QuantumCircuit(3, 3)
        qc.h(range(3))
        getattr(qc, gate)(angle, qubit)
        qc.cx(0, 1)
        qc.rz(1.1, 2)
        qc.cx(1, 2)
        qc.ry(0.4, 1)
        for q in measured:
            qc.measure(q, q)
        return qc

    variants = {"base": circuit(), "one gate": circuit(gate="rx"),
                "one qubit": circuit(qubit=2), "one measurement": circuit(measured=(0, 1)),
                "another clbit": circuit(measured=())}
    variants["another clbit"].measure([0, 1, 2], [0, 2, 1])
    sim = simulator.simulator({})
    for name, qc in variants.items():  # each after the base was transpiled: never its template
        out = simulator.run_circuits(sim, [qc], shots=2000, seed=5, optimization_level=None)
        assert out["counts"] == direct_aer_counts([qc], 2000, 5), name
    assert transpiled == [1] * len(variants)  # one template each
    # and the base with another angle reuses its own
    again = circuit(angle=0.2)
    out = simulator.run_circuits(sim, [again], shots=2000, seed=5, optimization_level=None)
    assert out["counts"] == direct_aer_counts([again], 2000, 5)
    assert transpiled == [1] * len(variants) and len(simulator._COMPILED) == len(variants) + 1


def test_cached_transpiles_give_the_counts_of_uncached_ones():
    sim = simulator.simulator({})
    circuits = [ghz(5), ghz(3)]
    first = simulator.run_circuits(sim, circuits, shots=500, seed=11, optimization_level=None)
    assert len(simulator._COMPILED) == 2
    again = simulator.run_circuits(sim, [ghz(5), ghz(3)], shots=500, seed=11,
                                   optimization_level=None)
    assert len(simulator._COMPILED) == 2  # served from the cache
    assert again["counts"] == first["counts"] == direct_aer_counts(circuits, 500, 11)


def test_only_the_same_structure_shares_an_entry():
    t = Parameter("t")
    a = QuantumCircuit(2)
    a.ry(t, 0)
    a.cx(0, 1)
    b = a.assign_parameters([0.5])
    c = a.assign_parameters([0.25])
    keys = {simulator.structure(qc) for qc in (a, b, c, a.copy(), b.copy())}
    assert len(keys) == 3  # the same circuit twice is one key; other values are others
    d = QuantumCircuit(2)
    d.ry(t, 1)  # another qubit
    d.cx(0, 1)
    assert simulator.structure(d) != simulator.structure(a)


def test_a_sweep_transpiles_its_ansatz_once_and_binds_the_right_values():
    from qiskit.primitives import StatevectorEstimator
    from qiskit.quantum_info import SparsePauliOp

    from qnb.primitives.pubs import coerce

    t = Parameter("t")
    qc = QuantumCircuit(1)
    qc.ry(t, 0)
    sim = simulator.simulator({})
    outs = []
    for values in ([[0.0], [np.pi]], [[np.pi / 2], [np.pi / 3]]):
        pubs = coerce("estimator", [(qc, SparsePauliOp("Z"), values)])
        out = simulator.run_pubs(sim, "estimator", pubs, shots=1, seed=1, precision=None,
                                 optimization_level=None)
        outs.append(out["pubs"][0]["evs"])
        exact = StatevectorEstimator().run([(qc, SparsePauliOp("Z"), values)]).result()
        np.testing.assert_allclose(out["pubs"][0]["evs"], exact[0].data.evs, atol=1e-12)
    assert len(simulator._COMPILED) == 1


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(simulator, "TRANSPILE_CACHE_SIZE", 3)
    sim = simulator.simulator({})
    for n in range(2, 8):
        simulator.transpile(sim, [ghz(n)], seed=1, optimization_level=1)
    assert len(simulator._COMPILED) == 3


def test_a_batch_larger_than_the_cache_transpiles_every_circuit(monkeypatch):
    """A sweep of more distinct circuits than the cache holds (a 1,000-point sweep with a
    seed) gets every one of them, in order; the cache keeps only the newest."""
    monkeypatch.setattr(simulator, "TRANSPILE_CACHE_SIZE", 3)
    sim = simulator.simulator({})
    circuits = [ghz(n) for n in range(2, 8)]
    first = simulator.run_circuits(sim, circuits, shots=200, seed=5, optimization_level=None)
    assert len(simulator._COMPILED) == 3
    assert first["counts"] == direct_aer_counts(circuits, 200, 5)


def test_counts_per_point_equal_qiskits_own():
    from qiskit_aer.primitives import SamplerV2

    from qnb.primitives.pubs import counts_per_point

    t = Parameter("t")
    qc = QuantumCircuit(3)
    qc.ry(t, 0)
    qc.cx(0, 1)
    qc.h(2)
    qc.measure_all()
    bits = SamplerV2(seed=4).run([(qc, np.linspace(0, 3, 12).reshape(3, 4, 1))],
                                 shots=257).result()[0].data.meas
    assert counts_per_point(bits) == [bits.get_counts(loc) for loc in np.ndindex(3, 4)]
    assert counts_per_point(bits, merged=True) == [bits.get_counts()]
    wide = QuantumCircuit(70)
    wide.x(range(0, 70, 3))
    wide.h(69)
    wide.measure_all()
    bits = SamplerV2(seed=4).run([(wide,)], shots=100).result()[0].data.meas
    assert counts_per_point(bits) == [bits.get_counts()]


def test_a_noisy_device_simulator_transpiles_every_bound_circuit_as_it_is(transpiled):
    """On a fake device's simulator (noise model, coupling map) the transpiler's rewrites of
    bound angles change what the noise acts on: no template is shared there."""
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    sim = simulator.device_simulator(FakeManilaV2())
    qc = ansatz_circuit(3)
    circuits = [qc.assign_parameters(np.full(qc.num_parameters, v)) for v in (0.3, 0.9)]
    out = simulator.run_circuits(sim, circuits, shots=500, seed=2, optimization_level=None)
    assert transpiled == [2] and not simulator._TEMPLATES
    from qiskit import transpile

    reference = sim.run(transpile(circuits, sim, seed_transpiler=2), shots=500,
                        seed_simulator=2).result()
    assert out["counts"] == [reference.get_counts(i) for i in range(2)]


def test_a_workers_run_gives_aers_own_counts_seed_for_seed_on_every_register_layout():
    # the worker runs Aer in its own thread and formats the counts itself: the counts must
    # be those of sim.run(...).result().get_counts(i), seeded, for several circuits with
    # several classical registers, a register never written, and an unmeasured qubit
    from qiskit import ClassicalRegister, QuantumRegister, transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator()
    q = QuantumRegister(3, "q")
    a, b, unused = ClassicalRegister(2, "a"), ClassicalRegister(1, "b"), ClassicalRegister(2, "u")
    layouts = QuantumCircuit(q, a, b, unused)
    layouts.h(0)
    layouts.cx(0, 1)
    layouts.measure(0, a[0])
    layouts.measure(1, b[0])
    layouts.x(2)
    layouts.measure(2, a[1])
    circuits = transpile([ghz(4), layouts, ghz(2)], sim)
    ours = simulator.execute(sim, circuits, 2000, 11)
    result = sim.run(circuits, shots=2000, seed_simulator=11).result()
    assert ours == [dict(result.get_counts(i)) for i in range(3)]
    assert set(ours[1]) <= {"00 1 11", "00 0 10", "00 1 10", "00 0 11"}
    nothing = QuantumCircuit(1)
    nothing.h(0)
    with pytest.raises(RuntimeError, match="measures nothing"):
        simulator.execute(sim, [nothing], 10, 1)
