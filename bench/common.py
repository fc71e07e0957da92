"""Shared pieces of the benchmarks: statistics, a throw-away QNB_HOME, circuits."""

from __future__ import annotations

import importlib
import math
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"


def tests_module(name: str) -> ModuleType:
    """A helper module of ``tests/`` (``circuits``, ``helpers``): the benchmarks use the same
    circuit set and the same Jupyter server launcher as the tests."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return importlib.import_module(name)


def summary(samples: list[float]) -> dict[str, Any]:
    """Median, p95, min and count of timings in seconds (reported in milliseconds)."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * p95,
            "min_ms": 1000 * ordered[0], "n": len(ordered)}


@contextmanager
def fresh_home(prefix: str = "qnb-bench-") -> Iterator[Path]:
    """A temporary QNB_HOME for the duration of a benchmark; its runner is stopped after."""
    from qnb.runner.control import stop_runner
    from qnb.store import forget_store

    old = os.environ.get("QNB_HOME")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        home = Path(tmp)
        os.environ["QNB_HOME"] = str(home)
        try:
            yield home
        finally:
            stop_runner(home)
            forget_store(home)
            if old is None:
                os.environ.pop("QNB_HOME", None)
            else:
                os.environ["QNB_HOME"] = old


def bell():
    return tests_module("helpers").bell()


def ghz(n: int):
    return tests_module("helpers").ghz(n)


def wide_statevector(qubits: int = 24, layers: int = 12):
    """A non-Clifford circuit that keeps Aer's statevector method busy for seconds."""
    return tests_module("helpers").long_circuit(qubits, layers, name=f"sv{qubits}")


def real_circuits() -> tuple[dict[str, list[tuple[str, Any]]], dict[str, str]]:
    """Circuits nobody here wrote, by source: ``mqt-bench`` (the tests' fixed MQT Bench set,
    always) and ``qasmbench`` (its parseable small circuits, where QASMBench is there;
    hhl_n10 is malformed in the suite). Also why a source was skipped, naming the path."""
    from qiskit import qasm2

    circuits = tests_module("circuits")
    found = {"mqt-bench": list(circuits.mqt_bench_circuits().items())}
    skipped = {}
    reason = circuits.qasmbench_missing()
    if reason:
        skipped["qasmbench"] = reason
    else:
        found["qasmbench"] = []
        for path in circuits.qasmbench_files():
            try:
                found["qasmbench"].append((path.stem, circuits.load_qasm2(path.read_text())))
            except qasm2.QASM2ParseError:
                continue
    return found, skipped


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
