"""A store of a million jobs (20,000 quick): what the notebook and the REST API feel then.

The store is filled as the runner fills it (2,000 jobs through ``Store``), then grown by
copying those rows in SQL, ids, sequence numbers and names made fresh, until it holds the
number wanted. Measured at that size: ``%%qsubmit`` and ``%qjobs`` in an IPython shell, the
REST list, and the runner's claim, against the claim in a store of 2,000 jobs.
"""

from __future__ import annotations

import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from .common import fresh_home, ghz, summary, tests_module
from .store_api import _fill

SEED_JOBS = 2000


def _grow(store: Any, total: int) -> None:
    """Copy the store's jobs (with payloads, results, events and tags) until it has ``total``;
    the copies get ids ``c`` + 11 hex digits of their sequence number."""
    conn = store._conn()
    columns = [r[1] for r in conn.execute("PRAGMA table_info(jobs)")]
    fresh = {"id": "printf('c%011x', seq + :off)", "seq": "seq + :off",
             "name": "'job' || (seq + :off)"}
    select = ", ".join(fresh.get(c, c) for c in columns)
    new_id = "printf('c%011x', j.seq + :off)"
    while True:
        count, top = conn.execute("SELECT COUNT(*), MAX(seq) FROM jobs").fetchone()
        if count >= total:
            return
        args = {"off": top, "upto": min(count, total - count)}
        with conn:
            conn.execute(f"INSERT INTO jobs ({', '.join(columns)}) SELECT {select} FROM jobs "
                         "WHERE seq <= :upto", args)
            conn.execute(f"INSERT INTO payloads SELECT {new_id}, p.format, p.data FROM payloads p "
                         "JOIN jobs j ON j.id = p.job_id WHERE j.seq <= :upto", args)
            conn.execute(f"INSERT INTO results SELECT {new_id}, r.data FROM results r "
                         "JOIN jobs j ON j.id = r.job_id WHERE j.seq <= :upto", args)
            conn.execute("INSERT INTO events (job_id, at, status, detail) SELECT "
                         f"{new_id}, e.at, e.status, e.detail FROM events e "
                         "JOIN jobs j ON j.id = e.job_id WHERE j.seq <= :upto", args)
            conn.execute(f"INSERT INTO job_tags SELECT t.tag, t.seq + :off, {new_id} "
                         "FROM job_tags t JOIN jobs j ON j.id = t.job_id "
                         "WHERE j.seq <= :upto", args)


def _claim_ms(store: Any, n: int) -> float:
    """Median time of a worker's claim (the oldest waiting job it runs, QUEUED -> RUNNING)
    of a new job, the store otherwise as it is."""
    from qnb.models import JobRecord, JobStatus
    from qnb.runner.worker import remote_providers
    from qnb.store import new_job_id

    samples = []
    for _ in range(n):
        rec = JobRecord(id=new_job_id(), backend="aer", provider="aer", status=JobStatus.QUEUED,
                        shots=100, created_at=time.time(), summary={"num_qubits": 2})
        store.add_job(rec, "qpy", b"\0" * 600)
        t0 = time.perf_counter()
        claimed = store.claim_next(1, 0, remote=remote_providers())
        assert claimed is not None and claimed.id == rec.id
        samples.append(time.perf_counter() - t0)
        store.finish(rec.id, JobStatus.DONE, result={"counts": [{"00": 100}]})
    return 1000 * statistics.median(samples)


def _rest_list(home: Path, n_jobs: int, n: int) -> dict[str, Any]:
    """``GET /qnb/api/jobs?limit=50``: pages of the whole store, and searches for part of a
    job's name (``?q=``: a name matched by ten or so jobs, a different one each time)."""
    launcher = tests_module("helpers")  # the tests' Jupyter server launcher
    server = launcher.start_jupyter(home / "jupyter-server", home)
    pages: list[float] = []
    searches: list[float] = []
    try:
        headers = {"Authorization": f"token {server.token}"}
        for i in range(n):
            for query, out in ((f"offset={(i * 50) % 5000}", pages),
                               (f"q=job{10_000 + (i * 7919) % 89_999}", searches)):
                url = f"{server.url}/qnb/api/jobs?limit=50&{query}"
                t = time.perf_counter()
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
                    r.read()
                out.append(time.perf_counter() - t)
    finally:
        server.stop()
    return {**summary(pages), "search": summary(searches)}


def million_jobs(quick: bool) -> dict[str, Any]:
    from IPython.core.interactiveshell import InteractiveShell

    from qnb.runner.control import stop_runner
    from qnb.store import get_store

    total, n = (20_000, 10) if quick else (1_000_000, 40)
    with fresh_home() as home:
        store = get_store()
        _fill(store, SEED_JOBS)
        claim_small = _claim_ms(store, n)
        t0 = time.perf_counter()
        _grow(store, total)
        grow_s = time.perf_counter() - t0
        store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in home.glob("jobs.sqlite*"))
        claim_large = _claim_ms(store, n)
        shell = InteractiveShell.instance()
        shell.run_cell("%load_ext qnb", store_history=False)
        shell.user_ns.update(b2=ghz(2))
        shell.run_cell("%qsubmit b2 -s 10", store_history=False, silent=True)  # warm
        submit, qjobs = [], []
        for _ in range(n):
            t = time.perf_counter()
            result = shell.run_cell("%%qsubmit -s 100\nb2", store_history=False, silent=True)
            submit.append(time.perf_counter() - t)
            assert result.success, result.error_in_exec
        for _ in range(max(n // 4, 5)):
            t = time.perf_counter()
            result = shell.run_cell("%qjobs", store_history=False, silent=True)
            qjobs.append(time.perf_counter() - t)
            assert result.success, result.error_in_exec
        stop_runner(home)
        rest = _rest_list(home, total, 5 * n)
    return {"jobs": total, "grow_s": grow_s, "bytes": size,
            "qsubmit": summary(submit), "qjobs": summary(qjobs), "rest_list": rest,
            "claim_ms_at_2000": claim_small, "claim_ms_at_total": claim_large,
            "claim_growth": claim_large / claim_small}
