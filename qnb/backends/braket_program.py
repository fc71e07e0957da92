"""Qiskit circuits as Amazon Braket programs, and Braket's results as qnb counts.

Braket takes one OpenQASM 3 program per task, with Braket's own gate names (``cnot``,
``si``, ``v``, ``phaseshift``...), one qubit register and one bit register, and no
``stdgates.inc``. ``transpile`` rewrites a job's circuits into the Qiskit gates that have a
Braket twin among the gates a device takes (in the process that runs the job, never in the
kernel); ``to_program`` renames them and exports the circuit with ``qiskit.qasm3.dumps``;
``counts`` reads a ``GateModelTaskResult`` (Braket's schema) back into counts in Qiskit's
convention: the bit of clbit 0 rightmost, registers separated by spaces, the first rightmost.

Measurements must come last: each measured qubit is measured once, nothing acts on it
afterwards, and there are no resets or classical control flow (what Braket's devices run).
A ``Readout`` keeps which qubit fills which classical bit, so that results are mapped by
the qubit indices Braket reports (``measuredQubits``), whatever order they come in.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

#: Qiskit's standard gates with the Braket gate of the same matrix (``rxx`` is Braket's
#: ``xx``, ``csx`` its ``cv``...). ``tests/test_backends_braket.py`` checks each pair against
#: Braket's simulator.
QISKIT_TO_BRAKET: dict[str, str] = {
    "id": "i", "x": "x", "y": "y", "z": "z", "h": "h", "s": "s", "sdg": "si", "t": "t",
    "tdg": "ti", "sx": "v", "sxdg": "vi", "rx": "rx", "ry": "ry", "rz": "rz",
    "p": "phaseshift", "cx": "cnot", "cy": "cy", "cz": "cz", "cp": "cphaseshift",
    "csx": "cv", "swap": "swap", "iswap": "iswap", "rxx": "xx", "ryy": "yy", "rzz": "zz",
    "ccx": "ccnot", "cswap": "cswap", "r": "prx", "ecr": "ecr",
}
#: the two-qubit gates among them that entangle (a device needs one)
ENTANGLING = frozenset({"cx", "cy", "cz", "cp", "csx", "iswap", "rxx", "ryy", "rzz", "ecr"})

_GATE_LINE = re.compile(r"^(?P<gate>[a-z]\w*)(\(.*\))? (?P<qubits>q\[\d+\](?:, q\[\d+\])*);$")
_MEASURE_LINE = re.compile(r"^c\[\d+\] = measure (?P<qubit>q\[\d+\]);$")


class NotForBraket(ValueError):
    """A circuit Braket cannot run as given (mid-circuit measurement, reset, control flow)."""


@dataclass(frozen=True)
class Noise:
    """Noise the local density-matrix simulator adds: ``depolarizing`` after every gate on
    each of its qubits, ``readout`` a bit flip on each measured qubit before it is read."""

    depolarizing: float = 0.0
    readout: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.depolarizing or self.readout)


@dataclass(frozen=True)
class Readout:
    """Which qubit's measurement fills which classical bit, and how counts are written."""

    pairs: tuple[tuple[int, int], ...]  # (clbit, qubit), one per measured clbit
    num_clbits: int
    registers: tuple[tuple[int, ...], ...]  # each register's clbits; empty: one string

    @property
    def qubits(self) -> list[int]:
        return sorted({q for _, q in self.pairs})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Readout:
        return cls(tuple(tuple(p) for p in data["pairs"]), int(data["num_clbits"]),
                   tuple(tuple(r) for r in data["registers"]))


@dataclass(frozen=True)
class Program:
    """One circuit as Braket's OpenQASM 3 source, with its readout."""

    source: str
    readout: Readout
    num_qubits: int


def basis_for(braket_gates: set[str] | list[str]) -> list[str]:
    """The Qiskit gate names whose Braket twin is among ``braket_gates``."""
    have = {g.lower() for g in braket_gates}
    return [q for q, b in QISKIT_TO_BRAKET.items() if b in have]


_MANAGERS: dict[tuple, Any] = {}


def transpile(circuits: list[Any], braket_gates: set[str] | list[str], seed: int | None,
              optimization_level: int) -> list[Any]:
    """The circuits in the Qiskit gates that Braket's ``braket_gates`` cover (no qubit
    routing: Braket lays program qubits out on a device itself)."""
    from qiskit.transpiler import generate_preset_pass_manager

    basis = basis_for(braket_gates)
    if not ENTANGLING & set(basis):
        raise NotForBraket(f"the device's gates ({', '.join(sorted(braket_gates))}) have no "
                           "two-qubit gate qnb can translate circuits into")
    key = (tuple(basis), optimization_level, seed)
    manager = _MANAGERS.get(key)
    if manager is None:
        if len(_MANAGERS) >= 64:  # a sweep of seeds: keep the cache bounded
            _MANAGERS.clear()
        manager = _MANAGERS[key] = generate_preset_pass_manager(
            optimization_level=optimization_level, basis_gates=basis, seed_transpiler=seed)
    return list(manager.run(list(circuits)))


