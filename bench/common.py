"""Shared pieces of the benchmarks: statistics, a throw-away QNB_HOME, circuits."""

from __future__ import annotations

import math
import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

QASMBENCH = Path(__file__).resolve().parents[2] / "shared" / "qasmbench" / "small"


def summary(samples: list[float]) -> dict[str, Any]:
    """Median, p95, min and count of timings in seconds (reported in milliseconds)."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * p95,
            "min_ms": 1000 * ordered[0], "n": len(ordered)}


@contextmanager
def fresh_home(prefix: str = "qnb-bench-") -> Iterator[Path]:
    """A temporary QNB_HOME for the duration of a benchmark; its runner is stopped after."""
    from qnb import api
    from qnb.runner.control import stop_runner

    old = os.environ.get("QNB_HOME")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        home = Path(tmp)
        os.environ["QNB_HOME"] = str(home)
        try:
            yield home
        finally:
            stop_runner(home)
            for store in api._stores.values():
                store.close()
            api._stores.clear()
            if old is None:
                os.environ.pop("QNB_HOME", None)
            else:
                os.environ["QNB_HOME"] = old


def bell():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
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


def wide_statevector(qubits: int = 24, layers: int = 12):
    """A non-Clifford circuit that keeps Aer's statevector method busy for seconds."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(qubits, name=f"sv{qubits}")
    for layer in range(layers):
        for q in range(qubits):
            qc.rx(0.1 * (layer + 1), q)
        for q in range(qubits - 1):
            qc.cx(q, q + 1)
    qc.measure_all()
    return qc


def qasmbench_circuits() -> list[tuple[str, Any]]:
    """The parseable QASMBench small circuits (hhl_n10 is malformed in the suite)."""
    from qiskit import qasm2

    out = []
    for path in sorted(QASMBENCH.glob("*.qasm")):
        try:
            qc = qasm2.loads(path.read_text(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        except qasm2.QASM2ParseError:
            continue
        out.append((path.stem, qc))
    return out


def sweep(n: int, qubits: int = 4):
    """``n`` small parameterised circuits (a rotation-angle sweep), all bound."""
    from qiskit import QuantumCircuit

    circuits = []
    for i in range(n):
        theta = 2 * math.pi * i / max(1, n)
        qc = QuantumCircuit(qubits, name=f"sweep{i}")
        for q in range(qubits):
            qc.ry(theta, q)
        for q in range(qubits - 1):
            qc.cx(q, q + 1)
        qc.measure_all()
        circuits.append(qc)
    return circuits
