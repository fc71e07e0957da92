"""What each Azure Quantum target takes and gives back, in Qiskit's terms.

Input, per target family (the provider id is the target name's first part):

- ``ionq.*``: IonQ's JSON circuit (``ionq.circuit.v1``, gateset ``"qis"``), all qubits
  measured at the end; the output (``ionq.quantum-results.v1``) is a probability histogram
  keyed by the measured state as an integer, qubit 0 its least significant bit;
- ``quantinuum.*``: OpenQASM 2 (``honeywell.openqasm.v1``); the output
  (``honeywell.quantum-results.v1``) is every shot's bits per classical register;
- the others (``rigetti.*``, ``qci.*``, ...): QIR (``qir.v1``, base profile) made by the
  Quantum Development Kit from the Qiskit circuit; the output
  (``microsoft.quantum-results.v2``) is a histogram and every shot, each outcome a tuple of
  registers (``{"Item1": [...], ...}``), the last register first and each register's bits
  from its highest index down, which is Qiskit's order.

``Readout`` keeps what turning an output back into Qiskit's counts needs (registers, and
which qubit each classical bit measured); the counts come out as Aer gives them: registers
separated by spaces, the last one first, each from its highest bit down.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

IONQ = "ionq"
QUANTINUUM = "quantinuum"
QIR = "qir"
#: provider ids whose targets run no gate-model circuits (analog, optimization, estimation)
NOT_CIRCUITS = ("pasqal", "microsoft", "toshiba", "1qbit")

#: the Qiskit gates each format is transpiled to
BASIS = {
    IONQ: ["x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "cx",
           "swap"],
    QUANTINUUM: ["x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "cx", "cz",
                 "rzz", "reset"],
    QIR: ["x", "y", "z", "h", "s", "sdg", "t", "tdg", "rx", "ry", "rz", "cx", "cz", "swap",
          "reset"],
}
#: Qiskit's names of IonQ's "qis" gates
IONQ_NAMES = {"sdg": "si", "tdg": "ti", "sx": "v", "sxdg": "vi", "cx": "cnot"}


@dataclass(frozen=True)
class Format:
    """How jobs for one target are sent and read back."""

    family: str
    provider_id: str
    input_data_format: str
    output_data_format: str
    content_type: str


def target_format(target: str) -> Format:
    """The format of a target by its name; ``ValueError`` for targets that take no circuits."""
    provider_id = target.split(".", 1)[0].lower()
    if not provider_id or "." not in target:
        raise ValueError(f"{target!r} is not an Azure Quantum target name (like "
                         "'ionq.simulator', 'quantinuum.sim.h2-1e', 'rigetti.sim.qvm')")
    if provider_id in NOT_CIRCUITS:
        raise ValueError(f"target {target!r} does not run gate-model circuits; qnb sends "
                         "circuits to IonQ, Quantinuum and QIR targets (such as Rigetti's)")
    if provider_id == IONQ:
        return Format(IONQ, IONQ, "ionq.circuit.v1", "ionq.quantum-results.v1",
                      "application/json")
    if provider_id == QUANTINUUM:
        return Format(QUANTINUUM, QUANTINUUM, "honeywell.openqasm.v1",
                      "honeywell.quantum-results.v1", "application/qasm")
    return Format(QIR, provider_id, "qir.v1", "microsoft.quantum-results.v2", "qir.v1")


# -- the readout of a circuit --------------------------------------------------------------
@dataclass(frozen=True)
class Readout:
    """A circuit's classical registers (name, size) in order, and for each classical bit
    (in the circuit's order) the qubit that is measured into it, or -1."""

    registers: tuple[tuple[str, int], ...]
    qubit_of_clbit: tuple[int, ...]
    num_qubits: int

    @classmethod
    def of(cls, qc: Any) -> Readout:
        qubit_of = [-1] * qc.num_clbits
        for inst in qc.data:
            if inst.operation.name == "measure":
                qubit_of[qc.find_bit(inst.clbits[0]).index] = qc.find_bit(inst.qubits[0]).index
        return cls(tuple((r.name, r.size) for r in qc.cregs), tuple(qubit_of), qc.num_qubits)

    def to_json(self) -> dict[str, Any]:
        return {"registers": [list(r) for r in self.registers],
                "qubit_of_clbit": list(self.qubit_of_clbit), "num_qubits": self.num_qubits}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Readout:
        return cls(tuple((str(n), int(s)) for n, s in data["registers"]),
                   tuple(int(q) for q in data["qubit_of_clbit"]), int(data["num_qubits"]))

    def key(self, clbits: list[int]) -> str:
        """Qiskit's counts key for the classical bits' values (in the circuit's order)."""
        parts, start = [], 0
        for _, size in self.registers:
            parts.append("".join(str(b) for b in reversed(clbits[start:start + size])))
            start += size
        return " ".join(reversed(parts))


# -- circuits to each format (a process forked for the hand-over) --------------------------
def transpile(circuits: list[Any], family: str, seed: int | None, level: int) -> list[Any]:
    """The circuits on the family's gates, without layout (no coupling map: each logical
    qubit stays the qubit of the same index)."""
    from qiskit import transpile as qiskit_transpile

    return list(qiskit_transpile(circuits, basis_gates=BASIS[family] + ["measure"],
                                 optimization_level=level, seed_transpiler=seed))


def ionq_circuit(qc: Any) -> bytes:
    """IonQ's JSON circuit of a transpiled circuit; ``ValueError`` for a gate after a
    measurement (IonQ measures every qubit once, at the end) or a gate it does not take."""
    gates: list[dict[str, Any]] = []
    measured: set[int] = set()
    for inst in qc.data:
        name = inst.operation.name
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        if name in ("barrier", "id", "delay"):
            continue
        if name == "measure":
            measured.add(qubits[0])
            continue
        if measured.intersection(qubits):
            raise ValueError(f"'{name}' on qubit {qubits[0]} after its measurement: IonQ "
                             "measures each qubit once, at the end of the circuit")
        if name not in BASIS[IONQ]:
            raise ValueError(f"IonQ's JSON circuit has no gate {name!r}")
        gate: dict[str, Any] = {"gate": IONQ_NAMES.get(name, name)}
        if name == "cx":
            gate.update(control=qubits[0], target=qubits[1])
        else:
            gate["targets"] = qubits
        if inst.operation.params:
            gate["rotation"] = float(inst.operation.params[0])
        gates.append(gate)
    body = {"gateset": "qis", "qubits": qc.num_qubits, "circuit": gates}
    return json.dumps(body).encode()


def qasm2(qc: Any) -> bytes:
    from qiskit import qasm2 as qiskit_qasm2

    return qiskit_qasm2.dumps(qc).encode()


def qir(qc: Any) -> bytes:
    """The circuit as QIR (base profile) by the Quantum Development Kit; a clear error if
    the ``qdk`` package is missing. The QDK's telemetry is turned off first."""
    import os

    os.environ["QDK_PYTHON_TELEMETRY"] = "none"
    try:
        from qdk import TargetProfile
        from qdk.qiskit import QSharpBackend
    except ImportError as exc:
        raise RuntimeError("QIR targets need the Quantum Development Kit: pip install "
                           f"'qdk[qiskit]' in the runner's environment ({exc})") from None
    backend = QSharpBackend(target_profile=TargetProfile.Base, skip_transpilation=True)
    return str(backend.qir(qc)).encode()


def encode(qc: Any, family: str) -> bytes:
    return {IONQ: ionq_circuit, QUANTINUUM: qasm2, QIR: qir}[family](qc)


# -- outputs back to counts ----------------------------------------------------------------
def parse_output(family: str, payload: bytes, readout: Readout, shots: int,
                 seed: int | None, sample: bool) -> dict[str, Any]:
    """``{"counts": ..., "memory"?: [...], "probabilities"?: {...}}`` of one job's output;
    ``ValueError`` naming what is missing from it."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise ValueError(f"the job's output is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"the job's output is a JSON {type(data).__name__}, not an object")
    if family == IONQ:
        return _ionq(data, readout, shots, seed, sample)
    if family == QUANTINUUM:
        return _quantinuum(data, readout)
    return _qir_v2(data)


def _ionq(data: dict[str, Any], readout: Readout, shots: int, seed: int | None,
          sample: bool) -> dict[str, Any]:
    import numpy as np

    histogram = data.get("histogram")
    if not isinstance(histogram, dict) or not histogram:
        raise ValueError("IonQ's output has no 'histogram'")
    probabilities: dict[str, float] = {}
    for state, p in histogram.items():
        value = int(state)
        clbits = [(value >> q) & 1 if q >= 0 else 0 for q in readout.qubit_of_clbit]
        key = readout.key(clbits)
        probabilities[key] = probabilities.get(key, 0.0) + float(p)
    keys = sorted(probabilities)
    p = np.array([probabilities[k] for k in keys])
    if sample:  # a simulator's exact probabilities: sampled with the job's shots
        drawn = np.random.default_rng(seed).multinomial(shots, p / p.sum())
    else:  # a QPU's measured frequencies
        drawn = np.rint(p / p.sum() * shots).astype(int)
    counts = {k: int(n) for k, n in zip(keys, drawn, strict=True) if n}
    return {"counts": counts, "probabilities": probabilities}


def _quantinuum(data: dict[str, Any], readout: Readout) -> dict[str, Any]:
    names = [name for name, _ in readout.registers]
    missing = [n for n in names if not isinstance(data.get(n), list)]
    if missing:
        raise ValueError(f"Quantinuum's output has no shots for register(s) "
                         f"{', '.join(map(repr, missing))}")
    columns = [data[n] for n in names]
    if len({len(c) for c in columns}) > 1:
        raise ValueError("Quantinuum's output has registers with different numbers of shots")
    memory = [" ".join(reversed([str(col[i]) for col in columns]))
              for i in range(len(columns[0]) if columns else 0)]
    counts: dict[str, int] = {}
    for shot in memory:
        counts[shot] = counts.get(shot, 0) + 1
    return {"counts": counts, "memory": memory}


def _qir_v2(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("DataFormat") != "microsoft.quantum-results.v2":
        raise ValueError("the output's DataFormat is not 'microsoft.quantum-results.v2'")
    results = data.get("Results")
    if not isinstance(results, list) or not results:
        raise ValueError("the output has no 'Results'")
    shots = results[0].get("Shots")
    if not isinstance(shots, list):
        raise ValueError("the output has no 'Shots'")
    memory = [_qir_bits(shot) for shot in shots]
    counts: dict[str, int] = {}
    for shot in memory:
        counts[shot] = counts.get(shot, 0) + 1
    return {"counts": counts, "memory": memory}


def _qir_bits(value: Any) -> str:
    """One QIR outcome as Qiskit's key: a tuple of registers (``{"Item1": ...}``) joined by
    spaces, a register (a list) as its bits; a lost qubit's mark is kept as given."""
    if isinstance(value, dict):
        items = [value[f"Item{i + 1}"] for i in range(len(value))]
        return " ".join(_qir_bits(v) for v in items)
    if isinstance(value, list):
        return "".join(_qir_bits(v) for v in value)
    if isinstance(value, bool):
        return str(int(value))
    return str(value)
