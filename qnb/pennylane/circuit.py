"""PennyLane operations as Qiskit instructions: the gates ``qnb.qubit`` declares (its
``DeviceCapabilities``, from which PennyLane decomposes everything else) and the one
conversion of a tape's operations into a ``QuantumCircuit``.

Wire ``i`` of the device is qubit ``i``. PennyLane orders matrices and states with the first
wire most significant, Qiskit with qubit 0 least significant, so matrix-valued operations
(``QubitUnitary``, ``StatePrep``) go on the reversed qubits.
"""

from __future__ import annotations

from typing import Any

#: PennyLane gate -> (QuantumCircuit method, number of parameters): the same gate, the same
#: parameters in the same order
GATES: dict[str, tuple[str, int]] = {
    "Identity": ("id", 0), "PauliX": ("x", 0), "PauliY": ("y", 0), "PauliZ": ("z", 0),
    "Hadamard": ("h", 0), "S": ("s", 0), "T": ("t", 0), "SX": ("sx", 0),
    "CNOT": ("cx", 0), "CZ": ("cz", 0), "CY": ("cy", 0), "SWAP": ("swap", 0),
    "ECR": ("ecr", 0), "CSWAP": ("cswap", 0), "CCZ": ("ccz", 0),
    "Toffoli": ("ccx", 0), "RX": ("rx", 1), "RY": ("ry", 1), "RZ": ("rz", 1),
    "PhaseShift": ("p", 1), "ControlledPhaseShift": ("cp", 1),
    "CRX": ("crx", 1), "CRY": ("cry", 1), "CRZ": ("crz", 1),
    "IsingXX": ("rxx", 1), "IsingYY": ("ryy", 1), "IsingZZ": ("rzz", 1),
    "U1": ("p", 1), "U3": ("u", 3),
}
#: operations taken besides ``GATES``, each with its own conversion in ``to_circuit``
SPECIAL = ("DiagonalQubitUnitary", "StatePrep", "BasisState", "GlobalPhase")
#: operations taken as their matrix (a Qiskit ``UnitaryGate``): PennyLane has no
#: decomposition of the last three (``lightning.qubit`` applies them natively too)
MATRIX = ("QubitUnitary", "DoubleExcitationPlus", "DoubleExcitationMinus", "BlockEncode")
#: observables whose values a measurement may ask for (every one has a matrix PennyLane
#: computes expectation values and variances of, and diagonalizing gates for samples)
OBSERVABLES = ("PauliX", "PauliY", "PauliZ", "Identity", "Hadamard", "Hermitian", "Projector",
               "SparseHamiltonian", "Sum", "SProd", "Prod", "LinearCombination")


def capabilities() -> Any:
    """What ``qnb.qubit`` declares to PennyLane: its gates, observables and measurements.
    ``qml.state()`` needs the exact state, ``qml.sample`` / ``qml.counts`` need shots (as
    on ``lightning.qubit``); mid-circuit measurements are deferred."""
    from pennylane.devices.capabilities import (
        DeviceCapabilities,
        ExecutionCondition,
        OperatorProperties,
    )

    analytic = [ExecutionCondition.ANALYTIC_MODE_ONLY]
    finite = [ExecutionCondition.FINITE_SHOTS_ONLY]
    sparse = {"SparseHamiltonian": OperatorProperties(conditions=analytic)}
    return DeviceCapabilities(
        operations={name: OperatorProperties() for name in (*GATES, *SPECIAL, *MATRIX)},
        observables={**{name: OperatorProperties() for name in OBSERVABLES}, **sparse},
        measurement_processes={"ExpectationMP": [], "VarianceMP": [], "ProbabilityMP": [],
                               "StateMP": analytic, "SampleMP": finite, "CountsMP": finite},
        non_commuting_observables=True,
        initial_state_prep=True,
        supported_mcm_methods=["deferred"],
    )


def to_circuit(operations: Any, wires: Any, *, measure: bool = False) -> Any:
    """A ``QuantumCircuit`` on ``len(wires)`` qubits doing ``operations`` (declared ones,
    PennyLane has decomposed the rest; any other with a matrix becomes a unitary), measuring
    every qubit when ``measure``."""
    import numpy as np
    from pennylane.operation import StatePrepBase
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import DiagonalGate, UnitaryGate

    qc = QuantumCircuit(len(wires))
    index = {w: i for i, w in enumerate(wires)}
    for op in operations:
        qubits = [index[w] for w in op.wires]
        name = op.name
        if name == "Identity":  # on any number of wires: nothing to do
            continue
        if name in GATES:
            method, nparams = GATES[name]
            params = [float(p) for p in op.parameters[:nparams]]
            getattr(qc, method)(*params, *qubits)
        elif name == "GlobalPhase":  # PennyLane's GlobalPhase(phi) is exp(-i phi)
            qc.global_phase -= float(op.parameters[0])
        elif isinstance(op, StatePrepBase):  # also templates (AmplitudeEmbedding, ...); where
            # not first too, as Qiskit's initialize resets first
            state = op.state_vector(wire_order=op.wires)
            qc.initialize(np.asarray(state, dtype=complex).ravel(), qubits[::-1])
        elif name == "DiagonalQubitUnitary":
            qc.append(DiagonalGate(list(np.asarray(op.parameters[0], dtype=complex))),
                      qubits[::-1])
        else:  # QubitUnitary, and the diagonalizing gates of a measurement (Adjoint(S), ...)
            qc.append(UnitaryGate(np.asarray(op.matrix(), dtype=complex), check_input=False),
                      qubits[::-1])
    if measure:
        qc.measure_all()
    return qc
