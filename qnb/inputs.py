"""What a user submitted, told apart: Qiskit circuits (or OpenQASM text), Qiskit primitive
PUBs, or a PennyLane QNode or tape. The one place ``qnb.submit`` decides what it was given."""

from __future__ import annotations

from typing import Any

from .circuits import is_quantum_circuit, looks_like_qasm, parse_qasm
from .models import SubmitError
from .primitives import pubs


def _is_pennylane(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("pennylane")


def normalize(value: Any, primitive: str | None = None) -> tuple[str, list[Any]]:
    """Return ``(kind, items)``: ``("qiskit", circuits)``, ``("pennylane", [qnode_or_tape])``,
    or ``("sampler" | "estimator", pubs)`` for Qiskit primitive PUBs (tuples starting with a
    circuit; ``primitive`` forces the kind, and makes plain circuits Sampler PUBs).

    Raises ``SubmitError`` naming the type for anything else.
    """
    if primitive is not None and primitive not in pubs.KINDS:
        raise SubmitError(f"primitive must be 'sampler' or 'estimator', got {primitive!r}")
    if _is_pub_list(value):
        items = [value] if isinstance(value, tuple) else list(value)
        kinds = {primitive or pubs.guess_kind(p) for p in items}
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
    """One PUB (a tuple starting with a circuit, not all circuits) or a list of them."""
    if isinstance(value, tuple):
        return pubs.looks_like_pub(value) and not all(is_quantum_circuit(v) for v in value)
    return isinstance(value, list) and bool(value) and all(
        isinstance(v, tuple) and pubs.looks_like_pub(v) for v in value)


def _plain(value: Any) -> tuple[str, list[Any]]:
    if isinstance(value, str):
        if looks_like_qasm(value):
            return "qiskit", [parse_qasm(value)]
        raise SubmitError("got a str that is not OpenQASM: it must be an OpenQASM program "
                          "starting with 'OPENQASM 2.0;' or 'OPENQASM 3.0;'")
    if is_quantum_circuit(value):
        return "qiskit", [value]
    if _is_pennylane(value):
        return "pennylane", [value]
    if isinstance(value, (list, tuple)):
        if not value:
            raise SubmitError("got an empty list: nothing to submit")
        circuits = []
        for i, item in enumerate(value):
            if isinstance(item, str) and looks_like_qasm(item):
                item = parse_qasm(item)
            if not is_quantum_circuit(item):
                raise SubmitError(
                    f"item {i} of the list is a {_type_name(item)}, not a QuantumCircuit "
                    "(or a PUB: a tuple starting with one)")
            circuits.append(item)
        return "qiskit", circuits
    raise SubmitError(
        "expected a QuantumCircuit, a list of them, a Qiskit primitive PUB (or a list of PUBs), "
        f"OpenQASM text or a PennyLane QNode/tape, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
