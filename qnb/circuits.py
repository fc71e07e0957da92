"""Turning what a user gives (circuits, OpenQASM text, PennyLane objects) into a job payload.

Runs in the kernel, so it only parses and checks; transpiling and simulating belong to the
runner's workers. Heavy libraries are imported on first use.
"""

from __future__ import annotations

import io
import re
import weakref
from collections import Counter
from typing import Any

from .models import SubmitError

QPY = "qpy"
PENNYLANE = "pennylane-tape"

_QASM_VERSION = re.compile(r"^\s*OPENQASM\s+(\d+)(?:\.\d+)?\s*;", re.MULTILINE)
_QASM2_LOCATION = re.compile(r"<input>:(\d+),(\d+):\s*")
_DECLARATION = re.compile(r"\b(?:qreg\s+[A-Za-z_]\w*\s*|qubit\s*)\[\s*(\d+)\s*\]")
_INCLUDE = re.compile(r'^\s*include\s+"([^"]*)"', re.MULTILINE)
ALLOWED_INCLUDES = {"2": {"qelib1.inc"}, "3": {"stdgates.inc"}}
MAX_DECLARED_QUBITS = 4096  # far above any backend; stops a hostile size before allocation


def looks_like_qasm(text: str) -> bool:
    """True when a cell is OpenQASM (it starts with ``OPENQASM``, comments aside)."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        return stripped.startswith("OPENQASM")
    return False


def parse_qasm(text: str) -> Any:
    """Parse OpenQASM 2 or 3 into a ``QuantumCircuit``; errors name the line."""
    match = _QASM_VERSION.search(text)
    if not match:
        raise SubmitError("OpenQASM program must start with 'OPENQASM 2.0;' or 'OPENQASM 3.0;'")
    version = match.group(1)
    for inc in _INCLUDE.finditer(text):
        if inc.group(1) not in ALLOWED_INCLUDES.get(version, set()):
            line = text[:inc.start()].count("\n") + 1 + (text[inc.start()] == "\n")
            allowed = ", ".join(sorted(ALLOWED_INCLUDES.get(version, set()))) or "none"
            raise SubmitError(
                f"OpenQASM {version} error at line {line}: include {inc.group(1)!r} is not "
                f"allowed (qnb reads no files; allowed: {allowed})")
    declared = sum(int(n) for n in _DECLARATION.findall(text))
    if declared > MAX_DECLARED_QUBITS:
        line = text[:_DECLARATION.search(text).start()].count("\n") + 1
        raise SubmitError(f"OpenQASM program declares {declared} qubits (at most "
                          f"{MAX_DECLARED_QUBITS}); first declaration at line {line}")
    if version == "2":
        from qiskit import qasm2

        try:
            return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        except qasm2.QASM2ParseError as exc:
            msg = str(exc)
            loc = _QASM2_LOCATION.search(msg)
            if loc:
                msg = _QASM2_LOCATION.sub("", msg)
                raise SubmitError(
                    f"OpenQASM 2 error at line {loc.group(1)}, column {loc.group(2)}: {msg}"
                ) from None
            raise SubmitError(f"OpenQASM 2 error: {msg}") from None
        except Exception as exc:  # e.g. CircuitError while building the circuit
            raise SubmitError(f"OpenQASM 2 error: {exc}") from None
    if version == "3":
        return _parse_qasm3(text)
    raise SubmitError(f"unsupported OpenQASM version {version} (use 2.0 or 3.0)")


def _qasm3_location(exc: BaseException) -> tuple[int, int] | None:
    """Line and column of an OpenQASM 3 syntax error, from the ANTLR exception behind it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        token = getattr(exc, "offendingToken", None)
        if token is not None:
            return token.line, token.column
        for arg in getattr(exc, "args", ()):
            token = getattr(arg, "offendingToken", None)
            if token is not None:
                return token.line, token.column
        exc = exc.__cause__ or exc.__context__
    return None


def _parse_qasm3(text: str) -> Any:
    import openqasm3
    from qiskit import qasm3

    try:
        openqasm3.parse(text)  # strict syntax check first: it knows where the error is
    except Exception as exc:
        msg = str(exc).strip()
        loc = re.match(r"L(\d+):C(\d+):\s*(.*)", msg, re.S)
        if loc:
            raise SubmitError(f"OpenQASM 3 error at line {loc.group(1)}, column {loc.group(2)}: "
                              f"{loc.group(3)}") from None
        where = _qasm3_location(exc)
        if where:
            raise SubmitError(f"OpenQASM 3 syntax error at line {where[0]}, column {where[1]} "
                              "(a missing ';' is reported where the next statement starts)"
                              ) from None
        raise SubmitError(f"OpenQASM 3 syntax error: {msg or type(exc).__name__}") from None
    try:
        return qasm3.loads(text)
    except Exception as exc:  # the importer raises several types (QASM3ImporterError, ...)
        msg = str(exc).strip().strip('"')
        loc = re.match(r"(\d+),(\d+):\s*(.*)", msg, re.S)
        if loc:
            raise SubmitError(f"OpenQASM 3 error at line {loc.group(1)}, column {loc.group(2)}: "
                              f"{loc.group(3)}") from None
        raise SubmitError(f"OpenQASM 3 error: {msg}") from None


