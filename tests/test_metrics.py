"""Prometheus metrics: the Jupyter server's /metrics and ``serve_metrics`` of the runner."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from qnb.metrics import QnbCollector, serve_metrics
from qnb.models import JobRecord, JobStatus
from qnb.store import Store, new_job_id

pytest_plugins = ("pytest_jupyter.jupyter_server",)

BELL = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        'h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')


@pytest.fixture
def jp_server_config(qnb_home: Path) -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"qnb": True}}}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape keyed by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scrape: dict, name: str, **labels: str) -> float | None:
    return scrape.get((name, tuple(sorted(labels.items()))))


def add_job(store: Store, status: JobStatus, backend: str = "aer", *, queued: float = 0.0,
            ran: float = 0.0) -> str:
    """A job written straight into the store that waited ``queued`` s and ran ``ran`` s."""
    created = time.time() - 100_000
    started = created + queued if status is not JobStatus.QUEUED else None
    finished = started + ran if status.is_final and started is not None else None
    rec = JobRecord(id=new_job_id(), backend=backend, provider="aer", status=status, shots=10,
                    created_at=created, started_at=started, finished_at=finished)
    store.import_job(rec, "qpy", b"unused")
    return rec.id


async def test_server_metrics_count_a_job_that_runs(jp_fetch, store):
    async def scrape() -> dict:
        response = await jp_fetch("metrics")
        return samples(response.body.decode())

    add_job(store, JobStatus.QUEUED, backend="other")
    before = await scrape()
    assert value(before, "qnb_runner_up") == 0.0
    assert value(before, "qnb_jobs_active", backend="other", status="QUEUED") == 1
    assert value(before, "qnb_jobs_active", backend="other", status="RUNNING") == 0
    assert value(before, "qnb_jobs_submitted_total", backend="other") == 1
    assert value(before, "qnb_jobs_submitted_total", backend="aer") is None  # no job yet
    assert "qnb_runner_heartbeat_timestamp_seconds" not in {k[0] for k in before}

    response = await jp_fetch("qnb", "api", "jobs", method="POST",
                              body=json.dumps({"qasm": BELL, "shots": 100}))
    assert response.code == 201
    job_id = json.loads(response.body)["id"]
    deadline = time.monotonic() + 120
    while store.get(job_id).status is not JobStatus.DONE:
        assert time.monotonic() < deadline and not store.get(job_id).is_final
        await asyncio.sleep(0.1)

    after = await scrape()
    assert value(after, "qnb_jobs_submitted_total", backend="aer") == 1
    assert value(after, "qnb_jobs_finished_total", backend="aer", status="DONE") == 1
    assert value(after, "qnb_jobs_finished_total", backend="aer", status="ERROR") == 0
    assert value(after, "qnb_jobs_active", backend="aer", status="RUNNING") == 0
    assert value(after, "qnb_jobs_active", backend="aer", status="QUEUED") == 0
    assert value(after, "qnb_job_queue_seconds_count", backend="aer") == 1
    assert value(after, "qnb_job_run_seconds_count", backend="aer") == 1
    assert value(after, "qnb_job_run_seconds_bucket", backend="aer", le="+Inf") == 1
    assert value(after, "qnb_runner_up") == 1.0
    beat = value(after, "qnb_runner_heartbeat_timestamp_seconds")
    assert beat is not None and abs(beat - time.time()) < 600
    # the server's own metrics are still there: qnb adds to the default registry
    assert any(name.startswith("http_request_duration_seconds") for name, _ in after)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_metrics_gives_histograms_bucketed_by_the_store(qnb_home, store):
    add_job(store, JobStatus.DONE, queued=0.2, ran=0.03)
    add_job(store, JobStatus.DONE, queued=3.0, ran=40.0)
    add_job(store, JobStatus.ERROR, queued=7200.0, ran=0.5)
    add_job(store, JobStatus.CANCELLED, queued=1.0, ran=2.0)  # stopped while running
    add_job(store, JobStatus.QUEUED)
    cancelled_early = add_job(store, JobStatus.QUEUED)
    store.request_cancel(cancelled_early)  # never started: no queue or run time
    ibm = add_job(store, JobStatus.RUNNING, backend="ibm", queued=0.01)

    port = free_port()
    server = serve_metrics(qnb_home, port)

    def scrape() -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            return samples(r.read().decode())

    try:
        got = scrape()
        assert scrape() == got  # nothing changed, nothing counted twice
        # what happens between scrapes is added: the ibm job finishes, another job arrives
        assert store.finish(ibm, JobStatus.DONE, result={"counts": [{"0": 10}]})
        add_job(store, JobStatus.DONE, backend="ibm", queued=0.5, ran=0.2)
        later = scrape()
    finally:
        server.shutdown()
        server.server_close()
    assert not any(name.startswith(("python_", "process_")) for name, _ in got)  # own registry
    assert value(got, "qnb_jobs_submitted_total", backend="aer") == 6
    assert value(got, "qnb_jobs_submitted_total", backend="ibm") == 1
    assert value(got, "qnb_jobs_finished_total", backend="aer", status="CANCELLED") == 2
    assert value(got, "qnb_jobs_finished_total", backend="ibm", status="DONE") == 0
    assert value(got, "qnb_jobs_active", backend="aer", status="QUEUED") == 1
    assert value(got, "qnb_jobs_active", backend="ibm", status="RUNNING") == 1

    queue = {le: value(got, "qnb_job_queue_seconds_bucket", backend="aer", le=le)
             for le in ("0.1", "0.25", "1.0", "5.0", "3600.0", "14400.0", "+Inf")}
    assert queue == {"0.1": 0, "0.25": 1, "1.0": 2, "5.0": 3, "3600.0": 3, "14400.0": 4,
                     "+Inf": 4}
    assert value(got, "qnb_job_queue_seconds_count", backend="aer") == 4
    assert value(got, "qnb_job_queue_seconds_sum", backend="aer") == pytest.approx(7204.2)
    assert value(got, "qnb_job_queue_seconds_count", backend="ibm") is None  # observed at the end

    run = {le: value(got, "qnb_job_run_seconds_bucket", backend="aer", le=le)
           for le in ("0.01", "0.05", "0.5", "2.5", "30.0", "60.0", "+Inf")}
    assert run == {"0.01": 0, "0.05": 1, "0.5": 2, "2.5": 3, "30.0": 3, "60.0": 4, "+Inf": 4}
    assert value(got, "qnb_job_run_seconds_sum", backend="aer") == pytest.approx(42.53)
    assert value(got, "qnb_job_run_seconds_count", backend="ibm") is None
    assert value(got, "qnb_runner_up") == 0.0

    assert value(later, "qnb_jobs_submitted_total", backend="ibm") == 2
    assert value(later, "qnb_jobs_finished_total", backend="ibm", status="DONE") == 2
    assert value(later, "qnb_jobs_active", backend="ibm", status="RUNNING") == 0
    assert value(later, "qnb_job_queue_seconds_count", backend="ibm") == 2
    assert value(later, "qnb_job_queue_seconds_bucket", backend="ibm", le="0.5") == 2
    assert value(later, "qnb_job_run_seconds_bucket", backend="ibm", le="0.25") == 1
    assert value(later, "qnb_job_run_seconds_bucket", backend="ibm", le="+Inf") == 2
    for key, v in got.items():  # the aer series did not move
        if ("backend", "aer") in key[1]:
            assert later[key] == v, key


def test_collector_starts_over_for_a_new_store(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    add_job(Store(tmp_path / "a" / "jobs.sqlite"), JobStatus.DONE, queued=1.0, ran=1.0)
    collector = QnbCollector(tmp_path / "a")

    def submitted() -> float:
        [family] = [m for m in collector.collect() if m.name == "qnb_jobs_submitted"]
        return sum(s.value for s in family.samples)

    assert submitted() == 1
    second = Store(tmp_path / "b" / "jobs.sqlite")
    for _ in range(3):
        add_job(second, JobStatus.DONE, queued=1.0, ran=1.0)
    collector.home = tmp_path / "b"
    assert submitted() == 3


def test_collector_of_a_home_without_a_store_reports_no_jobs(tmp_path):
    got = {m.name: m.samples for m in QnbCollector(tmp_path).collect()}
    assert got["qnb_jobs_submitted"] == [] and got["qnb_runner_up"][0].value == 0.0
    assert not (tmp_path / "jobs.sqlite").exists()  # scraping never creates a store


def test_counting_between_scrapes_equals_counting_afresh(qnb_home, store):
    """Each scrape adds only what changed; the totals must equal a first look at the store."""
    def families(collector: QnbCollector) -> dict:
        return {m.name: sorted((tuple(sorted(s.labels.items())), s.name, round(s.value, 6))
                               for s in m.samples) for m in collector.collect()}

    following = QnbCollector(qnb_home)
    steps = [
        lambda: add_job(store, JobStatus.DONE, queued=0.3, ran=2.0),
        lambda: [add_job(store, JobStatus.QUEUED, backend=b) for b in ("aer", "x", "x")],
        lambda: store.claim(store.queued()[0].id),
        lambda: store.finish(store.running()[0].id, JobStatus.ERROR, error="boom"),
        lambda: store.request_cancel(store.queued()[0].id),
        lambda: store.finish(store.claim(store.queued()[0].id).id, JobStatus.DONE,
                                 result={"counts": [{"1": 10}]}),
        lambda: add_job(store, JobStatus.CANCELLED, backend="x", queued=5.0, ran=0.0),
    ]
    for step in steps:
        step()
        assert families(following) == families(QnbCollector(qnb_home))


def test_runner_serves_its_own_metrics_port(qnb_home, store):
    """``qnb runner --metrics-port N``: the runner reports itself up, and the jobs it ran."""
    from qnb.api import submit
    from qnb.runner.control import spawn

    port = free_port()
    spawn(qnb_home, ["--metrics-port", str(port)])
    deadline = time.monotonic() + 120
    got: dict = {}
    while value(got, "qnb_runner_up") != 1.0:
        assert time.monotonic() < deadline, "the runner's metrics port never answered"
        time.sleep(0.1)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                got = samples(r.read().decode())
        except OSError:
            continue
    job = submit(BELL, shots=50)  # this runner is awake: it takes the job
    job.wait(timeout=120)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        got = samples(r.read().decode())
    assert value(got, "qnb_jobs_finished_total", backend="aer", status="DONE") == 1
    assert value(got, "qnb_runner_heartbeat_timestamp_seconds") is not None
