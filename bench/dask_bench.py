"""Aer on Dask: a sweep of 2,000 10-qubit circuits as one qnb job on a two-worker and a
one-worker ``LocalCluster``, against the same chunks on a local process pool.

``run(quick)`` returns the figures; ``python -m bench.dask_bench [--quick]`` prints them.
Every configuration is started and warmed first (runner, Dask workers and pool processes
have imported Qiskit and loaded its transpiler plugins), then each repetition runs every
configuration back to back, so a change in the machine's load hits all of them alike.
Every configuration gets the same chunks and seeds; their counts are checked to be equal.
The headline figures use each configuration's best repetition: on a shared machine the
best run is the one least slowed by other work; the medians are reported beside them.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .common import fresh_home

SEED = 4321
SHOTS = 1000
QUBITS = 10
CHUNK = 100


def sweep(n: int, qubits: int = QUBITS) -> list[Any]:
    """``n`` bound instances of a two-layer hardware-efficient ansatz (an angle sweep)."""
    from qiskit import QuantumCircuit

    circuits = []
    for k in range(n):
        qc = QuantumCircuit(qubits, name=f"sweep{k}")
        for layer in range(2):
            for q in range(qubits):
                qc.ry(0.001 * k + 0.2 * q + layer, q)
                qc.rz(0.002 * k + 0.1 * q, q)
            for q in range(qubits - 1):
                qc.cx(q, q + 1)
        qc.measure_all()
        circuits.append(qc)
    return circuits


def _write_profiles(home: Path, addresses: dict[str, str]) -> None:
    (home / "config.toml").write_text("".join(
        f'[backends.{name}]\nprovider = "aer"\nexecutor = "dask"\naddress = "{address}"\n'
        f"chunk_size = {CHUNK}\n\n" for name, address in addresses.items()))


def _through_qnb(circuits: list[Any], backend: str) -> tuple[float, list[dict[str, int]]]:
    import qnb

    t0 = time.perf_counter()
    result = qnb.submit(circuits, backend=backend, shots=SHOTS, seed=SEED).result(timeout=3600)
    return time.perf_counter() - t0, result.counts_list


def _pool_chunk(args: tuple[bytes, int | None]) -> list[dict[str, int]]:
    from qnb.backends.dask_executor import run_chunk

    payload, sim_seed = args
    return run_chunk({}, payload, SHOTS, SEED, sim_seed, None)["counts"]


def _on_pool(pool: ProcessPoolExecutor, circuits: list[Any],
             workers: int) -> tuple[float, list[dict[str, int]]]:
    """The same chunks and seeds as the Dask path, on a plain ``ProcessPoolExecutor``."""
    from qnb.backends.dask_executor import plan_chunks
    from qnb.backends.simulator import chunk_seed
    from qnb.circuits import encode

    t0 = time.perf_counter()
    chunks = [(encode(circuits[a:b]), chunk_seed(SEED, a))
              for a, b in plan_chunks(len(circuits), CHUNK, workers)]
    counts = [c for part in pool.map(_pool_chunk, chunks) for c in part]
    return time.perf_counter() - t0, counts


def _pool(workers: int, warm: Any) -> ProcessPoolExecutor:
    """A warm process pool whose processes, like Dask's workers, run one OpenMP thread."""
    saved = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"  # what Dask's nanny sets for its workers
    try:
        pool = ProcessPoolExecutor(workers, mp_context=get_context("forkserver"),
                                   initializer=warm)
        list(pool.map(abs, range(workers)))  # start the processes with that environment
    finally:
        if saved is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = saved
    return pool


def _timed_direct(address: str, payload: bytes) -> float:
    from qnb.backends.dask_executor import run_on_dask

    t0 = time.perf_counter()
    run_on_dask({"executor": "dask", "address": address, "chunk_size": CHUNK}, payload, SHOTS,
                SEED)
    return time.perf_counter() - t0


def run(quick: bool) -> dict[str, Any]:
    """Time the sweep on 1 and 2 Dask workers, on a 2-process pool and on the local path."""
    from distributed import Client, LocalCluster

    from qnb.backends.dask_executor import QUIET_SCHEDULER
    from qnb.circuits import encode
    from qnb.runner.worker import warm

    n = 400 if quick else 2000
    reps = 1 if quick else 3
    circuits = sweep(n)
    payload = encode(circuits)
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {k: [] for k in ("dask_2", "dask_1", "direct_2", "pool_2")}
    counts: dict[str, list[dict[str, int]]] = {}
    with fresh_home("qnb-bench-dask-") as home, ExitStack() as stack:
        clusters = {}
        for name, workers in (("dask_2", 2), ("dask_1", 1)):
            cluster = stack.enter_context(LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                **QUIET_SCHEDULER))
            stack.enter_context(Client(cluster)).run(warm)
            clusters[name] = cluster.scheduler_address
        pool = stack.enter_context(_pool(2, warm))
        _write_profiles(home, clusters)
        _through_qnb(circuits[:20], "aer")  # warm the runner and its workers
        local_s, counts["local"] = _through_qnb(circuits, "aer")
        for name in clusters:
            _through_qnb(circuits[:2 * CHUNK], name)  # warm the connection path
        for _ in range(reps):
            for name in clusters:
                seconds, counts[name] = _through_qnb(circuits, name)
                times[name].append(seconds)
            times["direct_2"].append(_timed_direct(clusters["dask_2"], payload))
            seconds, counts["pool_2"] = _on_pool(pool, circuits, 2)
            times["pool_2"].append(seconds)
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "circuits": n, "qubits": QUBITS, "shots": SHOTS, "chunk_size": CHUNK, "reps": reps,
        "statistic": f"best of {reps} (the machine is shared; medians in 'median')",
        "dask_1_worker_s": best["dask_1"], "dask_2_workers_s": best["dask_2"],
        "dask_2_workers_direct_s": best["direct_2"],
        "local_pool_2_processes_s": best["pool_2"], "qnb_local_path_one_job_s": local_s,
        "speedup_2_vs_1": best["dask_1"] / best["dask_2"],
        "overhead_vs_local_pool": best["dask_2"] / best["pool_2"] - 1,
        "overhead_direct_vs_local_pool": best["direct_2"] / best["pool_2"] - 1,
        "median": {**med, "speedup_2_vs_1": med["dask_1"] / med["dask_2"],
                   "overhead_vs_local_pool": med["dask_2"] / med["pool_2"] - 1},
        "counts_equal": all(c == counts["local"] for c in counts.values()),
        "samples_s": times,
        "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
    }


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv[1:]), indent=2))
