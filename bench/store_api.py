"""The store and the REST API with many jobs: list latency at 10,000 jobs, size on disk."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

from .common import fresh_home, summary, tests_module


def _fill(store: Any, n: int) -> None:
    """``n`` finished jobs, written as the runner writes them (payload, result, events)."""
    from qnb.models import JobRecord, JobStatus
    from qnb.store import new_job_id

    payload = b"\0" * 600  # the size of a small QPY circuit
    for i in range(n):
        rec = JobRecord(id=new_job_id(), backend="aer" if i % 4 else "other", provider="aer",
                        status=JobStatus.QUEUED, shots=1024, created_at=time.time(),
                        name=f"job{i}", summary={"num_qubits": 2, "depth": 3,
                                                 "gate_counts": {"h": 1, "cx": 1, "measure": 2}})
        store.add_job(rec, "qpy", payload)
        store.claim(rec.id)
        store.finish(rec.id, JobStatus.DONE, result={"counts": [{"00": 510, "11": 514}]})


def list_latency(quick: bool) -> dict[str, Any]:
    from qnb.store import get_store

    n_jobs = 1000 if quick else 10_000
    n_requests = 20 if quick else 200
    with fresh_home() as home:
        store = get_store()
        t0 = time.perf_counter()
        _fill(store, n_jobs)
        fill_s = time.perf_counter() - t0
        store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in home.glob("jobs.sqlite*"))
        launcher = tests_module("helpers")  # the tests' Jupyter server launcher
        server = launcher.start_jupyter(home / "jupyter-server", home)
        try:
            headers = {"Authorization": f"token {server.token}"}
            samples = {"all": [], "status=DONE&backend=other": []}
            for query, out in samples.items():
                url = f"{server.url}/qnb/api/jobs?limit=50" + (
                    "" if query == "all" else f"&{query}")
                for i in range(n_requests):
                    t = time.perf_counter()
                    with urllib.request.urlopen(urllib.request.Request(
                            url + f"&offset={(i * 50) % n_jobs}", headers=headers)) as r:
                        r.read()
                    out.append(time.perf_counter() - t)
        finally:
            server.stop()
    return {"jobs": n_jobs, "fill_s": fill_s,
            "bytes_per_1000_finished_jobs": size * 1000 / n_jobs,
            "get_jobs_limit50": summary(samples["all"]),
            "get_jobs_limit50_filtered": summary(samples["status=DONE&backend=other"])}
