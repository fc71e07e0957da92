"""qnb against direct Qiskit Aer with the same transpile settings and seeds, in one run."""

from __future__ import annotations

import statistics
import time
from typing import Any

from .common import fresh_home, qasmbench_circuits, sweep

SEED = 1234
SHOTS = 1024


def _direct(circuits: list[Any]) -> float:
    """What a user writes: transpile for AerSimulator, run, read counts."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator()
    t0 = time.perf_counter()
    compiled = transpile(circuits, sim, seed_transpiler=SEED)
    result = sim.run(compiled, shots=SHOTS, seed_simulator=SEED).result()
    for i in range(len(compiled)):
        result.get_counts(i)
    return time.perf_counter() - t0


def _direct_each(circuits: list[Any]) -> float:
    return sum(_direct([qc]) for qc in circuits)


def _through_qnb(batches: list[list[Any]]) -> float:
    import qnb

    t0 = time.perf_counter()
    jobs = [qnb.submit(b, shots=SHOTS, seed=SEED) for b in batches]
    for job in jobs:
        job.result(timeout=1800)
    return time.perf_counter() - t0


def qasmbench(quick: bool) -> dict[str, Any]:
    """The QASMBench small set: one job per circuit vs one direct Aer run per circuit."""
    circuits = [qc for _, qc in qasmbench_circuits()]
    if quick:
        circuits = circuits[:8]
    reps = 1 if quick else 3
    direct, via = [], []
    with fresh_home():
        _through_qnb([[circuits[0]]])  # warm the runner
        _direct([circuits[0]])
        for _ in range(reps):
            direct.append(_direct_each(circuits))
            via.append(_through_qnb([[qc] for qc in circuits]))
    d, q = statistics.median(direct), statistics.median(via)
    return {"circuits": len(circuits), "direct_s": d, "qnb_s": q, "ratio": q / d,
            "reps": reps}


def parameter_sweep(quick: bool) -> dict[str, Any]:
    """A sweep of small circuits as one job (one batched simulator call) vs direct Aer."""
    n = 100 if quick else 1000
    circuits = sweep(n)
    reps = 1 if quick else 3
    direct, via = [], []
    with fresh_home():
        _through_qnb([circuits[:2]])
        for _ in range(reps):
            direct.append(_direct(circuits))
            via.append(_through_qnb([circuits]))
    d, q = statistics.median(direct), statistics.median(via)
    return {"circuits": n, "direct_s": d, "qnb_s": q, "ratio": q / d, "reps": reps}
