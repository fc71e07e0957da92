"""``qml.device("qnb.qubit", wires=N, backend="NAME", shots=S)``: a PennyLane device whose
every batch of tapes is one qnb job on a qnb backend.

Tapes that measure ``qml.expval`` become Estimator PUBs (one PUB per tape, its observables
as ``SparsePauliOp``s); tapes that measure ``qml.counts`` / ``qml.probs`` / ``qml.sample``
become Sampler PUBs. A batch with both kinds is two jobs, one per primitive. PennyLane's
own transforms decompose the gates and (with ``diff_method="parameter-shift"``) build the
gradient tapes, so optimisers and gradients run through qnb unchanged.

Analytic execution (no shots) asks the Estimator for exact values (Aer's default precision);
with shots, the Estimator's precision is ``1/sqrt(shots)`` and the Sampler takes the shots.
Bitstrings follow PennyLane's order (the first wire is the leftmost bit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    validate_device_wires,
    validate_measurements,
)
from pennylane.exceptions import DeviceError
from pennylane.measurements import CountsMP, ExpectationMP, ProbabilityMP, SampleMP
from pennylane.transforms import broadcast_expand, defer_measurements
from pennylane.transforms.core import CompilePipeline

#: PennyLane gate -> (Qiskit QuantumCircuit method, number of parameters)
GATES: dict[str, tuple[str, int]] = {
    "Identity": ("id", 0), "PauliX": ("x", 0), "PauliY": ("y", 0), "PauliZ": ("z", 0),
    "Hadamard": ("h", 0), "S": ("s", 0), "T": ("t", 0), "SX": ("sx", 0),
    "CNOT": ("cx", 0), "CZ": ("cz", 0), "CY": ("cy", 0), "SWAP": ("swap", 0),
    "Toffoli": ("ccx", 0), "RX": ("rx", 1), "RY": ("ry", 1), "RZ": ("rz", 1),
    "PhaseShift": ("p", 1), "CRX": ("crx", 1), "CRY": ("cry", 1), "CRZ": ("crz", 1),
    "IsingXX": ("rxx", 1), "IsingYY": ("ryy", 1), "IsingZZ": ("rzz", 1),
    "U3": ("u", 3),
}
SAMPLED = (CountsMP, ProbabilityMP, SampleMP)


def _supported(op: Any) -> bool:
    return op.name in GATES


def _accepted(mp: Any) -> bool:
    if isinstance(mp, ExpectationMP):
        return mp.obs is not None and mp.obs.pauli_rep is not None
    return isinstance(mp, SAMPLED) and mp.obs is None


@single_tape_support
class QnbQubit(Device):
    """PennyLane device running each batch of tapes as one qnb job (per primitive kind)."""

    name = "qnb.qubit"

    def __init__(self, wires: Any = None, shots: Any = None, *, backend: str | None = None,
                 seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if wires is None:
            raise DeviceError("qnb.qubit needs wires, e.g. qml.device('qnb.qubit', wires=2)")
        super().__init__(wires=wires, shots=shots)
        self.backend = backend
        self.seed = seed
        self.options = dict(options or {})
        self.jobs: list[Any] = []  # every qnb job this device ran, oldest first

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None
                              ) -> CompilePipeline:
        program = CompilePipeline()
        program.add_transform(validate_device_wires, wires=self.wires, name=self.name)
        program.add_transform(defer_measurements, allow_postselect=False)
        program.add_transform(decompose, stopping_condition=_supported, name=self.name,
                              skip_initial_state_prep=False)
        program.add_transform(validate_measurements, analytic_measurements=_accepted,
                              sample_measurements=_accepted, name=self.name)
        program.add_transform(broadcast_expand)
        return program

    def execute(self, circuits: Any, execution_config: ExecutionConfig | None = None) -> Any:
        circuits = list(circuits)
        results: list[Any] = [None] * len(circuits)
        estimate = [i for i, t in enumerate(circuits)
                    if any(isinstance(m, ExpectationMP) for m in t.measurements)]
        sample = [i for i in range(len(circuits)) if i not in estimate]
        for i in estimate:
            if any(not isinstance(m, ExpectationMP) for m in circuits[i].measurements):
                raise DeviceError("qnb.qubit: a tape measures either expectation values "
                                      "or samples (counts, probs, sample), not both")
        if estimate:
            self._estimate([circuits[i] for i in estimate], [results, estimate])
        if sample:
            self._sample([circuits[i] for i in sample], [results, sample])
        return tuple(results)

    # -- the two kinds of job ---------------------------------------------------------------
    def _estimate(self, tapes: list[Any], into: list[Any]) -> None:
        import qnb

        shots = {t.shots.total_shots for t in tapes}
        precision = None if shots == {None} else 1 / np.sqrt(max(s or 0 for s in shots))
        pubs = [(self._circuit(t, measure=False), [self._observable(m.obs) for m in t.measurements])
                for t in tapes]
        job = qnb.Estimator(self.backend, options=self._options()).run(pubs, precision=precision)
        self.jobs.append(job)
        result = job.result()
        results, positions = into
        for k, (tape, pub) in enumerate(zip(tapes, result, strict=True)):
            evs = [float(v) for v in np.ravel(pub.data.evs)]
            results[positions[k]] = evs[0] if len(tape.measurements) == 1 else tuple(evs)

    def _sample(self, tapes: list[Any], into: list[Any]) -> None:
        import qnb

        for tape in tapes:
            if not tape.shots:
                raise DeviceError(
                    "qnb.qubit samples (counts, probs, sample) need shots: "
                    "qml.set_shots(qnode, 1000) or qml.device('qnb.qubit', ..., shots=1000)")
        pubs = [(self._circuit(t, measure=True), None, t.shots.total_shots) for t in tapes]
        job = qnb.Sampler(self.backend, options=self._options()).run(pubs)
        self.jobs.append(job)
        result = job.result()
        results, positions = into
        for k, (tape, pub) in enumerate(zip(tapes, result, strict=True)):
            # Qiskit's bitstrings have qubit 0 rightmost; PennyLane's samples wire 0 first
            bits = pub.data.meas.get_bitstrings()
            samples = np.array([[int(b) for b in reversed(s)] for s in bits], dtype=int)
            values = tuple(m.process_samples(samples, self.wires) for m in tape.measurements)
            results[positions[k]] = values[0] if len(values) == 1 else values

    def _options(self) -> dict[str, Any]:
        """The primitive's options; a seeded device gives each job its own seed (seed + the
        number of jobs before it), so shot noise differs between jobs yet repeats per run."""
        if self.seed is None:
            return dict(self.options)
        return {**self.options, "seed": self.seed + len(self.jobs)}

    # -- PennyLane -> Qiskit ------------------------------------------------------------------
    def _circuit(self, tape: Any, *, measure: bool) -> Any:
        from qiskit import QuantumCircuit

        qc = QuantumCircuit(len(self.wires))
        index = {w: i for i, w in enumerate(self.wires)}
        for op in tape.operations:
            method, nparams = GATES[op.name]
            params = [float(p) for p in op.parameters[:nparams]]
            getattr(qc, method)(*params, *(index[w] for w in op.wires))
        if measure:
            qc.measure_all()
        return qc

    def _observable(self, obs: Any) -> Any:
        from qiskit.quantum_info import SparsePauliOp

        index = {w: i for i, w in enumerate(self.wires)}
        terms = []
        for word, coeff in obs.pauli_rep.items():
            wires = list(word)
            terms.append(("".join(word[w] for w in wires), [index[w] for w in wires],
                          complex(coeff)))
        if not terms:
            terms = [("", [], 0.0)]
        return SparsePauliOp.from_sparse_list(terms, num_qubits=len(self.wires)).simplify()
