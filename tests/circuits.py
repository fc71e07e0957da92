"""Real circuits nobody here wrote, for the tests and the benchmarks.

* **MQT Bench** (the ``mqt-bench`` package, pinned in ``requirements.lock``): a fixed set of
  circuits of many families at 3 to 10 qubits, generated the same way on every run. The
  default source: always there.
* **QASMBench**'s small set, optional: ``$QNB_QASMBENCH_DIR``, or ``../shared/qasmbench/small``
  beside the repository. Where it is absent, what needs it is skipped, naming the path.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QASMBENCH = Path(os.environ.get("QNB_QASMBENCH_DIR")
                 or ROOT.parent / "shared" / "qasmbench" / "small")
QASMBENCH_SMALL_COUNT = 43  # files in QASMBench's small set

# (benchmark, qubits): every family MQT Bench generates at these sizes and OpenQASM 2 can
# carry (its dynamic circuits need OpenQASM 3), a few at two sizes.
MQT_BENCH: tuple[tuple[str, int], ...] = (
    ("ghz", 3), ("ghz", 10), ("wstate", 5), ("graphstate", 6),
    ("qft", 5), ("qftentangled", 8), ("qpeexact", 5), ("qpeinexact", 7),
    ("grover", 4), ("grover", 6), ("dj", 6), ("bv", 8),
    ("qaoa", 5), ("qaoa", 8), ("vqe_real_amp", 4), ("vqe_su2", 6), ("vqe_two_local", 8),
    ("qnn", 5), ("randomcircuit", 6), ("half_adder", 5), ("full_adder", 6),
    ("draper_qft_adder", 6), ("hhl", 5), ("qwalk", 4), ("bmw_quark_copula", 4),
)


def mqt_bench_names() -> list[str]:
    """The names of the MQT Bench set (``qft_n5``), known without generating anything."""
    return [f"{family}_n{qubits}" for family, qubits in MQT_BENCH]


@functools.cache
def mqt_bench_qasm() -> dict[str, str]:
    """The MQT Bench set as OpenQASM 2 programs, by name: the target-independent level
    (Qiskit's standard gates), random parameters from MQT Bench's fixed seed, measured
    (``measure_all`` where the benchmark itself measures nothing)."""
    import random

    from mqt.bench import BenchmarkLevel, get_benchmark
    from qiskit import qasm2

    programs = {}
    state = random.getstate()  # some generators seed the global random module: put it back
    try:
        for (family, qubits), name in zip(MQT_BENCH, mqt_bench_names(), strict=True):
            options = {"seed": 10} if family == "graphstate" else {}  # its graph is random
            qc = get_benchmark(family, BenchmarkLevel.INDEP, qubits, random_parameters=True,
                               **options)
            if not any(inst.operation.name == "measure" for inst in qc.data):
                qc.measure_all()
            programs[name] = qasm2.dumps(qc)
    finally:
        random.setstate(state)
    return programs


def load_qasm2(text: str) -> Any:
    """An OpenQASM 2 program as Qiskit reads it (what a user running Aer directly does)."""
    from qiskit import qasm2

    return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)


def mqt_bench_circuits() -> dict[str, Any]:
    """The MQT Bench set as ``QuantumCircuit`` objects read back from their OpenQASM 2."""
    return {name: load_qasm2(text) for name, text in mqt_bench_qasm().items()}


def qasmbench_missing() -> str | None:
    """Why QASMBench cannot be used (naming the path), or None when it is there."""
    if not QASMBENCH.is_dir():
        return (f"QASMBench is not at {QASMBENCH} (optional: put its small set there or set "
                "QNB_QASMBENCH_DIR)")
    if not any(QASMBENCH.glob("*.qasm")):
        return f"no QASMBench .qasm files in {QASMBENCH}"
    return None


def qasmbench_files() -> list[Path]:
    """QASMBench's small set, sorted; empty where it is absent."""
    return sorted(QASMBENCH.glob("*.qasm")) if qasmbench_missing() is None else []


def require_qasmbench() -> list[Path]:
    """QASMBench's small set, or skip the calling test, naming the path."""
    import pytest

    reason = qasmbench_missing()
    if reason:
        pytest.skip(reason)
    return qasmbench_files()


@functools.cache
def qasm_seeds(max_chars: int) -> tuple[str, ...]:
    """Real OpenQASM 2 programs of at most ``max_chars`` characters to start fuzzing from:
    the MQT Bench set, and QASMBench's where it is there."""
    texts = [*mqt_bench_qasm().values(), *(p.read_text() for p in qasmbench_files())]
    return tuple(t for t in texts if len(t) <= max_chars)
