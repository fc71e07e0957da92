"""qnb against direct Qiskit Aer with the same transpile settings and seeds, in one run."""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from .common import fresh_home, real_circuits, sweep

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
    """Real circuits, one job per circuit vs one direct Aer run per circuit: the MQT Bench set
    of the tests, and QASMBench's small set where it is there (else that part is skipped)."""
    found, skipped = real_circuits()
    for source, reason in skipped.items():
        print(f"[bench] overhead_qasmbench: {source} part skipped: {reason}", file=sys.stderr,
              flush=True)
    if quick:
        found = {source: named[:6 if source == "mqt-bench" else 4]
                 for source, named in found.items()}
    reps = 1 if quick else 3
    times: dict[str, dict[str, list[float]]] = {s: {"direct": [], "qnb": []} for s in found}
    with fresh_home():
        first = found["mqt-bench"][0][1]
        _through_qnb([[first]])  # warm the runner
        _direct([first])
        for _ in range(reps):
            for source, named in found.items():
                circuits = [qc for _, qc in named]
                times[source]["direct"].append(_direct_each(circuits))
                times[source]["qnb"].append(_through_qnb([[qc] for qc in circuits]))
    sources = {}
    for source, t in times.items():
        d, q = statistics.median(t["direct"]), statistics.median(t["qnb"])
        sources[source] = {"circuits": len(found[source]), "direct_s": d, "qnb_s": q,
                           "ratio": q / d}
    d = sum(r["direct_s"] for r in sources.values())
    q = sum(r["qnb_s"] for r in sources.values())
    return {"circuits": sum(r["circuits"] for r in sources.values()), "direct_s": d,
            "qnb_s": q, "ratio": q / d, "reps": reps, "sources": sources, "skipped": skipped}


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
