"""What a user submitted, told apart: Qiskit circuits (or OpenQASM text, or Cirq circuits,
made Qiskit circuits here), Qiskit primitive PUBs, or a PennyLane QNode or tape. The one
place ``qnb.submit`` decides what it was given."""

from __future__ import annotations

from typing import Any

from .circuits import is_quantum_circuit, looks_like_qasm, parse_qasm
from .cirq.convert import from_cirq, is_cirq_circuit
from .models import SubmitError
from .primitives import pubs


def _is_pennylane(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith(("pennylane", "qnb.pennylane"))  # qnb.qubit's TapeBatch too


def normalize(value: Any, primitive: str | None = None) -> tuple[str, list[Any]]:
    """Return ``(kind, items)``: ``("qiskit", circuits)``, ``("pennylane", [qnode_or_tape])``,
    or ``("sampler" | "estimator", pubs)`` for Qiskit primitive PUBs (tuples starting with a
    circuit; ``primitive`` forces the kind, and makes plain circuits Sampler PUBs).

    Raises ``SubmitError`` naming the type for anything else.
    """
    if primitive is not None and primitive not in pubs.KINDS:
        raise SubmitError(f"primitive must be 'sampler' or 'estimator', got {primitive!r}")
    if primitive is not None and isinstance(value, list):
        # what a primitive's ``run(pubs)`` got: each item a PUB-like, for Qiskit to coerce
        # (and refuse with its own error), as Qiskit's primitives do
        if not value:
            raise SubmitError("got an empty list: nothing to submit")
        return primitive, [_pub_like(v) for v in value]
    if _is_pub_list(value):
        items = ([value] if isinstance(value, tuple) or pubs.pub_object_kind(value)
                 else [_pub_like(v) for v in value])
        kinds = {primitive or pubs.guess_kind(p) for p in items if not is_quantum_circuit(p)}
        if len(kinds) > 1:
            raise SubmitError("the PUBs mix Sampler PUBs (circuit, parameter values) and "
                              "Estimator PUBs (circuit, observables, ...): one job runs one "
                              "primitive; submit them separately, or force one with "
                              "--primitive / primitive=")
        return kinds.pop(), items
    kind, items = _plain(value)
    if primitive is None or kind != "qiskit":
        if primitive is not None:
            raise SubmitError(f"a PennyLane circuit cannot run as a {primitive} PUB")
        return kind, items
    if primitive == pubs.ESTIMATOR:
        raise SubmitError("an Estimator job needs observables: give PUBs such as "
                          "(circuit, SparsePauliOp('ZZ')), not circuits alone")
    return primitive, [(qc,) for qc in items]


def _is_pub_list(value: Any) -> bool:
    """One PUB (a tuple starting with a circuit, not all circuits, or a Qiskit ``SamplerPub``
    / ``EstimatorPub``) or a list of them, where plain circuits may stand among PUBs."""
    if isinstance(value, tuple):
        return pubs.looks_like_pub(value) and not all(is_quantum_circuit(v) for v in value)
    if pubs.pub_object_kind(value) is not None:
        return True
    if not isinstance(value, list) or not value:
        return False
    is_pub = [pubs.looks_like_pub(v) for v in value]
    return any(is_pub) and all(ok or is_quantum_circuit(v) for ok, v in zip(is_pub, value,
                                                                           strict=True))


def _pub_like(item: Any) -> Any:
    """A PUB-like with OpenQASM text or a Cirq circuit in it made a QuantumCircuit."""
    if isinstance(item, tuple) and item and not is_quantum_circuit(item[0]):
        first = _as_circuit(item[0])
        return item if first is item[0] else (first, *item[1:])
    return _as_circuit(item)


def _as_circuit(item: Any) -> Any:
    """OpenQASM text or a Cirq circuit as a QuantumCircuit; anything else unchanged."""
    if isinstance(item, str) and looks_like_qasm(item):
        return parse_qasm(item)
    if is_cirq_circuit(item):
        return from_cirq(item)
    return item


def _plain(value: Any) -> tuple[str, list[Any]]:
    if isinstance(value, str):
        if looks_like_qasm(value):
            return "qiskit", [parse_qasm(value)]
        raise SubmitError("got a str that is not OpenQASM: it must be an OpenQASM program "
                          "starting with 'OPENQASM 2.0;' or 'OPENQASM 3.0;'")
    if is_quantum_circuit(value):
        return "qiskit", [value]
    if is_cirq_circuit(value):
        return "qiskit", [from_cirq(value)]
    if _is_pennylane(value):
        return "pennylane", [value]
    if isinstance(value, (list, tuple)):
        if not value:
            raise SubmitError("got an empty list: nothing to submit")
        circuits = []
        for i, item in enumerate(value):
            item = _as_circuit(item)
            if not is_quantum_circuit(item):
                raise SubmitError(
                    f"item {i} of the list is a {_type_name(item)}, not a QuantumCircuit or "
                    "a cirq.Circuit (or a PUB: a tuple starting with a circuit, or a Qiskit "
                    "SamplerPub / EstimatorPub)")
            circuits.append(item)
        return "qiskit", circuits
    raise SubmitError(
        "expected a QuantumCircuit or a cirq.Circuit, a list of them, a Qiskit primitive PUB "
        "(or a list of PUBs), OpenQASM text or a PennyLane QNode/tape, got "
        f"{_type_name(value)}")


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