def is_quantum_circuit(value: Any) -> bool:
    module = type(value).__module__ or ""
    if not module.startswith("qiskit"):
        return False
    from qiskit import QuantumCircuit

    return isinstance(value, QuantumCircuit)


def check_circuits(circuits: list[Any], max_qubits: int | None, backend: str, *,
                   need_measurements: bool = True) -> None:
    """Refuse what cannot run: no measurement (when counts are wanted), or wider than the
    backend."""
    for i, qc in enumerate(circuits):
        label = f"circuit {i} ({qc.name})" if len(circuits) > 1 else f"circuit {qc.name!r}"
        # count_ops counts in Qiskit's own (Rust) data, without making an object per gate
        if need_measurements and not qc.count_ops().get("measure"):
            raise SubmitError(
                f"{label} has no measurements, so it would return no counts; "
                "add qc.measure_all() (or measure the qubits you need)")
        if max_qubits is not None and qc.num_qubits > max_qubits:
            raise SubmitError(
                f"{label} has {qc.num_qubits} qubits but backend {backend!r} takes at most "
                f"{max_qubits}")


def structure(qc: Any, *, params: bool = True) -> tuple:
    """A circuit's registers and instructions, with parameters by name and bound values
    exactly (``params=False``: without them). Two circuits of the same structure transpile
    alike, and have the same depth and gate counts."""
    index = {bit: i for i, bit in enumerate(qc.qubits)}
    cindex = {bit: i for i, bit in enumerate(qc.clbits)}
    return (
        qc.num_qubits, qc.num_clbits, str(qc.global_phase) if params else "",
        tuple((r.name, r.size) for r in qc.qregs), tuple((r.name, r.size) for r in qc.cregs),
        tuple((inst.operation.name, tuple(index[q] for q in inst.qubits),
               tuple(cindex[c] for c in inst.clbits),
               tuple(repr(p) if isinstance(p, float) else str(p) for p in inst.operation.params)
               if params else ())
              for inst in qc.data),
    )


class ObjectMemo:
    """Values kept per live object, by identity (circuits are unhashable); an entry goes
    when its object does."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref, Any]] = {}

    def get(self, obj: Any) -> Any:
        entry = self._entries.get(id(obj))
        return entry[1] if entry is not None and entry[0]() is obj else None

    def put(self, obj: Any, value: Any) -> None:
        key = id(obj)
        entries = self._entries
        try:
            ref = weakref.ref(obj, lambda _, key=key: entries.pop(key, None))
        except TypeError:  # an object without weak references is not kept
            return
        entries[key] = (ref, value)


_SHAPES = ObjectMemo()


def _depth_and_gates(qc: Any) -> tuple[int, dict[str, int]]:
    """``qc.depth()`` and ``qc.count_ops()``, kept per circuit object while it lives and
    keeps its number of instructions: an optimiser's loop submits the same ansatz hundreds
    of times. (A circuit whose instruction is replaced in place keeps its first summary;
    it only feeds listings.)"""
    found = _SHAPES.get(qc)
    if found is None or found[0] != len(qc.data):
        gates = {str(k): int(v) for k, v in qc.count_ops().items()}
        found = (len(qc.data), depth(qc, gates), gates)
        _SHAPES.put(qc, found)
    return found[1], found[2]


def depth(qc: Any, gates: dict[str, int]) -> int:
    """``qc.depth()`` (barriers and other directives not counted), from Qiskit's DAG, whose
    depth is computed in Rust: a tenth of the time of ``QuantumCircuit.depth`` for an
    ansatz, paid at every submit of an optimiser's loop. The DAG counts barriers, so they
    are taken out first; control flow and classical variables, where the two differ in
    meaning (and stretches), get ``qc.depth()`` itself. ``gates``: ``qc.count_ops()``."""
    from qiskit.circuit import CONTROL_FLOW_OP_NAMES
    from qiskit.converters import circuit_to_dag

    if qc.num_vars or getattr(qc, "num_stretches", 0) or not CONTROL_FLOW_OP_NAMES.isdisjoint(gates):
        return qc.depth()
    dag = circuit_to_dag(qc, copy_operations=False)
    if "barrier" in gates:
        dag.remove_all_ops_named("barrier")
    return dag.depth()


def summarize(circuits: list[Any]) -> dict[str, Any]:
    """Qubits, depth and gate counts (of all circuits together) for listings."""
    gates: Counter[str] = Counter()
    depth = 0
    for qc in circuits[:50]:  # a summary, not an audit: bounded cost for large sweeps
        d, counts = _depth_and_gates(qc)
        depth = max(depth, d)
        gates.update(counts)
    return {
        "num_qubits": max(qc.num_qubits for qc in circuits),
        "num_clbits": max(qc.num_clbits for qc in circuits),
        "depth": depth,
        "gate_counts": dict(gates.most_common()),
    }


def encode(circuits: list[Any]) -> bytes:
    from qiskit import qpy

    buf = io.BytesIO()
    qpy.dump(circuits, buf)
    return buf.getvalue()


def decode(data: bytes) -> list[Any]:
    from qiskit import qpy

    return list(qpy.load(io.BytesIO(data)))
