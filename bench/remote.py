"""Following remote jobs: the runner's CPU while it follows many queued ``delayed`` jobs, and
how long after a job's finish its DONE reaches the store."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from .common import bell, fresh_home, summary


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def follow_many(quick: bool) -> dict[str, Any]:
    import qnb
    from qnb.store import get_store

    n = 100 if quick else 1000
    queue_s = 15 if quick else 40
    with fresh_home() as home:
        (home / "config.toml").write_text(
            f'[backends.slow]\nprovider = "delayed"\nqueue_seconds = {queue_s}\n'
            'run_seconds = 1\n[backends.fast]\nprovider = "delayed"\n')
        circuit = bell()
        # a warm runner first: its start-up (imports, first transpile) is not following
        qnb.submit(circuit, backend="fast", shots=10).wait(timeout=300)
        t_submit = time.time()
        jobs = [qnb.submit(circuit, backend="slow", shots=10) for _ in range(n)]
        pid = json.loads((home / "runner.json").read_text())["pid"] if (
            home / "runner.json").exists() else None
        while pid is None:
            time.sleep(0.05)
            with contextlib.suppress(OSError, ValueError):
                pid = json.loads((home / "runner.json").read_text())["pid"]
        store = get_store()
        # let every job be submitted to the service, then measure a quiet window of following
        while store.list(status="QUEUED", limit=1)[1] and any(
                r.remote_id is None for r in store.list(status="QUEUED", limit=n)[0]):
            time.sleep(0.2)
        window = max(2.0, queue_s - (time.time() - t_submit) - 3)
        c0, w0 = _cpu_seconds(pid), time.time()
        time.sleep(window)
        c1, w1 = _cpu_seconds(pid), time.time()
        for job in jobs:
            job.wait(timeout=queue_s * 10 + 600)
        delays, noticed = [], []
        from qnb.runner.remote import RESULT_PENDING

        service = home / "delayed-service"
        for job in jobs:
            rec = store.get(job.id)
            finished = _service_finish_time(service, rec.remote_id)
            if finished is not None:
                delays.append(max(0.0, rec.finished_at - finished))
                seen = [at for at, _, detail in store.events(job.id) if detail == RESULT_PENDING]
                if seen:
                    noticed.append(max(0.0, seen[0] - finished))
        done = sum(1 for j in jobs if j.status() == "DONE")
    return {"jobs": n, "queue_seconds": queue_s,
            "runner_cpu_percent_of_one_core": 100 * (c1 - c0) / (w1 - w0),
            "window_s": w1 - w0, "done_delay": summary(delays) if delays else None,
            "finish_noticed": summary(noticed) if noticed else None,
            "done": done}


def _service_finish_time(service: Path, remote_id: str | None) -> float | None:
    """When the simulated service finished the job (from its own record)."""
    if not remote_id:
        return None
    for path in (service / f"{remote_id}.json",):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        for key in ("finished_at", "finish_at", "done_at", "ends_at"):
            if key in data:
                return float(data[key])
        if "created" in data:  # the delayed service's own schedule
            return float(data["created"]) + float(data.get("queue_seconds", 0)) + float(
                data.get("run_seconds", 0))
    return None
