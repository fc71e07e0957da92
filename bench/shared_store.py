"""The shared store on PostgreSQL against the SQLite store, in the same run (a real server,
started here as the tests start it): a burst of small jobs on each, one runner against two,
the wake-up from a submit to a worker's claim, and the claim's cost as finished jobs pile up."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .common import fresh_home, summary, tests_module
from .round_trips import _circuit

WARM_JOBS = 40  # submitted at once, again and again before a timed burst, until every
#                worker of every runner has run one (``_warm``)
WARM_SECONDS = 120.0  # more than a cold runner's start, on a slow machine


@contextmanager
def _store_env(url: str | None):
    old = os.environ.get("QNB_STORE")
    if url:
        os.environ["QNB_STORE"] = url
    else:
        os.environ.pop("QNB_STORE", None)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("QNB_STORE", None)
        else:
            os.environ["QNB_STORE"] = old


def _burst_s(n: int, *, extra_runner: bool = False, workers: int | None = None) -> float:
    """Seconds from submitting ``n`` small jobs at once until every one is DONE, in a fresh
    home (on the store ``QNB_STORE`` names, if any), its runner warm; with
    ``extra_runner``, a second home's runner serves the same store beside it."""
    import qnb

    qc = _circuit()
    with fresh_home() as home:
        if workers:
            (home / "config.toml").write_text(f"[runner]\nworkers = {workers}\n")
        other = _second_runner(workers) if extra_runner else None
        try:
            _warm(qc, (workers or os.cpu_count() or 1) * (2 if extra_runner else 1))
            t0 = time.perf_counter()
            jobs = [qnb.submit(qc, shots=1000) for _ in range(n)]
            for job in jobs:
                job.wait(timeout=600)
            took = time.perf_counter() - t0
            assert all(j.status() == "DONE" for j in jobs)
        finally:
            if other is not None:
                other[0].terminate()
                other[0].wait(30)
                other[1].cleanup()
    return took


def _warm(qc: Any, workers: int) -> None:
    """Bursts of their own, not timed, until ``workers`` workers have each run a job (a
    worker's first job builds its transpiler and its simulator). One burst is not enough:
    a warm runner's workers can run all of it while a runner just started by the first
    submit still imports, and its worker would then start cold in the middle of the timed
    burst."""
    import qnb

    seen: set[tuple[int, int]] = set()
    deadline = time.perf_counter() + WARM_SECONDS
    while len(seen) < workers:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {len(seen)} of {workers} workers ran a job in "
                               f"{WARM_SECONDS:.0f} s")
        for job in [qnb.submit(qc, shots=1000) for _ in range(WARM_JOBS)]:
            job.wait(timeout=300)
            state = job.refresh().provider_state
            seen.add((state["runner"], state["worker"]))


