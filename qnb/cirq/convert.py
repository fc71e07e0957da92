"""A ``cirq.Circuit`` as a Qiskit ``QuantumCircuit``, through Cirq's own OpenQASM 2 output
(``cirq.QasmOutput``, what ``circuit.to_qasm()`` writes) read by qnb's OpenQASM parser.

Cirq's qubits, sorted as ``to_qasm`` sorts them, become ``q[0]``, ``q[1]``, ...; each
measurement key becomes a classical register of the same name (Cirq writes ``m_<key>``,
renamed back here), its bits in the order of the measured qubits, so results read back
key by key. Nothing here imports Cirq unless the value is already a Cirq object.
"""

from __future__ import annotations

import sys
from typing import Any

from ..circuits import parse_qasm
from ..models import SubmitError


def is_cirq_circuit(value: Any) -> bool:
    """A ``cirq.Circuit`` or ``cirq.FrozenCircuit`` (False when Cirq was never imported)."""
    cirq = sys.modules.get("cirq")
    return cirq is not None and isinstance(value, cirq.AbstractCircuit)


def from_cirq(circuit: Any) -> Any:
    """The circuit as a ``QuantumCircuit`` with one classical register per measurement key.

    ``SubmitError`` names the operation when the circuit has one that OpenQASM cannot
    express (a noise channel, a gate on three or more qubits without a decomposition) or a
    symbol without a value (run sweeps with ``qnb.cirq.Sampler``)."""
    import cirq

    if cirq.is_parameterized(circuit):
        names = ", ".join(sorted(str(s) for s in cirq.parameter_names(circuit)))
        raise SubmitError(f"the cirq.Circuit has symbols without values ({names}): resolve "
                          "them (cirq.resolve_parameters) or run a sweep with "
                          "qnb.cirq.Sampler().run_sweep(circuit, params)")
    qubits = tuple(sorted(circuit.all_qubits()))
    try:
        # a global phase gate has no OpenQASM 2 form and no effect on samples: left out
        operations = [op for op in circuit.all_operations()
                      if not isinstance(op.gate, cirq.GlobalPhaseGate)]
        output = cirq.QasmOutput(operations, qubits, version="2.0")
        text = str(output)
    except (ValueError, TypeError) as exc:
        raise SubmitError(f"the cirq.Circuit has an operation with no OpenQASM form, which qnb "
                          f"needs to run it: {_bad_operation(circuit, exc)}") from None
    qc = parse_qasm(text)
    names = {creg_id: key for key, creg_id in output.args.meas_key_id_map.items()}
    return _renamed_registers(qc, names, getattr(circuit, "name", None))


def _bad_operation(circuit: Any, exc: Exception) -> str:
    """Cirq's own message, or the first operation Cirq cannot write (by its gate)."""
    import cirq

    message = str(exc)
    if message.startswith("Cannot output operation as QASM"):
        return message
    qubits = tuple(sorted(circuit.all_qubits()))
    for op in circuit.all_operations():
        try:
            str(cirq.QasmOutput([op], qubits, version="2.0"))
        except (ValueError, TypeError):
            return f"Cannot output operation as QASM: {op!r}"
    return message


def _renamed_registers(qc: Any, names: dict[str, str], name: str | None) -> Any:
    """``qc`` with each classical register renamed by ``names`` (the same bits)."""
    from qiskit import ClassicalRegister, QuantumCircuit

    cregs = [ClassicalRegister(name=names.get(r.name, r.name), bits=list(r)) for r in qc.cregs]
    out = QuantumCircuit(*qc.qregs, *cregs, global_phase=qc.global_phase,
                         name=name if isinstance(name, str) and name else qc.name)
    for inst in qc.data:
        out.append(inst)
    return out


def measurement_keys(circuit: Any) -> list[str]:
    """The circuit's measurement keys, in the order of its classical registers."""
    import cirq

    return list(cirq.QasmOutput(circuit.all_operations(), tuple(sorted(circuit.all_qubits())),
                                version="2.0").args.meas_key_id_map)


def load_json(text: str) -> Any:
    """A ``cirq.Circuit`` from Cirq's JSON (``cirq.to_json``), for ``qnb submit FILE.json``."""
    import cirq

    try:
        value = cirq.read_json(json_text=text)
    except Exception as exc:  # Cirq's reader raises what the text gives it
        raise SubmitError(f"not a Cirq JSON circuit: {exc}") from None
    if not is_cirq_circuit(value):
        raise SubmitError(f"the Cirq JSON holds a {type(value).__name__}, not a cirq.Circuit")
    return value


def from_file_text(text: str) -> Any:
    """A file's text as ``qnb submit`` takes it: Cirq's JSON as a ``cirq.Circuit``, anything
    else unchanged (OpenQASM)."""
    return load_json(text) if looks_like_cirq_json(text) else text


def looks_like_cirq_json(text: str) -> bool:
    """JSON text as ``cirq.to_json`` writes it (an object with a ``cirq_type``)."""
    head = text.lstrip()[:200]
    return head.startswith("{") and '"cirq_type"' in head
