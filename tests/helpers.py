"""Circuits and reference runs shared by the tests."""

from __future__ import annotations

from pathlib import Path

QASMBENCH = Path(__file__).resolve().parents[2] / "shared" / "qasmbench" / "small"


def bell(measure: bool = True):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    if measure:
        qc.measure_all()
    return qc


def ghz(n: int):
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure_all()
    return qc


def direct_aer_counts(circuits, shots: int, seed: int, optimization_level=None):
    """What a user gets running Aer directly with the same transpile settings and seeds."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator()
    kwargs = {"seed_transpiler": seed}
    if optimization_level is not None:
        kwargs["optimization_level"] = optimization_level
    compiled = transpile(circuits, sim, **kwargs)
    result = sim.run(compiled, shots=shots, seed_simulator=seed).result()
    return [dict(result.get_counts(i)) for i in range(len(compiled))]
