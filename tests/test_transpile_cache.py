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
    yield
    simulator._COMPILED.clear()


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
