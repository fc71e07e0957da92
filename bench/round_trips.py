"""Small jobs through qnb against Aer running the same pre-transpiled circuit in-process (the
floor), in the same run: one job at a time, and a burst submitted at once."""

from __future__ import annotations

import statistics
import time
from typing import Any

from .common import fresh_home


def _circuit() -> Any:
    """The issue's small job: 4 qubits, a layer of H and a CX chain, measured."""
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(4)
    qc.h(range(4))
    for q in range(3):
        qc.cx(q, q + 1)
    qc.measure_all()
    return qc


def _floor() -> tuple[Any, Any]:
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator()
    return sim, transpile(_circuit(), sim)


def sequential(quick: bool) -> dict[str, Any]:
    """Submit one job, wait for its counts in the caller, then the next (a hybrid loop's
    pattern): medians over many jobs, warm runner, against ``sim.run(compiled)`` in-process."""
    import qnb

    n = 30 if quick else 200
    sim, compiled = _floor()
    qc = _circuit()
    with fresh_home():
        for _ in range(3):
            qnb.submit(qc, shots=1000).result(timeout=300)  # warm runner and both workers
        floor, ours = [], []
        for _ in range(n):
            t0 = time.perf_counter()
            sim.run(compiled, shots=1000).result().get_counts()
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            qnb.submit(qc, shots=1000).result(timeout=300).get_counts()
            ours.append(time.perf_counter() - t0)
    f, o = statistics.median(floor), statistics.median(ours)
    return {"jobs": n, "aer_in_process_ms": 1000 * f, "qnb_ms": 1000 * o, "ratio": o / f,
            "overhead_ms": 1000 * (o - f)}


def burst(quick: bool) -> dict[str, Any]:
    """500 (50 quick) small jobs submitted at once until every one is DONE, against the same
    jobs run one after another in-process; medians of several runs."""
    import qnb

    n, runs = (50, 2) if quick else (500, 3)
    sim, compiled = _floor()
    qc = _circuit()
    floor, ours = [], []
    with fresh_home():
        qnb.submit(qc, shots=1000).result(timeout=300)  # a warm runner
        for _ in range(runs):
            t0 = time.perf_counter()
            for _ in range(n):
                sim.run(compiled, shots=1000).result().get_counts()
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            jobs = [qnb.submit(qc, shots=1000) for _ in range(n)]
            for job in jobs:
                job.wait(timeout=600)
            ours.append(time.perf_counter() - t0)
            assert all(j.status() == "DONE" for j in jobs)
    f, o = statistics.median(floor), statistics.median(ours)
    return {"jobs": n, "runs": runs, "aer_in_process_s": f, "qnb_s": o, "ratio": o / f}