def to_program(qc: Any, noise: Noise | None = None) -> Program:
    """A transpiled circuit as Braket's OpenQASM 3 (``qiskit.qasm3.dumps`` of the circuit
    with Braket's gate names), measuring each measured qubit once, at the end."""
    from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3
    from qiskit.circuit import Gate

    qindex = {bit: i for i, bit in enumerate(qc.qubits)}
    cindex = {bit: i for i, bit in enumerate(qc.clbits)}
    out = QuantumCircuit(QuantumRegister(qc.num_qubits, "q"))
    measured: dict[int, int] = {}  # clbit -> qubit (a later measure into a clbit wins)
    done: set[int] = set()  # measured qubits
    for inst in qc.data:
        op, qubits = inst.operation, [qindex[q] for q in inst.qubits]
        if op.name == "barrier":
            continue
        if op.name == "measure":
            if qubits[0] in done:
                raise NotForBraket(f"qubit {qubits[0]} is measured twice; Braket measures each "
                                   "qubit once, at the end of the circuit")
            done.add(qubits[0])
            measured[cindex[inst.clbits[0]]] = qubits[0]
            continue
        late = done.intersection(qubits)
        if late:
            raise NotForBraket(f"{op.name} acts on qubit {min(late)} after it was measured; "
                               "Braket measures each qubit once, at the end of the circuit")
        name = QISKIT_TO_BRAKET.get(op.name)
        if name is None:
            raise NotForBraket(f"{op.name!r} cannot be sent to Braket (its devices run gates, "
                               "then measurements: no reset or classical control flow)")
        gate = Gate(name, op.num_qubits, [float(p) for p in op.params])
        out.append(gate, [out.qubits[i] for i in qubits])
    readout = Readout(tuple(sorted(measured.items())), qc.num_clbits, _registers(qc, cindex))
    used = sorted({inst.operation.name for inst in out.data})
    qubits = readout.qubits
    creg = ClassicalRegister(len(qubits), "c")
    out.add_register(creg)
    for j, qubit in enumerate(qubits):  # c[j] is the j-th measured qubit, in qubit order
        out.measure(out.qubits[qubit], creg[j])
    source = qasm3.dumps(out, includes=[], basis_gates=used, disable_constants=True)
    if noise:
        source = _with_noise(source, noise)
    return Program(source, readout, qc.num_qubits)


def _registers(qc: Any, cindex: dict[Any, int]) -> tuple[tuple[int, ...], ...]:
    """Each classical register's clbits, when the registers cover every clbit once (how Qiskit
    splits counts into words); else nothing (one word over all clbits)."""
    regs = tuple(tuple(cindex[b] for b in reg) for reg in qc.cregs)
    if sorted(i for reg in regs for i in reg) != list(range(qc.num_clbits)):
        return ()
    return regs


def _with_noise(source: str, noise: Noise) -> str:
    """The program with Braket's noise pragmas: a depolarizing channel on each qubit after
    each gate, a bit flip on each measured qubit before it is read."""
    lines: list[str] = []
    for line in source.splitlines():
        measure = _MEASURE_LINE.match(line)
        if measure and noise.readout:
            lines.append(f"#pragma braket noise bit_flip({noise.readout!r}) "
                         f"{measure.group('qubit')}")
        lines.append(line)
        gate = _GATE_LINE.match(line)
        if gate and noise.depolarizing and not measure:
            for qubit in gate.group("qubits").split(", "):
                lines.append(f"#pragma braket noise depolarizing({noise.depolarizing!r}) {qubit}")
    return "\n".join(lines) + "\n"


def gates_used(source: str) -> set[str]:
    """The gate names a Braket program calls (what a device must support)."""
    return {m.group("gate") for line in source.splitlines()
            if (m := _GATE_LINE.match(line.strip()))}


def counts(result: Any, readout: Readout, shots: int) -> dict[str, int]:
    """Qiskit-style counts from a ``braket.task_result.GateModelTaskResult``: from its
    ``measurements`` (one row per shot), else from ``measurementProbabilities`` x shots."""
    column = {q: i for i, q in enumerate(result.measuredQubits or [])}
    missing = [q for _, q in readout.pairs if q not in column]
    if missing:
        raise ValueError(f"Braket's result has no measurement of qubit(s) {missing} "
                         f"(measured: {result.measuredQubits})")
    rows: Counter[tuple[int, ...]] = Counter()
    if result.measurements:
        rows.update(tuple(int(b) for b in shot) for shot in result.measurements)
    elif result.measurementProbabilities:
        for bits, p in result.measurementProbabilities.items():
            n = round(float(p) * shots)
            if n:
                rows[tuple(int(b) for b in bits)] += n
    else:
        raise ValueError("Braket's result has neither measurements nor probabilities")
    out: Counter[str] = Counter()
    for row, n in rows.items():
        bits = ["0"] * readout.num_clbits
        for clbit, qubit in readout.pairs:
            bits[clbit] = str(row[column[qubit]])
        out[_word(bits, readout.registers)] += n
    return dict(out)


def _word(bits: list[str], registers: tuple[tuple[int, ...], ...]) -> str:
    if not registers:
        return "".join(reversed(bits))
    return " ".join("".join(bits[i] for i in reversed(reg)) for reg in reversed(registers))


def parse_result(text: str | bytes) -> Any:
    """A ``GateModelTaskResult`` from Braket's ``results.json``, through Braket's schemas."""
    from braket.schema_common import BraketSchemaBase
    from braket.task_result import GateModelTaskResult

    result = BraketSchemaBase.parse_raw_schema(text if isinstance(text, str) else text.decode())
    if not isinstance(result, GateModelTaskResult):
        raise ValueError(f"expected a gate-model task result, got {type(result).__name__}")
    return result
