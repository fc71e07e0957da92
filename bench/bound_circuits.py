"""A hybrid loop whose circuit changes every step: an optimiser binds new values into one
ansatz and submits the bound circuit, so every job is a circuit never seen before. Against
the floor a user would write in-process: Aer running the ansatz transpiled once, with the
same values bound. Beside it, in the same run and against the same kind of floor, the same
jobs with one identical circuit every time (what the transpile cache always served)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np

from .common import fresh_home

SHOTS = 1000


def _ansatz() -> Any:
    """A small hardware-efficient ansatz (4 qubits, 24 angles), measured."""
    from qiskit.circuit.library import efficient_su2

    qc = efficient_su2(4, reps=2)
    qc.measure_all()
    return qc


class Floor:
    """Aer in-process on the ansatz transpiled once: bind the step's values, run, count."""

    def __init__(self) -> None:
        from qiskit import transpile
        from qiskit_aer import AerSimulator

        self.sim = AerSimulator()
        self.compiled = transpile(_ansatz(), self.sim)

    def step(self, values: np.ndarray) -> dict[str, int]:
        return self.run(self.compiled.assign_parameters(values))

    def run(self, compiled: Any) -> dict[str, int]:
        return self.sim.run(compiled, shots=SHOTS).result().get_counts()


def _values(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    return [rng.uniform(-np.pi, np.pi, _ansatz().num_parameters) for _ in range(n)]


def sequential(quick: bool) -> dict[str, Any]:
    """One job at a time, its counts back in the caller before the next (an optimiser's
    loop): distinct bound circuits, and one identical circuit, each step interleaved with
    its floor; medians."""
    import qnb

    n = 30 if quick else 200
    floor, ansatz = Floor(), _ansatz()
    rng = np.random.default_rng(29)
    same_values = _values(rng, 1)[0]
    same, same_compiled = ansatz.assign_parameters(same_values), floor.compiled.assign_parameters(
        same_values)
    times: dict[str, list[float]] = {k: [] for k in ("floor_bound", "qnb_bound",
                                                     "floor_same", "qnb_same")}
    with fresh_home():
        for values in _values(rng, 4):  # a warm runner and both workers
            qnb.submit(ansatz.assign_parameters(values), shots=SHOTS).result(timeout=300)
        for values in _values(rng, n):
            bound = ansatz.assign_parameters(values)
            t0 = time.perf_counter()
            floor.step(values)
            t1 = time.perf_counter()
            qnb.submit(bound, shots=SHOTS).result(timeout=300).get_counts()
            t2 = time.perf_counter()
            floor.run(same_compiled)
            t3 = time.perf_counter()
            qnb.submit(same, shots=SHOTS).result(timeout=300).get_counts()
            t4 = time.perf_counter()
            for key, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                times[key].append(dt)
    m = {k: statistics.median(v) for k, v in times.items()}
    return {"jobs": n, **{f"{k}_ms": 1000 * v for k, v in m.items()},
            "ratio_bound": m["qnb_bound"] / m["floor_bound"],
            "ratio_same": m["qnb_same"] / m["floor_same"]}


def burst(quick: bool) -> dict[str, Any]:
    """500 (50 quick) jobs submitted at once until all are DONE: distinct bound circuits
    (against the floor binding and running each in a loop), and 500 copies of one circuit
    (against the floor running it 500 times); medians of several runs."""
    import qnb

    n, runs = (50, 2) if quick else (500, 3)
    floor, ansatz = Floor(), _ansatz()
    rng = np.random.default_rng(30)
    times: dict[str, list[float]] = {k: [] for k in ("floor_bound", "qnb_bound",
                                                     "floor_same", "qnb_same")}

    def submit_all(circuits: list[Any]) -> float:
        t0 = time.perf_counter()
        jobs = [qnb.submit(qc, shots=SHOTS) for qc in circuits]
        for job in jobs:
            job.wait(timeout=600)
        elapsed = time.perf_counter() - t0
        assert all(j.status() == "DONE" for j in jobs)
        return elapsed

    with fresh_home():
        qnb.submit(ansatz.assign_parameters(_values(rng, 1)[0]), shots=SHOTS).result(
            timeout=300)  # a warm runner
        for _ in range(runs):
            values = _values(rng, n)
            circuits = [ansatz.assign_parameters(v) for v in values]  # as the caller's loop
            t0 = time.perf_counter()
            for v in values:
                floor.step(v)
            times["floor_bound"].append(time.perf_counter() - t0)
            times["qnb_bound"].append(submit_all(circuits))
            same = floor.compiled.assign_parameters(values[0])
            t0 = time.perf_counter()
            for _ in range(n):
                floor.run(same)
            times["floor_same"].append(time.perf_counter() - t0)
            times["qnb_same"].append(submit_all([circuits[0]] * n))
    m = {k: statistics.median(v) for k, v in times.items()}
    return {"jobs": n, "runs": runs, **{f"{k}_s": v for k, v in m.items()},
            "ratio_bound": m["qnb_bound"] / m["floor_bound"],
            "ratio_same": m["qnb_same"] / m["floor_same"]}