def _second_runner(workers: int | None) -> tuple[subprocess.Popen, Any]:
    import tempfile

    tmp = tempfile.TemporaryDirectory(prefix="qnb-bench-second-")
    home = Path(tmp.name)
    if workers:
        (home / "config.toml").write_text(f"[runner]\nworkers = {workers}\n")
    proc = subprocess.Popen([sys.executable, "-m", "qnb.runner", "--home", str(home), "--serve"],
                            env={**os.environ, "QNB_HOME": str(home)},
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not (home / "runner.json").exists() and time.time() < deadline:
        time.sleep(0.1)
    return proc, tmp  # its workers are warmed with the first home's (``_warm``)


def burst(quick: bool) -> dict[str, Any]:
    """500 (50 quick) small jobs at once until all are DONE: on SQLite, on PostgreSQL with one
    runner, and on PostgreSQL with two runners of one worker each against one runner of two
    (the same cores), alternating, medians of seven runs."""
    n, runs = (50, 1) if quick else (500, 7)
    server = tests_module("pg_server").Server()
    sqlite, pg, one_of_two, two_of_one = [], [], [], []
    try:
        for i in range(runs):
            # each pair in turn first, as this machine's speed drifts within a run
            pairs = [(sqlite, None, {}), (pg, "pg", {})]
            pairs = pairs if i % 2 == 0 else pairs[::-1]
            runners = [(one_of_two, "pg", {"workers": 2}),
                       (two_of_one, "pg", {"workers": 1, "extra_runner": True})]
            for times, store, how in pairs + (runners if i % 2 == 0 else runners[::-1]):
                with _store_env(store and server.fresh_database()):
                    times.append(_burst_s(n, **how))
    finally:
        server.stop()
    s, p = statistics.median(sqlite), statistics.median(pg)
    one, two = statistics.median(one_of_two), statistics.median(two_of_one)
    return {"jobs": n, "runs": runs, "sqlite_s": s, "postgresql_s": p, "ratio": p / s,
            "one_runner_two_workers_s": one, "two_runners_one_worker_each_s": two,
            "two_runners_over_one": two / one}


def wakeup(quick: bool) -> dict[str, Any]:
    """From a submit to a worker's claim (the job's ``started_at`` less its ``created_at``,
    both this machine's clock), one job at a time with the workers idle: the submitter in
    the runner's home (it pokes the workers itself) and in another home of the same store
    (the runner hears ``NOTIFY`` on its local socket and pokes them)."""
    import qnb

    n = 20 if quick else 100
    server = tests_module("pg_server").Server()
    qc = _circuit()
    out: dict[str, Any] = {}
    try:
        with _store_env(server.fresh_database()), fresh_home() as home:
            qnb.submit(qc, shots=10).result(timeout=300)  # a warm runner
            for label, where in (("same_home", home), ("other_home", None)):
                samples = []
                with _elsewhere(where):
                    for _ in range(n):
                        time.sleep(0.05)  # idle workers, as between a user's cells
                        job = qnb.submit(qc, shots=10)
                        job.wait(timeout=120)
                        rec = job.refresh()
                        samples.append(rec.started_at - rec.created_at)
                out[label] = summary(samples)
    finally:
        server.stop()
    return out


@contextmanager
def _elsewhere(home: Path | None):
    """Submit from ``home`` (None: a new home of the same store, with no runner of its own:
    its jobs are the first home's runner's to hear of)."""
    if home is not None:
        yield
        return
    import tempfile

    from qnb.store import forget_store

    old = os.environ["QNB_HOME"]
    with tempfile.TemporaryDirectory(prefix="qnb-bench-submitter-") as tmp:
        os.environ["QNB_HOME"] = tmp
        os.environ["QNB_RUNNER_AUTOSTART"] = "0"
        try:
            yield
        finally:
            os.environ["QNB_HOME"] = old
            os.environ.pop("QNB_RUNNER_AUTOSTART", None)
            forget_store(Path(tmp))


def claim_growth(quick: bool) -> dict[str, Any]:
    """A worker's claim of a new job at 2,000 finished jobs and at a million (20,000 quick),
    on PostgreSQL: medians of several claims."""
    from qnb.store import open_store

    from . import store_scale

    total, n = (20_000, 10) if quick else (1_000_000, 40)
    server = tests_module("pg_server").Server()
    try:
        with fresh_home() as home:
            store = open_store(home, url=server.fresh_database())
            store_scale._fill(store, store_scale.SEED_JOBS)
            small = store_scale._claim_ms(store, n)
            t0 = time.perf_counter()
            _grow_pg(store, total)
            grow_s = time.perf_counter() - t0
            large = store_scale._claim_ms(store, n)
    finally:
        server.stop()
    return {"jobs": total, "grow_s": grow_s, "claim_ms_at_2000": small,
            "claim_ms_at_total": large, "claim_growth": large / small}


def _grow_pg(store: Any, total: int) -> None:
    """Finished jobs copied from the first one until the store has ``total`` (one statement
    per table, as PostgreSQL's bulk insert from ``generate_series``)."""
    conn = store._conn().raw
    count = conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    more = total - count
    if more <= 0:
        return
    columns = [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs' "
        "AND column_name NOT IN ('id', 'seq', 'name', 'status') ORDER BY ordinal_position")]
    cols = ", ".join(columns)
    with conn.transaction():
        conn.execute(
            f"INSERT INTO jobs (id, name, status, {cols}) SELECT 'c' || lpad(to_hex(g), 11, '0'), "
            f"'job' || g, 'DONE', {', '.join('t.' + c for c in columns)} FROM generate_series(1, %s) g, "
            "(SELECT * FROM jobs ORDER BY seq LIMIT 1) t", (more,))
        conn.execute("INSERT INTO payloads SELECT j.id, 'qpy', '\\x00'::bytea FROM jobs j "
                     "WHERE NOT EXISTS (SELECT 1 FROM payloads p WHERE p.job_id = j.id)")
        conn.execute("INSERT INTO results SELECT j.id, '{\"counts\": [{\"00\": 100}]}' "
                     "FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.job_id = j.id)")
    conn.execute("ANALYZE")
